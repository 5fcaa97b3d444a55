//! Runs of a project's pipeline. Agents race to claim queued runs; a conditional update lets the
//! database pick exactly one winner, on any number of replicas. A run's log and artifacts are
//! capped by running totals on the run's row, raised by one conditional update per write, so
//! writers racing on several replicas can never pass a cap together.

use async_trait::async_trait;
use sqlx::any::AnyRow;
use sqlx::Row;

use chrono::{DateTime, Utc};

use super::sql::{collect, conflict_on_unique, instant, named, SqlStore};
use crate::clock::to_millis;
use crate::error::{Error, Result};
use crate::model::{Artifact, LogLine, Owner, Run, RunStatus};

/// Runs.
#[async_trait]
pub trait RunStore: Send + Sync {
    /// Queues a run.
    async fn insert_run(&self, run: &Run) -> Result<()>;
    /// A project's runs, newest first.
    async fn runs(&self, project_id: &str, limit: i64) -> Result<Vec<Run>>;
    /// Gives the oldest queued run of `owner`'s projects to `agent_id`, atomically.
    async fn claim_run(&self, owner: &Owner, agent_id: &str) -> Result<Option<Run>>;
    /// A run by id.
    async fn run(&self, id: &str) -> Result<Option<Run>>;
    /// Ends a running run as `status`; false when it was not running.
    async fn finish_run(&self, id: &str, status: RunStatus) -> Result<bool>;
    /// Appends `lines` to a run's log unless its log would then hold more than `max_bytes`;
    /// returns the number of the last line written, or `None` when the cap refused them.
    async fn append_log(
        &self,
        run_id: &str,
        lines: &[String],
        max_bytes: i64,
        at: DateTime<Utc>,
    ) -> Result<Option<i64>>;
    /// Up to `limit` lines of a run's log after line `after`, in order.
    async fn log(&self, run_id: &str, after: i64, limit: i64) -> Result<Vec<LogLine>>;
    /// Keeps an artifact unless the run's artifacts would then hold more than `max_bytes`
    /// (`Ok(false)`); a name the run already has is a conflict.
    async fn put_artifact(&self, run_id: &str, artifact: &Artifact, content: &[u8], max_bytes: i64) -> Result<bool>;
    /// A run's artifacts, by name.
    async fn artifacts(&self, run_id: &str) -> Result<Vec<Artifact>>;
    /// One artifact with its content.
    async fn artifact(&self, run_id: &str, name: &str) -> Result<Option<(Artifact, Vec<u8>)>>;
}

const RUN_COLUMNS: &str =
    "id, project_id, status, created_at, triggered_by, agent_id, git_ref, commit_sha, variables, log_lines";

fn run_of(row: &AnyRow) -> Result<Run> {
    Ok(Run {
        id: row.try_get("id")?,
        project_id: row.try_get("project_id")?,
        status: named(row, "status", RunStatus::from_name)?,
        created_at: instant(row, "created_at")?,
        triggered_by: row.try_get("triggered_by")?,
        agent_id: row.try_get("agent_id")?,
        git_ref: row.try_get("git_ref")?,
        commit: row.try_get("commit_sha")?,
        variables: {
            let text: String = row.try_get("variables")?;
            serde_json::from_str(&text).map_err(|_| Error::UnknownStoredValue {
                column: "variables".into(),
                value: text.chars().take(40).collect(),
            })?
        },
        log_lines: row.try_get("log_lines")?,
    })
}

fn artifact_of(row: &AnyRow) -> Result<Artifact> {
    Ok(Artifact {
        name: row.try_get("name")?,
        size: row.try_get("size")?,
        sha256: row.try_get("sha256")?,
        created_at: instant(row, "created_at")?,
    })
}

