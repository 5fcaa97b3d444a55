//! The reads every request makes, typed per backend: a credential by the hash of its value (when
//! the verification cache misses), a token by hash (introspection), and the two lists `GET /me`
//! answers with. Everything else in the store goes through sqlx's `Any` driver.
//!
//! Why not `Any` here: `Any` turns each row into dynamically typed values and then decodes them
//! by column name. Why not sqlx's own SQLite driver either: it runs each connection on a thread of
//! its own, so every query is at least two hand-offs between threads (to the connection's thread
//! and back), which on a busy machine costs far more than the lookup itself (measured here: a
//! typed `SqlitePool` lookup took about as long as the `Any` one). So:
//! - on SQLite the reads run on the calling thread, on a few connections of this process's own
//!   (rusqlite, on the same SQLite library sqlx links), each with its statements prepared once and
//!   cached. An indexed lookup is a few microseconds of work; should SQLite ever answer "busy",
//!   the read goes the general way instead, which waits without holding the thread;
//! - on PostgreSQL they run on a typed `PgPool` of their own: statements prepared once per
//!   connection and rows decoded by position.
//!
//! `/me`'s two lists are one statement on both: one read transaction on SQLite, one round trip on
//! PostgreSQL.
//!
//! Decoding is written once over [`Columns`], for both backends, and refuses what the `Any` path
//! refuses (an unknown kind, role, owner kind or scope; an instant out of any calendar).

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
#[cfg(feature = "postgres")]
use sqlx::{
    postgres::{PgPool, PgPoolOptions, PgRow},
    Connection, Row,
};

use super::sql::{unknown_value, SqlStore};
use crate::clock::from_millis;
use crate::error::{Error, Result};
use crate::model::{Identity, OrgRole, OrgWithRole, Owner, OwnerKind, Role, ScmStatus, Token, User};
use crate::scope::Scopes;
use crate::token::TokenKind;

/// Connections the SQLite reads keep; a read holds one for microseconds.
const SQLITE_READERS: usize = 4;
/// How long a SQLite read waits on a lock before going the general way.
const SQLITE_BUSY_WAIT: Duration = Duration::from_millis(50);
/// Connections the PostgreSQL reads keep at most, besides the general pool's.
pub const POSTGRES_HOT_POOL_SIZE: u32 = 8;

// The SQL, side by side. `$1` is a numbered parameter in both databases.

/// A token's columns, in the order [`token_at`] reads them.
const TOKEN_COLUMNS: &str = "t.id, t.kind, t.hint, t.label, t.description, t.scopes, t.owner_kind, t.owner_id, \
     t.created_by, t.created_at, t.expires_at, t.last_used_at, t.last_used_ip, t.revoked_at";

/// Both backends: the token, and the user who owns it or owns its project (columns 14 to 18).
pub(super) const CREDENTIAL_SQL: &str = concat!(
    "SELECT t.id, t.kind, t.hint, t.label, t.description, t.scopes, t.owner_kind, t.owner_id, t.created_by, ",
    "t.created_at, t.expires_at, t.last_used_at, t.last_used_ip, t.revoked_at, ",
    // Named as the general path reads them by name; the typed reads go by position.
    "u.id AS u_id, u.name AS u_name, u.role AS u_role, u.created_at AS u_created_at, u.disabled_at AS u_disabled_at ",
    "FROM tokens t ",
    "LEFT JOIN projects p ON t.owner_kind = 'project' AND p.id = t.owner_id ",
    "LEFT JOIN users u ON u.id = CASE WHEN t.owner_kind = 'user' THEN t.owner_id ",
    "WHEN p.owner_kind = 'user' THEN p.owner_id END ",
    "WHERE t.hash = $1"
);

/// Where the owner's columns start in [`CREDENTIAL_SQL`].
const CREDENTIAL_USER_AT: usize = 14;

/// An identity's columns, in the order [`identity_at`] reads them.
#[cfg(test)]
const IDENTITY_COLUMNS: &str = "id, user_id, provider_id, subject, display_name, email, created_at, last_login_at, \
     scm_stored, scm_expires_at, scm_refreshable, scm_failed, asserted_role, issuer";

