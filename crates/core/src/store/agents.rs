//! Agents: the machines that connected with an agent token, and what they last reported.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use sqlx::Row;

use super::sql::{collect, instant, named, owner_of, owners_clause, touched, SqlStore};
use crate::clock::to_millis;
use crate::error::Result;
use crate::model::{Agent, AgentStatus, Owner};

/// Agents.
#[async_trait]
pub trait AgentStore: Send + Sync {
    /// Adds an agent.
    async fn insert_agent(&self, agent: &Agent) -> Result<()>;
    /// An agent by id.
    async fn agent(&self, id: &str) -> Result<Option<Agent>>;
    /// Agents of any of `owners`.
    async fn agents_of(&self, owners: &[Owner]) -> Result<Vec<Agent>>;
    /// Every agent, newest first.
    async fn all_agents(&self) -> Result<Vec<Agent>>;
    /// Records an agent's status.
    async fn set_agent_status(&self, id: &str, status: AgentStatus, at: DateTime<Utc>) -> Result<()>;
    /// Deletes an agent; false when there was none.
    async fn delete_agent(&self, id: &str) -> Result<bool>;
}

const AGENT_COLUMNS: &str = "id, name, owner_kind, owner_id, token_id, status, last_seen_at, created_at";

fn agent_of(row: &AnyRow) -> Result<Agent> {
    Ok(Agent {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        owner: owner_of(row)?,
        token_id: row.try_get("token_id")?,
        status: named(row, "status", AgentStatus::from_name)?,
        last_seen_at: instant(row, "last_seen_at")?,
        created_at: instant(row, "created_at")?,
    })
}

#[async_trait]
impl AgentStore for SqlStore {
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

    async fn all_agents(&self) -> Result<Vec<Agent>> {
        let sql = format!("SELECT {AGENT_COLUMNS} FROM agents ORDER BY created_at DESC, id");
        collect(sqlx::query(&sql).fetch_all(&self.pool).await?, agent_of)
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

    async fn delete_agent(&self, id: &str) -> Result<bool> {
        touched(&self.pool, "DELETE FROM agents WHERE id = $1", &[id]).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sql::{assert_refused, literal_row};

    #[tokio::test]
    async fn an_unknown_agent_status_is_refused_not_read_as_offline() -> Result<()> {
        let select = |status: &str, owner_kind: &str| {
            format!(
                "SELECT 'agt_1' AS id, 'box' AS name, '{owner_kind}' AS owner_kind, 'usr_1' AS owner_id, \
                 'tok_1' AS token_id, '{status}' AS status, 1 AS last_seen_at, 1 AS created_at"
            )
        };
        assert_refused(agent_of(&literal_row(&select("sleeping", "user")).await?), "status", "sleeping");
        assert_refused(agent_of(&literal_row(&select("busy", "team")).await?), "owner_kind", "team");
        assert_eq!(agent_of(&literal_row(&select("busy", "user")).await?)?.status, AgentStatus::Busy);
        Ok(())
    }
}
