//! De-provisioning: instance admins change an account's local role, disable and re-enable it,
//! and delete it; the command line does the same offline on the store, for recovery.
//!
//! A disabled account keeps everything, but its sessions and every token it owns (personal
//! access tokens, personal agent tokens, trigger tokens of its personal projects) fail at the
//! next request on every replica, because authentication reads the account with the credential.
//! Deleting an account deletes what only it owns: its tokens, sessions, identities, memberships
//! and personal projects (with their runs, pipelines, secrets and trigger tokens); what its
//! organizations own stays with them, and the audit log keeps every entry that names it. The
//! instance never loses its last enabled local admin: the store refuses that change in the same
//! transaction that would make it.

use serde::Deserialize;

use super::{Authority, Caller};
use crate::audit::Outcome;
use crate::error::{Error, Result};
use crate::model::{Agent, Identity, OrgRole, OwnerKind, Role, User};
use crate::patch::Patch;
use crate::scope::Scope;

/// The body of `PATCH /admin/users/{id}`: what to change; absent fields stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    /// The account's new local role; it cannot be removed.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Role))]
    pub role: Patch<Role>,
    /// Disable (true) or re-enable (false) the account; it cannot be removed.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = bool))]
    pub disabled: Patch<bool>,
}

/// Who makes an administrative change: an admin's login session, or the command line on the
/// store itself.
#[derive(Debug, Clone, Copy)]
pub enum AdminActor<'a> {
    /// An instance admin's request.
    Caller(&'a Caller),
    /// `tessera admin user …`, offline.
    CommandLine,
}

impl AdminActor<'_> {
    fn name(&self) -> String {
        match self {
            AdminActor::Caller(c) => c.actor(),
            AdminActor::CommandLine => "system:cli".to_owned(),
        }
    }

    fn ip(&self) -> Option<&str> {
        match self {
            AdminActor::Caller(c) => c.ip.as_deref(),
            AdminActor::CommandLine => None,
        }
    }
}

