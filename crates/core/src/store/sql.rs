//! [`Store`] over SQL through sqlx's `Any` driver.
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

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Connection, Executor, Row};
use zeroize::Zeroizing;

use super::{Rotation, SessionRecord, Store, Usage};
use crate::authority::TokenPolicy;
use crate::clock::{from_millis, to_millis};
use crate::error::{Error, Result};
use crate::model::{
    Agent, AgentStatus, AuditEvent, Identity, Invitation, Member, Org, OrgRole, OrgWithRole, Origin, Owner, OwnerKind,
    Pipeline, Project, Role, Run, RunStatus, ScmStatus, ScmTokenInfo, SecretInfo, Token, User, UserRef,
};
use crate::scope::Scopes;
use crate::token::TokenKind;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// Connections one replica keeps to PostgreSQL at most. Every request needs one for a few
/// milliseconds at a time; the database's default limit of 100 leaves room for several replicas.
pub const POSTGRES_POOL_SIZE: u32 = 16;
/// A pooled PostgreSQL connection idle for longer than this is pinged before it is used.
const POSTGRES_PING_AFTER_IDLE: Duration = Duration::from_secs(1);

/// The SQL store.
#[derive(Debug, Clone)]
pub struct SqlStore {
    pool: AnyPool,
    backend: Backend,
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

const TOKEN_COLUMNS: &str = "id, kind, hint, label, description, scopes, owner_kind, owner_id, created_by, \
     created_at, expires_at, last_used_at, last_used_ip, revoked_at";
const IDENTITY_COLUMNS: &str = "id, user_id, provider_id, subject, display_name, email, created_at, last_login_at, \
     scm_stored, scm_expires_at, scm_refreshable, scm_failed, asserted_role, issuer";
const RUN_COLUMNS: &str = "id, project_id, status, created_at, triggered_by, agent_id";
const AGENT_COLUMNS: &str = "id, name, owner_kind, owner_id, token_id, status, last_seen_at, created_at";

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
        Ok(Self { pool, backend: Backend::Sqlite })
    }

    /// Connects to the PostgreSQL database at `url` (`postgres://user:password@host:port/db`,
    /// with any of libpq's parameters sqlx knows) and brings its schema up to date.
    ///
    /// Replicas starting together are safe: the migrations run under an advisory lock, so one
    /// applies them and the others find them applied.
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
        Ok(Self { pool, backend: Backend::Postgres })
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

    /// The key material stored under `name`, if any. Team mode only: local mode keeps its keys
    /// outside the database.
    pub async fn signing_key(&self, name: &str) -> Result<Option<Zeroizing<Vec<u8>>>> {
        self.require_shared_keys()?;
        let row = sqlx::query("SELECT material FROM signing_keys WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| Ok(Zeroizing::new(r.try_get::<Vec<u8>, _>("material")?))).transpose()
    }

    /// Stores `material` under `name` unless a key is there already, and returns the key that
    /// is stored: `material` when this call came first, the earlier key otherwise. Replicas
    /// starting at the same moment therefore all end up with the same key.
    pub async fn put_signing_key_if_absent(
        &self,
        name: &str,
        material: &[u8],
        at: DateTime<Utc>,
    ) -> Result<Zeroizing<Vec<u8>>> {
        self.require_shared_keys()?;
        sqlx::query(
            "INSERT INTO signing_keys (name, material, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(material)
        .bind(to_millis(at))
        .execute(&self.pool)
        .await?;
        self.signing_key(name)
            .await?
            .ok_or_else(|| Error::Internal(format!("the signing key {name:?} vanished as it was stored")))
    }

    /// Serializes changes that could take away the last enabled admin. PostgreSQL: every enabled
    /// admin's row is locked in id order (so two such transactions queue instead of each seeing
    /// the other's admin still there). SQLite: a first write takes the database's write lock.
    async fn lock_admins(&self, tx: &mut sqlx::Transaction<'_, sqlx::Any>, id: &str) -> Result<()> {
        match self.backend {
            Backend::Postgres => {
                sqlx::query("SELECT id FROM users WHERE role = 'admin' AND disabled_at IS NULL ORDER BY id FOR UPDATE")
                    .fetch_all(&mut **tx)
                    .await?;
            }
            Backend::Sqlite => {
                sqlx::query("UPDATE users SET role = role WHERE id = $1").bind(id).execute(&mut **tx).await?;
            }
        }
        Ok(())
    }

    /// Refuses unless an enabled local admin other than `id` remains.
    async fn require_another_admin(
        &self,
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        id: &str,
        what: &str,
    ) -> Result<()> {
        let others: i64 =
            sqlx::query("SELECT COUNT(*) AS n FROM users WHERE role = 'admin' AND disabled_at IS NULL AND id <> $1")
                .bind(id)
                .fetch_one(&mut **tx)
                .await?
                .try_get("n")?;
        if others == 0 {
            return Err(Error::Conflict(format!(
                "cannot {what} the last enabled instance administrator; make another account admin first"
            )));
        }
        Ok(())
    }

    /// Replaces the key under `name` with `material` only while it still is `old`: of replicas
    /// sealing a plain key at the same moment, one wins and the others' writes change nothing.
    pub async fn replace_signing_key(&self, name: &str, old: &[u8], material: &[u8]) -> Result<()> {
        self.require_shared_keys()?;
        sqlx::query("UPDATE signing_keys SET material = $1 WHERE name = $2 AND material = $3")
            .bind(material)
            .bind(name)
            .bind(old)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    fn require_shared_keys(&self) -> Result<()> {
        match self.backend {
            Backend::Postgres => Ok(()),
            Backend::Sqlite => {
                Err(Error::Internal("the embedded store keeps no signing keys: they live in the data directory".into()))
            }
        }
    }
}

#[cfg(unix)]
fn create_private_file(path: &Path) -> Result<()> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let io = |e: std::io::Error| Error::Internal(format!("cannot prepare the store file {}: {e}", path.display()));
    std::fs::OpenOptions::new().create(true).append(true).mode(0o600).open(path).map_err(io)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(io)
}

#[cfg(not(unix))]
fn create_private_file(path: &Path) -> Result<()> {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map(|_| ())
        .map_err(|e| Error::Internal(format!("cannot prepare the store file {}: {e}", path.display())))
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

fn conflict_on_unique(e: sqlx::Error, what: &str) -> Error {
    match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => Error::Conflict(what.to_owned()),
        _ => e.into(),
    }
}

fn role_opt(name: Option<String>) -> Option<Role> {
    name.as_deref().map(Role::from_name)
}

fn role_name(role: Option<Role>) -> Option<&'static str> {
    role.map(Role::as_str)
}

