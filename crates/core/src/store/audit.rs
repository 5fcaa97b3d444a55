//! The audit log: appended entries, failed-authentication counts aggregated per address and
//! minute across replicas, filtered pages, and retention.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use sqlx::Row;

use super::sql::{collect, instant, SqlStore};
use crate::audit::AuditFilter;
use crate::clock::to_millis;
use crate::error::Result;
use crate::model::AuditEvent;

/// The audit log.
#[async_trait]
pub trait AuditStore: Send + Sync {
    /// Appends to the audit log.
    async fn append_audit(&self, event: &AuditEvent) -> Result<()>;
    /// Adds counted entries, each under its aggregation key: a key already stored has its count
    /// raised (from any replica), a new one is inserted.
    async fn add_audit_counts(&self, entries: &[(String, AuditEvent)]) -> Result<()>;
    /// Up to `limit` entries matching `filter`, newest first (by time, then id).
    async fn audit_page(&self, filter: &AuditFilter, limit: i64) -> Result<Vec<AuditEvent>>;
    /// Deletes entries older than `before`; returns how many.
    async fn prune_audit(&self, before: DateTime<Utc>) -> Result<u64>;
}

fn audit_of(row: &AnyRow) -> Result<AuditEvent> {
    Ok(AuditEvent {
        id: row.try_get("id")?,
        at: instant(row, "at")?,
        actor: row.try_get("actor")?,
        action: row.try_get("action")?,
        target: row.try_get("target")?,
        outcome: row.try_get("outcome")?,
        ip: row.try_get("ip")?,
        detail: row.try_get("detail")?,
        count: row.try_get("count")?,
    })
}

/// Binds an entry's columns in the order the INSERTs below name them: id, at, actor, action,
/// target, outcome, ip, detail, count.
fn bind_event<'q>(
    q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    e: &'q AuditEvent,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    q.bind(&e.id)
        .bind(to_millis(e.at))
        .bind(&e.actor)
        .bind(&e.action)
        .bind(&e.target)
        .bind(&e.outcome)
        .bind(e.ip.as_deref())
        .bind(&e.detail)
        .bind(e.count)
}

#[async_trait]
impl AuditStore for SqlStore {
    async fn append_audit(&self, e: &AuditEvent) -> Result<()> {
        let insert = sqlx::query(
            "INSERT INTO audit (id, at, actor, action, target, outcome, ip, detail, count) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        );
        bind_event(insert, e).execute(&self.pool).await?;
        Ok(())
    }

    async fn add_audit_counts(&self, entries: &[(String, AuditEvent)]) -> Result<()> {
        // One order across replicas, so two flushes never wait on each other's rows in turn.
        let mut ordered: Vec<&(String, AuditEvent)> = entries.iter().collect();
        ordered.sort_by(|a, b| a.0.cmp(&b.0));
        let mut tx = self.pool.begin().await?;
        for (bucket, e) in ordered {
            let upsert = sqlx::query(
                "INSERT INTO audit (id, at, actor, action, target, outcome, ip, detail, count, bucket) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
                 ON CONFLICT (bucket) DO UPDATE SET count = audit.count + excluded.count",
            );
            bind_event(upsert, e).bind(bucket).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn audit_page(&self, filter: &AuditFilter, limit: i64) -> Result<Vec<AuditEvent>> {
        // Each condition appends its SQL with the next placeholder number and its value, in
        // the order they are bound.
        enum Param<'a> {
            Text(&'a str),
            Millis(i64),
        }
        let mut sql =
            String::from("SELECT id, at, actor, action, target, outcome, ip, detail, count FROM audit WHERE 1 = 1");
        let mut params: Vec<Param<'_>> = Vec::new();
        for (column, value) in [
            ("actor", &filter.actor),
            ("action", &filter.action),
            ("outcome", &filter.outcome),
            ("target", &filter.target),
        ] {
            if let Some(v) = value {
                params.push(Param::Text(v));
                sql.push_str(&format!(" AND {column} = ${}", params.len()));
            }
        }
        if let Some(since) = filter.since {
            params.push(Param::Millis(to_millis(since)));
            sql.push_str(&format!(" AND at >= ${}", params.len()));
        }
        if let Some(until) = filter.until {
            params.push(Param::Millis(to_millis(until)));
            sql.push_str(&format!(" AND at < ${}", params.len()));
        }
        if let Some(c) = &filter.after {
            let n = params.len();
            params.push(Param::Millis(to_millis(c.at)));
            params.push(Param::Millis(to_millis(c.at)));
            params.push(Param::Text(&c.id));
            sql.push_str(&format!(" AND (at < ${} OR (at = ${} AND id < ${}))", n + 1, n + 2, n + 3));
        }
        sql.push_str(&format!(" ORDER BY at DESC, id DESC LIMIT ${}", params.len() + 1));
        let mut q = sqlx::query(&sql);
        for p in params {
            q = match p {
                Param::Text(t) => q.bind(t),
                Param::Millis(m) => q.bind(m),
            };
        }
        let rows = q.bind(limit).fetch_all(&self.pool).await?;
        collect(rows, audit_of)
    }

    async fn prune_audit(&self, before: DateTime<Utc>) -> Result<u64> {
        let done = sqlx::query("DELETE FROM audit WHERE at < $1").bind(to_millis(before)).execute(&self.pool).await?;
        Ok(done.rows_affected())
    }
}
