//! The change counter the verification cache listens to: triggers in the database move it on
//! every write to what authenticates a request (migration 0008), whichever code path writes.

use async_trait::async_trait;
use sqlx::Row;

use super::hot::{Read, CHANGES_POSTGRES, CHANGES_SQLITE};
use super::sql::{Backend, SqlStore};
use crate::error::Result;

/// The PostgreSQL channel the triggers notify at every such change.
pub const CHANGES_CHANNEL: &str = "tessera_credentials";

/// How a process hears of changes that others make.
#[derive(Debug, Clone)]
pub enum ChangeFeed {
    /// Read the counter now and then (SQLite: other processes may write to the file).
    Poll,
    /// Listen for notifications on [`CHANGES_CHANNEL`] over a connection to this URL.
    #[cfg(feature = "postgres")]
    Postgres(crate::secret::Secret),
}

/// The change counter.
#[async_trait]
pub trait ChangeStore: Send + Sync {
    /// The counter's value now: it moves with every change to tokens, sessions, accounts and
    /// asserted roles, and stays still otherwise (the uses of a token are not changes).
    async fn credential_changes(&self) -> Result<i64>;

    /// How to hear of changes made by other processes.
    fn change_feed(&self) -> ChangeFeed;
}

#[async_trait]
impl ChangeStore for SqlStore {
    async fn credential_changes(&self) -> Result<i64> {
        if let Read::Done(n) = self.hot.credential_changes().await? {
            return Ok(n);
        }
        let sql = match self.backend {
            Backend::Sqlite => CHANGES_SQLITE,
            Backend::Postgres => CHANGES_POSTGRES,
        };
        let row = sqlx::query(sql).fetch_one(&self.pool).await?;
        Ok(row.try_get::<i64, _>(0)?)
    }

    fn change_feed(&self) -> ChangeFeed {
        match (&self.backend, &self.url) {
            #[cfg(feature = "postgres")]
            (Backend::Postgres, Some(url)) => ChangeFeed::Postgres(url.clone()),
            _ => ChangeFeed::Poll,
        }
    }
}
