//! "Use locally": the local account of the desktop app's embedded instance.
//!
//! The first local account of an instance is its instance admin, so that local mode always has
//! someone who can read the audit log; later ones are members. Accounts made by a provider
//! sign-in neither count as that first account nor are taken over by a local one of the same
//! name.

use super::{Authority, IssuedSession, NewDevice};
use crate::error::{Error, Result};
use crate::model::{Origin, Role, User};

impl Authority {
    /// Signs a one-hour login session for the local account named `name`, making the account
    /// first if there is none: an instance admin when no local account exists yet, else a
    /// member. An account of that name made by a provider sign-in is not taken over: the local
    /// account is then `<name>-local`; when both names are a provider's, it is a conflict.
    /// The session belongs to a new device named `device_name`, so the app stays signed in.
    pub async fn sign_in_locally(&self, name: &str, device_name: &str) -> Result<(User, IssuedSession, NewDevice)> {
        for candidate in [name.to_owned(), format!("{name}-local")] {
            let user = match self.store.user_by_name(&candidate).await? {
                Some(u) if self.store.user_origin(&u.id).await? == Origin::Local => u,
                Some(_) => continue,
                None => {
                    let role = if self.any_local_account().await? { Role::Member } else { Role::Admin };
                    let user = self.create_user(&candidate, role).await?;
                    tracing::info!(account = %user.name, role = role.as_str(), "made the local account");
                    user
                }
            };
            if user.disabled {
                return Err(Error::forbidden("the account is disabled; enable it first"));
            }
            let now = self.now();
            let device_name = crate::device::clean_name(Some(device_name), "Tessera on this computer");
            let (session, device) = self.start_device(&user, None, &device_name, None, now).await?;
            return Ok((user, session, device));
        }
        Err(Error::Conflict(format!("the names {name} and {name}-local belong to accounts made by a sign-in provider")))
    }

    /// Whether any account was made locally (not by a provider sign-in).
    async fn any_local_account(&self) -> Result<bool> {
        for u in self.store.users().await? {
            if self.store.user_origin(&u.id).await? == Origin::Local {
                return Ok(true);
            }
        }
        Ok(false)
    }
}
