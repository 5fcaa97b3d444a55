//! Token policies: the maximum lifetime (and whether an expiry is required) under `instance` and
//! under each organization's id.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::Row;

use super::sql::SqlStore;
use crate::authority::TokenPolicy;
use crate::clock::to_millis;
use crate::error::Result;

/// Token policies.
#[async_trait]
pub trait PolicyStore: Send + Sync {
    /// The token policy stored under `key` (`instance`, or an organization's id), if any.
    async fn token_policy(&self, key: &str) -> Result<Option<TokenPolicy>>;
    /// Stores (or replaces) the token policy under `key`.
    async fn put_token_policy(&self, key: &str, policy: &TokenPolicy, at: DateTime<Utc>) -> Result<()>;
}

#[async_trait]
impl PolicyStore for SqlStore {
    async fn token_policy(&self, key: &str) -> Result<Option<TokenPolicy>> {
        let row = sqlx::query("SELECT max_lifetime_seconds, require_expiry FROM token_policies WHERE scope = $1")
            .bind(key)
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some(TokenPolicy {
            max_lifetime_seconds: row.try_get("max_lifetime_seconds")?,
            require_expiry: row.try_get::<i64, _>("require_expiry")? != 0,
        }))
    }

    async fn put_token_policy(&self, key: &str, policy: &TokenPolicy, at: DateTime<Utc>) -> Result<()> {
        sqlx::query(
            "INSERT INTO token_policies (scope, max_lifetime_seconds, require_expiry, updated_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (scope) DO UPDATE SET \
             max_lifetime_seconds = excluded.max_lifetime_seconds, require_expiry = excluded.require_expiry, \
             updated_at = excluded.updated_at",
        )
        .bind(key)
        .bind(policy.max_lifetime_seconds)
        .bind(i64::from(policy.require_expiry))
        .bind(to_millis(at))
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
