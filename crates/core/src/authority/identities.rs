//! Signing in with a provider, and the accounts linked to a Tessera account.
//!
//! The provider-facing half (code exchange, ID-token checks, code-host APIs, the keyring) lives in
//! `tessera-auth`; it hands a [`VerifiedIdentity`] here, where the account rules are decided: one
//! account, many identities; an identity belongs to one account only; the provider's claims are
//! recorded on the identity at every sign-in and count for the sessions made through it, never
//! for the account's local role; a provider-made account keeps at least one identity.

use chrono::{DateTime, Utc};

use super::{Authority, Caller, Credential, IssuedSession, NewDevice};
use crate::audit::Outcome;
use crate::error::{Error, Result};
use crate::id::new_id;
use crate::model::{Identity, Origin, Role, ScmStatus, ScmTokenInfo, User, VerifiedIdentity};
use crate::scope::Scope;

/// The outcome of a sign-in.
#[derive(Debug)]
pub struct SignedIn {
    /// The account, with the new session's role: the higher of its local role and what the
    /// provider asserts now.
    pub user: User,
    /// The identity used.
    pub identity: Identity,
    /// The new login session.
    pub session: IssuedSession,
    /// The device this sign-in made, with its refresh credential.
    pub device: NewDevice,
    /// Whether the account was made by this sign-in.
    pub created: bool,
}

/// An identity's status at `now`, from what is stored about its token.
pub fn status_at(identity: &Identity, now: DateTime<Utc>) -> ScmStatus {
    match identity.status {
        ScmStatus::Connected if identity.expires_at.is_some_and(|e| e <= now) && !identity.refreshable => {
            ScmStatus::Expired
        }
        s => s,
    }
}

/// Sets each identity's status to what it is at `now`.
pub(super) fn set_statuses_at(list: &mut [Identity], now: DateTime<Utc>) {
    for i in list {
        i.status = status_at(i, now);
    }
}

/// How the audit log names an asserted role.
fn asserted(role: Option<Role>) -> &'static str {
    role.map_or("no role", Role::as_str)
}

/// Turns a provider's user name into a valid, not too long account name.
fn account_name(preferred: &str) -> String {
    let cleaned: String = preferred
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') { c } else { '-' })
        .collect::<String>()
        .trim_start_matches('.')
        .chars()
        .take(56)
        .collect();
    if cleaned.trim_matches('-').is_empty() {
        "user".to_owned()
    } else {
        cleaned
    }
}

impl Authority {
    /// Signs in with an identity a provider vouched for: finds the account it is linked to or
    /// makes one, records the role the provider asserts now on that identity, and issues a login
    /// session made through it, for a new device named `device_name` (a default when absent).
    /// The account's local role is never changed here.
    pub async fn sign_in_with(
        &self,
        v: &VerifiedIdentity,
        device_name: Option<&str>,
        ip: Option<&str>,
    ) -> Result<SignedIn> {
        let now = self.now();
        let (mut user, identity, created) = match self.store.identity_by_subject(&v.issuer, &v.subject).await? {
            Some(identity) => {
                let user = self.store.user(&identity.user_id).await?.ok_or(Error::NotFound("user"))?;
                if user.disabled {
                    let detail = format!("{}: account disabled", v.provider);
                    self.audit(
                        &format!("user:{}", user.id),
                        "session.sign_in",
                        &identity.id,
                        Outcome::Denied,
                        ip,
                        &detail,
                        now,
                    )
                    .await;
                    return Err(Error::forbidden("this account is disabled; ask an instance administrator"));
                }
                self.store.touch_identity(&identity.id, &v.display_name, v.email.as_deref(), v.role, now).await?;
                if identity.asserted_role != v.role {
                    let detail = format!("provider {} now asserts {}", v.provider, asserted(v.role));
                    self.audit("system", "identity.role", &identity.id, Outcome::Ok, ip, &detail, now).await;
                }
                (user, identity, false)
            }
            None => {
                let user = self.new_provider_account(v, now).await?;
                let identity = self.new_identity(&user.id, v, now)?;
                if let Err(e) = self.store.insert_identity(&identity).await {
                    // Another sign-in of the same person won the race: use its account.
                    let _ = self.store.delete_user_if_unused(&user.id).await;
                    return match e {
                        Error::AlreadyLinked => Box::pin(self.sign_in_with(v, device_name, ip)).await,
                        e => Err(e),
                    };
                }
                (user, identity, true)
            }
        };
        let name = crate::device::clean_name(device_name, &format!("Signed in with {}", v.provider));
        let (session, device) = self.start_device(&user, Some(&identity.id), &name, ip, now).await?;
        user.role = user.role.higher(v.role);
        let detail = format!("{}, role {}", v.provider, user.role.as_str());
        self.audit(&format!("user:{}", user.id), "session.sign_in", &identity.id, Outcome::Ok, ip, &detail, now).await;
        let identity = self.store.identity(&identity.id).await?.ok_or(Error::NotFound("identity"))?;
        Ok(SignedIn { user, identity, session, device, created })
    }

