//! Instance administration: only a login session of a user whose role is `admin` right now.

use super::{Authority, Caller, Credential};
use crate::error::{Error, Result};
use crate::model::{AuditEvent, Role, User};

impl Authority {
    fn instance_admin(&self, caller: &Caller) -> Result<()> {
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

    /// The newest audit entries (at most `limit`, up to 1,000).
    pub async fn audit_log(&self, caller: &Caller, limit: i64) -> Result<Vec<AuditEvent>> {
        self.guard(caller, "admin.audit", "", self.instance_admin(caller)).await?;
        self.store.audit(limit.clamp(1, 1000)).await
    }

    /// Every account.
    pub async fn list_users(&self, caller: &Caller) -> Result<Vec<User>> {
        self.guard(caller, "admin.users", "", self.instance_admin(caller)).await?;
        self.store.users().await
    }
}