/// Both backends: a user's identities and organizations in one statement, so one read (on
/// SQLite one read transaction, on PostgreSQL one round trip). Column 0 tells the rows apart
/// (`i`dentity or `o`rganization); 1 to 14 are an identity's columns (an organization's id, name
/// and creation in 1, 5 and 7); 15 is the role in an organization; 16 and 17 only sort: identities
/// oldest first, then organizations by name, as the lists are read apart elsewhere.
const LISTS_SQL: &str = concat!(
    "SELECT 'i' AS what, id, user_id, provider_id, subject, display_name, email, created_at, last_login_at, ",
    "scm_stored, scm_expires_at, scm_refreshable, scm_failed, asserted_role, issuer, ",
    "CAST(NULL AS TEXT) AS role, created_at AS k_at, CAST(NULL AS TEXT) AS k_name ",
    "FROM identities WHERE user_id = $1 ",
    "UNION ALL ",
    "SELECT 'o', o.id, NULL, NULL, NULL, o.name, NULL, o.created_at, NULL, 0, NULL, 0, 0, NULL, NULL, ",
    "m.role, NULL, o.name ",
    "FROM orgs o JOIN memberships m ON m.org_id = o.id WHERE m.user_id = $1 ",
    "ORDER BY what, k_at, k_name, id"
);

/// SQLite: the change counter, one row the triggers bump.
pub(super) const CHANGES_SQLITE: &str = "SELECT seq FROM credential_changes WHERE id = 1";

/// PostgreSQL: the change counter, a sequence the triggers advance. `last_value` stays 1 through
/// the first `nextval`; `is_called` tells them apart.
pub(super) const CHANGES_POSTGRES: &str =
    "SELECT last_value + CASE WHEN is_called THEN 1 ELSE 0 END FROM credential_changes";

/// The hot path's reads.
#[async_trait]
pub trait AccountStore: Send + Sync {
    /// A user's identities (oldest first) and organizations with the user's role (by name), read
    /// together: `GET /me`'s lists.
    async fn identities_and_orgs(&self, user_id: &str) -> Result<(Vec<Identity>, Vec<OrgWithRole>)>;
}

/// The typed side of a [`SqlStore`].
#[derive(Clone)]
pub(super) enum HotReads {
    /// In-process connections to the SQLite file.
    Sqlite(Arc<SqliteReads>),
    /// A typed pool on the PostgreSQL database.
    #[cfg(feature = "postgres")]
    Postgres(PgPool),
}

impl std::fmt::Debug for HotReads {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            HotReads::Sqlite(_) => "HotReads::Sqlite",
            #[cfg(feature = "postgres")]
            HotReads::Postgres(_) => "HotReads::Postgres",
        })
    }
}

/// What a hot read found, or that it must go the general way.
pub(super) enum Read<T> {
    /// The answer.
    Done(T),
    /// SQLite was busy: ask the general path, which waits without holding the thread.
    Busy,
}

impl HotReads {
    /// Connections to the SQLite file at `path`, which the general pool has already brought up
    /// to date (so it exists, in WAL mode).
    pub(super) fn sqlite(path: &Path) -> Result<Self> {
        Ok(HotReads::Sqlite(Arc::new(SqliteReads::open(path, SQLITE_READERS)?)))
    }

