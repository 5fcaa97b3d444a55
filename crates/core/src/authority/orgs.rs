//! Organizations and their members.

use super::{validate_name, Authority, Caller};
use crate::audit::Outcome;
use crate::error::{Error, Result};
use crate::id::new_id;
use crate::model::{Member, Org, OrgRole, OrgWithRole};
use crate::scope::Scope;

impl Authority {
    /// Creates an organization with the caller as its first admin.
    pub async fn create_org(&self, caller: &Caller, name: &str) -> Result<OrgWithRole> {
        validate_name("organization name", name, 64)?;
        let allowed = caller.acting_user().cloned().and_then(|u| caller.require(Scope::OrgAdmin).map(|()| u));
        let user = self.guard(caller, "org.create", name, allowed).await?;
        let now = self.now();
        let org = Org { id: new_id("org")?, name: name.to_owned(), created_at: now };
        self.store.insert_org(&org, &user.id).await?;
        self.audit(&caller.actor(), "org.create", &org.id, Outcome::Ok, caller.ip.as_deref(), name, now).await;
        Ok(OrgWithRole { id: org.id, name: org.name, created_at: org.created_at, role: Some(OrgRole::Admin) })
    }

    /// The organizations the caller belongs to (an org token: its own).
    pub async fn list_orgs(&self, caller: &Caller) -> Result<Vec<OrgWithRole>> {
        self.guard(caller, "org.list", "", caller.require(Scope::Read)).await?;
        if let Some(org) = caller.acting_org() {
            let o = self.store.org(org).await?.ok_or(Error::NotFound("organization"))?;
            return Ok(vec![OrgWithRole { id: o.id, name: o.name, created_at: o.created_at, role: None }]);
        }
        self.store.orgs_of_user(&caller.acting_user()?.id).await
    }

    /// One organization, with the caller's role in it.
    pub async fn get_org(&self, caller: &Caller, id: &str) -> Result<OrgWithRole> {
        self.guard(caller, "org.read", id, caller.require(Scope::Read)).await?;
        let (org, role) = self.org_access(caller, id, false).await?;
        Ok(OrgWithRole { id: org.id, name: org.name, created_at: org.created_at, role })
    }

    /// The members of an organization.
    pub async fn list_members(&self, caller: &Caller, org: &str) -> Result<Vec<Member>> {
        self.guard(caller, "org.members", org, caller.require(Scope::Read)).await?;
        self.org_access(caller, org, false).await?;
        self.store.members(org).await
    }

    /// Adds a member or changes a member's role. `user` is an account id or name.
    pub async fn put_member(&self, caller: &Caller, org: &str, user: &str, role: OrgRole) -> Result<Vec<Member>> {
        self.guard(caller, "org.member.put", org, caller.require(Scope::OrgAdmin)).await?;
        self.org_access(caller, org, true).await?;
        let target = self.find_user(user).await?;
        if role == OrgRole::Member && self.store.membership(org, &target.id).await? == Some(OrgRole::Admin) {
            self.ensure_other_admin(org, &target.id).await?;
        }
        self.store.put_member(org, &target.id, role).await?;
        let detail = format!("{} as {}", target.name, role.as_str());
        self.audit(&caller.actor(), "org.member.put", org, Outcome::Ok, caller.ip.as_deref(), &detail, self.now())
            .await;
        self.store.members(org).await
    }

    /// Removes a member. The last admin cannot be removed.
    pub async fn remove_member(&self, caller: &Caller, org: &str, user: &str) -> Result<()> {
        self.guard(caller, "org.member.remove", org, caller.require(Scope::OrgAdmin)).await?;
        self.org_access(caller, org, true).await?;
        let target = self.find_user(user).await?;
        match self.store.membership(org, &target.id).await? {
            None => return Err(Error::NotFound("member")),
            Some(OrgRole::Admin) => self.ensure_other_admin(org, &target.id).await?,
            Some(OrgRole::Member) => {}
        }
        self.store.remove_member(org, &target.id).await?;
        self.audit(
            &caller.actor(),
            "org.member.remove",
            org,
            Outcome::Ok,
            caller.ip.as_deref(),
            &target.name,
            self.now(),
        )
        .await;
        Ok(())
    }

    async fn ensure_other_admin(&self, org: &str, leaving: &str) -> Result<()> {
        let others = self.store.members(org).await?;
        if others.iter().any(|m| m.role == OrgRole::Admin && m.user.id != leaving) {
            Ok(())
        } else {
            Err(Error::Conflict("an organization needs at least one admin; make someone else admin first".into()))
        }
    }

    /// The organization `id` if the caller may see it (`admin`: and manage it), with the
    /// caller's role; an organization the caller cannot see is reported as not found.
    pub(super) async fn org_access(&self, caller: &Caller, id: &str, admin: bool) -> Result<(Org, Option<OrgRole>)> {
        let org = self.store.org(id).await?.ok_or(Error::NotFound("organization"))?;
        if let Some(own) = caller.acting_org() {
            return if own == id { Ok((org, None)) } else { Err(Error::NotFound("organization")) };
        }
        let user = caller.acting_user()?;
        match self.store.membership(id, &user.id).await? {
            None => Err(Error::NotFound("organization")),
            Some(OrgRole::Member) if admin => {
                let r = Err(Error::forbidden("only an organization admin may do this"));
                self.guard(caller, "org.admin", id, r).await
            }
            Some(role) => Ok((org, Some(role))),
        }
    }
}
