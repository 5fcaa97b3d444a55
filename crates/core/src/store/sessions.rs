//! Login sessions' records: what makes a signed session revocable, and the role the identity it
//! was made through asserts now.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use sqlx::Row;

use super::sql::{instant, instant_opt, named_opt, SqlStore};
use super::users::{user_in, JOINED_COLUMNS};
use crate::clock::to_millis;
use crate::error::Result;
use crate::model::{Role, User};

/// A login session's record: what makes a signed session revocable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    /// The session id (the JWT's `jti`).
    pub id: String,
    /// Whose session it is.
    pub user_id: String,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
    /// When it was ended, if it was.
    pub revoked_at: Option<DateTime<Utc>>,
    /// The linked identity it was made through; none for local and command-line sessions.
    pub identity_id: Option<String>,
    /// The role that identity's provider asserted at its latest sign-in, read with the record;
    /// none when the provider has no role mapping or the identity is no longer linked.
    pub identity_role: Option<Role>,
}

/// Login sessions.
#[async_trait]
pub trait SessionStore: Send + Sync {
    /// Records a new login session.
    async fn insert_session(&self, session: &SessionRecord, at: DateTime<Utc>) -> Result<()>;
    /// A login session by id.
    async fn session(&self, id: &str) -> Result<Option<SessionRecord>>;
    /// A login session by id with its user and the role its identity asserts, in one round trip.
    async fn session_with_user(&self, id: &str) -> Result<Option<(SessionRecord, User)>>;
    /// Ends a login session.
    async fn revoke_session(&self, id: &str, at: DateTime<Utc>) -> Result<()>;
}

/// A session row joined with its identity: an unlinked identity asserts nothing.
fn session_of(r: &AnyRow) -> Result<SessionRecord> {
    Ok(SessionRecord {
        id: r.try_get("id")?,
        user_id: r.try_get("user_id")?,
        expires_at: instant(r, "expires_at")?,
        revoked_at: instant_opt(r, "revoked_at")?,
        identity_id: r.try_get("identity_id")?,
        identity_role: named_opt(r, "asserted_role", Role::from_name)?,
    })
}

#[async_trait]
impl SessionStore for SqlStore {
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
             u.id AS u_id, u.name AS u_name, u.role AS u_role, u.created_at AS u_created_at, \
             u.disabled_at AS u_disabled_at FROM sessions s JOIN users u ON u.id = s.user_id \
             LEFT JOIN identities i ON i.id = s.identity_id AND i.user_id = s.user_id WHERE s.id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| Ok((session_of(&r)?, user_in(&r, &JOINED_COLUMNS)?))).transpose()
    }

    async fn revoke_session(&self, id: &str, at: DateTime<Utc>) -> Result<()> {
        sqlx::query("UPDATE sessions SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
            .bind(to_millis(at))
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sql::{assert_refused, literal_row};

    #[tokio::test]
    async fn an_unknown_asserted_role_is_refused_not_read_as_member() -> Result<()> {
        let row = literal_row(
            "SELECT 'ses_1' AS id, 'usr_1' AS user_id, 1 AS expires_at, NULL AS revoked_at, 'idn_1' AS identity_id, \
             'root' AS asserted_role",
        )
        .await?;
        assert_refused(session_of(&row), "asserted_role", "root");
        Ok(())
    }
}