    async fn new_provider_account(&self, v: &VerifiedIdentity, now: DateTime<Utc>) -> Result<User> {
        let base = account_name(&v.preferred_name);
        for n in 1..=50 {
            let name = if n == 1 { base.clone() } else { format!("{base}-{n}") };
            // Whatever the provider asserts is the session's, not the account's: a provider-made
            // account's local role starts as member.
            let user = User { id: new_id("usr")?, name, role: Role::Member, created_at: now, disabled: false };
            match self.store.insert_user(&user, Origin::Provider).await {
                Ok(()) => {
                    let detail = format!("signed in with {}", v.provider);
                    self.audit("system", "user.create", &user.id, Outcome::Ok, None, &detail, now).await;
                    return Ok(user);
                }
                Err(Error::NameTaken(_)) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(Error::Conflict(format!("no free account name near {base:?}")))
    }

    fn new_identity(&self, user_id: &str, v: &VerifiedIdentity, now: DateTime<Utc>) -> Result<Identity> {
        Ok(Identity {
            id: new_id("idn")?,
            user_id: user_id.to_owned(),
            provider: v.provider.clone(),
            provider_kind: String::new(),
            subject: v.subject.clone(),
            display_name: v.display_name.clone(),
            email: v.email.clone(),
            created_at: now,
            last_login_at: Some(now),
            status: ScmStatus::Disconnected,
            expires_at: None,
            refreshable: false,
            asserted_role: v.role,
            issuer: Some(v.issuer.clone()),
        })
    }

    /// Links another identity to the signed-in account. An identity linked to another account is
    /// a conflict; linking one already linked here refreshes what is known about it.
    pub async fn link_identity(&self, caller: &Caller, v: &VerifiedIdentity) -> Result<Identity> {
        let user = self.session_user(caller, "identity.link").await?;
        let now = self.now();
        if let Some(existing) = self.store.identity_by_subject(&v.issuer, &v.subject).await? {
            if existing.user_id != user.id {
                let r = Err(Error::Conflict(format!(
                    "this {} account is already linked to another Tessera account; unlink it there first",
                    v.provider
                )));
                self.audit(
                    &caller.actor(),
                    "identity.link",
                    &existing.id,
                    Outcome::Denied,
                    caller.ip.as_deref(),
                    "linked elsewhere",
                    now,
                )
                .await;
                return r;
            }
            self.store.touch_identity(&existing.id, &v.display_name, v.email.as_deref(), v.role, now).await?;
            return self.store.identity(&existing.id).await?.ok_or(Error::NotFound("identity"));
        }
        let identity = self.new_identity(&user.id, v, now)?;
        self.store.insert_identity(&identity).await?;
        self.audit(&caller.actor(), "identity.link", &identity.id, Outcome::Ok, caller.ip.as_deref(), &v.provider, now)
            .await;
        Ok(identity)
    }

    /// Checks, before anything is exchanged or stored, that the caller may link `v` (or, with
    /// `None`, may link at all): a login session, and an identity not linked to someone else.
    pub async fn check_link(&self, caller: &Caller, v: Option<&VerifiedIdentity>) -> Result<()> {
        let user = self.session_user(caller, "identity.link").await?;
        if let Some(v) = v {
            if let Some(existing) = self.store.identity_by_subject(&v.issuer, &v.subject).await? {
                if existing.user_id != user.id {
                    return Err(Error::Conflict(format!(
                        "this {} account is already linked to another Tessera account; unlink it there first",
                        v.provider
                    )));
                }
            }
        }
        Ok(())
    }

    /// The caller's linked identities, with each code-host token's status now.
    pub async fn identities(&self, caller: &Caller) -> Result<Vec<Identity>> {
        self.guard(caller, "identity.list", "", caller.require(Scope::Read)).await?;
        let user = caller.acting_user()?;
        self.identities_now(&user.id).await
    }

    /// A user's linked identities, each code-host token's status as it is now.
    pub(super) async fn identities_now(&self, user_id: &str) -> Result<Vec<Identity>> {
        let mut list = self.store.identities_of(user_id).await?;
        set_statuses_at(&mut list, self.now());
        Ok(list)
    }

    /// The signed-in person's linked accounts at the providers in `providers`, best first, for
    /// handing one's code-host token to git: the one whose name at the host is `username` (when
    /// git names one), then connected ones, then the most recently used. A login session only:
    /// the code-host token is the person's own credential at the host, which an API token's scopes
    /// do not reach. Empty when none is linked there.
    pub async fn identities_for_git(
        &self,
        caller: &Caller,
        providers: &[String],
        username: Option<&str>,
    ) -> Result<Vec<Identity>> {
        let user = self.session_user(caller, "identity.git_credential").await?;
        let mut list = self.identities_now(&user.id).await?;
        list.retain(|i| providers.contains(&i.provider));
        let named = |i: &Identity| username.is_some_and(|u| i.display_name.eq_ignore_ascii_case(u));
        list.sort_by_key(|i| (!named(i), i.status != ScmStatus::Connected, std::cmp::Reverse(i.last_login_at)));
        Ok(list)
    }

    /// Records in the audit log that identity `id`'s code-host token was handed to git for `host`.
    pub async fn record_git_credential(&self, caller: &Caller, id: &str, host: &str) {
        let detail = format!("for git at {host}");
        self.audit(
            &caller.actor(),
            "identity.git_credential",
            id,
            Outcome::Ok,
            caller.ip.as_deref(),
            &detail,
            self.now(),
        )
        .await;
    }

    /// One of the caller's identities, for using its code-host token (`read`).
    pub async fn identity_for(&self, caller: &Caller, id: &str) -> Result<Identity> {
        self.guard(caller, "identity.read", id, caller.require(Scope::Read)).await?;
        let user = caller.acting_user()?;
        let mut i =
            self.store.identity(id).await?.filter(|i| i.user_id == user.id).ok_or(Error::NotFound("identity"))?;
        i.status = status_at(&i, self.now());
        Ok(i)
    }

    /// Checks that the signed-in user may unlink identity `id`: it is theirs, and it is not the
    /// last way a provider-made account can sign in. Call before deleting its stored tokens.
    pub async fn check_unlink(&self, caller: &Caller, id: &str) -> Result<Identity> {
        let user = self.session_user(caller, "identity.unlink").await?;
        let identity =
            self.store.identity(id).await?.filter(|i| i.user_id == user.id).ok_or(Error::NotFound("identity"))?;
        if self.store.user_origin(&user.id).await? == Origin::Provider
            && self.store.identities_of(&user.id).await?.len() <= 1
        {
            return Err(Error::Conflict(
                "this is the last account you can sign in with; link another before unlinking it".into(),
            ));
        }
        Ok(identity)
    }

    /// Unlinks an identity after [`Authority::check_unlink`] and after its tokens were deleted.
    pub async fn unlink_identity(&self, caller: &Caller, id: &str) -> Result<()> {
        let identity = self.check_unlink(caller, id).await?;
        self.store.delete_identity(&identity.id).await?;
        let now = self.now();
        self.audit(
            &caller.actor(),
            "identity.unlink",
            &identity.id,
            Outcome::Ok,
            caller.ip.as_deref(),
            &identity.provider,
            now,
        )
        .await;
        Ok(())
    }

    /// Records that a code-host token is kept for identity `id` (`None`: none is any more), and
    /// returns the identity as stored now; none when it is no longer linked. The sign-in service
    /// keeps the token itself in its secret store: the store only knows whether one is kept,
    /// when it expires and whether it can be refreshed, so lists show a status and the refresher
    /// knows what is due.
    ///
    /// Requests that only read make this write (a token refreshed while repositories are
    /// listed), and so does the background refresher: the change is taken in at once.
    pub async fn record_scm_token(&self, id: &str, info: Option<ScmTokenInfo>) -> Result<Option<Identity>> {
        self.store.set_scm_token(id, info).await?;
        self.see_changes().await;
        self.store.identity(id).await
    }

    /// Records that identity `id`'s code-host token stopped working for good (the host refused
    /// it or its refresh): it shows as expired until a new sign-in stores another.
    /// Like [`Authority::record_scm_token`], the change is taken in at once.
    pub async fn record_scm_failure(&self, id: &str) -> Result<()> {
        self.store.set_scm_failed(id, true).await?;
        self.see_changes().await;
        Ok(())
    }

    /// The identities whose refreshable code-host token expires before `before` and has not
    /// failed, soonest first: what the refresher renews.
    pub async fn scm_tokens_due(&self, before: DateTime<Utc>) -> Result<Vec<Identity>> {
        self.store.identities_due(before).await
    }

    /// Records `issuer` on the identities of provider `provider` linked before issuers were
    /// recorded (none whose subject is linked under that issuer already); returns how many.
    pub async fn adopt_identity_issuer(&self, provider: &str, issuer: &str) -> Result<u64> {
        self.store.adopt_identity_issuer(provider, issuer).await
    }

    /// The user of a login session; linking and unlinking need a person at the keyboard.
    pub(super) async fn session_user(&self, caller: &Caller, action: &str) -> Result<User> {
        let r = match &caller.credential {
            Credential::Session { user, .. } => Ok(user.clone()),
            Credential::Token { .. } => Err(Error::forbidden(match action.split('.').next() {
                Some("device") => "signed-in devices are managed with a login session only",
                Some("session") => "a login session is made from a login session only",
                _ if action == "identity.git_credential" => {
                    "code-host tokens are handed to git for a login session only (tessera login), never for an API token"
                }
                _ => "linked accounts are managed with a login session only",
            })),
        };
        self.guard(caller, action, "", r).await
    }

    /// Issues a login session for a known user, made through `identity` (none: a local session).
    pub(super) async fn issue_session_for(
        &self,
        user: &User,
        identity: Option<&str>,
        device: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<IssuedSession> {
        let id = new_id("ses")?;
        let (token, expires_at) = self.keys.sign(&user.id, &id, now)?;
        let record = crate::store::SessionRecord {
            id,
            user_id: user.id.clone(),
            expires_at,
            revoked_at: None,
            identity_id: identity.map(str::to_owned),
            identity_role: None,
            device_id: device.map(str::to_owned),
        };
        self.store.insert_session(&record, now).await?;
        Ok(IssuedSession { token, expires_at })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_names_are_made_valid() {
        assert_eq!(account_name("alice"), "alice");
        assert_eq!(account_name("Alice Smith"), "Alice-Smith");
        assert_eq!(account_name(".hidden"), "hidden");
        assert_eq!(account_name("日本"), "user");
        assert_eq!(account_name(&"x".repeat(100)).len(), 56);
    }
}
