//! Team mode's key material in the database: sealed secrets (the secret store of team mode) and
//! the session signing key every replica shares. Local mode keeps neither here.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::Row;
use zeroize::Zeroizing;

use super::sql::SqlStore;
use super::Backend;
use crate::clock::to_millis;
use crate::error::{Error, Result};

/// Sealed secrets.
#[async_trait]
pub trait SealedStore: Send + Sync {
    /// The nonce and ciphertext stored under `name`.
    async fn sealed(&self, name: &str) -> Result<Option<(Vec<u8>, Vec<u8>)>>;
    /// Stores (or replaces) a nonce and ciphertext under `name`.
    async fn put_sealed(&self, name: &str, nonce: &[u8], ciphertext: &[u8], at: DateTime<Utc>) -> Result<()>;
    /// Deletes what is stored under `name`; deleting nothing is fine.
    async fn delete_sealed(&self, name: &str) -> Result<()>;
}

#[async_trait]
impl SealedStore for SqlStore {
    async fn sealed(&self, name: &str) -> Result<Option<(Vec<u8>, Vec<u8>)>> {
        let row = sqlx::query("SELECT nonce, ciphertext FROM sealed_secrets WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| Ok((r.try_get("nonce")?, r.try_get("ciphertext")?))).transpose()
    }

    async fn put_sealed(&self, name: &str, nonce: &[u8], ciphertext: &[u8], at: DateTime<Utc>) -> Result<()> {
        sqlx::query(
            "INSERT INTO sealed_secrets (name, nonce, ciphertext, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (name) DO UPDATE SET nonce = excluded.nonce, ciphertext = excluded.ciphertext, \
             updated_at = excluded.updated_at",
        )
        .bind(name)
        .bind(nonce)
        .bind(ciphertext)
        .bind(to_millis(at))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn delete_sealed(&self, name: &str) -> Result<()> {
        sqlx::query("DELETE FROM sealed_secrets WHERE name = $1").bind(name).execute(&self.pool).await?;
        Ok(())
    }
}

impl SqlStore {
    /// The key material stored under `name`, if any. Team mode only: local mode keeps its keys
    /// outside the database.
    pub async fn signing_key(&self, name: &str) -> Result<Option<Zeroizing<Vec<u8>>>> {
        self.require_shared_keys()?;
        let row = sqlx::query("SELECT material FROM signing_keys WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| Ok(Zeroizing::new(r.try_get::<Vec<u8>, _>("material")?))).transpose()
    }

    /// Stores `material` under `name` unless a key is there already, and returns the key that
    /// is stored: `material` when this call came first, the earlier key otherwise. Replicas
    /// starting at the same moment therefore all end up with the same key.
    pub async fn put_signing_key_if_absent(
        &self,
        name: &str,
        material: &[u8],
        at: DateTime<Utc>,
    ) -> Result<Zeroizing<Vec<u8>>> {
        self.require_shared_keys()?;
        sqlx::query(
            "INSERT INTO signing_keys (name, material, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(material)
        .bind(to_millis(at))
        .execute(&self.pool)
        .await?;
        self.signing_key(name)
            .await?
            .ok_or_else(|| Error::Internal(format!("the signing key {name:?} vanished as it was stored")))
    }

    /// Replaces the key under `name` with `material` only while it still is `old`: of replicas
    /// sealing a plain key at the same moment, one wins and the others' writes change nothing.
    pub async fn replace_signing_key(&self, name: &str, old: &[u8], material: &[u8]) -> Result<()> {
        self.require_shared_keys()?;
        sqlx::query("UPDATE signing_keys SET material = $1 WHERE name = $2 AND material = $3")
            .bind(material)
            .bind(name)
            .bind(old)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    fn require_shared_keys(&self) -> Result<()> {
        match self.backend {
            Backend::Postgres => Ok(()),
            Backend::Sqlite => {
                Err(Error::Internal("the embedded store keeps no signing keys: they live in the data directory".into()))
            }
        }
    }
}
