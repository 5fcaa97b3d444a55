//! Accounts: their names, local roles, where they came from, and de-provisioning.
//!
//! Changing or deleting an account may never leave the instance without an enabled local admin;
//! both run in one transaction that first serializes against every other such change.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use sqlx::Row;

use super::sql::{collect, conflict_on_unique, instant, named, SqlStore};
use super::Backend;
use crate::clock::to_millis;
use crate::error::{Error, Result};
use crate::model::{Origin, Role, User};

/// Accounts.
#[async_trait]
pub trait UserStore: Send + Sync {
    /// Adds a user; a taken name is a conflict.
    async fn insert_user(&self, user: &User, origin: Origin) -> Result<()>;
    /// Deletes a user that nothing refers to yet (a sign-in that lost a race).
    async fn delete_user_if_unused(&self, id: &str) -> Result<()>;
    /// Where a user's account came from.
    async fn user_origin(&self, id: &str) -> Result<Origin>;
    /// A user by id.
    async fn user(&self, id: &str) -> Result<Option<User>>;
    /// A user by name.
    async fn user_by_name(&self, name: &str) -> Result<Option<User>>;
    /// Every user, oldest first.
    async fn users(&self) -> Result<Vec<User>>;
    /// Sets a user's instance role.
    async fn set_role(&self, user_id: &str, role: Role) -> Result<()>;
    /// Sets a user's local role and whether it is disabled (`at`: when, if it was not already),
    /// in one transaction that refuses (conflict) to leave no enabled local admin. None: no such
    /// user.
    async fn update_user(&self, id: &str, role: Role, disabled: bool, at: DateTime<Utc>) -> Result<Option<User>>;
    /// Deletes a user with its tokens, sessions, identities, memberships, agents and personal
    /// projects (with their trigger tokens), in one transaction that refuses (conflict) to
    /// delete the last enabled local admin. False: no such user.
    async fn delete_user(&self, id: &str) -> Result<bool>;
}

/// The columns a user is read from: its own table's, or the aliases a join gives them.
pub(super) struct UserColumns {
    id: &'static str,
    name: &'static str,
    role: &'static str,
    created_at: &'static str,
    disabled_at: &'static str,
}

/// A user read from the `users` table itself.
const OWN_COLUMNS: UserColumns =
    UserColumns { id: "id", name: "name", role: "role", created_at: "created_at", disabled_at: "disabled_at" };

/// A user joined to another table's row as `u.id AS u_id, u.name AS u_name, …`.
pub(super) const JOINED_COLUMNS: UserColumns = UserColumns {
    id: "u_id",
    name: "u_name",
    role: "u_role",
    created_at: "u_created_at",
    disabled_at: "u_disabled_at",
};

/// The user in a row of the `users` table.
pub(super) fn user_of(row: &AnyRow) -> Result<User> {
    user_in(row, &OWN_COLUMNS)
}

/// The user in a row whose columns are named by `columns`.
pub(super) fn user_in(row: &AnyRow, columns: &UserColumns) -> Result<User> {
    Ok(User {
        id: row.try_get(columns.id)?,
        name: row.try_get(columns.name)?,
        role: named(row, columns.role, Role::from_name)?,
        created_at: instant(row, columns.created_at)?,
        disabled: row.try_get::<Option<i64>, _>(columns.disabled_at)?.is_some(),
    })
}

#[async_trait]
impl UserStore for SqlStore {
    async fn insert_user(&self, user: &User, origin: Origin) -> Result<()> {
        sqlx::query("INSERT INTO users (id, name, role, created_at, origin) VALUES ($1, $2, $3, $4, $5)")
            .bind(&user.id)
            .bind(&user.name)
            .bind(user.role.as_str())
            .bind(to_millis(user.created_at))
            .bind(origin.as_str())
            .execute(&self.pool)
            .await
            .map_err(|e| conflict_on_unique(e, Error::NameTaken(format!("the name {:?} is taken", user.name))))?;
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
        // An account that is gone was made nowhere else: it counts as local, as it always did.
        Ok(row.as_ref().map(|r| named(r, "origin", Origin::from_name)).transpose()?.unwrap_or(Origin::Local))
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
}

impl SqlStore {
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sql::{assert_refused, literal_row};

    #[tokio::test]
    async fn an_unknown_role_is_refused_not_read_as_member() -> Result<()> {
        let row =
            literal_row("SELECT 'u' AS id, 'n' AS name, 'root' AS role, 1 AS created_at, NULL AS disabled_at").await?;
        assert_refused(user_of(&row), "role", "root");
        let row = literal_row(
            "SELECT 'u' AS u_id, 'n' AS u_name, 'owner' AS u_role, 1 AS u_created_at, NULL AS u_disabled_at",
        )
        .await?;
        assert_refused(user_in(&row, &JOINED_COLUMNS), "u_role", "owner");
        let row =
            literal_row("SELECT 'u' AS id, 'n' AS name, 'admin' AS role, 1 AS created_at, 2 AS disabled_at").await?;
        let user = user_of(&row)?;
        assert_eq!((user.role, user.disabled), (Role::Admin, true));
        Ok(())
    }

    #[tokio::test]
    async fn an_unknown_origin_is_refused_not_read_as_local() -> Result<()> {
        let dir = tempfile::tempdir().map_err(|e| Error::Internal(e.to_string()))?;
        let store = SqlStore::open_sqlite(&dir.path().join("t.db")).await?;
        sqlx::query(
            "INSERT INTO users (id, name, role, created_at, origin) VALUES ('usr_1', 'a', 'member', 1, 'ldap')",
        )
        .execute(&store.pool)
        .await?;
        assert_refused(store.user_origin("usr_1").await, "origin", "ldap");
        assert_eq!(store.user_origin("usr_gone").await?, Origin::Local);
        Ok(())
    }
}