#[async_trait]
impl RunStore for SqlStore {
    async fn insert_run(&self, r: &Run) -> Result<()> {
        sqlx::query(
            "INSERT INTO runs (id, project_id, status, created_at, triggered_by, agent_id, git_ref, commit_sha, \
             variables) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&r.id)
        .bind(&r.project_id)
        .bind(r.status.as_str())
        .bind(to_millis(r.created_at))
        .bind(r.triggered_by.as_deref())
        .bind(r.agent_id.as_deref())
        .bind(r.git_ref.as_deref())
        .bind(r.commit.as_deref())
        .bind(serde_json::to_string(&r.variables).map_err(|e| Error::Internal(e.to_string()))?)
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
            let sql = "SELECT r.id, r.project_id, r.status, r.created_at, r.triggered_by, r.agent_id, r.git_ref, \
                 r.commit_sha, r.variables, r.log_lines FROM runs r \
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

    async fn run(&self, id: &str) -> Result<Option<Run>> {
        let sql = format!("SELECT {RUN_COLUMNS} FROM runs WHERE id = $1");
        let row = sqlx::query(&sql).bind(id).fetch_optional(&self.pool).await?;
        row.as_ref().map(run_of).transpose()
    }

    async fn finish_run(&self, id: &str, status: RunStatus) -> Result<bool> {
        let done = sqlx::query("UPDATE runs SET status = $1 WHERE id = $2 AND status = 'running'")
            .bind(status.as_str())
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn append_log(
        &self,
        run_id: &str,
        lines: &[String],
        max_bytes: i64,
        at: DateTime<Utc>,
    ) -> Result<Option<i64>> {
        let bytes: i64 = lines.iter().map(|l| l.len() as i64).sum();
        let count = lines.len() as i64;
        let mut tx = self.pool.begin().await?;
        // One statement raises both totals and checks the cap: of writers racing for the last
        // room, the database lets through only those that fit, and each gets its own numbers.
        let row = sqlx::query(
            "UPDATE runs SET log_lines = log_lines + $1, log_bytes = log_bytes + $2 \
             WHERE id = $3 AND log_bytes + $2 <= $4 RETURNING log_lines",
        )
        .bind(count)
        .bind(bytes)
        .bind(run_id)
        .bind(max_bytes)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let last: i64 = row.try_get("log_lines")?;
        let first = last - count + 1;
        for (i, line) in lines.iter().enumerate() {
            sqlx::query("INSERT INTO run_log (run_id, seq, line, at) VALUES ($1, $2, $3, $4)")
                .bind(run_id)
                .bind(first + i as i64)
                .bind(line)
                .bind(to_millis(at))
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(Some(last))
    }

    async fn log(&self, run_id: &str, after: i64, limit: i64) -> Result<Vec<LogLine>> {
        let rows =
            sqlx::query("SELECT seq, line, at FROM run_log WHERE run_id = $1 AND seq > $2 ORDER BY seq LIMIT $3")
                .bind(run_id)
                .bind(after)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
        collect(rows, |r| Ok(LogLine { seq: r.try_get("seq")?, at: instant(r, "at")?, text: r.try_get("line")? }))
    }

    async fn put_artifact(&self, run_id: &str, a: &Artifact, content: &[u8], max_bytes: i64) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        let room = sqlx::query(
            "UPDATE runs SET artifact_bytes = artifact_bytes + $1 WHERE id = $2 AND artifact_bytes + $1 <= $3",
        )
        .bind(a.size)
        .bind(run_id)
        .bind(max_bytes)
        .execute(&mut *tx)
        .await?;
        if room.rows_affected() == 0 {
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO run_artifacts (run_id, name, content, size, sha256, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(run_id)
        .bind(&a.name)
        .bind(content)
        .bind(a.size)
        .bind(&a.sha256)
        .bind(to_millis(a.created_at))
        .execute(&mut *tx)
        .await
        .map_err(|e| {
            conflict_on_unique(
                e,
                Error::Conflict(format!(
                    "this run already has an artifact named {:?}; artifacts are kept once",
                    a.name
                )),
            )
        })?;
        tx.commit().await?;
        Ok(true)
    }

    async fn artifacts(&self, run_id: &str) -> Result<Vec<Artifact>> {
        let rows =
            sqlx::query("SELECT name, size, sha256, created_at FROM run_artifacts WHERE run_id = $1 ORDER BY name")
                .bind(run_id)
                .fetch_all(&self.pool)
                .await?;
        collect(rows, artifact_of)
    }

    async fn artifact(&self, run_id: &str, name: &str) -> Result<Option<(Artifact, Vec<u8>)>> {
        let row = sqlx::query(
            "SELECT name, size, sha256, created_at, content FROM run_artifacts WHERE run_id = $1 AND name = $2",
        )
        .bind(run_id)
        .bind(name)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| Ok((artifact_of(&r)?, r.try_get("content")?))).transpose()
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
                 NULL AS triggered_by, NULL AS agent_id, NULL AS git_ref, NULL AS commit_sha, '{{}}' AS variables, \
                 0 AS log_lines"
            )
        };
        assert_refused(run_of(&literal_row(&select("paused")).await?), "status", "paused");
        assert_eq!(run_of(&literal_row(&select("failed")).await?)?.status, RunStatus::Failed);
        Ok(())
    }
}
