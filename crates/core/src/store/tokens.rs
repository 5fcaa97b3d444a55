//! Tokens: their hashes, metadata and use. A token's value is never stored, only its hash.
//!
//! Rotation, deletion and revocation by value are conditional writes: each changes a token only
//! while it still has the value the caller read, so two racing requests never both succeed on
//! the same value. `record_usage` never moves `last_used_at` backwards, whatever order replicas
//! flush in.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use sqlx::Row;

use super::hot::Read;
use super::sql::{collect, instant, instant_opt, millis_opt, named, owner_of, touched, unknown_value, SqlStore};
use super::users::{user_in, JOINED_COLUMNS};
use crate::clock::to_millis;
use crate::error::Result;
use crate::model::{Owner, Token, User};
use crate::scope::Scopes;
use crate::token::TokenKind;

/// A pending `last_used` update, flushed in batches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Usage {
    /// The token used.
    pub token_id: String,
    /// When.
    pub at: DateTime<Utc>,
    /// From where.
    pub ip: Option<String>,
}

/// A new value for a token, written only if nothing changed the token since it was read.
#[derive(Debug, Clone, Copy)]
pub struct Rotation<'a> {
    /// The token.
    pub id: &'a str,
    /// The hash of the value it had when it was read.
    pub old_hash: &'a [u8],
    /// The hash of the new value.
    pub new_hash: &'a [u8],
    /// The new value's hint.
    pub hint: &'a str,
    /// The user rotating it, or empty.
    pub by: &'a str,
    /// When the request started: a rotation written at or after it was a racing request's.
    pub since: DateTime<Utc>,
    /// Now.
    pub at: DateTime<Utc>,
}

/// Tokens.
#[async_trait]
pub trait TokenStore: Send + Sync {
    /// Adds a token with the hash of its value.
    async fn insert_token(&self, token: &Token, hash: &[u8]) -> Result<()>;
    /// The token whose value hashes to `hash`.
    async fn token_by_hash(&self, hash: &[u8]) -> Result<Option<Token>>;
    /// The token whose value hashes to `hash`, with the user who owns it when a user does (for a
    /// trigger token: the user who owns its project, when one does): the verify path's one round
    /// trip.
    async fn credential_by_hash(&self, hash: &[u8]) -> Result<Option<(Token, Option<User>)>>;
    /// A token by id.
    async fn token(&self, id: &str) -> Result<Option<Token>>;
    /// The tokens of one kind held by one owner, newest first.
    async fn tokens_of(&self, kind: TokenKind, owner: &Owner) -> Result<Vec<Token>>;
    /// Changes a token's label and description.
    async fn update_token_text(&self, id: &str, label: &str, description: &str) -> Result<()>;
    /// Deletes a token; false when there was none.
    async fn delete_token(&self, id: &str) -> Result<bool>;
    /// Marks a token revoked.
    async fn revoke_token(&self, id: &str, at: DateTime<Utc>) -> Result<()>;
    /// Records the latest uses of tokens; never moves `last_used_at` backwards.
    async fn record_usage(&self, usage: &[Usage]) -> Result<()>;
    /// The number of tokens stored.
    async fn token_count(&self) -> Result<i64>;

    // Tokens: conditional writes. Each changes a token only while it still has the value the
    // caller read, so two racing requests never both succeed on the same value.
    /// A token by id, with the hash of its current value.
    async fn token_with_hash(&self, id: &str) -> Result<Option<(Token, Vec<u8>)>>;
    /// Gives a token a new value if its value still hashes to `old_hash`, it is not revoked and
    /// it was not rotated at or after `since`; false otherwise.
    async fn rotate_token_value(&self, rotation: &Rotation<'_>) -> Result<bool>;
    /// Deletes a token if its value still hashes to `hash` and it was not rotated at or after
    /// `since`; false otherwise.
    async fn delete_token_with_hash(&self, id: &str, hash: &[u8], since: DateTime<Utc>) -> Result<bool>;
    /// Marks a token revoked if its value still hashes to `hash` and it is not revoked yet;
    /// false otherwise.
    async fn revoke_token_with_hash(&self, id: &str, hash: &[u8], at: DateTime<Utc>) -> Result<bool>;
}

const TOKEN_COLUMNS: &str = "id, kind, hint, label, description, scopes, owner_kind, owner_id, created_by, \
     created_at, expires_at, last_used_at, last_used_ip, revoked_at";

fn token_of(row: &AnyRow) -> Result<Token> {
    let scopes: String = row.try_get("scopes")?;
    Ok(Token {
        id: row.try_get("id")?,
        kind: named(row, "kind", TokenKind::from_name)?,
        label: row.try_get("label")?,
        description: row.try_get("description")?,
        scopes: Scopes::from_space_separated(&scopes).map_err(|_| unknown_value("scopes", &scopes))?,
        owner: owner_of(row)?,
        created_at: instant(row, "created_at")?,
        expires_at: instant_opt(row, "expires_at")?,
        last_used_at: instant_opt(row, "last_used_at")?,
        last_used_ip: row.try_get("last_used_ip")?,
        revoked_at: instant_opt(row, "revoked_at")?,
        hint: row.try_get("hint")?,
        created_by: row.try_get("created_by")?,
    })
}

/// The same reads through the general (`Any`) path: where the typed one cannot answer (SQLite
/// busy), and for tests that compare the two.
impl SqlStore {
    pub(super) async fn token_by_hash_general(&self, hash: &[u8]) -> Result<Option<Token>> {
        let sql = format!("SELECT {TOKEN_COLUMNS} FROM tokens WHERE hash = $1");
        let row = sqlx::query(&sql).bind(hash).fetch_optional(&self.pool).await?;
        row.as_ref().map(token_of).transpose()
    }

