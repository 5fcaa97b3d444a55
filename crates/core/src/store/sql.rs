//! [`SqlStore`]: the pool every aggregate's SQL runs on, how it is opened, and the helpers they
//! share to bind and decode rows.
//!
//! The SQL is written once for both SQLite and PostgreSQL: `$n` placeholders (SQLite reads them
//! as numbered parameters), `BIGINT` milliseconds for instants, text ids, no booleans. Each
//! backend has its own migrations folder because their DDL dialects differ.
//!
//! On PostgreSQL several replicas share one database, so every write is either one statement or
//! a transaction, and nothing relies on a lock held in this process: `claim_run` lets the
//! database pick the one winner, `record_usage` never moves `last_used_at` backwards whatever
//! order replicas flush in, and the session signing key is inserted only if absent so replicas
//! that start together agree on one.

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::any::{AnyPoolOptions, AnyRow};
#[cfg(feature = "postgres")]
use sqlx::Connection;
use sqlx::{AnyPool, Executor, Row};

use crate::clock::{from_millis, to_millis};
use crate::error::{Error, Result};
use crate::model::{Owner, OwnerKind};

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
#[cfg(feature = "postgres")]
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// Connections one replica keeps to PostgreSQL at most. Every request needs one for a few
/// milliseconds at a time; the database's default limit of 100 leaves room for several replicas.
pub const POSTGRES_POOL_SIZE: u32 = 16;
/// A pooled PostgreSQL connection idle for longer than this is pinged before it is used.
#[cfg(feature = "postgres")]
const POSTGRES_PING_AFTER_IDLE: Duration = Duration::from_secs(1);

/// The SQL store.
#[derive(Debug, Clone)]
pub struct SqlStore {
    pub(super) pool: AnyPool,
    pub(super) backend: Backend,
    /// The reads on every request's path, typed for this backend.
    pub(super) hot: super::hot::HotReads,
    /// The PostgreSQL URL, for the connection that listens for changes (it may hold a password:
    /// kept as a secret, never printed).
    pub(super) url: Option<crate::secret::Secret>,
}

/// Which database a [`SqlStore`] runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// The embedded file of local mode.
    Sqlite,
    /// A PostgreSQL server shared by team-mode replicas.
    Postgres,
}

/// True when `db` names a PostgreSQL database rather than a SQLite file.
pub fn is_postgres_url(db: &str) -> bool {
    db.starts_with("postgres://") || db.starts_with("postgresql://")
}

impl SqlStore {
    /// Opens (creating if needed) the SQLite store at `path` and brings its schema up to date.
    ///
    /// The file is made readable by its owner only before SQLite opens it; the connection runs in
    /// WAL mode with foreign keys on and a busy timeout, so concurrent writers wait instead of
    /// failing.
    pub async fn open_sqlite(path: &Path) -> Result<Self> {
        sqlx::any::install_default_drivers();
        create_private_file(path)?;
        let url = format!("sqlite://{}?mode=rwc", encode_path(path));
        let pool = AnyPoolOptions::new()
            .max_connections(8)
            .min_connections(1)
            .acquire_timeout(Duration::from_secs(30))
            .after_connect(|conn, _| {
                Box::pin(async move {
                    conn.execute(
                        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                         PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;",
                    )
                    .await?;
                    Ok(())
                })
            })
            .connect(&url)
            .await?;
        SQLITE_MIGRATIONS.run(&pool).await?;
        let hot = super::hot::HotReads::sqlite(path)?;
        Ok(Self { pool, backend: Backend::Sqlite, hot, url: None })
    }

