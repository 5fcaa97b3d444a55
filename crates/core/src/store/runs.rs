//! Runs of a project's pipeline. Agents race to claim queued runs; a conditional update lets the
//! database pick exactly one winner, on any number of replicas.

use async_trait::async_trait;
use sqlx::any::AnyRow;
use sqlx::Row;

use super::sql::{collect, instant, named, SqlStore};
use crate::clock::to_millis;
use crate::error::{Error, Result};
use crate::model::{Owner, Run, RunStatus};

/// Runs.
#[async_trait]
pub trait RunStore: Send + Sync {
    /// Queues a run.
    async fn insert_run(&self, run: &Run) -> Result<()>;
    /// A project's runs, newest first.
    async fn runs(&self, project_id: &str, limit: i64) -> Result<Vec<Run>>;
    /// Gives the oldest queued run of `owner`'s projects to `agent_id`, atomically.
    async fn claim_run(&self, owner: &Owner, agent_id: &str) -> Result<Option<Run>>;
}

const RUN_COLUMNS: &str = "id, project_id, status, created_at, triggered_by, agent_id";

fn run_of(row: &AnyRow) -> Result<Run> {
    Ok(Run {
        id: row.try_get("id")?,
        project_id: row.try_get("project_id")?,
        status: named(row, "status", RunStatus::from_name)?,
        created_at: instant(row, "created_at")?,
        triggered_by: row.try_get("triggered_by")?,
        agent_id: row.try_get("agent_id")?,
    })
}

#[async_trait]
impl RunStore for SqlStore {
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sql::{assert_refused, literal_row};

    #[tokio::test]
    async fn an_unknown_run_status_is_refused_not_read_as_queued() -> Result<()> {
        let select = |status: &str| {
            format!(
                "SELECT 'run_1' AS id, 'prj_1' AS project_id, '{status}' AS status, 1 AS created_at, \
                 NULL AS triggered_by, NULL AS agent_id"
            )
        };
        assert_refused(run_of(&literal_row(&select("paused")).await?), "status", "paused");
        assert_eq!(run_of(&literal_row(&select("failed")).await?)?.status, RunStatus::Failed);
        Ok(())
    }
}
