//! Login sessions' records: what makes a signed session revocable, and the role the identity it
//! was made through asserts now.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use sqlx::Row;

use super::sql::{instant, instant_opt, named_opt, SqlStore};
use super::users::{user_in, JOINED_COLUMNS};
use crate::clock::to_millis;
use crate::device::{DeviceRecord, Renewal};
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
    /// The device it was made for or renewed through; none for sessions outside a device
    /// (`tessera admin session`, "Copy a one-hour API session").
    pub device_id: Option<String>,
}

/// Login sessions. A session of a revoked device reads as revoked, whenever it was made: a
/// renewal that raced the device's revocation cannot leave a live session behind.
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
    /// Records a new device holding the refresh credential that hashes to `refresh_hash`.
    async fn insert_device(&self, device: &DeviceRecord, refresh_hash: &[u8]) -> Result<()>;
    /// Spends the refresh credential that hashes to `old_hash` and gives its device the one that
    /// hashes to `new_hash`, in one transaction, if the device is neither revoked nor idle past
    /// its expiry at `at`; it is then seen at `at` from `ip` and expires at `expires_at`.
    /// Of two renewals with one value, exactly one renews: the other finds it spent.
    async fn renew_device(
        &self,
        old_hash: &[u8],
        new_hash: &[u8],
        at: DateTime<Utc>,
        ip: Option<&str>,
        expires_at: DateTime<Utc>,
    ) -> Result<Renewal>;
    /// Revokes a device and every session made for or renewed through it; false when it was
    /// revoked already or does not exist.
    async fn revoke_device(&self, id: &str, at: DateTime<Utc>) -> Result<bool>;
    /// A device by id.
    async fn device(&self, id: &str) -> Result<Option<DeviceRecord>>;
    /// The device whose current refresh credential hashes to `hash`.
    async fn device_by_refresh(&self, hash: &[u8]) -> Result<Option<DeviceRecord>>;
    /// A user's devices that can still renew at `now`, the most recently seen first.
    async fn devices_of(&self, user_id: &str, now: DateTime<Utc>) -> Result<Vec<DeviceRecord>>;
}

const DEVICE_COLUMNS: &str =
    "id, user_id, name, identity_id, created_at, last_seen_at, last_seen_ip, expires_at, revoked_at";

fn device_of(r: &AnyRow) -> Result<DeviceRecord> {
    Ok(DeviceRecord {
        id: r.try_get("id")?,
        user_id: r.try_get("user_id")?,
        name: r.try_get("name")?,
        identity_id: r.try_get("identity_id")?,
        created_at: instant(r, "created_at")?,
        last_seen_at: instant(r, "last_seen_at")?,
        last_seen_ip: r.try_get("last_seen_ip")?,
        expires_at: instant(r, "expires_at")?,
        revoked_at: instant_opt(r, "revoked_at")?,
    })
}

/// What [`session_of`] reads, from [`SESSION_JOINED`].
const SESSION_COLUMNS: &str = "s.id, s.user_id, s.expires_at, COALESCE(s.revoked_at, d.revoked_at) AS revoked_at, \
     s.identity_id, s.device_id, i.asserted_role";

/// A session with its identity (an unlinked one asserts nothing) and its device (a revoked
/// device's sessions read as revoked).
const SESSION_JOINED: &str = "sessions s \
     LEFT JOIN identities i ON i.id = s.identity_id AND i.user_id = s.user_id \
     LEFT JOIN devices d ON d.id = s.device_id";

/// A session row joined with its identity: an unlinked identity asserts nothing.
fn session_of(r: &AnyRow) -> Result<SessionRecord> {
    Ok(SessionRecord {
        id: r.try_get("id")?,
        user_id: r.try_get("user_id")?,
        expires_at: instant(r, "expires_at")?,
        revoked_at: instant_opt(r, "revoked_at")?,
        identity_id: r.try_get("identity_id")?,
        identity_role: named_opt(r, "asserted_role", Role::from_name)?,
        device_id: r.try_get("device_id")?,
    })
}