    /// Connects to the PostgreSQL database at `url` (`postgres://user:password@host:port/db`,
    /// with any of libpq's parameters sqlx knows) and brings its schema up to date.
    ///
    /// Replicas starting together are safe: the migrations run under an advisory lock, so one
    /// applies them and the others find them applied.
    #[cfg(feature = "postgres")]
    pub async fn open_postgres(url: &str) -> Result<Self> {
        sqlx::any::install_default_drivers();
        if !is_postgres_url(url) {
            return Err(Error::invalid("a PostgreSQL URL starts with postgres:// or postgresql://"));
        }
        let pool = AnyPoolOptions::new()
            .max_connections(POSTGRES_POOL_SIZE)
            .min_connections(1)
            .acquire_timeout(Duration::from_secs(30))
            // A connection the server may have dropped meanwhile (restart, failover, an idle
            // timeout on the way) is checked before a request uses it; one in steady use is not,
            // which would cost a round trip for every query.
            .test_before_acquire(false)
            .before_acquire(|conn, meta| {
                Box::pin(async move {
                    if meta.idle_for < POSTGRES_PING_AFTER_IDLE {
                        return Ok(true);
                    }
                    Ok(conn.ping().await.is_ok())
                })
            })
            .idle_timeout(Duration::from_secs(300))
            .connect(url)
            .await
            .map_err(|e| Error::Internal(format!("cannot connect to PostgreSQL: {e}")))?;
        POSTGRES_MIGRATIONS.run(&pool).await?;
        let hot = super::hot::HotReads::postgres(url, POSTGRES_PING_AFTER_IDLE).await?;
        Ok(Self { pool, backend: Backend::Postgres, hot, url: Some(crate::secret::Secret::new(url.to_owned())) })
    }

    /// Without the `postgres` feature (the desktop app, which reaches team servers over HTTP):
    /// refuses, saying so.
    #[cfg(not(feature = "postgres"))]
    pub async fn open_postgres(_url: &str) -> Result<Self> {
        Err(Error::invalid("this build has no PostgreSQL support; use the tessera command"))
    }

    /// Opens `db`: a `postgres://` URL names a PostgreSQL database, anything else a SQLite file.
    pub async fn open(db: &str) -> Result<Self> {
        if is_postgres_url(db) {
            Self::open_postgres(db).await
        } else {
            Self::open_sqlite(Path::new(db)).await
        }
    }

    /// Which database this store runs on.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The pool, for benchmarks that fill the store in bulk.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }
}

/// The SQLite file, made before SQLite opens it so it is its owner's only from the start.
fn create_private_file(path: &Path) -> Result<()> {
    tessera_platform::files::create_private_file(path).map_err(|e| Error::Internal(e.to_string()))
}

/// Escapes the characters that would end the path part of a `sqlite://` URL.
fn encode_path(path: &Path) -> String {
    let mut out = String::new();
    for c in path.to_string_lossy().chars() {
        match c {
            '%' => out.push_str("%25"),
            '?' => out.push_str("%3F"),
            '#' => out.push_str("%23"),
            _ => out.push(c),
        }
    }
    out
}

/// `taken` when `e` is a unique constraint's violation (a name or an identity that exists), else
/// the store's error.
/// Runs `sql` with `keys` bound in order; whether it touched a row (a delete that found what it
/// was asked to delete).
pub(super) async fn touched(pool: &AnyPool, sql: &str, keys: &[&str]) -> Result<bool> {
    let mut query = sqlx::query(sql);
    for key in keys {
        query = query.bind(*key);
    }
    Ok(query.execute(pool).await?.rows_affected() > 0)
}

pub(super) fn conflict_on_unique(e: sqlx::Error, taken: Error) -> Error {
    match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => taken,
        _ => e.into(),
    }
}

pub(super) fn millis_opt(t: Option<DateTime<Utc>>) -> Option<i64> {
    t.map(to_millis)
}

/// Reads the stored name in `column` as the value it names. A name this version never writes is
/// an error naming the column and the value, never a default: a default would read an unknown
/// role as a member, an unknown status as queued, and hide the damage.
pub(super) fn named<T>(row: &AnyRow, column: &str, parse: fn(&str) -> Option<T>) -> Result<T> {
    let value: String = row.try_get(column)?;
    parse(&value).ok_or_else(|| unknown_value(column, &value))
}