    pub(super) async fn credential_by_hash_general(&self, hash: &[u8]) -> Result<Option<(Token, Option<User>)>> {
        let row = sqlx::query(super::hot::CREDENTIAL_SQL).bind(hash).fetch_optional(&self.pool).await?;
        let Some(row) = row else { return Ok(None) };
        let user = match row.try_get::<Option<String>, _>("u_id")? {
            Some(_) => Some(user_in(&row, &JOINED_COLUMNS)?),
            None => None,
        };
        Ok(Some((token_of(&row)?, user)))
    }
}

#[async_trait]
impl TokenStore for SqlStore {
    async fn insert_token(&self, t: &Token, hash: &[u8]) -> Result<()> {
        sqlx::query(
            "INSERT INTO tokens (id, kind, hash, hint, label, description, scopes, owner_kind, owner_id, \
             created_by, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(&t.id)
        .bind(t.kind.as_str())
        .bind(hash)
        .bind(&t.hint)
        .bind(&t.label)
        .bind(&t.description)
        .bind(t.scopes.to_space_separated())
        .bind(t.owner.kind.as_str())
        .bind(&t.owner.id)
        .bind(t.created_by.as_deref())
        .bind(to_millis(t.created_at))
        .bind(millis_opt(t.expires_at))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn token_by_hash(&self, hash: &[u8]) -> Result<Option<Token>> {
        match self.hot.token_by_hash(hash).await? {
            Read::Done(token) => Ok(token),
            Read::Busy => self.token_by_hash_general(hash).await,
        }
    }

    async fn credential_by_hash(&self, hash: &[u8]) -> Result<Option<(Token, Option<User>)>> {
        match self.hot.credential_by_hash(hash).await? {
            Read::Done(credential) => Ok(credential),
            Read::Busy => self.credential_by_hash_general(hash).await,
        }
    }

    async fn token(&self, id: &str) -> Result<Option<Token>> {
        let sql = format!("SELECT {TOKEN_COLUMNS} FROM tokens WHERE id = $1");
        let row = sqlx::query(&sql).bind(id).fetch_optional(&self.pool).await?;
        row.as_ref().map(token_of).transpose()
    }

    async fn tokens_of(&self, kind: TokenKind, owner: &Owner) -> Result<Vec<Token>> {
        let sql = format!(
            "SELECT {TOKEN_COLUMNS} FROM tokens WHERE kind = $1 AND owner_kind = $2 AND owner_id = $3 \
             ORDER BY created_at DESC, id"
        );
        let rows = sqlx::query(&sql)
            .bind(kind.as_str())
            .bind(owner.kind.as_str())
            .bind(&owner.id)
            .fetch_all(&self.pool)
            .await?;
        collect(rows, token_of)
    }

    async fn update_token_text(&self, id: &str, label: &str, description: &str) -> Result<()> {
        sqlx::query("UPDATE tokens SET label = $1, description = $2 WHERE id = $3")
            .bind(label)
            .bind(description)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn delete_token(&self, id: &str) -> Result<bool> {
        touched(&self.pool, "DELETE FROM tokens WHERE id = $1", &[id]).await
    }

    async fn revoke_token(&self, id: &str, at: DateTime<Utc>) -> Result<()> {
        sqlx::query("UPDATE tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
            .bind(to_millis(at))
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn record_usage(&self, usage: &[Usage]) -> Result<()> {
        if usage.is_empty() {
            return Ok(());
        }
        // Replicas flush concurrently; taking the rows' locks in one order (by id) keeps two
        // flushes from deadlocking on PostgreSQL.
        let mut ordered: Vec<&Usage> = usage.iter().collect();
        ordered.sort_by(|a, b| a.token_id.cmp(&b.token_id));
        let mut tx = self.pool.begin().await?;
        for u in ordered {
            sqlx::query(
                "UPDATE tokens SET last_used_at = $1, last_used_ip = $2 \
                 WHERE id = $3 AND (last_used_at IS NULL OR last_used_at < $1)",
            )
            .bind(to_millis(u.at))
            .bind(u.ip.as_deref())
            .bind(&u.token_id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn token_count(&self) -> Result<i64> {
        Ok(sqlx::query("SELECT COUNT(*) AS n FROM tokens").fetch_one(&self.pool).await?.try_get("n")?)
    }

    async fn token_with_hash(&self, id: &str) -> Result<Option<(Token, Vec<u8>)>> {
        let sql = format!("SELECT {TOKEN_COLUMNS}, hash FROM tokens WHERE id = $1");
        let Some(row) = sqlx::query(&sql).bind(id).fetch_optional(&self.pool).await? else {
            return Ok(None);
        };
        Ok(Some((token_of(&row)?, row.try_get("hash")?)))
    }

    async fn rotate_token_value(&self, r: &Rotation<'_>) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE tokens SET hash = $1, hint = $2, created_by = $3, rotated_at = $4 \
             WHERE id = $5 AND hash = $6 AND revoked_at IS NULL AND (rotated_at IS NULL OR rotated_at < $7)",
        )
        .bind(r.new_hash)
        .bind(r.hint)
        .bind(r.by)
        .bind(to_millis(r.at))
        .bind(r.id)
        .bind(r.old_hash)
        .bind(to_millis(r.since))
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn delete_token_with_hash(&self, id: &str, hash: &[u8], since: DateTime<Utc>) -> Result<bool> {
        let done =
            sqlx::query("DELETE FROM tokens WHERE id = $1 AND hash = $2 AND (rotated_at IS NULL OR rotated_at < $3)")
                .bind(id)
                .bind(hash)
                .bind(to_millis(since))
                .execute(&self.pool)
                .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn revoke_token_with_hash(&self, id: &str, hash: &[u8], at: DateTime<Utc>) -> Result<bool> {
        let done = sqlx::query("UPDATE tokens SET revoked_at = $1 WHERE id = $2 AND hash = $3 AND revoked_at IS NULL")
            .bind(to_millis(at))
            .bind(id)
            .bind(hash)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sql::{assert_refused, literal_row};

    fn select(kind: &str, scopes: &str, owner_kind: &str) -> String {
        format!(
            "SELECT 'tok_1' AS id, '{kind}' AS kind, 'tsr_pat_…abcd' AS hint, 'l' AS label, '' AS description, \
             '{scopes}' AS scopes, '{owner_kind}' AS owner_kind, 'usr_1' AS owner_id, NULL AS created_by, \
             1 AS created_at, NULL AS expires_at, NULL AS last_used_at, NULL AS last_used_ip, NULL AS revoked_at"
        )
    }

    #[tokio::test]
    async fn an_unknown_token_kind_is_refused() -> Result<()> {
        assert_refused(token_of(&literal_row(&select("ssh", "read", "user")).await?), "kind", "ssh");
        Ok(())
    }

    #[tokio::test]
    async fn an_unknown_or_repeated_scope_is_refused_and_not_a_bad_request() -> Result<()> {
        let read = token_of(&literal_row(&select("pat", "read", "user")).await?)?;
        assert_eq!(read.scopes.to_space_separated(), "read");
        for scopes in ["read admin:all", "read read"] {
            let decoded = token_of(&literal_row(&select("pat", scopes, "user")).await?);
            assert!(matches!(decoded, Err(crate::Error::UnknownStoredValue { .. })), "{decoded:?}");
            assert_refused(decoded, "scopes", scopes);
        }
        Ok(())
    }

    #[tokio::test]
    async fn an_unknown_token_owner_kind_is_refused() -> Result<()> {
        assert_refused(token_of(&literal_row(&select("pat", "read", "team")).await?), "owner_kind", "team");
        Ok(())
    }
}
