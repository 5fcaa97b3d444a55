//! Invitations to organizations. Accepting one deletes it and makes the membership in one
//! transaction, so of two accepts at once exactly one wins.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use sqlx::Row;

use super::sql::{collect, conflict_on_unique, instant, named, touched, SqlStore};
use crate::clock::to_millis;
use crate::error::{Error, Result};
use crate::model::{Invitation, OrgRole};

/// Invitations.
#[async_trait]
pub trait InvitationStore: Send + Sync {
    /// Stores an invitation for `user_id` (none: the invitee names no account), replacing a
    /// pending one for the same organization and invitee.
    async fn insert_invitation(&self, invitation: &Invitation, user_id: Option<&str>) -> Result<()>;
    /// An organization's invitations that have not lapsed at `now`, newest first.
    async fn invitations_of_org(&self, org_id: &str, now: DateTime<Utc>) -> Result<Vec<Invitation>>;
    /// The invitations waiting for a user at `now`, newest first.
    async fn invitations_of_user(&self, user_id: &str, now: DateTime<Utc>) -> Result<Vec<Invitation>>;
    /// Accepts a user's pending invitation in one transaction: it is deleted and the user joins
    /// with its role (a member already keeps their role). None when there was no such pending
    /// invitation, so of two accepts at once exactly one wins.
    async fn accept_invitation(&self, id: &str, user_id: &str, now: DateTime<Utc>) -> Result<Option<Invitation>>;
    /// Deletes an invitation addressed to `user_id` (declined); false when there was none.
    async fn delete_invitation_of_user(&self, id: &str, user_id: &str) -> Result<bool>;
    /// Deletes an invitation of `org_id` (withdrawn); false when there was none.
    async fn delete_invitation_of_org(&self, id: &str, org_id: &str) -> Result<bool>;
}

const INVITATION_COLUMNS: &str = "i.id, i.org_id, o.name AS org_name, i.invitee, i.role, i.invited_by, \
     i.created_at, i.expires_at FROM invitations i JOIN orgs o ON o.id = i.org_id";

fn invitation_of(row: &AnyRow) -> Result<Invitation> {
    Ok(Invitation {
        id: row.try_get("id")?,
        org_id: row.try_get("org_id")?,
        org_name: row.try_get("org_name")?,
        invitee: row.try_get("invitee")?,
        role: named(row, "role", OrgRole::from_name)?,
        invited_by: row.try_get("invited_by")?,
        created_at: instant(row, "created_at")?,
        expires_at: instant(row, "expires_at")?,
    })
}

#[async_trait]
impl InvitationStore for SqlStore {
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
        .map_err(|e| {
            conflict_on_unique(
                e,
                Error::Conflict("another invitation for this name was sent at the same moment".into()),
            )
        })?;
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
        let role = named(&row, "role", OrgRole::from_name)?;
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
            created_at: instant(&row, "created_at")?,
            expires_at: instant(&row, "expires_at")?,
        }))
    }

    async fn delete_invitation_of_user(&self, id: &str, user_id: &str) -> Result<bool> {
        touched(&self.pool, "DELETE FROM invitations WHERE id = $1 AND user_id = $2", &[id, user_id]).await
    }

    async fn delete_invitation_of_org(&self, id: &str, org_id: &str) -> Result<bool> {
        touched(&self.pool, "DELETE FROM invitations WHERE id = $1 AND org_id = $2", &[id, org_id]).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sql::{assert_refused, literal_row};

    #[tokio::test]
    async fn an_unknown_invited_role_is_refused_not_read_as_member() -> Result<()> {
        let select = |role: &str| {
            format!(
                "SELECT 'inv_1' AS id, 'org_1' AS org_id, 'acme' AS org_name, 'ann' AS invitee, '{role}' AS role, \
                 'bob' AS invited_by, 1 AS created_at, 2 AS expires_at"
            )
        };
        assert_refused(invitation_of(&literal_row(&select("owner")).await?), "role", "owner");
        assert_eq!(invitation_of(&literal_row(&select("member")).await?)?.role, OrgRole::Member);
        Ok(())
    }
}
