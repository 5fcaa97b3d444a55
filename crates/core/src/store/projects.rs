//! Projects with what lives and dies with them: pipeline files and secrets. Deleting a project
//! takes its trigger tokens with it in the same transaction, so none outlives what it triggers.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use sqlx::Row;

use super::sql::{collect, conflict_on_unique, instant, owner_of, owners_clause, touched, SqlStore};
use crate::clock::to_millis;
use crate::error::{Error, Result};
use crate::model::{Owner, Pipeline, Project, SecretInfo};

/// Projects, their pipeline files and their secrets.
#[async_trait]
pub trait ProjectStore: Send + Sync {
    /// Adds a project; a name taken by the same owner is a conflict.
    async fn insert_project(&self, project: &Project) -> Result<()>;
    /// A project by id.
    async fn project(&self, id: &str) -> Result<Option<Project>>;
    /// Projects owned by any of `owners`.
    async fn projects_of(&self, owners: &[Owner]) -> Result<Vec<Project>>;
    /// Changes a project's name and repository URL.
    async fn update_project(&self, project: &Project) -> Result<()>;
    /// Deletes a project with its runs, pipelines, secrets and trigger tokens; false when there
    /// was none.
    async fn delete_project(&self, id: &str) -> Result<bool>;
    /// Writes a pipeline file.
    async fn put_pipeline(&self, pipeline: &Pipeline) -> Result<()>;
    /// Reads a pipeline file.
    async fn pipeline(&self, project_id: &str, name: &str) -> Result<Option<Pipeline>>;
    /// Writes a secret's value.
    async fn put_secret(&self, project_id: &str, name: &str, value: &[u8], at: DateTime<Utc>) -> Result<()>;
    /// A secret's metadata (never its value).
    async fn secret_info(&self, project_id: &str, name: &str) -> Result<Option<SecretInfo>>;
    /// Deletes a secret; false when there was none.
    async fn delete_secret(&self, project_id: &str, name: &str) -> Result<bool>;
    /// Keeps (or replaces) the sealed webhook secret of a project's trigger token.
    async fn put_webhook_secret(
        &self,
        token_id: &str,
        project_id: &str,
        sealed: &[u8],
        at: DateTime<Utc>,
    ) -> Result<()>;
    /// The sealed webhook secrets of a project's trigger tokens that are neither revoked nor
    /// expired at `now`, as (token id, sealed secret).
    async fn webhook_secrets(&self, project_id: &str, now: DateTime<Utc>) -> Result<Vec<(String, Vec<u8>)>>;
}

fn name_taken(name: &str) -> Error {
    Error::NameTaken(format!("the owner already has a project named {name:?}"))
}

fn project_of(row: &AnyRow) -> Result<Project> {
    Ok(Project {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        owner: owner_of(row)?,
        repository_url: row.try_get("repository_url")?,
        created_at: instant(row, "created_at")?,
    })
}

#[async_trait]
impl ProjectStore for SqlStore {
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
        .map_err(|e| conflict_on_unique(e, name_taken(&p.name)))?;
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
            .map_err(|e| conflict_on_unique(e, name_taken(&p.name)))?;
        Ok(())
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
                updated_at: instant(&r, "updated_at")?,
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
                updated_at: instant(&r, "updated_at")?,
            })
        })
        .transpose()
    }

    async fn delete_secret(&self, project_id: &str, name: &str) -> Result<bool> {
        touched(&self.pool, "DELETE FROM secrets WHERE project_id = $1 AND name = $2", &[project_id, name]).await
    }

    async fn put_webhook_secret(
        &self,
        token_id: &str,
        project_id: &str,
        sealed: &[u8],
        at: DateTime<Utc>,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO webhook_secrets (token_id, project_id, sealed, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (token_id) DO UPDATE SET sealed = excluded.sealed, created_at = excluded.created_at",
        )
        .bind(token_id)
        .bind(project_id)
        .bind(sealed)
        .bind(to_millis(at))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn webhook_secrets(&self, project_id: &str, now: DateTime<Utc>) -> Result<Vec<(String, Vec<u8>)>> {
        let rows = sqlx::query(
            "SELECT w.token_id, w.sealed FROM webhook_secrets w JOIN tokens t ON t.id = w.token_id \
             WHERE w.project_id = $1 AND t.owner_kind = 'project' AND t.owner_id = $1 AND t.revoked_at IS NULL \
             AND (t.expires_at IS NULL OR t.expires_at > $2) ORDER BY w.created_at DESC, w.token_id",
        )
        .bind(project_id)
        .bind(to_millis(now))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| Ok((r.try_get("token_id")?, r.try_get("sealed")?))).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sql::{assert_refused, literal_row};

    #[tokio::test]
    async fn an_unknown_project_owner_kind_is_refused() -> Result<()> {
        let row = literal_row(
            "SELECT 'prj_1' AS id, 'site' AS name, 'team' AS owner_kind, 'x' AS owner_id, \
             NULL AS repository_url, 1 AS created_at",
        )
        .await?;
        assert_refused(project_of(&row), "owner_kind", "team");
        Ok(())
    }
}