fn millis_opt(t: Option<DateTime<Utc>>) -> Option<i64> {
    t.map(to_millis)
}

fn owner_of(row: &AnyRow) -> Result<Owner> {
    let kind: String = row.try_get("owner_kind")?;
    let kind = OwnerKind::from_name(&kind).ok_or_else(|| Error::Internal(format!("unknown owner kind {kind}")))?;
    Ok(Owner { kind, id: row.try_get("owner_id")? })
}

fn user_of(row: &AnyRow) -> Result<User> {
    Ok(User {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        role: Role::from_name(&row.try_get::<String, _>("role")?),
        created_at: from_millis(row.try_get("created_at")?),
        disabled: row.try_get::<Option<i64>, _>("disabled_at")?.is_some(),
    })
}

fn org_of(row: &AnyRow) -> Result<Org> {
    Ok(Org { id: row.try_get("id")?, name: row.try_get("name")?, created_at: from_millis(row.try_get("created_at")?) })
}

const INVITATION_COLUMNS: &str = "i.id, i.org_id, o.name AS org_name, i.invitee, i.role, i.invited_by, \
     i.created_at, i.expires_at FROM invitations i JOIN orgs o ON o.id = i.org_id";

fn invitation_of(row: &AnyRow) -> Result<Invitation> {
    Ok(Invitation {
        id: row.try_get("id")?,
        org_id: row.try_get("org_id")?,
        org_name: row.try_get("org_name")?,
        invitee: row.try_get("invitee")?,
        role: OrgRole::from_name(&row.try_get::<String, _>("role")?),
        invited_by: row.try_get("invited_by")?,
        created_at: from_millis(row.try_get("created_at")?),
        expires_at: from_millis(row.try_get("expires_at")?),
    })
}

fn project_of(row: &AnyRow) -> Result<Project> {
    Ok(Project {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        owner: owner_of(row)?,
        repository_url: row.try_get("repository_url")?,
        created_at: from_millis(row.try_get("created_at")?),
    })
}

fn token_of(row: &AnyRow) -> Result<Token> {
    let kind: String = row.try_get("kind")?;
    Ok(Token {
        id: row.try_get("id")?,
        kind: TokenKind::from_name(&kind).ok_or_else(|| Error::Internal(format!("unknown token kind {kind}")))?,
        label: row.try_get("label")?,
        description: row.try_get("description")?,
        scopes: Scopes::from_space_separated(&row.try_get::<String, _>("scopes")?)?,
        owner: owner_of(row)?,
        created_at: from_millis(row.try_get("created_at")?),
        expires_at: row.try_get::<Option<i64>, _>("expires_at")?.map(from_millis),
        last_used_at: row.try_get::<Option<i64>, _>("last_used_at")?.map(from_millis),
        last_used_ip: row.try_get("last_used_ip")?,
        revoked_at: row.try_get::<Option<i64>, _>("revoked_at")?.map(from_millis),
        hint: row.try_get("hint")?,
        created_by: row.try_get("created_by")?,
    })
}

fn identity_of(row: &AnyRow) -> Result<Identity> {
    let stored = row.try_get::<i64, _>("scm_stored")? != 0;
    let failed = row.try_get::<i64, _>("scm_failed")? != 0;
    Ok(Identity {
        id: row.try_get("id")?,
        user_id: row.try_get("user_id")?,
        provider: row.try_get("provider_id")?,
        provider_kind: String::new(),
        subject: row.try_get("subject")?,
        display_name: row.try_get("display_name")?,
        email: row.try_get("email")?,
        created_at: from_millis(row.try_get("created_at")?),
        last_login_at: row.try_get::<Option<i64>, _>("last_login_at")?.map(from_millis),
        status: match (stored, failed) {
            (false, _) => ScmStatus::Disconnected,
            (true, true) => ScmStatus::Expired,
            (true, false) => ScmStatus::Connected,
        },
        expires_at: row.try_get::<Option<i64>, _>("scm_expires_at")?.map(from_millis),
        refreshable: row.try_get::<i64, _>("scm_refreshable")? != 0,
        asserted_role: role_opt(row.try_get("asserted_role")?),
        issuer: row.try_get("issuer")?,
    })
}

/// A session row joined with its identity: an unlinked identity asserts nothing.
fn session_of(r: &AnyRow) -> Result<SessionRecord> {
    Ok(SessionRecord {
        id: r.try_get("id")?,
        user_id: r.try_get("user_id")?,
        expires_at: from_millis(r.try_get("expires_at")?),
        revoked_at: r.try_get::<Option<i64>, _>("revoked_at")?.map(from_millis),
        identity_id: r.try_get("identity_id")?,
        identity_role: role_opt(r.try_get("asserted_role")?),
    })
}

fn run_of(row: &AnyRow) -> Result<Run> {
    Ok(Run {
        id: row.try_get("id")?,
        project_id: row.try_get("project_id")?,
        status: RunStatus::from_name(&row.try_get::<String, _>("status")?),
        created_at: from_millis(row.try_get("created_at")?),
        triggered_by: row.try_get("triggered_by")?,
        agent_id: row.try_get("agent_id")?,
    })
}

fn agent_of(row: &AnyRow) -> Result<Agent> {
    Ok(Agent {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        owner: owner_of(row)?,
        token_id: row.try_get("token_id")?,
        status: AgentStatus::from_name(&row.try_get::<String, _>("status")?),
        last_seen_at: from_millis(row.try_get("last_seen_at")?),
        created_at: from_millis(row.try_get("created_at")?),
    })
}

fn audit_of(row: &AnyRow) -> Result<AuditEvent> {
    Ok(AuditEvent {
        id: row.try_get("id")?,
        at: from_millis(row.try_get("at")?),
        actor: row.try_get("actor")?,
        action: row.try_get("action")?,
        target: row.try_get("target")?,
        outcome: row.try_get("outcome")?,
        ip: row.try_get("ip")?,
        detail: row.try_get("detail")?,
        count: row.try_get("count")?,
    })
}

/// `(owner_kind = $k AND owner_id = $k+1) OR …` for a list of owners, numbered from `first`.
fn owners_clause(owners: &[Owner], first: usize) -> String {
    if owners.is_empty() {
        return "1 = 0".to_owned();
    }
    (0..owners.len())
        .map(|i| format!("(owner_kind = ${} AND owner_id = ${})", first + 2 * i, first + 2 * i + 1))
        .collect::<Vec<_>>()
        .join(" OR ")
}

