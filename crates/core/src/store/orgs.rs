//! Organizations and their memberships. An organization is made together with its first admin,
//! so none ever exists without one.

use async_trait::async_trait;
use sqlx::any::AnyRow;
use sqlx::Row;

use super::sql::{conflict_on_unique, instant, named, touched, SqlStore};
use crate::clock::to_millis;
use crate::error::{Error, Result};
use crate::model::{Member, Org, OrgRole, OrgWithRole, UserRef};

/// Organizations and memberships.
#[async_trait]
pub trait OrgStore: Send + Sync {
    /// Adds an organization with its first admin, in one transaction.
    async fn insert_org(&self, org: &Org, admin_user_id: &str) -> Result<()>;
    /// An organization by id.
    async fn org(&self, id: &str) -> Result<Option<Org>>;
    /// The organizations a user belongs to, with their role.
    async fn orgs_of_user(&self, user_id: &str) -> Result<Vec<OrgWithRole>>;
    /// A user's role in an organization, if a member.
    async fn membership(&self, org_id: &str, user_id: &str) -> Result<Option<OrgRole>>;
    /// The members of an organization.
    async fn members(&self, org_id: &str) -> Result<Vec<Member>>;
    /// Adds a member or changes their role.
    async fn put_member(&self, org_id: &str, user_id: &str, role: OrgRole) -> Result<()>;
    /// Removes a member; false when they were not one.
    async fn remove_member(&self, org_id: &str, user_id: &str) -> Result<bool>;
}

fn org_of(row: &AnyRow) -> Result<Org> {
    Ok(Org { id: row.try_get("id")?, name: row.try_get("name")?, created_at: instant(row, "created_at")? })
}

/// An organization with the role in the row's `role` column.
fn org_with_role_of(row: &AnyRow) -> Result<OrgWithRole> {
    let org = org_of(row)?;
    Ok(OrgWithRole {
        id: org.id,
        name: org.name,
        created_at: org.created_at,
        role: Some(named(row, "role", OrgRole::from_name)?),
    })
}

fn member_of(row: &AnyRow) -> Result<Member> {
    Ok(Member {
        user: UserRef { id: row.try_get("id")?, name: row.try_get("name")? },
        role: named(row, "role", OrgRole::from_name)?,
    })
}

#[async_trait]
impl OrgStore for SqlStore {
    async fn insert_org(&self, org: &Org, admin_user_id: &str) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("INSERT INTO orgs (id, name, created_at) VALUES ($1, $2, $3)")
            .bind(&org.id)
            .bind(&org.name)
            .bind(to_millis(org.created_at))
            .execute(&mut *tx)
            .await
            .map_err(|e| {
                conflict_on_unique(e, Error::NameTaken(format!("an organization named {:?} exists", org.name)))
            })?;
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
        rows.iter().map(org_with_role_of).collect()
    }

    async fn membership(&self, org_id: &str, user_id: &str) -> Result<Option<OrgRole>> {
        let row = sqlx::query("SELECT role FROM memberships WHERE org_id = $1 AND user_id = $2")
            .bind(org_id)
            .bind(user_id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| named(&r, "role", OrgRole::from_name)).transpose()
    }

    async fn members(&self, org_id: &str) -> Result<Vec<Member>> {
        let rows = sqlx::query(
            "SELECT u.id, u.name, m.role FROM memberships m JOIN users u ON u.id = m.user_id \
             WHERE m.org_id = $1 ORDER BY u.name",
        )
        .bind(org_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(member_of).collect()
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
        touched(&self.pool, "DELETE FROM memberships WHERE org_id = $1 AND user_id = $2", &[org_id, user_id]).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sql::{assert_refused, literal_row};

    #[tokio::test]
    async fn an_unknown_org_role_is_refused_not_read_as_member() -> Result<()> {
        let row = literal_row("SELECT 'org_1' AS id, 'acme' AS name, 1 AS created_at, 'owner' AS role").await?;
        assert_refused(org_with_role_of(&row), "role", "owner");
        let row = literal_row("SELECT 'usr_1' AS id, 'ann' AS name, 'owner' AS role").await?;
        assert_refused(member_of(&row), "role", "owner");
        let row = literal_row("SELECT 'usr_1' AS id, 'ann' AS name, 'admin' AS role").await?;
        assert_eq!(member_of(&row)?.role, OrgRole::Admin);
        Ok(())
    }
}
