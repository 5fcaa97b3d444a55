//! Organizations and their members.

use chrono::Duration;

use super::{validate_name, Authority, Caller};
use crate::audit::Outcome;
use crate::error::{Error, Result};
use crate::id::new_id;
use crate::model::{Invitation, Member, Org, OrgRole, OrgWithRole, User};
use crate::scope::Scope;

/// How long an invitation waits for its answer.
pub const INVITATION_LIFETIME: Duration = Duration::days(14);

/// What `POST /orgs/{org}/members` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MemberChange {
    /// A member's role changed; the members now.
    Updated(Vec<Member>),
    /// Someone who is not a member was invited (or no account has that name: the answer is the
    /// same, so names cannot be probed).
    Invited(Invitation),
}

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

    /// Changes a member's role, or invites someone who is not a member yet: membership needs the
    /// invitee's consent. `user` is an account id or name.
    pub async fn put_member(&self, caller: &Caller, org: &str, user: &str, role: OrgRole) -> Result<MemberChange> {
        self.guard(caller, "org.member.put", org, caller.require(Scope::OrgAdmin)).await?;
        self.org_access(caller, org, true).await?;
        let target = self.find_user_opt(user).await?;
        let Some(member) = self.member_of(org, target.as_ref()).await? else {
            return Ok(MemberChange::Invited(self.send_invitation(caller, org, user, target, role).await?));
        };
        if role == OrgRole::Member && member.1 == OrgRole::Admin {
            self.ensure_other_admin(org, &member.0.id).await?;
        }
        self.store.put_member(org, &member.0.id, role).await?;
        let detail = format!("{} as {}", member.0.name, role.as_str());
        self.audit(&caller.actor(), "org.member.put", org, Outcome::Ok, caller.ip.as_deref(), &detail, self.now())
            .await;
        Ok(MemberChange::Updated(self.store.members(org).await?))
    }

    /// Invites `user` (an account name or id) to an organization with `role`. A name that no
    /// account has gets an invitation too, which no one can ever accept: the answer never tells
    /// whether an account exists. Inviting a member is a conflict (admins see the members).
    pub async fn invite(&self, caller: &Caller, org: &str, user: &str, role: OrgRole) -> Result<Invitation> {
        self.guard(caller, "org.invite", org, caller.require(Scope::OrgAdmin)).await?;
        self.org_access(caller, org, true).await?;
        let target = self.find_user_opt(user).await?;
        if self.member_of(org, target.as_ref()).await?.is_some() {
            return Err(Error::Conflict(format!("{user:?} is already a member; change their role instead")));
        }
        self.send_invitation(caller, org, user, target, role).await
    }

    async fn send_invitation(
        &self,
        caller: &Caller,
        org: &str,
        invitee: &str,
        target: Option<User>,
        role: OrgRole,
    ) -> Result<Invitation> {
        if invitee.trim().is_empty() || invitee.chars().count() > 128 || invitee.chars().any(char::is_control) {
            return Err(Error::invalid("the account name must be 1 to 128 printable characters"));
        }
        let o = self.store.org(org).await?.ok_or(Error::NotFound("organization"))?;
        let now = self.now();
        let invited_by = match caller.acting_user() {
            Ok(u) => u.name.clone(),
            Err(_) => "an organization token".to_owned(),
        };
        let invitation = Invitation {
            id: new_id("inv")?,
            org_id: o.id,
            org_name: o.name,
            invitee: invitee.to_owned(),
            role,
            invited_by,
            created_at: now,
            expires_at: now + INVITATION_LIFETIME,
        };
        self.store.insert_invitation(&invitation, target.as_ref().map(|u| u.id.as_str())).await?;
        let detail = format!("{} as {}", invitee, role.as_str());
        self.audit(&caller.actor(), "org.invite", org, Outcome::Ok, caller.ip.as_deref(), &detail, now).await;
        Ok(invitation)
    }

    /// An organization's pending invitations (its admins).
    pub async fn org_invitations(&self, caller: &Caller, org: &str) -> Result<Vec<Invitation>> {
        self.guard(caller, "org.invitations", org, caller.require(Scope::OrgAdmin)).await?;
        self.org_access(caller, org, true).await?;
        self.store.invitations_of_org(org, self.now()).await
    }

    /// Withdraws an invitation of an organization (its admins).
    pub async fn withdraw_invitation(&self, caller: &Caller, org: &str, id: &str) -> Result<()> {
        self.guard(caller, "org.invitation.withdraw", org, caller.require(Scope::OrgAdmin)).await?;
        self.org_access(caller, org, true).await?;
        if !self.store.delete_invitation_of_org(id, org).await? {
            return Err(Error::NotFound("invitation"));
        }
        self.audit(&caller.actor(), "org.invitation.withdraw", org, Outcome::Ok, caller.ip.as_deref(), id, self.now())
            .await;
        Ok(())
    }

    /// The invitations waiting for the caller.
    pub async fn my_invitations(&self, caller: &Caller) -> Result<Vec<Invitation>> {
        self.guard(caller, "invitation.list", "", caller.require(Scope::Read)).await?;
        let user = self.guard(caller, "invitation.list", "", caller.acting_user().cloned()).await?;
        self.store.invitations_of_user(&user.id, self.now()).await
    }

    /// Accepts an invitation addressed to the caller: they join its organization with its role
    /// (a member already keeps their role). Answers with the organization.
    pub async fn accept_invitation(&self, caller: &Caller, id: &str) -> Result<OrgWithRole> {
        let user = self.invitee(caller, "invitation.accept", id).await?;
        let now = self.now();
        let inv = self.store.accept_invitation(id, &user.id, now).await?.ok_or(Error::NotFound("invitation"))?;
        let detail = format!("{} as {}", user.name, inv.role.as_str());
        self.audit(
            &caller.actor(),
            "org.invitation.accept",
            &inv.org_id,
            Outcome::Ok,
            caller.ip.as_deref(),
            &detail,
            now,
        )
        .await;
        let org = self.store.org(&inv.org_id).await?.ok_or(Error::NotFound("organization"))?;
        let role = self.store.membership(&org.id, &user.id).await?;
        Ok(OrgWithRole { id: org.id, name: org.name, created_at: org.created_at, role })
    }

    /// Declines an invitation addressed to the caller.
    pub async fn decline_invitation(&self, caller: &Caller, id: &str) -> Result<()> {
        let user = self.invitee(caller, "invitation.decline", id).await?;
        if !self.store.delete_invitation_of_user(id, &user.id).await? {
            return Err(Error::NotFound("invitation"));
        }
        self.audit(
            &caller.actor(),
            "org.invitation.decline",
            id,
            Outcome::Ok,
            caller.ip.as_deref(),
            &user.name,
            self.now(),
        )
        .await;
        Ok(())
    }

    /// The person answering an invitation: joining an organization is organization management,
    /// so a token needs `org:admin`.
    async fn invitee(&self, caller: &Caller, action: &str, id: &str) -> Result<User> {
        self.guard(caller, action, id, caller.require(Scope::OrgAdmin)).await?;
        self.guard(caller, action, id, caller.acting_user().cloned()).await
    }

    /// The account `name_or_id` names, if any.
    async fn find_user_opt(&self, name_or_id: &str) -> Result<Option<User>> {
        if let Some(u) = self.store.user(name_or_id).await? {
            return Ok(Some(u));
        }
        self.store.user_by_name(name_or_id).await
    }

    /// `user` with their role in `org`, when they are a member.
    async fn member_of(&self, org: &str, user: Option<&User>) -> Result<Option<(User, OrgRole)>> {
        let Some(user) = user else { return Ok(None) };
        Ok(self.store.membership(org, &user.id).await?.map(|r| (user.clone(), r)))
    }

    /// Removes a member. The last admin cannot be removed.
    pub async fn remove_member(&self, caller: &Caller, org: &str, user: &str) -> Result<()> {
        self.guard(caller, "org.member.remove", org, caller.require(Scope::OrgAdmin)).await?;
        self.org_access(caller, org, true).await?;
        // An unknown name and a non-member answer alike, so names cannot be probed here either.
        let target = self.find_user_opt(user).await?.ok_or(Error::NotFound("member"))?;
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