    /// A typed pool on the PostgreSQL database at `url`, checked like the general pool.
    #[cfg(feature = "postgres")]
    pub(super) async fn postgres(url: &str, ping_after_idle: Duration) -> Result<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(POSTGRES_HOT_POOL_SIZE)
            .min_connections(1)
            .acquire_timeout(Duration::from_secs(30))
            .test_before_acquire(false)
            .before_acquire(move |conn, meta| {
                Box::pin(async move {
                    if meta.idle_for < ping_after_idle {
                        return Ok(true);
                    }
                    Ok(conn.ping().await.is_ok())
                })
            })
            .idle_timeout(Duration::from_secs(300))
            .connect(url)
            .await
            .map_err(|e| Error::Internal(format!("cannot connect to PostgreSQL: {e}")))?;
        Ok(HotReads::Postgres(pool))
    }

    pub(super) async fn credential_by_hash(&self, hash: &[u8]) -> Result<Read<Option<(Token, Option<User>)>>> {
        match self {
            HotReads::Sqlite(db) => db.read(|c| {
                let mut statement = c.prepare_cached(CREDENTIAL_SQL)?;
                let mut rows = statement.query([hash])?;
                rows.next()?.map(|row| credential_at(&SqliteRow(row))).transpose()
            }),
            #[cfg(feature = "postgres")]
            HotReads::Postgres(pool) => {
                let row = sqlx::query(CREDENTIAL_SQL).bind(hash).fetch_optional(pool).await?;
                Ok(Read::Done(row.map(|row| credential_at(&row)).transpose()?))
            }
        }
    }

    pub(super) async fn token_by_hash(&self, hash: &[u8]) -> Result<Read<Option<Token>>> {
        const SQL: &str = "SELECT t.id, t.kind, t.hint, t.label, t.description, t.scopes, t.owner_kind, t.owner_id, \
             t.created_by, t.created_at, t.expires_at, t.last_used_at, t.last_used_ip, t.revoked_at \
             FROM tokens t WHERE t.hash = $1";
        debug_assert!(SQL.contains(TOKEN_COLUMNS));
        match self {
            HotReads::Sqlite(db) => db.read(|c| {
                let mut statement = c.prepare_cached(SQL)?;
                let mut rows = statement.query([hash])?;
                rows.next()?.map(|row| token_at(&SqliteRow(row))).transpose()
            }),
            #[cfg(feature = "postgres")]
            HotReads::Postgres(pool) => {
                let row = sqlx::query(SQL).bind(hash).fetch_optional(pool).await?;
                Ok(Read::Done(row.map(|row| token_at(&row)).transpose()?))
            }
        }
    }

    /// The change counter (see [`super::ChangeStore`]), read after every request that may have
    /// written.
    pub(super) async fn credential_changes(&self) -> Result<Read<i64>> {
        match self {
            HotReads::Sqlite(db) => db.read(|c| Ok(c.prepare_cached(CHANGES_SQLITE)?.query_row([], |r| r.get(0))?)),
            #[cfg(feature = "postgres")]
            HotReads::Postgres(pool) => {
                Ok(Read::Done(sqlx::query(CHANGES_POSTGRES).fetch_one(pool).await?.try_get::<i64, _>(0)?))
            }
        }
    }

    pub(super) async fn identities_and_orgs(&self, user_id: &str) -> Result<Read<(Vec<Identity>, Vec<OrgWithRole>)>> {
        match self {
            HotReads::Sqlite(db) => db.read(|c| {
                let (mut identities, mut orgs) = (Vec::new(), Vec::new());
                let mut statement = c.prepare_cached(LISTS_SQL)?;
                let mut rows = statement.query([user_id])?;
                while let Some(row) = rows.next()? {
                    let row = SqliteRow(row);
                    match row.text(0)?.as_str() {
                        "i" => identities.push(identity_at(&row, 1)?),
                        _ => orgs.push(org_at(&row, [1, 5, 7, 15])?),
                    }
                }
                Ok((identities, orgs))
            }),
            #[cfg(feature = "postgres")]
            HotReads::Postgres(pool) => {
                let (mut identities, mut orgs) = (Vec::new(), Vec::new());
                for row in sqlx::query(LISTS_SQL).bind(user_id).fetch_all(pool).await? {
                    match row.try_get::<&str, _>(0)? {
                        "i" => identities.push(identity_at(&row, 1)?),
                        _ => orgs.push(org_at(&row, [1, 5, 7, 15])?),
                    }
                }
                Ok(Read::Done((identities, orgs)))
            }
        }
    }
}

#[async_trait]
impl AccountStore for SqlStore {
    async fn identities_and_orgs(&self, user_id: &str) -> Result<(Vec<Identity>, Vec<OrgWithRole>)> {
        use super::{IdentityStore, OrgStore};
        match self.hot.identities_and_orgs(user_id).await? {
            Read::Done(lists) => Ok(lists),
            Read::Busy => Ok((self.identities_of(user_id).await?, self.orgs_of_user(user_id).await?)),
        }
    }
}

