//! Building audit entries. Every create, rotate, revoke, delete, failed use and permission
//! denial is written; no entry ever holds a secret (tokens are named by id or hint).

use chrono::{DateTime, Utc};

use crate::error::Result;
use crate::id::new_id;
use crate::model::AuditEvent;

/// How an audited action ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
    })
}
