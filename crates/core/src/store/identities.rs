//! Linked identities: accounts at identity providers and code hosts, keyed by (issuer, subject),
//! with what is known about each one's stored code-host token (never the token itself).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use sqlx::Row;

use super::sql::{collect, conflict_on_unique, instant, instant_opt, millis_opt, named_opt, touched, SqlStore};
use crate::clock::to_millis;
use crate::error::{Error, Result};
use crate::model::{Identity, Role, ScmStatus, ScmTokenInfo};

/// Linked identities and their code-host token bookkeeping.
#[async_trait]
pub trait IdentityStore: Send + Sync {
    /// Links an identity; one already linked (same issuer and subject) is a conflict.
    async fn insert_identity(&self, identity: &Identity) -> Result<()>;
    /// An identity by id.
    async fn identity(&self, id: &str) -> Result<Option<Identity>>;
    /// The identity an issuer's (or code host's) subject is linked as, if any.
    async fn identity_by_subject(&self, issuer: &str, subject: &str) -> Result<Option<Identity>>;
    /// Records `issuer` on the identities of provider `provider` linked before issuers were
    /// recorded (none where that issuer's subject is linked already); returns how many.
    async fn adopt_identity_issuer(&self, provider: &str, issuer: &str) -> Result<u64>;
    /// A user's identities, oldest first.
    async fn identities_of(&self, user_id: &str) -> Result<Vec<Identity>>;
    /// Records a sign-in with an identity and what the provider now says about it, including the
    /// role it asserts (none: the provider has no role mapping).
    async fn touch_identity(
        &self,
        id: &str,
        display_name: &str,
        email: Option<&str>,
        role: Option<Role>,
        at: DateTime<Utc>,
    ) -> Result<()>;
    /// Unlinks an identity; false when there was none.
    async fn delete_identity(&self, id: &str) -> Result<bool>;
    /// Records that a code-host token is stored for an identity (`None`: none is).
    async fn set_scm_token(&self, identity_id: &str, info: Option<ScmTokenInfo>) -> Result<()>;
    /// Records that refreshing an identity's token failed for good (or works again).
    async fn set_scm_failed(&self, identity_id: &str, failed: bool) -> Result<()>;
    /// Identities whose refreshable token expires before `before`.
    async fn identities_due(&self, before: DateTime<Utc>) -> Result<Vec<Identity>>;
}

const IDENTITY_COLUMNS: &str = "id, user_id, provider_id, subject, display_name, email, created_at, last_login_at, \
     scm_stored, scm_expires_at, scm_refreshable, scm_failed, asserted_role, issuer";

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
        created_at: instant(row, "created_at")?,
        last_login_at: instant_opt(row, "last_login_at")?,
        status: match (stored, failed) {
            (false, _) => ScmStatus::Disconnected,
            (true, true) => ScmStatus::Expired,
            (true, false) => ScmStatus::Connected,
        },
        expires_at: instant_opt(row, "scm_expires_at")?,
        refreshable: row.try_get::<i64, _>("scm_refreshable")? != 0,
        asserted_role: named_opt(row, "asserted_role", Role::from_name)?,
        issuer: row.try_get("issuer")?,
    })
}

#[async_trait]
impl IdentityStore for SqlStore {
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
        .bind(i.asserted_role.map(Role::as_str))
        .bind(i.issuer.as_deref())
        .execute(&self.pool)
        .await
        .map_err(|e| conflict_on_unique(e, Error::AlreadyLinked))?;
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
        .bind(role.map(Role::as_str))
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn delete_identity(&self, id: &str) -> Result<bool> {
        touched(&self.pool, "DELETE FROM identities WHERE id = $1", &[id]).await
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sql::{assert_refused, literal_row};

    #[tokio::test]
    async fn an_unknown_asserted_role_is_refused_not_read_as_member() -> Result<()> {
        let select = |role: &str| {
            format!(
                "SELECT 'idn_1' AS id, 'usr_1' AS user_id, 'kc' AS provider_id, 's' AS subject, 'A' AS display_name, \
                 NULL AS email, 1 AS created_at, NULL AS last_login_at, 0 AS scm_stored, NULL AS scm_expires_at, \
                 0 AS scm_refreshable, 0 AS scm_failed, {role} AS asserted_role, NULL AS issuer"
            )
        };
        assert_refused(identity_of(&literal_row(&select("'root'")).await?), "asserted_role", "root");
        assert_eq!(identity_of(&literal_row(&select("'admin'")).await?)?.asserted_role, Some(Role::Admin));
        assert_eq!(identity_of(&literal_row(&select("NULL")).await?)?.asserted_role, None);
        Ok(())
    }
}
