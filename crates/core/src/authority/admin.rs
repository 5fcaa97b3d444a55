//! Instance administration: only a login session of a user whose role is `admin` right now.

use super::{Authority, Caller, Credential};
use crate::audit::{AuditCursor, AuditQuery};
use crate::error::{Error, Result};
use crate::model::{AuditPage, Role, User};

impl Authority {
    pub(super) fn instance_admin(&self, caller: &Caller) -> Result<()> {
        match &caller.credential {
            Credential::Session { user, .. } if user.role == Role::Admin => Ok(()),
            Credential::Session { .. } => Err(Error::forbidden("only instance administrators may do this")),
            Credential::Token { .. } => {
                Err(Error::forbidden("instance administration needs a login session; tokens never reach it"))
            }
        }
    }

    /// Refuses unless the caller is an instance admin's login session; refusals are audited.
    pub async fn require_instance_admin(&self, caller: &Caller, action: &str) -> Result<()> {
        self.guard(caller, action, "", self.instance_admin(caller)).await
    }

    /// Whether the caller is an instance admin (a login session of an admin), without writing
    /// an audit entry: for answers that only show admins more.
    pub fn is_instance_admin(&self, caller: &Caller) -> bool {
        self.instance_admin(caller).is_ok()
    }

    /// One page of the audit log, newest first, narrowed by `query`; failed authentications
    /// counted on this replica are written first so the page includes them.
    pub async fn audit_log(&self, caller: &Caller, query: AuditQuery) -> Result<AuditPage> {
        self.guard(caller, "admin.audit", "", self.instance_admin(caller)).await?;
        let filter = query.filter()?;
        if let Err(e) = self.flush_failures().await {
            tracing::warn!(error = %e, "could not write counted failed authentications before reading the audit log");
        }
        let mut items = self.store.audit_page(&filter, filter.limit + 1).await?;
        let next_cursor = if items.len() as i64 > filter.limit {
            items.truncate(filter.limit as usize);
            items.last().map(|e| AuditCursor { at: e.at, id: e.id.clone() }.encode())
        } else {
            None
        };
        let mut token_labels = std::collections::BTreeMap::new();
        for e in &items {
            for id in [e.actor.strip_prefix("token:"), Some(e.target.as_str())].into_iter().flatten() {
                if id.starts_with("tok_") && !token_labels.contains_key(id) {
                    if let Some(t) = self.store.token(id).await? {
                        token_labels.insert(id.to_owned(), t.label);
                    }
                }
            }
        }
        Ok(AuditPage { items, next_cursor, token_labels })
    }

    /// Deletes audit entries older than `keep` by this authority's clock; returns how many.
    pub async fn prune_audit(&self, keep: chrono::Duration) -> Result<u64> {
        self.prune_audit_at(self.now(), keep).await
    }

    /// Deletes audit entries older than `keep` before `now`; returns how many.
    pub async fn prune_audit_at(&self, now: chrono::DateTime<chrono::Utc>, keep: chrono::Duration) -> Result<u64> {
        let pruned = self.store.prune_audit(now - keep).await?;
        if pruned > 0 {
            tracing::info!(pruned, "pruned old audit entries");
        }
        Ok(pruned)
    }

    /// Every account.
    pub async fn list_users(&self, caller: &Caller) -> Result<Vec<User>> {
        self.guard(caller, "admin.users", "", self.instance_admin(caller)).await?;
        self.store.users().await
    }
}