/// A few SQLite connections of this process's own, each behind a lock held for one read.
pub(super) struct SqliteReads {
    connections: Vec<Mutex<rusqlite::Connection>>,
    next: AtomicUsize,
}

impl SqliteReads {
    fn open(path: &Path, n: usize) -> Result<Self> {
        use rusqlite::OpenFlags;
        let connections = (0..n.max(1))
            .map(|_| {
                // Read-write so that SQLite may use the WAL's shared-memory index as every other
                // connection does; `query_only` refuses any write through it.
                let c = rusqlite::Connection::open_with_flags(
                    path,
                    OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )?;
                c.execute_batch("PRAGMA query_only = ON;")?;
                c.busy_timeout(SQLITE_BUSY_WAIT)?;
                c.set_prepared_statement_cache_capacity(8);
                Ok(Mutex::new(c))
            })
            .collect::<std::result::Result<Vec<_>, rusqlite::Error>>()
            .map_err(|e| Error::Internal(format!("cannot open the store for reading: {e}")))?;
        Ok(Self { connections, next: AtomicUsize::new(0) })
    }

    /// Runs `f` on a free connection (or waits for one: each is held for microseconds).
    fn read<T>(&self, f: impl FnOnce(&rusqlite::Connection) -> Result<T>) -> Result<Read<T>> {
        let n = self.connections.len();
        let start = self.next.fetch_add(1, Ordering::Relaxed) % n;
        let free = (0..n).find_map(|i| self.connections[(start + i) % n].try_lock().ok());
        let connection = match free {
            Some(c) => c,
            // A read that panicked left nothing half-done on the connection: its statement is
            // reset when dropped, and it never writes.
            None => self.connections[start].lock().unwrap_or_else(|p| p.into_inner()),
        };
        match f(&connection) {
            Ok(v) => Ok(Read::Done(v)),
            Err(Error::Sqlite(e)) if is_busy(&e) => Ok(Read::Busy),
            Err(e) => Err(e),
        }
    }
}

fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _)
        if matches!(f.code, rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked))
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        Error::Sqlite(e)
    }
}

/// A row's columns by position, whichever database it came from.
trait Columns {
    fn text(&self, i: usize) -> Result<String>;
    fn text_opt(&self, i: usize) -> Result<Option<String>>;
    fn int(&self, i: usize) -> Result<i64>;
    fn int_opt(&self, i: usize) -> Result<Option<i64>>;
}

struct SqliteRow<'a, 'b>(&'a rusqlite::Row<'b>);

impl Columns for SqliteRow<'_, '_> {
    fn text(&self, i: usize) -> Result<String> {
        Ok(self.0.get(i)?)
    }
    fn text_opt(&self, i: usize) -> Result<Option<String>> {
        Ok(self.0.get(i)?)
    }
    fn int(&self, i: usize) -> Result<i64> {
        Ok(self.0.get(i)?)
    }
    fn int_opt(&self, i: usize) -> Result<Option<i64>> {
        Ok(self.0.get(i)?)
    }
}

#[cfg(feature = "postgres")]
impl Columns for PgRow {
    fn text(&self, i: usize) -> Result<String> {
        Ok(self.try_get(i)?)
    }
    fn text_opt(&self, i: usize) -> Result<Option<String>> {
        Ok(self.try_get(i)?)
    }
    fn int(&self, i: usize) -> Result<i64> {
        Ok(self.try_get(i)?)
    }
    fn int_opt(&self, i: usize) -> Result<Option<i64>> {
        Ok(self.try_get(i)?)
    }
}

/// The name in column `i` (called `column`) as the value it names; an unknown one is refused.
fn named_at<T>(r: &impl Columns, i: usize, column: &str, parse: fn(&str) -> Option<T>) -> Result<T> {
    let value = r.text(i)?;
    parse(&value).ok_or_else(|| unknown_value(column, &value))
}