#[async_trait]
impl SessionStore for SqlStore {
    async fn insert_session(&self, s: &SessionRecord, at: DateTime<Utc>) -> Result<()> {
        sqlx::query(
            "INSERT INTO sessions (id, user_id, created_at, expires_at, identity_id, device_id) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&s.id)
        .bind(&s.user_id)
        .bind(to_millis(at))
        .bind(to_millis(s.expires_at))
        .bind(s.identity_id.as_deref())
        .bind(s.device_id.as_deref())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn session(&self, id: &str) -> Result<Option<SessionRecord>> {
        let row = sqlx::query(&format!("SELECT {SESSION_COLUMNS} FROM {SESSION_JOINED} WHERE s.id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(session_of).transpose()
    }

    async fn session_with_user(&self, id: &str) -> Result<Option<(SessionRecord, User)>> {
        let row = sqlx::query(&format!(
            "SELECT {SESSION_COLUMNS}, u.id AS u_id, u.name AS u_name, u.role AS u_role, \
             u.created_at AS u_created_at, u.disabled_at AS u_disabled_at \
             FROM {SESSION_JOINED} JOIN users u ON u.id = s.user_id WHERE s.id = $1"
        ))
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

    async fn insert_device(&self, d: &DeviceRecord, refresh_hash: &[u8]) -> Result<()> {
        sqlx::query(
            "INSERT INTO devices (id, user_id, name, identity_id, refresh_hash, created_at, last_seen_at, \
             last_seen_ip, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&d.id)
        .bind(&d.user_id)
        .bind(&d.name)
        .bind(d.identity_id.as_deref())
        .bind(refresh_hash)
        .bind(to_millis(d.created_at))
        .bind(to_millis(d.last_seen_at))
        .bind(d.last_seen_ip.as_deref())
        .bind(to_millis(d.expires_at))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn renew_device(
        &self,
        old_hash: &[u8],
        new_hash: &[u8],
        at: DateTime<Utc>,
        ip: Option<&str>,
        expires_at: DateTime<Utc>,
    ) -> Result<Renewal> {
        // The UPDATE's condition on the current hash is the claim: on PostgreSQL a second
        // renewal with the same value waits for the first's row lock and then no longer
        // matches; on SQLite writers take turns. The spent value is recorded in the same
        // transaction, so the loser always finds it.
        let mut tx = self.pool.begin().await?;
        let renewed = sqlx::query(&format!(
            "UPDATE devices SET refresh_hash = $1, last_seen_at = $2, last_seen_ip = $3, expires_at = $4 \
             WHERE refresh_hash = $5 AND revoked_at IS NULL AND expires_at > $2 RETURNING {DEVICE_COLUMNS}"
        ))
        .bind(new_hash)
        .bind(to_millis(at))
        .bind(ip)
        .bind(to_millis(expires_at))
        .bind(old_hash)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(row) = renewed {
            let device = device_of(&row)?;
            sqlx::query("INSERT INTO device_spent_refresh (hash, device_id, spent_at) VALUES ($1, $2, $3)")
                .bind(old_hash)
                .bind(&device.id)
                .bind(to_millis(at))
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            return Ok(Renewal::Renewed(device));
        }
        tx.rollback().await?;
        let spent = sqlx::query("SELECT device_id FROM device_spent_refresh WHERE hash = $1")
            .bind(old_hash)
            .fetch_optional(&self.pool)
            .await?;
        Ok(match spent {
            Some(row) => Renewal::Spent(row.try_get("device_id")?),
            None => Renewal::Unknown,
        })
    }

    async fn revoke_device(&self, id: &str, at: DateTime<Utc>) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query("UPDATE devices SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
            .bind(to_millis(at))
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        sqlx::query("UPDATE sessions SET revoked_at = $1 WHERE device_id = $2 AND revoked_at IS NULL")
            .bind(to_millis(at))
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(done == 1)
    }

    async fn device(&self, id: &str) -> Result<Option<DeviceRecord>> {
        let row = sqlx::query(&format!("SELECT {DEVICE_COLUMNS} FROM devices WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(device_of).transpose()
    }

    async fn device_by_refresh(&self, hash: &[u8]) -> Result<Option<DeviceRecord>> {
        let row = sqlx::query(&format!("SELECT {DEVICE_COLUMNS} FROM devices WHERE refresh_hash = $1"))
            .bind(hash)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(device_of).transpose()
    }

    async fn devices_of(&self, user_id: &str, now: DateTime<Utc>) -> Result<Vec<DeviceRecord>> {
        let rows = sqlx::query(&format!(
            "SELECT {DEVICE_COLUMNS} FROM devices WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $2 \
             ORDER BY last_seen_at DESC, id"
        ))
        .bind(user_id)
        .bind(to_millis(now))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(device_of).collect()
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
             NULL AS device_id, 'root' AS asserted_role",
        )
        .await?;
        assert_refused(session_of(&row), "asserted_role", "root");
        Ok(())
    }
}