fn collect<T>(rows: Vec<AnyRow>, f: fn(&AnyRow) -> Result<T>) -> Result<Vec<T>> {
    rows.iter().map(f).collect()
}

#[async_trait]
impl Store for SqlStore {
    async fn insert_user(&self, user: &User, origin: Origin) -> Result<()> {
        sqlx::query("INSERT INTO users (id, name, role, created_at, origin) VALUES ($1, $2, $3, $4, $5)")
            .bind(&user.id)
            .bind(&user.name)
            .bind(user.role.as_str())
            .bind(to_millis(user.created_at))
            .bind(match origin {
                Origin::Local => "local",
                Origin::Provider => "provider",
            })
            .execute(&self.pool)
            .await
            .map_err(|e| conflict_on_unique(e, &format!("the name {:?} is taken", user.name)))?;
        Ok(())
    }

    async fn delete_user_if_unused(&self, id: &str) -> Result<()> {
        sqlx::query(
            "DELETE FROM users WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM identities WHERE user_id = $1) \
             AND NOT EXISTS (SELECT 1 FROM sessions WHERE user_id = $1)",
        )
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn user_origin(&self, id: &str) -> Result<Origin> {
        let row = sqlx::query("SELECT origin FROM users WHERE id = $1").bind(id).fetch_optional(&self.pool).await?;
        let origin = row.map(|r| r.try_get::<String, _>("origin")).transpose()?;
        Ok(if origin.as_deref() == Some("provider") { Origin::Provider } else { Origin::Local })
    }

    async fn user(&self, id: &str) -> Result<Option<User>> {
        let row = sqlx::query("SELECT id, name, role, created_at, disabled_at FROM users WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(user_of).transpose()
    }

    async fn user_by_name(&self, name: &str) -> Result<Option<User>> {
        let row = sqlx::query("SELECT id, name, role, created_at, disabled_at FROM users WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(user_of).transpose()
    }

    async fn users(&self) -> Result<Vec<User>> {
        let rows = sqlx::query("SELECT id, name, role, created_at, disabled_at FROM users ORDER BY created_at, id")
            .fetch_all(&self.pool)
            .await?;
        collect(rows, user_of)
    }

    async fn set_role(&self, user_id: &str, role: Role) -> Result<()> {
        sqlx::query("UPDATE users SET role = $1 WHERE id = $2")
            .bind(role.as_str())
            .bind(user_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn insert_org(&self, org: &Org, admin_user_id: &str) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("INSERT INTO orgs (id, name, created_at) VALUES ($1, $2, $3)")
            .bind(&org.id)
            .bind(&org.name)
            .bind(to_millis(org.created_at))
            .execute(&mut *tx)
            .await
            .map_err(|e| conflict_on_unique(e, &format!("an organization named {:?} exists", org.name)))?;
        sqlx::query("INSERT INTO memberships (org_id, user_id, role) VALUES ($1, $2, 'admin')")
            .bind(&org.id)
            .bind(admin_user_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn org(&self, id: &str) -> Result<Option<Org>> {
        let row = sqlx::query("SELECT id, name, created_at FROM orgs WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(org_of).transpose()
    }

    async fn orgs_of_user(&self, user_id: &str) -> Result<Vec<OrgWithRole>> {
        let rows = sqlx::query(
            "SELECT o.id, o.name, o.created_at, m.role FROM orgs o JOIN memberships m ON m.org_id = o.id \
             WHERE m.user_id = $1 ORDER BY o.name",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let org = org_of(r)?;
                Ok(OrgWithRole {
                    id: org.id,
                    name: org.name,
                    created_at: org.created_at,
                    role: Some(OrgRole::from_name(&r.try_get::<String, _>("role")?)),
                })
            })
            .collect()
    }

    async fn membership(&self, org_id: &str, user_id: &str) -> Result<Option<OrgRole>> {
        let row = sqlx::query("SELECT role FROM memberships WHERE org_id = $1 AND user_id = $2")
            .bind(org_id)
            .bind(user_id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| Ok(OrgRole::from_name(&r.try_get::<String, _>("role")?))).transpose()
    }

    async fn members(&self, org_id: &str) -> Result<Vec<Member>> {
        let rows = sqlx::query(
            "SELECT u.id, u.name, m.role FROM memberships m JOIN users u ON u.id = m.user_id \
             WHERE m.org_id = $1 ORDER BY u.name",
        )
        .bind(org_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Member {
                    user: UserRef { id: r.try_get("id")?, name: r.try_get("name")? },
                    role: OrgRole::from_name(&r.try_get::<String, _>("role")?),
                })
            })
            .collect()
    }

    async fn put_member(&self, org_id: &str, user_id: &str, role: OrgRole) -> Result<()> {
        sqlx::query(
            "INSERT INTO memberships (org_id, user_id, role) VALUES ($1, $2, $3) \
             ON CONFLICT (org_id, user_id) DO UPDATE SET role = excluded.role",
        )
        .bind(org_id)
        .bind(user_id)
        .bind(role.as_str())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn remove_member(&self, org_id: &str, user_id: &str) -> Result<bool> {
        let done = sqlx::query("DELETE FROM memberships WHERE org_id = $1 AND user_id = $2")
            .bind(org_id)
            .bind(user_id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    // Invitations.
    async fn insert_invitation(&self, inv: &Invitation, user_id: Option<&str>) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM invitations WHERE org_id = $1 AND invitee = $2")
            .bind(&inv.org_id)
            .bind(&inv.invitee)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO invitations (id, org_id, invitee, user_id, role, invited_by, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&inv.id)
        .bind(&inv.org_id)
        .bind(&inv.invitee)
        .bind(user_id)
        .bind(inv.role.as_str())
        .bind(&inv.invited_by)
        .bind(to_millis(inv.created_at))
        .bind(to_millis(inv.expires_at))
        .execute(&mut *tx)
        .await
        .map_err(|e| conflict_on_unique(e, "another invitation for this name was sent at the same moment"))?;
        tx.commit().await?;
        Ok(())
    }

    async fn invitations_of_org(&self, org_id: &str, now: DateTime<Utc>) -> Result<Vec<Invitation>> {
        let sql = format!(
            "SELECT {INVITATION_COLUMNS} WHERE i.org_id = $1 AND i.expires_at > $2 ORDER BY i.created_at DESC, i.id"
        );
        let rows = sqlx::query(&sql).bind(org_id).bind(to_millis(now)).fetch_all(&self.pool).await?;
        collect(rows, invitation_of)
    }

    async fn invitations_of_user(&self, user_id: &str, now: DateTime<Utc>) -> Result<Vec<Invitation>> {
        let sql = format!(
            "SELECT {INVITATION_COLUMNS} WHERE i.user_id = $1 AND i.expires_at > $2 ORDER BY i.created_at DESC, i.id"
        );
        let rows = sqlx::query(&sql).bind(user_id).bind(to_millis(now)).fetch_all(&self.pool).await?;
        collect(rows, invitation_of)
    }

    async fn accept_invitation(&self, id: &str, user_id: &str, now: DateTime<Utc>) -> Result<Option<Invitation>> {
        let mut tx = self.pool.begin().await?;
        // Writing first takes SQLite's write lock at once, and the delete decides between
        // accepts racing on one invitation: only one removes the row.
        let row = sqlx::query(
            "DELETE FROM invitations WHERE id = $1 AND user_id = $2 AND expires_at > $3 \
             RETURNING id, org_id, invitee, role, invited_by, created_at, expires_at",
        )
        .bind(id)
        .bind(user_id)
        .bind(to_millis(now))
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let org_id: String = row.try_get("org_id")?;
        let role = OrgRole::from_name(&row.try_get::<String, _>("role")?);
        sqlx::query(
            "INSERT INTO memberships (org_id, user_id, role) VALUES ($1, $2, $3) \
             ON CONFLICT (org_id, user_id) DO NOTHING",
        )
        .bind(&org_id)
        .bind(user_id)
        .bind(role.as_str())
        .execute(&mut *tx)
        .await?;
        let org_name: String =
            sqlx::query_scalar("SELECT name FROM orgs WHERE id = $1").bind(&org_id).fetch_one(&mut *tx).await?;
        tx.commit().await?;
        Ok(Some(Invitation {
            id: row.try_get("id")?,
            org_id,
            org_name,
            invitee: row.try_get("invitee")?,
            role,
            invited_by: row.try_get("invited_by")?,
            created_at: from_millis(row.try_get("created_at")?),
            expires_at: from_millis(row.try_get("expires_at")?),
        }))
    }

    async fn delete_invitation_of_user(&self, id: &str, user_id: &str) -> Result<bool> {
        let done = sqlx::query("DELETE FROM invitations WHERE id = $1 AND user_id = $2")
            .bind(id)
            .bind(user_id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn delete_invitation_of_org(&self, id: &str, org_id: &str) -> Result<bool> {
        let done = sqlx::query("DELETE FROM invitations WHERE id = $1 AND org_id = $2")
            .bind(id)
            .bind(org_id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn insert_project(&self, p: &Project) -> Result<()> {
        sqlx::query(
            "INSERT INTO projects (id, name, owner_kind, owner_id, repository_url, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&p.id)
        .bind(&p.name)
        .bind(p.owner.kind.as_str())
        .bind(&p.owner.id)
        .bind(p.repository_url.as_deref())
        .bind(to_millis(p.created_at))
        .execute(&self.pool)
        .await
        .map_err(|e| conflict_on_unique(e, &format!("the owner already has a project named {:?}", p.name)))?;
        Ok(())
    }

    async fn project(&self, id: &str) -> Result<Option<Project>> {
        let row = sqlx::query(
            "SELECT id, name, owner_kind, owner_id, repository_url, created_at FROM projects WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(project_of).transpose()
    }

    async fn projects_of(&self, owners: &[Owner]) -> Result<Vec<Project>> {
        let sql = format!(
            "SELECT id, name, owner_kind, owner_id, repository_url, created_at FROM projects WHERE {} \
             ORDER BY name, id",
            owners_clause(owners, 1)
        );
        let mut q = sqlx::query(&sql);
        for o in owners {
            q = q.bind(o.kind.as_str()).bind(&o.id);
        }
        collect(q.fetch_all(&self.pool).await?, project_of)
    }

    async fn update_project(&self, p: &Project) -> Result<()> {
        sqlx::query("UPDATE projects SET name = $1, repository_url = $2 WHERE id = $3")
            .bind(&p.name)
            .bind(p.repository_url.as_deref())
            .bind(&p.id)
            .execute(&self.pool)
            .await
            .map_err(|e| conflict_on_unique(e, &format!("the owner already has a project named {:?}", p.name)))?;
        Ok(())
    }

    async fn insert_token(&self, t: &Token, hash: &[u8]) -> Result<()> {
        sqlx::query(
            "INSERT INTO tokens (id, kind, hash, hint, label, description, scopes, owner_kind, owner_id, \
             created_by, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(&t.id)
        .bind(t.kind.as_str())
        .bind(hash)
        .bind(&t.hint)
        .bind(&t.label)
        .bind(&t.description)
        .bind(t.scopes.to_space_separated())
        .bind(t.owner.kind.as_str())
        .bind(&t.owner.id)
        .bind(t.created_by.as_deref())
        .bind(to_millis(t.created_at))
        .bind(millis_opt(t.expires_at))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn token_by_hash(&self, hash: &[u8]) -> Result<Option<Token>> {
        let sql = format!("SELECT {TOKEN_COLUMNS} FROM tokens WHERE hash = $1");
        let row = sqlx::query(&sql).bind(hash).fetch_optional(&self.pool).await?;
        row.as_ref().map(token_of).transpose()
    }

    async fn credential_by_hash(&self, hash: &[u8]) -> Result<Option<(Token, Option<User>)>> {
        let row = sqlx::query(
            "SELECT t.id, t.kind, t.hint, t.label, t.description, t.scopes, t.owner_kind, t.owner_id, t.created_by, \
             t.created_at, t.expires_at, t.last_used_at, t.last_used_ip, t.revoked_at, \
             u.id AS u_id, u.name AS u_name, u.role AS u_role, u.created_at AS u_created_at, \
             u.disabled_at AS u_disabled_at FROM tokens t \
             LEFT JOIN projects p ON t.owner_kind = 'project' AND p.id = t.owner_id \
             LEFT JOIN users u ON u.id = CASE WHEN t.owner_kind = 'user' THEN t.owner_id \
                 WHEN p.owner_kind = 'user' THEN p.owner_id END \
             WHERE t.hash = $1",
        )
        .bind(hash)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let user = match row.try_get::<Option<String>, _>("u_id")? {
            Some(id) => Some(User {
                id,
                name: row.try_get("u_name")?,
                role: Role::from_name(&row.try_get::<String, _>("u_role")?),
                created_at: from_millis(row.try_get("u_created_at")?),
                disabled: row.try_get::<Option<i64>, _>("u_disabled_at")?.is_some(),
            }),
            None => None,
        };
        Ok(Some((token_of(&row)?, user)))
    }

    async fn token(&self, id: &str) -> Result<Option<Token>> {
        let sql = format!("SELECT {TOKEN_COLUMNS} FROM tokens WHERE id = $1");
        let row = sqlx::query(&sql).bind(id).fetch_optional(&self.pool).await?;
        row.as_ref().map(token_of).transpose()
    }

    async fn tokens_of(&self, kind: TokenKind, owner: &Owner) -> Result<Vec<Token>> {
        let sql = format!(
            "SELECT {TOKEN_COLUMNS} FROM tokens WHERE kind = $1 AND owner_kind = $2 AND owner_id = $3 \
             ORDER BY created_at DESC, id"
        );
        let rows = sqlx::query(&sql)
            .bind(kind.as_str())
            .bind(owner.kind.as_str())
            .bind(&owner.id)
            .fetch_all(&self.pool)
            .await?;
        collect(rows, token_of)
    }

    async fn update_token_text(&self, id: &str, label: &str, description: &str) -> Result<()> {
        sqlx::query("UPDATE tokens SET label = $1, description = $2 WHERE id = $3")
            .bind(label)
            .bind(description)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn delete_token(&self, id: &str) -> Result<bool> {
        let done = sqlx::query("DELETE FROM tokens WHERE id = $1").bind(id).execute(&self.pool).await?;
        Ok(done.rows_affected() > 0)
    }

    async fn revoke_token(&self, id: &str, at: DateTime<Utc>) -> Result<()> {
        sqlx::query("UPDATE tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
            .bind(to_millis(at))
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn record_usage(&self, usage: &[Usage]) -> Result<()> {
        if usage.is_empty() {
            return Ok(());
        }
        // Replicas flush concurrently; taking the rows' locks in one order (by id) keeps two
        // flushes from deadlocking on PostgreSQL.
        let mut ordered: Vec<&Usage> = usage.iter().collect();
        ordered.sort_by(|a, b| a.token_id.cmp(&b.token_id));
        let mut tx = self.pool.begin().await?;
        for u in ordered {
            sqlx::query(
                "UPDATE tokens SET last_used_at = $1, last_used_ip = $2 \
                 WHERE id = $3 AND (last_used_at IS NULL OR last_used_at < $1)",
            )
            .bind(to_millis(u.at))
            .bind(u.ip.as_deref())
            .bind(&u.token_id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn token_count(&self) -> Result<i64> {
        Ok(sqlx::query("SELECT COUNT(*) AS n FROM tokens").fetch_one(&self.pool).await?.try_get("n")?)
    }

    async fn token_with_hash(&self, id: &str) -> Result<Option<(Token, Vec<u8>)>> {
        let sql = format!("SELECT {TOKEN_COLUMNS}, hash FROM tokens WHERE id = $1");
        let Some(row) = sqlx::query(&sql).bind(id).fetch_optional(&self.pool).await? else {
            return Ok(None);
        };
        Ok(Some((token_of(&row)?, row.try_get("hash")?)))
    }

    async fn rotate_token_value(&self, r: &Rotation<'_>) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE tokens SET hash = $1, hint = $2, created_by = $3, rotated_at = $4 \
             WHERE id = $5 AND hash = $6 AND revoked_at IS NULL AND (rotated_at IS NULL OR rotated_at < $7)",
        )
        .bind(r.new_hash)
        .bind(r.hint)
        .bind(r.by)
        .bind(to_millis(r.at))
        .bind(r.id)
        .bind(r.old_hash)
        .bind(to_millis(r.since))
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn delete_token_with_hash(&self, id: &str, hash: &[u8], since: DateTime<Utc>) -> Result<bool> {
        let done =
            sqlx::query("DELETE FROM tokens WHERE id = $1 AND hash = $2 AND (rotated_at IS NULL OR rotated_at < $3)")
                .bind(id)
                .bind(hash)
                .bind(to_millis(since))
                .execute(&self.pool)
                .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn token_policy(&self, key: &str) -> Result<Option<TokenPolicy>> {
        let row = sqlx::query("SELECT max_lifetime_seconds, require_expiry FROM token_policies WHERE scope = $1")
            .bind(key)
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some(TokenPolicy {
            max_lifetime_seconds: row.try_get("max_lifetime_seconds")?,
            require_expiry: row.try_get::<i64, _>("require_expiry")? != 0,
        }))
    }

    async fn put_token_policy(&self, key: &str, policy: &TokenPolicy, at: DateTime<Utc>) -> Result<()> {
        sqlx::query(
            "INSERT INTO token_policies (scope, max_lifetime_seconds, require_expiry, updated_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (scope) DO UPDATE SET \
             max_lifetime_seconds = excluded.max_lifetime_seconds, require_expiry = excluded.require_expiry, \
             updated_at = excluded.updated_at",
        )
        .bind(key)
        .bind(policy.max_lifetime_seconds)
        .bind(i64::from(policy.require_expiry))
        .bind(to_millis(at))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn revoke_token_with_hash(&self, id: &str, hash: &[u8], at: DateTime<Utc>) -> Result<bool> {
        let done = sqlx::query("UPDATE tokens SET revoked_at = $1 WHERE id = $2 AND hash = $3 AND revoked_at IS NULL")
            .bind(to_millis(at))
            .bind(id)
            .bind(hash)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn insert_run(&self, r: &Run) -> Result<()> {
        sqlx::query(
            "INSERT INTO runs (id, project_id, status, created_at, triggered_by, agent_id) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&r.id)
        .bind(&r.project_id)
        .bind(r.status.as_str())
        .bind(to_millis(r.created_at))
        .bind(r.triggered_by.as_deref())
        .bind(r.agent_id.as_deref())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn runs(&self, project_id: &str, limit: i64) -> Result<Vec<Run>> {
        let sql = format!("SELECT {RUN_COLUMNS} FROM runs WHERE project_id = $1 ORDER BY created_at DESC, id LIMIT $2");
        let rows = sqlx::query(&sql).bind(project_id).bind(limit).fetch_all(&self.pool).await?;
        collect(rows, run_of)
    }

    async fn claim_run(&self, owner: &Owner, agent_id: &str) -> Result<Option<Run>> {
        // Two agents may race for the same run: the conditional update lets exactly one win, and
        // the loser looks again.
        for _ in 0..8 {
            let sql = "SELECT r.id, r.project_id, r.status, r.created_at, r.triggered_by, r.agent_id FROM runs r \
                 JOIN projects p ON p.id = r.project_id \
                 WHERE r.status = 'queued' AND p.owner_kind = $1 AND p.owner_id = $2 \
                 ORDER BY r.created_at, r.id LIMIT 1";
            let row = sqlx::query(sql).bind(owner.kind.as_str()).bind(&owner.id).fetch_optional(&self.pool).await?;
            let Some(mut run) = row.as_ref().map(run_of).transpose()? else {
                return Ok(None);
            };
            let done =
                sqlx::query("UPDATE runs SET status = 'running', agent_id = $1 WHERE id = $2 AND status = 'queued'")
                    .bind(agent_id)
                    .bind(&run.id)
                    .execute(&self.pool)
                    .await?;
            if done.rows_affected() == 1 {
                run.status = RunStatus::Running;
                run.agent_id = Some(agent_id.to_owned());
                return Ok(Some(run));
            }
        }
        Err(Error::Conflict("other agents claimed every run first; try again".into()))
    }

    async fn insert_agent(&self, a: &Agent) -> Result<()> {
        sqlx::query(
            "INSERT INTO agents (id, name, owner_kind, owner_id, token_id, status, last_seen_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&a.id)
        .bind(&a.name)
        .bind(a.owner.kind.as_str())
        .bind(&a.owner.id)
        .bind(&a.token_id)
        .bind(a.status.as_str())
        .bind(to_millis(a.last_seen_at))
        .bind(to_millis(a.created_at))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn agent(&self, id: &str) -> Result<Option<Agent>> {
        let sql = format!("SELECT {AGENT_COLUMNS} FROM agents WHERE id = $1");
        let row = sqlx::query(&sql).bind(id).fetch_optional(&self.pool).await?;
        row.as_ref().map(agent_of).transpose()
    }

    async fn agents_of(&self, owners: &[Owner]) -> Result<Vec<Agent>> {
        let sql = format!(
            "SELECT {AGENT_COLUMNS} FROM agents WHERE {} ORDER BY created_at DESC, id",
            owners_clause(owners, 1)
        );
        let mut q = sqlx::query(&sql);
        for o in owners {
            q = q.bind(o.kind.as_str()).bind(&o.id);
        }
        collect(q.fetch_all(&self.pool).await?, agent_of)
    }

    async fn set_agent_status(&self, id: &str, status: AgentStatus, at: DateTime<Utc>) -> Result<()> {
        sqlx::query("UPDATE agents SET status = $1, last_seen_at = $2 WHERE id = $3")
            .bind(status.as_str())
            .bind(to_millis(at))
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn put_pipeline(&self, p: &Pipeline) -> Result<()> {
        sqlx::query(
            "INSERT INTO pipelines (project_id, name, content, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (project_id, name) DO UPDATE SET content = excluded.content, updated_at = excluded.updated_at",
        )
        .bind(&p.project_id)
        .bind(&p.name)
        .bind(&p.content)
        .bind(to_millis(p.updated_at))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn pipeline(&self, project_id: &str, name: &str) -> Result<Option<Pipeline>> {
        let row = sqlx::query(
            "SELECT project_id, name, content, updated_at FROM pipelines WHERE project_id = $1 AND name = $2",
        )
        .bind(project_id)
        .bind(name)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(Pipeline {
                project_id: r.try_get("project_id")?,
                name: r.try_get("name")?,
                content: r.try_get("content")?,
                updated_at: from_millis(r.try_get("updated_at")?),
            })
        })
        .transpose()
    }

    async fn put_secret(&self, project_id: &str, name: &str, value: &[u8], at: DateTime<Utc>) -> Result<()> {
        sqlx::query(
            "INSERT INTO secrets (project_id, name, value, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (project_id, name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        )
        .bind(project_id)
        .bind(name)
        .bind(value)
        .bind(to_millis(at))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn secret_info(&self, project_id: &str, name: &str) -> Result<Option<SecretInfo>> {
        let row = sqlx::query("SELECT project_id, name, updated_at FROM secrets WHERE project_id = $1 AND name = $2")
            .bind(project_id)
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| {
            Ok(SecretInfo {
                project_id: r.try_get("project_id")?,
                name: r.try_get("name")?,
                updated_at: from_millis(r.try_get("updated_at")?),
            })
        })
        .transpose()
    }

    async fn delete_secret(&self, project_id: &str, name: &str) -> Result<bool> {
        let done = sqlx::query("DELETE FROM secrets WHERE project_id = $1 AND name = $2")
            .bind(project_id)
            .bind(name)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn insert_identity(&self, i: &Identity) -> Result<()> {
        sqlx::query(
            "INSERT INTO identities (id, user_id, provider_id, subject, display_name, email, created_at, last_login_at, \
             asserted_role, issuer) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(&i.id)
        .bind(&i.user_id)
        .bind(&i.provider)
        .bind(&i.subject)
        .bind(&i.display_name)
        .bind(i.email.as_deref())
        .bind(to_millis(i.created_at))
        .bind(millis_opt(i.last_login_at))
        .bind(role_name(i.asserted_role))
        .bind(i.issuer.as_deref())
        .execute(&self.pool)
        .await
        .map_err(|e| conflict_on_unique(e, "this account at the provider is already linked to a Tessera account"))?;
        Ok(())
    }

    async fn identity(&self, id: &str) -> Result<Option<Identity>> {
        let sql = format!("SELECT {IDENTITY_COLUMNS} FROM identities WHERE id = $1");
        let row = sqlx::query(&sql).bind(id).fetch_optional(&self.pool).await?;
        row.as_ref().map(identity_of).transpose()
    }

    async fn identity_by_subject(&self, issuer: &str, subject: &str) -> Result<Option<Identity>> {
        let sql = format!("SELECT {IDENTITY_COLUMNS} FROM identities WHERE issuer = $1 AND subject = $2");
        let row = sqlx::query(&sql).bind(issuer).bind(subject).fetch_optional(&self.pool).await?;
        row.as_ref().map(identity_of).transpose()
    }

    async fn adopt_identity_issuer(&self, provider: &str, issuer: &str) -> Result<u64> {
        let done = sqlx::query(
            "UPDATE identities SET issuer = $1 WHERE provider_id = $2 AND issuer IS NULL \
             AND NOT EXISTS (SELECT 1 FROM identities j WHERE j.issuer = $1 AND j.subject = identities.subject)",
        )
        .bind(issuer)
        .bind(provider)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }

    async fn identities_of(&self, user_id: &str) -> Result<Vec<Identity>> {
        let sql = format!("SELECT {IDENTITY_COLUMNS} FROM identities WHERE user_id = $1 ORDER BY created_at, id");
        collect(sqlx::query(&sql).bind(user_id).fetch_all(&self.pool).await?, identity_of)
    }

    async fn touch_identity(
        &self,
        id: &str,
        display_name: &str,
        email: Option<&str>,
        role: Option<Role>,
        at: DateTime<Utc>,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE identities SET display_name = $1, email = $2, last_login_at = $3, asserted_role = $4 WHERE id = $5",
        )
        .bind(display_name)
        .bind(email)
        .bind(to_millis(at))
        .bind(role_name(role))
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn delete_identity(&self, id: &str) -> Result<bool> {
        let done = sqlx::query("DELETE FROM identities WHERE id = $1").bind(id).execute(&self.pool).await?;
        Ok(done.rows_affected() > 0)
    }

    async fn set_scm_token(&self, identity_id: &str, info: Option<ScmTokenInfo>) -> Result<()> {
        let (stored, expires, refreshable) = match info {
            Some(i) => (1_i64, millis_opt(i.expires_at), i64::from(i.refreshable)),
            None => (0, None, 0),
        };
        sqlx::query(
            "UPDATE identities SET scm_stored = $1, scm_expires_at = $2, scm_refreshable = $3, scm_failed = 0 \
             WHERE id = $4",
        )
        .bind(stored)
        .bind(expires)
        .bind(refreshable)
        .bind(identity_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn set_scm_failed(&self, identity_id: &str, failed: bool) -> Result<()> {
        sqlx::query("UPDATE identities SET scm_failed = $1 WHERE id = $2")
            .bind(i64::from(failed))
            .bind(identity_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn identities_due(&self, before: DateTime<Utc>) -> Result<Vec<Identity>> {
        let sql = format!(
            "SELECT {IDENTITY_COLUMNS} FROM identities WHERE scm_stored = 1 AND scm_refreshable = 1 \
             AND scm_failed = 0 AND scm_expires_at IS NOT NULL AND scm_expires_at < $1 ORDER BY scm_expires_at"
        );
        collect(sqlx::query(&sql).bind(to_millis(before)).fetch_all(&self.pool).await?, identity_of)
    }

    async fn insert_provider(&self, id: &str, config: &str, at: DateTime<Utc>) -> Result<()> {
        sqlx::query("INSERT INTO providers (id, config, created_at) VALUES ($1, $2, $3)")
            .bind(id)
            .bind(config)
            .bind(to_millis(at))
            .execute(&self.pool)
            .await
            .map_err(|e| conflict_on_unique(e, &format!("a provider with id {id:?} exists")))?;
        Ok(())
    }

    async fn providers(&self) -> Result<Vec<(String, String)>> {
        let rows = sqlx::query("SELECT id, config FROM providers ORDER BY id").fetch_all(&self.pool).await?;
        rows.iter().map(|r| Ok((r.try_get("id")?, r.try_get("config")?))).collect()
    }

    async fn delete_provider(&self, id: &str) -> Result<bool> {
        let done = sqlx::query("DELETE FROM providers WHERE id = $1").bind(id).execute(&self.pool).await?;
        Ok(done.rows_affected() > 0)
    }

    async fn update_user(&self, id: &str, role: Role, disabled: bool, at: DateTime<Utc>) -> Result<Option<User>> {
        let mut tx = self.pool.begin().await?;
        self.lock_admins(&mut tx, id).await?;
        let row = sqlx::query("SELECT id, name, role, created_at, disabled_at FROM users WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(before) = row.as_ref().map(user_of).transpose()? else {
            return Ok(None);
        };
        if before.role == Role::Admin && !before.disabled && (role != Role::Admin || disabled) {
            self.require_another_admin(&mut tx, id, if disabled { "disable" } else { "demote" }).await?;
        }
        sqlx::query(
            "UPDATE users SET role = $1, \
             disabled_at = CASE WHEN $2 = 0 THEN NULL ELSE COALESCE(disabled_at, $3) END WHERE id = $4",
        )
        .bind(role.as_str())
        .bind(i64::from(disabled))
        .bind(to_millis(at))
        .bind(id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Some(User { role, disabled, ..before }))
    }

    async fn delete_user(&self, id: &str) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        self.lock_admins(&mut tx, id).await?;
        let row = sqlx::query("SELECT id, name, role, created_at, disabled_at FROM users WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(before) = row.as_ref().map(user_of).transpose()? else {
            return Ok(false);
        };
        if before.role == Role::Admin && !before.disabled {
            self.require_another_admin(&mut tx, id, "delete").await?;
        }
        // Agents go with the tokens they connected with; runs, pipelines and secrets with their
        // projects; sessions, identities and memberships with the account. The audit log stays.
        for sql in [
            "DELETE FROM tokens WHERE owner_kind = 'project' AND owner_id IN \
             (SELECT id FROM projects WHERE owner_kind = 'user' AND owner_id = $1)",
            "DELETE FROM tokens WHERE owner_kind = 'user' AND owner_id = $1",
            "DELETE FROM agents WHERE owner_kind = 'user' AND owner_id = $1",
            "DELETE FROM projects WHERE owner_kind = 'user' AND owner_id = $1",
            "DELETE FROM users WHERE id = $1",
        ] {
            sqlx::query(sql).bind(id).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    async fn all_agents(&self) -> Result<Vec<Agent>> {
        let sql = format!("SELECT {AGENT_COLUMNS} FROM agents ORDER BY created_at DESC, id");
        collect(sqlx::query(&sql).fetch_all(&self.pool).await?, agent_of)
    }

    async fn delete_agent(&self, id: &str) -> Result<bool> {
        let done = sqlx::query("DELETE FROM agents WHERE id = $1").bind(id).execute(&self.pool).await?;
        Ok(done.rows_affected() > 0)
    }

    async fn delete_project(&self, id: &str) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM tokens WHERE owner_kind = 'project' AND owner_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let done = sqlx::query("DELETE FROM projects WHERE id = $1").bind(id).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(done.rows_affected() > 0)
    }

    async fn sealed(&self, name: &str) -> Result<Option<(Vec<u8>, Vec<u8>)>> {
        let row = sqlx::query("SELECT nonce, ciphertext FROM sealed_secrets WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| Ok((r.try_get("nonce")?, r.try_get("ciphertext")?))).transpose()
    }

    async fn put_sealed(&self, name: &str, nonce: &[u8], ciphertext: &[u8], at: DateTime<Utc>) -> Result<()> {
        sqlx::query(
            "INSERT INTO sealed_secrets (name, nonce, ciphertext, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (name) DO UPDATE SET nonce = excluded.nonce, ciphertext = excluded.ciphertext, \
             updated_at = excluded.updated_at",
        )
        .bind(name)
        .bind(nonce)
        .bind(ciphertext)
        .bind(to_millis(at))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn delete_sealed(&self, name: &str) -> Result<()> {
        sqlx::query("DELETE FROM sealed_secrets WHERE name = $1").bind(name).execute(&self.pool).await?;
        Ok(())
    }

    async fn insert_session(&self, s: &SessionRecord, at: DateTime<Utc>) -> Result<()> {
        sqlx::query(
            "INSERT INTO sessions (id, user_id, created_at, expires_at, identity_id) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&s.id)
        .bind(&s.user_id)
        .bind(to_millis(at))
        .bind(to_millis(s.expires_at))
        .bind(s.identity_id.as_deref())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn session(&self, id: &str) -> Result<Option<SessionRecord>> {
        let row = sqlx::query(
            "SELECT s.id, s.user_id, s.expires_at, s.revoked_at, s.identity_id, i.asserted_role FROM sessions s \
             LEFT JOIN identities i ON i.id = s.identity_id AND i.user_id = s.user_id WHERE s.id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(session_of).transpose()
    }

    async fn session_with_user(&self, id: &str) -> Result<Option<(SessionRecord, User)>> {
        let row = sqlx::query(
            "SELECT s.id, s.user_id, s.expires_at, s.revoked_at, s.identity_id, i.asserted_role, \
             u.name, u.role, u.created_at, u.disabled_at FROM sessions s JOIN users u ON u.id = s.user_id \
             LEFT JOIN identities i ON i.id = s.identity_id AND i.user_id = s.user_id WHERE s.id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            let session = session_of(&r)?;
            let user = User {
                id: session.user_id.clone(),
                name: r.try_get("name")?,
                role: Role::from_name(&r.try_get::<String, _>("role")?),
                created_at: from_millis(r.try_get("created_at")?),
                disabled: r.try_get::<Option<i64>, _>("disabled_at")?.is_some(),
            };
            Ok((session, user))
        })
        .transpose()
    }

    async fn revoke_session(&self, id: &str, at: DateTime<Utc>) -> Result<()> {
        sqlx::query("UPDATE sessions SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
            .bind(to_millis(at))
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn append_audit(&self, e: &AuditEvent) -> Result<()> {
        sqlx::query(
            "INSERT INTO audit (id, at, actor, action, target, outcome, ip, detail, count) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&e.id)
        .bind(to_millis(e.at))
        .bind(&e.actor)
        .bind(&e.action)
        .bind(&e.target)
        .bind(&e.outcome)
        .bind(e.ip.as_deref())
        .bind(&e.detail)
        .bind(e.count)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    // Audit log: aggregation, pages, retention.
    async fn add_audit_counts(&self, entries: &[(String, AuditEvent)]) -> Result<()> {
        // One order across replicas, so two flushes never wait on each other's rows in turn.
        let mut ordered: Vec<&(String, AuditEvent)> = entries.iter().collect();
        ordered.sort_by(|a, b| a.0.cmp(&b.0));
        let mut tx = self.pool.begin().await?;
        for (bucket, e) in ordered {
            sqlx::query(
                "INSERT INTO audit (id, at, actor, action, target, outcome, ip, detail, count, bucket) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
                 ON CONFLICT (bucket) DO UPDATE SET count = audit.count + excluded.count",
            )
            .bind(&e.id)
            .bind(to_millis(e.at))
            .bind(&e.actor)
            .bind(&e.action)
            .bind(&e.target)
            .bind(&e.outcome)
            .bind(e.ip.as_deref())
            .bind(&e.detail)
            .bind(e.count)
            .bind(bucket)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn audit_page(&self, filter: &crate::audit::AuditFilter, limit: i64) -> Result<Vec<AuditEvent>> {
        // Each condition appends its SQL with the next placeholder number and its value, in
        // the order they are bound.
        enum Param<'a> {
            Text(&'a str),
            Millis(i64),
        }
        let mut sql =
            String::from("SELECT id, at, actor, action, target, outcome, ip, detail, count FROM audit WHERE 1 = 1");
        let mut params: Vec<Param<'_>> = Vec::new();
        for (column, value) in [
            ("actor", &filter.actor),
            ("action", &filter.action),
            ("outcome", &filter.outcome),
            ("target", &filter.target),
        ] {
            if let Some(v) = value {
                params.push(Param::Text(v));
                sql.push_str(&format!(" AND {column} = ${}", params.len()));
            }
        }
        if let Some(since) = filter.since {
            params.push(Param::Millis(to_millis(since)));
            sql.push_str(&format!(" AND at >= ${}", params.len()));
        }
        if let Some(until) = filter.until {
            params.push(Param::Millis(to_millis(until)));
            sql.push_str(&format!(" AND at < ${}", params.len()));
        }
        if let Some(c) = &filter.after {
            let n = params.len();
            params.push(Param::Millis(to_millis(c.at)));
            params.push(Param::Millis(to_millis(c.at)));
            params.push(Param::Text(&c.id));
            sql.push_str(&format!(" AND (at < ${} OR (at = ${} AND id < ${}))", n + 1, n + 2, n + 3));
        }
        sql.push_str(&format!(" ORDER BY at DESC, id DESC LIMIT ${}", params.len() + 1));
        let mut q = sqlx::query(&sql);
        for p in params {
            q = match p {
                Param::Text(t) => q.bind(t),
                Param::Millis(m) => q.bind(m),
            };
        }
        let rows = q.bind(limit).fetch_all(&self.pool).await?;
        collect(rows, audit_of)
    }

    async fn prune_audit(&self, before: DateTime<Utc>) -> Result<u64> {
        let done = sqlx::query("DELETE FROM audit WHERE at < $1").bind(to_millis(before)).execute(&self.pool).await?;
        Ok(done.rows_affected())
    }
}

#[cfg(test)]
mod upgrade_tests {
    use super::*;

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