fn named_opt_at<T>(r: &impl Columns, i: usize, column: &str, parse: fn(&str) -> Option<T>) -> Result<Option<T>> {
    r.text_opt(i)?.map(|v| parse(&v).ok_or_else(|| unknown_value(column, &v))).transpose()
}

fn millis(ms: i64, column: &str) -> Result<DateTime<Utc>> {
    from_millis(ms).ok_or_else(|| unknown_value(column, &ms.to_string()))
}

fn instant_at(r: &impl Columns, i: usize, column: &str) -> Result<DateTime<Utc>> {
    millis(r.int(i)?, column)
}

fn instant_opt_at(r: &impl Columns, i: usize, column: &str) -> Result<Option<DateTime<Utc>>> {
    r.int_opt(i)?.map(|ms| millis(ms, column)).transpose()
}

/// A token in columns 0 to 13, in [`TOKEN_COLUMNS`]' order.
fn token_at(r: &impl Columns) -> Result<Token> {
    let scopes = r.text(5)?;
    Ok(Token {
        id: r.text(0)?,
        kind: named_at(r, 1, "kind", TokenKind::from_name)?,
        hint: r.text(2)?,
        label: r.text(3)?,
        description: r.text(4)?,
        scopes: Scopes::from_space_separated(&scopes).map_err(|_| unknown_value("scopes", &scopes))?,
        owner: Owner { kind: named_at(r, 6, "owner_kind", OwnerKind::from_name)?, id: r.text(7)? },
        created_by: r.text_opt(8)?,
        created_at: instant_at(r, 9, "created_at")?,
        expires_at: instant_opt_at(r, 10, "expires_at")?,
        last_used_at: instant_opt_at(r, 11, "last_used_at")?,
        last_used_ip: r.text_opt(12)?,
        revoked_at: instant_opt_at(r, 13, "revoked_at")?,
    })
}

/// A row of [`CREDENTIAL_SQL`]: the token, and its owner when the join found one.
fn credential_at(r: &impl Columns) -> Result<(Token, Option<User>)> {
    let u = CREDENTIAL_USER_AT;
    let user = match r.text_opt(u)? {
        Some(id) => Some(User {
            id,
            name: r.text(u + 1)?,
            role: named_at(r, u + 2, "u_role", Role::from_name)?,
            created_at: instant_at(r, u + 3, "u_created_at")?,
            disabled: r.int_opt(u + 4)?.is_some(),
        }),
        None => None,
    };
    Ok((token_at(r)?, user))
}

/// An identity in the 14 columns from `base`, in [`IDENTITY_COLUMNS`]' order.
fn identity_at(r: &impl Columns, base: usize) -> Result<Identity> {
    let c = |i: usize| base + i;
    let stored = r.int(c(8))? != 0;
    let failed = r.int(c(11))? != 0;
    Ok(Identity {
        id: r.text(c(0))?,
        user_id: r.text(c(1))?,
        provider: r.text(c(2))?,
        provider_kind: String::new(),
        subject: r.text(c(3))?,
        display_name: r.text(c(4))?,
        email: r.text_opt(c(5))?,
        created_at: instant_at(r, c(6), "created_at")?,
        last_login_at: instant_opt_at(r, c(7), "last_login_at")?,
        status: match (stored, failed) {
            (false, _) => ScmStatus::Disconnected,
            (true, true) => ScmStatus::Expired,
            (true, false) => ScmStatus::Connected,
        },
        expires_at: instant_opt_at(r, c(9), "scm_expires_at")?,
        refreshable: r.int(c(10))? != 0,
        asserted_role: named_opt_at(r, c(12), "asserted_role", Role::from_name)?,
        issuer: r.text_opt(c(13))?,
    })
}

/// An organization from its id, name, creation and role columns.
fn org_at(r: &impl Columns, [id, name, created_at, role]: [usize; 4]) -> Result<OrgWithRole> {
    Ok(OrgWithRole {
        id: r.text(id)?,
        name: r.text(name)?,
        created_at: instant_at(r, created_at, "created_at")?,
        role: Some(named_at(r, role, "role", OrgRole::from_name)?),
    })
}