/// [`named`] for a column that may be empty.
pub(super) fn named_opt<T>(row: &AnyRow, column: &str, parse: fn(&str) -> Option<T>) -> Result<Option<T>> {
    let value: Option<String> = row.try_get(column)?;
    value.map(|v| parse(&v).ok_or_else(|| unknown_value(column, &v))).transpose()
}

/// The error for a stored value this version cannot read.
pub(super) fn unknown_value(column: &str, value: &str) -> Error {
    Error::UnknownStoredValue { column: column.to_owned(), value: value.to_owned() }
}

/// The instant stored in `column` as milliseconds since the epoch. A number no instant has
/// (hundreds of millennia away) is damage, refused like an unknown name rather than read as 1970.
pub(super) fn instant(row: &AnyRow, column: &str) -> Result<DateTime<Utc>> {
    let ms: i64 = row.try_get(column)?;
    from_millis(ms).ok_or_else(|| unknown_value(column, &ms.to_string()))
}

/// [`instant`] for a column that may be empty.
pub(super) fn instant_opt(row: &AnyRow, column: &str) -> Result<Option<DateTime<Utc>>> {
    let ms: Option<i64> = row.try_get(column)?;
    ms.map(|ms| from_millis(ms).ok_or_else(|| unknown_value(column, &ms.to_string()))).transpose()
}

/// The owner in a row's `owner_kind` and `owner_id` columns.
pub(super) fn owner_of(row: &AnyRow) -> Result<Owner> {
    Ok(Owner { kind: named(row, "owner_kind", OwnerKind::from_name)?, id: row.try_get("owner_id")? })
}

/// `(owner_kind = $k AND owner_id = $k+1) OR …` for a list of owners, numbered from `first`.
pub(super) fn owners_clause(owners: &[Owner], first: usize) -> String {
    if owners.is_empty() {
        return "1 = 0".to_owned();
    }
    (0..owners.len())
        .map(|i| format!("(owner_kind = ${} AND owner_id = ${})", first + 2 * i, first + 2 * i + 1))
        .collect::<Vec<_>>()
        .join(" OR ")
}

pub(super) fn collect<T>(rows: Vec<AnyRow>, f: fn(&AnyRow) -> Result<T>) -> Result<Vec<T>> {
    rows.iter().map(f).collect()
}

/// One row made of literal values, for testing a decoder on values the schema would refuse.
#[cfg(test)]
pub(super) async fn literal_row(select: &str) -> Result<AnyRow> {
    sqlx::any::install_default_drivers();
    let pool = AnyPoolOptions::new().max_connections(1).connect("sqlite::memory:").await?;
    Ok(sqlx::query(select).fetch_one(&pool).await?)
}

