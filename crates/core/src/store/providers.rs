//! Providers configured through the API, kept as their configuration JSON. Providers from
//! `providers.toml` never reach the store.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::Row;

use super::sql::{conflict_on_unique, touched, SqlStore};
use crate::clock::to_millis;
use crate::error::{Error, Result};

/// Providers configured through the API.
#[async_trait]
pub trait ProviderStore: Send + Sync {
    /// Adds a provider configured through the API; an existing id is a conflict.
    async fn insert_provider(&self, id: &str, config: &str, at: DateTime<Utc>) -> Result<()>;
    /// Providers configured through the API: (id, configuration JSON).
    async fn providers(&self) -> Result<Vec<(String, String)>>;
    /// Removes a provider configured through the API; false when there was none.
    async fn delete_provider(&self, id: &str) -> Result<bool>;
    /// Replaces the configuration of a provider configured through the API; false when there
    /// was none.
    async fn update_provider(&self, id: &str, config: &str) -> Result<bool>;
}

#[async_trait]
impl ProviderStore for SqlStore {
    async fn insert_provider(&self, id: &str, config: &str, at: DateTime<Utc>) -> Result<()> {
        sqlx::query("INSERT INTO providers (id, config, created_at) VALUES ($1, $2, $3)")
            .bind(id)
            .bind(config)
            .bind(to_millis(at))
            .execute(&self.pool)
            .await
            .map_err(|e| conflict_on_unique(e, Error::NameTaken(format!("a provider with id {id:?} exists"))))?;
        Ok(())
    }

    async fn providers(&self) -> Result<Vec<(String, String)>> {
        let rows = sqlx::query("SELECT id, config FROM providers ORDER BY id").fetch_all(&self.pool).await?;
        rows.iter().map(|r| Ok((r.try_get("id")?, r.try_get("config")?))).collect()
    }

    async fn delete_provider(&self, id: &str) -> Result<bool> {
        touched(&self.pool, "DELETE FROM providers WHERE id = $1", &[id]).await
    }

    async fn update_provider(&self, id: &str, config: &str) -> Result<bool> {
        touched(&self.pool, "UPDATE providers SET config = $2 WHERE id = $1", &[id, config]).await
    }
}