#[cfg(test)]
impl HotReads {
    /// The SQLite connections, when that is the kind.
    fn sqlite_reads(&self) -> Option<&SqliteReads> {
        match self {
            HotReads::Sqlite(db) => Some(db),
            #[cfg(feature = "postgres")]
            HotReads::Postgres(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sql::assert_refused;
    use crate::store::{IdentityStore, OrgStore, TokenStore};

    #[test]
    fn the_sqlite_statements_read_the_columns_in_the_decoders_order() {
        assert!(LISTS_SQL.contains(IDENTITY_COLUMNS));
        assert!(CREDENTIAL_SQL.starts_with(&format!("SELECT {TOKEN_COLUMNS}, u.id")));
    }

    async fn store() -> Result<(tempfile::TempDir, SqlStore)> {
        let dir = tempfile::tempdir().map_err(|e| Error::Internal(e.to_string()))?;
        let store = SqlStore::open_sqlite(&dir.path().join("t.db")).await?;
        Ok((dir, store))
    }

    async fn run(store: &SqlStore, sql: &str) -> Result<()> {
        sqlx::query(sql).execute(&store.pool).await?;
        Ok(())
    }

    #[tokio::test]
    async fn the_hot_reads_answer_what_the_general_reads_answer() -> Result<()> {
        let (_dir, s) = store().await?;
        run(
            &s,
            "INSERT INTO users (id, name, role, created_at, origin, disabled_at) VALUES \
                 ('usr_a', 'a', 'admin', 1, 'local', 7), ('usr_b', 'b', 'member', 2, 'local', NULL)",
        )
        .await?;
        run(&s, "INSERT INTO projects (id, name, owner_kind, owner_id, created_at) VALUES ('prj_1', 'p', 'user', 'usr_a', 3)")
            .await?;
        run(
            &s,
            "INSERT INTO tokens (id, kind, hash, hint, label, description, scopes, owner_kind, owner_id, created_by, \
             created_at, expires_at, last_used_at, last_used_ip, revoked_at) VALUES \
             ('tok_1', 'pat', x'01', 'h1', 'l1', 'd1', 'read token:admin', 'user', 'usr_a', 'usr_a', 10, 20, 15, '10.0.0.1', NULL), \
             ('tok_2', 'trigger', x'02', 'h2', 'l2', '', '', 'project', 'prj_1', NULL, 11, NULL, NULL, NULL, 12), \
             ('tok_3', 'org', x'03', 'h3', 'l3', '', 'read', 'org', 'org_1', NULL, 12, NULL, NULL, NULL, NULL)",
        )
        .await?;
        run(&s, "INSERT INTO orgs (id, name, created_at) VALUES ('org_1', 'zeta', 5), ('org_2', 'alpha', 6)").await?;
        run(&s, "INSERT INTO memberships (org_id, user_id, role) VALUES ('org_1', 'usr_b', 'admin'), ('org_2', 'usr_b', 'member')")
            .await?;
        run(
            &s,
            "INSERT INTO identities (id, user_id, provider_id, subject, display_name, email, created_at, \
             last_login_at, scm_stored, scm_expires_at, scm_refreshable, scm_failed, asserted_role, issuer) VALUES \
             ('idn_2', 'usr_b', 'gh', 's2', 'B2', NULL, 9, NULL, 1, 99, 1, 1, NULL, 'https://gh'), \
             ('idn_1', 'usr_b', 'kc', 's1', 'B1', 'b@x', 8, 9, 0, NULL, 0, 0, 'admin', 'https://kc')",
        )
        .await?;
        for hash in [&[1u8][..], &[2], &[3], &[4]] {
            let Read::Done(hot) = s.hot.credential_by_hash(hash).await? else { panic!("busy") };
            let general = s.credential_by_hash_general(hash).await?;
            assert_eq!(format!("{hot:?}"), format!("{general:?}"), "credential {hash:?}");
            let Read::Done(hot) = s.hot.token_by_hash(hash).await? else { panic!("busy") };
            assert_eq!(format!("{hot:?}"), format!("{:?}", s.token_by_hash_general(hash).await?), "token {hash:?}");
        }
        let owner = s.credential_by_hash(&[2]).await?.and_then(|(_, owner)| owner);
        let owner = owner.map(|u| (u.id, u.disabled));
        assert_eq!(owner, Some(("usr_a".to_owned(), true)), "a trigger token of a personal project carries its owner");
        for user in ["usr_a", "usr_b", "usr_none"] {
            let lists = s.identities_and_orgs(user).await?;
            let general = (s.identities_of(user).await?, s.orgs_of_user(user).await?);
            assert_eq!(lists, general, "{user}");
        }
        let (identities, orgs) = s.identities_and_orgs("usr_b").await?;
        assert_eq!(identities.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(), ["idn_1", "idn_2"]);
        assert_eq!(orgs.iter().map(|o| o.name.as_str()).collect::<Vec<_>>(), ["alpha", "zeta"]);
        Ok(())
    }

    #[tokio::test]
    async fn the_hot_reads_refuse_what_this_version_does_not_know() -> Result<()> {
        let (_dir, s) = store().await?;
        // The schema's checks refuse these rows; a newer version's schema or damage may not.
        let mut c = s.pool.acquire().await?;
        sqlx::query("PRAGMA ignore_check_constraints = ON").execute(&mut *c).await?;
        for (hash, kind, scopes, owner_kind, column, value) in [
            ("0a", "ssh", "read", "user", "kind", "ssh"),
            ("0b", "pat", "read read", "user", "scopes", "read read"),
            ("0c", "pat", "read", "team", "owner_kind", "team"),
        ] {
            sqlx::query(&format!(
                "INSERT INTO tokens (id, kind, hash, hint, label, description, scopes, owner_kind, owner_id, \
                 created_at) VALUES ('tok_{hash}', '{kind}', x'{hash}', 'h', 'l', '', '{scopes}', '{owner_kind}', \
                 'usr_x', 1)"
            ))
            .execute(&mut *c)
            .await?;
            let bytes = hex::decode(hash).map_err(|e| Error::Internal(e.to_string()))?;
            assert_refused(s.credential_by_hash(&bytes).await, column, value);
            assert_refused(s.token_by_hash(&bytes).await, column, value);
        }
        for sql in [
            "INSERT INTO users (id, name, role, created_at, origin) VALUES ('usr_o', 'o', 'owner', 1, 'local')",
            "INSERT INTO tokens (id, kind, hash, hint, label, description, scopes, owner_kind, owner_id, created_at) \
             VALUES ('tok_0d', 'pat', x'0d', 'h', 'l', '', 'read', 'user', 'usr_o', 1)",
        ] {
            sqlx::query(sql).execute(&mut *c).await?;
        }
        assert_refused(s.credential_by_hash(&[0x0d]).await, "u_role", "owner");
        Ok(())
    }

    /// SQLite's "busy" and "locked" send a read the general way; any other failure is an error.
    /// (A real lock cannot be made here: in WAL mode every open connection holds a shared lock on
    /// the file, so no other connection of a live store can take it for itself.)
    #[tokio::test]
    async fn busy_and_locked_send_a_read_the_general_way_and_other_failures_do_not() -> Result<()> {
        let (_dir, s) = store().await?;
        let Some(db) = s.hot.sqlite_reads() else { panic!("a SQLite store reads SQLite") };
        let failure = |code: i32| -> Result<()> {
            Err(Error::Sqlite(rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(code), None)))
        };
        for code in [rusqlite::ffi::SQLITE_BUSY, rusqlite::ffi::SQLITE_LOCKED] {
            assert!(matches!(db.read(|_| failure(code)), Ok(Read::Busy)), "code {code}");
        }
        for code in [rusqlite::ffi::SQLITE_CORRUPT, rusqlite::ffi::SQLITE_READONLY, rusqlite::ffi::SQLITE_IOERR] {
            assert!(matches!(db.read(|_| failure(code)), Err(Error::Sqlite(_))), "code {code}");
        }
        Ok(())
    }
}
