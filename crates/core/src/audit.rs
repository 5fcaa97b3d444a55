//! Building audit entries. Every create, rotate, revoke, delete, failed use and permission
//! denial is written; no entry ever holds a secret (tokens are named by id or hint).
//!
//! Failed authentications are not written one by one: a flood of bad credentials would grow the
//! log by a row per request and bury real events. They are counted in memory per client address
//! and minute and written as one entry with a count, keyed so that every replica adds to the
//! same row.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::error::{Error, Result};
use crate::id::new_id;
use crate::model::AuditEvent;

/// How an audited action ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(rename_all = "lowercase"))]
pub enum Outcome {
    /// It was done.
    Ok,
    /// The credential was valid but not allowed.
    Denied,
    /// The credential was not valid.
    Failed,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Denied => "denied",
            Outcome::Failed => "failed",
        }
    }
}

/// A new audit entry.
pub fn event(
    at: DateTime<Utc>,
    actor: &str,
    action: &str,
    target: &str,
    outcome: Outcome,
    ip: Option<&str>,
    detail: &str,
) -> Result<AuditEvent> {
    Ok(AuditEvent {
        id: new_id("aud")?,
        at,
        actor: actor.to_owned(),
        action: action.to_owned(),
        target: target.to_owned(),
        outcome: outcome.as_str().to_owned(),
        ip: ip.map(str::to_owned),
        detail: detail.to_owned(),
        count: 1,
    })
}

/// The key of the aggregated failure entry for `ip` in the minute of `at`.
pub fn failure_bucket(ip: Option<&str>, at: DateTime<Utc>) -> String {
    format!("auth.failed/{}/{}", ip.unwrap_or("-"), at.timestamp().div_euclid(60))
}

/// How many (address, minute) entries wait in memory at most, so that a flood from very many
/// addresses while the store is unreachable cannot exhaust memory; beyond it, failures from new
/// addresses are only logged.
const TALLY_MAX: usize = 50_000;

/// Failed authentications not yet written, one entry per client address and minute.
#[derive(Debug, Default)]
pub struct FailureTally(Mutex<HashMap<String, AuditEvent>>);

impl FailureTally {
    /// Counts a failed authentication from `ip` at `at`. The entry keeps the first failure's
    /// target and reason; its count grows.
    pub fn note(&self, at: DateTime<Utc>, ip: Option<&str>, target: &str, detail: &str) -> Result<()> {
        let bucket = failure_bucket(ip, at);
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(e) = map.get_mut(&bucket) {
            e.count += 1;
            return Ok(());
        }
        if map.len() >= TALLY_MAX {
            tracing::warn!("too many failed authentications waiting to be written; this one is not counted");
            return Ok(());
        }
        let detail = format!("failed authentication: {detail}");
        map.insert(bucket, event(at, "anonymous", "token.use", target, Outcome::Failed, ip, &detail)?);
        Ok(())
    }

    /// Takes every waiting entry with its key, leaving none.
    pub fn drain(&self) -> Vec<(String, AuditEvent)> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).drain().collect()
    }

    /// Puts back entries whose write failed, adding to any counted meanwhile.
    pub fn restore(&self, entries: Vec<(String, AuditEvent)>) {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        for (bucket, e) in entries {
            match map.get_mut(&bucket) {
                Some(waiting) => {
                    waiting.count += e.count;
                    waiting.at = waiting.at.min(e.at);
                }
                None => {
                    map.insert(bucket, e);
                }
            }
        }
    }
}

/// What to find in the audit log: every field narrows; the newest entries come first.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// Who did it, exactly: `user:<id>`, `token:<id>`, `system` or `anonymous`.
    #[cfg_attr(feature = "openapi", param(max_length = 256))]
    pub actor: Option<String>,
    /// What was done, exactly, e.g. `token.create`.
    #[cfg_attr(feature = "openapi", param(max_length = 256))]
    pub action: Option<String>,
    /// `ok`, `denied` or `failed`.
    #[cfg_attr(feature = "openapi", param(value_type = Option<Outcome>))]
    pub outcome: Option<String>,
    /// What it was done to, exactly, e.g. a token id.
    #[cfg_attr(feature = "openapi", param(max_length = 256))]
    pub target: Option<String>,
    /// Entries at or after this instant (RFC 3339).
    pub since: Option<DateTime<Utc>>,
    /// Entries before this instant (RFC 3339).
    pub until: Option<DateTime<Utc>>,
    /// How many entries (1 to 1,000; 100 by default).
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 1000))]
    pub limit: Option<i64>,
    /// Where the previous page ended: its `next_cursor`.
    #[cfg_attr(feature = "openapi", param(max_length = 200, pattern = "^(-?[0-9]{1,15}[.][A-Za-z0-9_-]{1,128})?$"))]
    pub cursor: Option<String>,
}

/// Where a page of the audit log ends: the last entry's time and id, in its sort order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditCursor {
    /// The entry's time.
    pub at: DateTime<Utc>,
    /// The entry's id, which orders entries of the same millisecond.
    pub id: String,
}

