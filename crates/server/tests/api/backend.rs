//! The store behind a test server: a SQLite file in a temporary folder, or — when
//! `TESSERA_TEST_PG_URL` is set — a schema of its own in that PostgreSQL database, so tests stay
//! independent while sharing one server. `make test` runs the suite both ways.
//!
//! Every replica of a test server opens the same place: the same file and key file in local
//! mode, the same schema and its shared signing key in team mode, exactly as `tessera serve` does.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use sqlx::Connection;
use tessera_core::session::SessionKeys;
use tessera_core::store::SqlStore;

/// The key every test server seals with (team mode's `TESSERA_SECRET_KEY_FILE`): one for the
/// whole suite, so replicas of one server share it as real replicas do.
pub fn sealing_key() -> &'static tessera_auth::sealed::SealingKey {
    static KEY: std::sync::OnceLock<tessera_auth::sealed::SealingKey> = std::sync::OnceLock::new();
    KEY.get_or_init(|| tessera_auth::sealed::SealingKey::generate().unwrap())
}

/// The environment variable naming the PostgreSQL database the suite runs against.
pub const PG_URL_ENV: &str = "TESSERA_TEST_PG_URL";

/// Where a test server's store lives.
#[derive(Clone)]
pub enum Backend {
    /// A SQLite file and the session key file beside it.
    Sqlite(Arc<tempfile::TempDir>),
    /// A PostgreSQL URL whose search path is a fresh schema.
    Postgres(String),
}

impl Backend {
    /// A new, empty place for a store: PostgreSQL when the suite is pointed at one.
    pub async fn fresh() -> Backend {
        match std::env::var(PG_URL_ENV) {
            Ok(url) if !url.is_empty() => Backend::Postgres(fresh_schema(&url).await),
            _ => Backend::Sqlite(Arc::new(tempfile::tempdir().unwrap())),
        }
    }

    /// Opens the store and its session keys, as one replica does.
    pub async fn open(&self, now: DateTime<Utc>) -> (SqlStore, SessionKeys) {
        match self {
            Backend::Sqlite(dir) => {
                let store = SqlStore::open_sqlite(&dir.path().join("tessera.db")).await.unwrap();
                let keys = SessionKeys::load_or_create(&dir.path().join("session-signing-key.der")).unwrap();
                (store, keys)
            }
            Backend::Postgres(url) => {
                let store = SqlStore::open_postgres(url).await.unwrap();
                let keys = SessionKeys::load_or_create_shared_sealed(&store, sealing_key().sealer().as_ref(), now)
                    .await
                    .unwrap();
                (store, keys)
            }
        }
    }
}

/// Creates a schema with a unique name in the database at `url` and returns a URL whose
/// connections use it, and only it, under an application name equal to the schema's.
pub async fn fresh_schema(url: &str) -> String {
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    let schema = format!("t_{}_{}_{}", std::process::id(), nanos % 1_000_000_000, SEQ.fetch_add(1, Ordering::Relaxed));
    let mut conn = sqlx::PgConnection::connect(url)
        .await
        .unwrap_or_else(|e| panic!("{PG_URL_ENV} is set but PostgreSQL cannot be reached: {e}"));
    sqlx::query(&format!("CREATE SCHEMA {schema}")).execute(&mut conn).await.unwrap();
    conn.close().await.unwrap();
    let sep = if url.contains('?') { '&' } else { '?' };
    // The application name tells this test's connections apart from every other test's.
    format!("{url}{sep}options=-c%20search_path%3D{schema}&application_name={schema}")
}