impl Authority {
    async fn admin_actor<'a>(&self, by: AdminActor<'a>, action: &str, target: &str) -> Result<AdminActor<'a>> {
        if let AdminActor::Caller(c) = by {
            self.guard(c, action, target, self.instance_admin(c)).await?;
        }
        Ok(by)
    }

    /// `PATCH /admin/users/{id}` and `tessera admin user set-role|disable|enable`: changes an
    /// account's local role and whether it is disabled. The last enabled admin cannot be
    /// demoted or disabled (409).
    pub async fn update_user(&self, by: AdminActor<'_>, name_or_id: &str, patch: &UserPatch) -> Result<User> {
        let (role, disabled) =
            (patch.role.clone().required("role")?, patch.disabled.clone().required("disabled flag")?);
        let by = self.admin_actor(by, "user.update", name_or_id).await?;
        let user = self.find_user(name_or_id).await?;
        let now = self.now();
        let role = role.unwrap_or(user.role);
        let disabled = disabled.unwrap_or(user.disabled);
        let changed = match self.store.update_user(&user.id, role, disabled, now).await {
            Ok(Some(u)) => u,
            Ok(None) => return Err(Error::NotFound("user")),
            Err(Error::Conflict(why)) => {
                self.audit(&by.name(), "user.update", &user.id, Outcome::Denied, by.ip(), &why, now).await;
                return Err(Error::Conflict(why));
            }
            Err(e) => return Err(e),
        };
        let mut what = Vec::new();
        if changed.role != user.role {
            what.push(format!("role {}", changed.role.as_str()));
        }
        if changed.disabled != user.disabled {
            what.push(if changed.disabled { "disabled".to_owned() } else { "enabled".to_owned() });
        }
        if !what.is_empty() {
            self.audit(&by.name(), "user.update", &user.id, Outcome::Ok, by.ip(), &what.join(", "), now).await;
        }
        Ok(changed)
    }

    /// `DELETE /admin/users/{id}` and `tessera admin user delete`: deletes an account and
    /// everything only it owns. Call the sign-in service first to forget its code-host tokens.
    pub async fn delete_user(&self, by: AdminActor<'_>, name_or_id: &str) -> Result<User> {
        let by = self.admin_actor(by, "user.delete", name_or_id).await?;
        let user = self.find_user(name_or_id).await?;
        let now = self.now();
        match self.store.delete_user(&user.id).await {
            Ok(true) => {}
            Ok(false) => return Err(Error::NotFound("user")),
            Err(Error::Conflict(why)) => {
                self.audit(&by.name(), "user.delete", &user.id, Outcome::Denied, by.ip(), &why, now).await;
                return Err(Error::Conflict(why));
            }
            Err(e) => return Err(e),
        }
        let detail = format!("account {} and everything it owned", user.name);
        self.audit(&by.name(), "user.delete", &user.id, Outcome::Ok, by.ip(), &detail, now).await;
        Ok(user)
    }

    /// The identities linked to the account `name_or_id`, read before
    /// [`Authority::delete_user`] deletes them with it, so that the sign-in service can then
    /// forget their code-host tokens. The same callers as that, refused (and audited) the same.
    pub async fn identities_before_delete(&self, by: AdminActor<'_>, name_or_id: &str) -> Result<Vec<Identity>> {
        self.admin_actor(by, "user.delete", name_or_id).await?;
        let user = self.find_user(name_or_id).await?;
        self.store.identities_of(&user.id).await
    }

    /// Every account, for the command line.
    pub async fn all_users(&self) -> Result<Vec<User>> {
        self.store.users().await
    }

    /// `DELETE /agents/{id}`: disconnects an agent (its token stays). Its owner (a session, or a
    /// token with `token:admin`), an admin of its organization, or an instance admin.
    pub async fn disconnect_agent(&self, caller: &Caller, id: &str) -> Result<()> {
        let agent = self.store.agent(id).await?.ok_or(Error::NotFound("agent"))?;
        if !self.is_instance_admin(caller) {
            let r = self.may_manage_agent(caller, &agent).await;
            self.guard(caller, "agent.disconnect", id, r).await?;
        }
        self.store.delete_agent(&agent.id).await?;
        let now = self.now();
        self.audit(&caller.actor(), "agent.disconnect", &agent.id, Outcome::Ok, caller.ip.as_deref(), &agent.name, now)
            .await;
        Ok(())
    }

    /// `DELETE /projects/{project}`: deletes a project with its runs, pipelines, secrets and
    /// trigger tokens. Its owner or an admin of its organization (a session, or a token with
    /// `repo:write`), or an instance admin.
    pub async fn delete_project(&self, caller: &Caller, id: &str) -> Result<()> {
        let project = if self.is_instance_admin(caller) {
            self.store.project(id).await?.ok_or(Error::NotFound("project"))?
        } else {
            self.guard(caller, "project.delete", id, caller.require(Scope::RepoWrite)).await?;
            let r = self.project_access(caller, id, super::Access::Admin).await;
            self.guard(caller, "project.delete", id, r).await?
        };
        if !self.store.delete_project(&project.id).await? {
            return Err(Error::NotFound("project"));
        }
        let now = self.now();
        self.audit(
            &caller.actor(),
            "project.delete",
            &project.id,
            Outcome::Ok,
            caller.ip.as_deref(),
            &project.name,
            now,
        )
        .await;
        Ok(())
    }

    async fn may_manage_agent(&self, caller: &Caller, agent: &Agent) -> Result<()> {
        match agent.owner.kind {
            OwnerKind::Org => {
                caller.require(Scope::OrgAdmin)?;
                if let Some(org) = caller.acting_org() {
                    return if org == agent.owner.id { Ok(()) } else { Err(Error::NotFound("agent")) };
                }
                let user = caller.acting_user()?;
                match self.store.membership(&agent.owner.id, &user.id).await? {
                    Some(OrgRole::Admin) => Ok(()),
                    Some(OrgRole::Member) => {
                        Err(Error::forbidden("only an admin of the agent's organization may disconnect it"))
                    }
                    None => Err(Error::NotFound("agent")),
                }
            }
            _ => {
                caller.require(Scope::TokenAdmin)?;
                let user = caller.acting_user()?;
                if agent.owner.id == user.id {
                    Ok(())
                } else {
                    Err(Error::NotFound("agent"))
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_role_is_the_higher_of_local_and_asserted() {
        assert_eq!(Role::Member.higher(None), Role::Member);
        assert_eq!(Role::Member.higher(Some(Role::Member)), Role::Member);
        assert_eq!(Role::Member.higher(Some(Role::Admin)), Role::Admin);
        assert_eq!(Role::Admin.higher(Some(Role::Member)), Role::Admin);
        assert_eq!(Role::Admin.higher(None), Role::Admin);
    }

    #[test]
    fn a_patch_takes_only_role_and_disabled() {
        let p: UserPatch = serde_json::from_str(r#"{"role":"admin","disabled":true}"#).unwrap_or_default();
        assert_eq!(p, UserPatch { role: Patch::Set(Role::Admin), disabled: Patch::Set(true) });
        assert!(serde_json::from_str::<UserPatch>(r#"{"name":"x"}"#).is_err());
        assert!(serde_json::from_str::<UserPatch>(r#"{"role":"root"}"#).is_err());
    }
}
