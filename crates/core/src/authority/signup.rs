//! Who may sign in through a provider. The provider-facing half decides from the provider's
//! claims whether its policy admits a person (e-mail domain, groups); here a refusal is audited,
//! and the sign-up rule is applied: a provider that does not allow sign-up still signs in people
//! whose identity is already linked to an account, and makes no new accounts.

use super::Authority;
use crate::audit::Outcome;
use crate::error::{Error, Result};
use crate::model::VerifiedIdentity;

/// The audit action of a refused sign-in, the same as a successful one's.
const ACTION: &str = "session.sign_in";

impl Authority {
    /// Refuses a sign-in through `provider` by `subject` (the provider's account id): writes a
    /// `denied` audit entry with the reason and returns the refusal to answer with (403).
    pub async fn refuse_sign_in(&self, provider: &str, subject: &str, why: &str, ip: Option<&str>) -> Error {
        let target = format!("{provider}:{subject}");
        self.audit("anonymous", ACTION, &target, Outcome::Denied, ip, why, self.now()).await;
        Error::Forbidden(why.to_owned())
    }

    /// The sign-up rule: when the provider does not allow sign-up, only an identity already
    /// linked to an account may sign in; anyone else is refused (and audited) before any
    /// account is made.
    pub async fn check_sign_up(&self, v: &VerifiedIdentity, allow_signup: bool, ip: Option<&str>) -> Result<()> {
        if allow_signup || self.store.identity_by_subject(&v.issuer, &v.subject).await?.is_some() {
            return Ok(());
        }
        let why = format!(
            "signing in with {} does not create new accounts here; ask an administrator to invite you, \
             or sign in another way and link this account",
            v.provider
        );
        Err(self.refuse_sign_in(&v.provider, &v.subject, &why, ip).await)
    }
}