impl AuditCursor {
    /// The form clients pass back: the time in milliseconds, a dot and the id.
    pub fn encode(&self) -> String {
        format!("{}.{}", self.at.timestamp_millis(), self.id)
    }

    /// Reads a cursor this server gave out.
    pub fn decode(s: &str) -> Result<Self> {
        let bad = || Error::invalid("the cursor is not one this server gave out; start again without it");
        let (ms, id) = s.trim().split_once('.').ok_or_else(bad)?;
        let at = DateTime::from_timestamp_millis(ms.parse().map_err(|_| bad())?).ok_or_else(bad)?;
        if id.is_empty() || id.len() > 128 || !id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-'))
        {
            return Err(bad());
        }
        Ok(AuditCursor { at, id: id.to_owned() })
    }
}

/// An [`AuditQuery`] checked and ready for the store.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Exact actor.
    pub actor: Option<String>,
    /// Exact action.
    pub action: Option<String>,
    /// Exact outcome.
    pub outcome: Option<String>,
    /// Exact target.
    pub target: Option<String>,
    /// At or after.
    pub since: Option<DateTime<Utc>>,
    /// Before.
    pub until: Option<DateTime<Utc>>,
    /// Strictly older than this entry.
    pub after: Option<AuditCursor>,
    /// How many.
    pub limit: i64,
}

impl AuditQuery {
    /// Checks the query: a known outcome, a limit in range, a cursor this server gave out.
    pub fn filter(self) -> Result<AuditFilter> {
        if let Some(o) = &self.outcome {
            if !matches!(o.as_str(), "ok" | "denied" | "failed") {
                return Err(Error::invalid("the outcome must be ok, denied or failed"));
            }
        }
        for (what, v) in [("actor", &self.actor), ("action", &self.action), ("target", &self.target)] {
            if v.as_ref().is_some_and(|v| v.chars().count() > 256) {
                return Err(Error::invalid(format!("the {what} filter may be at most 256 characters long")));
            }
        }
        let limit = self.limit.unwrap_or(100);
        if !(1..=1000).contains(&limit) {
            return Err(Error::invalid("the limit must be between 1 and 1000"));
        }
        // A `since` later than `until` is no error: like any other pair of filters that
        // nothing meets, it finds nothing.
        let after = self.cursor.as_deref().filter(|c| !c.is_empty()).map(AuditCursor::decode).transpose()?;
        let empty_is_none = |v: Option<String>| v.filter(|v| !v.is_empty());
        Ok(AuditFilter {
            actor: empty_is_none(self.actor),
            action: empty_is_none(self.action),
            outcome: empty_is_none(self.outcome),
            target: empty_is_none(self.target),
            since: self.since,
            until: self.until,
            after,
            limit,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn failures_are_counted_per_address_and_minute() {
        let t = FailureTally::default();
        let t0 = Utc.with_ymd_and_hms(2031, 3, 1, 12, 0, 5).unwrap();
        for i in 0..500 {
            t.note(t0 + chrono::Duration::milliseconds(i * 10), Some("10.0.0.1"), "tsr_pat_…abcd", "unknown token")
                .unwrap();
        }
        t.note(t0, Some("10.0.0.2"), "", "unknown token").unwrap();
        t.note(t0 + chrono::Duration::minutes(1), Some("10.0.0.1"), "", "unknown token").unwrap();
        let mut d = t.drain();
        d.sort_by_key(|(_, e)| (e.ip.clone(), e.at));
        let counts: Vec<i64> = d.iter().map(|(_, e)| e.count).collect();
        assert_eq!(counts, vec![500, 1, 1]);
        assert_eq!(d[0].1.target, "tsr_pat_…abcd");
        assert!(t.drain().is_empty());
        t.restore(d.clone());
        t.note(t0, Some("10.0.0.1"), "", "unknown token").unwrap();
        let again: i64 = t.drain().iter().map(|(_, e)| e.count).sum();
        assert_eq!(again, 503);
    }

    #[test]
    fn cursors_round_trip_and_foreign_ones_are_refused() {
        let c = AuditCursor { at: Utc.with_ymd_and_hms(2031, 3, 1, 12, 0, 0).unwrap(), id: "aud_x".to_owned() };
        assert_eq!(AuditCursor::decode(&c.encode()).unwrap(), c);
        for bad in ["", "zz", "3a", &hex::encode("x:aud"), &hex::encode("12")] {
            assert!(matches!(AuditCursor::decode(bad), Err(Error::InvalidRequest(_))), "{bad}");
        }
        let q = AuditQuery { limit: Some(0), ..AuditQuery::default() };
        assert!(q.filter().is_err());
        let q = AuditQuery { outcome: Some("maybe".into()), ..AuditQuery::default() };
        assert!(q.filter().is_err());
        assert_eq!(AuditQuery::default().filter().unwrap().limit, 100);
    }
}