/// Asserts that decoding failed on `value` in `column`, and said so.
#[cfg(test)]
pub(super) fn assert_refused<T: std::fmt::Debug>(decoded: Result<T>, column: &str, value: &str) {
    match decoded {
        Err(e) => {
            let said = e.to_string();
            assert!(said.contains(&format!("{value:?} in {column}")), "{said}");
        }
        Ok(v) => panic!("{value:?} in {column} was read as {v:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_unknown_owner_kind_is_refused() -> Result<()> {
        let row = literal_row("SELECT 'team' AS owner_kind, 'x' AS owner_id").await?;
        assert_refused(owner_of(&row), "owner_kind", "team");
        let row = literal_row("SELECT 'org' AS owner_kind, 'x' AS owner_id").await?;
        assert_eq!(owner_of(&row)?, Owner::org("x"));
        Ok(())
    }

    #[tokio::test]
    async fn an_instant_out_of_any_calendar_is_refused_not_read_as_1970() -> Result<()> {
        let row = literal_row(&format!("SELECT {} AS at, 1700000000000 AS ok, NULL AS never", i64::MAX)).await?;
        assert_refused(instant(&row, "at"), "at", &i64::MAX.to_string());
        assert_refused(instant_opt(&row, "at"), "at", &i64::MAX.to_string());
        assert_eq!(instant(&row, "ok")?.timestamp(), 1_700_000_000);
        assert_eq!(instant_opt(&row, "never")?, None);
        Ok(())
    }
}

#[cfg(test)]
mod upgrade_tests {
    use super::*;
    use crate::model::Role;
    use crate::store::{IdentityStore, SessionStore, UserStore};

    /// A store made by the previous schema, with a provider-made admin, a local admin, and a local
    /// account a provider raised to admin, upgraded by opening it now.
    #[tokio::test]
    async fn the_upgrade_keeps_local_roles_and_identities_and_drops_provider_made_roles() -> Result<()> {
        sqlx::any::install_default_drivers();
        let dir = tempfile::tempdir().map_err(|e| Error::Internal(e.to_string()))?;
        let path = dir.path().join("tessera.db");
        create_private_file(&path)?;
        let pool = AnyPoolOptions::new().max_connections(1).connect(&format!("sqlite://{}", path.display())).await?;
        let mut before = sqlx::migrate::Migrator {
            migrations: std::borrow::Cow::Owned(
                SQLITE_MIGRATIONS.migrations.iter().filter(|m| m.version < 5).cloned().collect(),
            ),
            ..sqlx::migrate::Migrator::DEFAULT
        };
        before.set_ignore_missing(true);
        before.run(&pool).await?;
        for sql in [
            "INSERT INTO users (id, name, role, created_at, origin) VALUES \
             ('usr_p', 'p', 'admin', 1, 'provider'), ('usr_l', 'l', 'admin', 2, 'local'), \
             ('usr_r', 'r', 'admin', 3, 'local'), ('usr_m', 'm', 'member', 4, 'local')",
            "INSERT INTO audit (id, at, actor, action, target, outcome, ip, detail) VALUES \
             ('a1', 5, 'system', 'user.role', 'usr_r', 'ok', NULL, 'role admin from provider kc')",
            "INSERT INTO identities (id, user_id, provider_id, subject, display_name, created_at) VALUES \
             ('idn_1', 'usr_p', 'kc', 'sub-1', 'P', 1), ('idn_2', 'usr_r', 'kc', 'sub-2', 'R', 3)",
            "INSERT INTO sessions (id, user_id, created_at, expires_at) VALUES ('ses_1', 'usr_p', 1, 99999999999999)",
        ] {
            sqlx::query(sql).execute(&pool).await?;
        }
        pool.close().await;

        let store = SqlStore::open_sqlite(&path).await?;
        let role = |id: &'static str| {
            let store = store.clone();
            async move { store.user(id).await.map(|u| u.map(|u| u.role)) }
        };
        assert_eq!(role("usr_p").await?, Some(Role::Member), "a provider-made account's role was the provider's");
        assert_eq!(role("usr_r").await?, Some(Role::Member), "a role a provider set last is not a local one");
        assert_eq!(role("usr_l").await?, Some(Role::Admin), "a local admin stays admin");
        assert_eq!(role("usr_m").await?, Some(Role::Member));
        let ids = store.identities_of("usr_p").await?;
        assert_eq!((ids.len(), ids[0].issuer.clone(), ids[0].asserted_role), (1, None, None));
        assert!(store.identity_by_subject("https://idp.example", "sub-1").await?.is_none(), "no issuer, no match");
        assert_eq!(store.adopt_identity_issuer("kc", "https://idp.example").await?, 2);
        assert_eq!(
            store.identity_by_subject("https://idp.example", "sub-1").await?.map(|i| i.id),
            Some("idn_1".into())
        );
        let (session, _) = store.session_with_user("ses_1").await?.ok_or(Error::NotFound("session"))?;
        assert_eq!((session.identity_id, session.identity_role), (None, None), "old sessions carry the local role");
        Ok(())
    }
}
