//! Token policies: how long tokens may live. Instance admins set one for personal access tokens;
//! organization admins set one for their organization's tokens, never looser than the
//! instance's. Create and rotate enforce the policy in force.
//!
//! What each collection obeys:
//!
//! | collection                     | policy in force                              |
//! |--------------------------------|----------------------------------------------|
//! | personal access tokens         | the instance's                               |
//! | organization tokens            | the stricter of the instance's and the org's |
//! | organization agent tokens      | the stricter of the instance's and the org's |
//! | personal agent tokens          | none                                         |
//! | trigger tokens                 | none                                         |
//!
//! Personal agent tokens and trigger tokens carry no scopes and reach only an agent's runs or one
//! project's trigger, and the machines that hold them (build hosts, webhooks) need them to last;
//! they still never outlive a token that mints them.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::{Authority, Caller, Collection};
use crate::audit::Outcome;
use crate::error::{Error, Result};
use crate::model::OrgRole;
use crate::scope::Scope;

/// The longest lifetime a policy may set: a hundred years.
const LIFETIME_MAX_SECONDS: i64 = 100 * 366 * 24 * 3600;

/// Where the instance's policy is stored; organizations' are stored under their id.
const INSTANCE: &str = "instance";

/// How long tokens may live.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct TokenPolicy {
    /// The longest a new or rotated token may live, in seconds (86400 a day); absent for no limit.
    #[serde(default, deserialize_with = "integral_seconds")]
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    #[cfg_attr(feature = "openapi", schema(minimum = 60, maximum = 3162240000_i64))]
    pub max_lifetime_seconds: Option<i64>,
    /// Whether every token must have an expiry.
    #[serde(default)]
    pub require_expiry: bool,
}

/// An organization's policy, the instance's, and the one in force for the organization's tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct OrgPolicy {
    /// What the organization's admins set.
    pub policy: TokenPolicy,
    /// What the instance's admins set; the organization's can only be stricter.
    pub instance: TokenPolicy,
    /// The stricter of the two: what creating and rotating the organization's tokens obeys.
    pub in_force: TokenPolicy,
}

/// Reads a whole number of seconds written either way JSON allows (`86400` or `86400.0`: JSON
/// Schema's `integer` is any number without a fraction); a fraction is refused.
fn integral_seconds<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Option<i64>, D::Error> {
    let Some(n) = Option::<serde_json::Number>::deserialize(d)? else { return Ok(None) };
    if let Some(i) = n.as_i64() {
        return Ok(Some(i));
    }
    match n.as_f64() {
        Some(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Ok(Some(f as i64)),
        _ => Err(serde::de::Error::custom(format!("max_lifetime_seconds must be a whole number of seconds, not {n}"))),
    }
}

impl TokenPolicy {
    /// A policy that allows at most what both allow.
    pub fn stricter(self, other: TokenPolicy) -> TokenPolicy {
        let max_lifetime_seconds = match (self.max_lifetime_seconds, other.max_lifetime_seconds) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        TokenPolicy { max_lifetime_seconds, require_expiry: self.require_expiry || other.require_expiry }
    }

    /// Whether this policy allows something `other` does not.
    pub fn is_looser_than(self, other: TokenPolicy) -> bool {
        self.stricter(other) != self
    }

    /// Whether an expiry is needed: required outright, or implied by a maximum lifetime.
    pub fn needs_expiry(self) -> bool {
        self.require_expiry || self.max_lifetime_seconds.is_some()
    }

    fn validate(self) -> Result<()> {
        if let Some(s) = self.max_lifetime_seconds {
            if !(60..=LIFETIME_MAX_SECONDS).contains(&s) {
                return Err(Error::invalid(format!(
                    "max_lifetime_seconds must be between 60 (a minute) and {LIFETIME_MAX_SECONDS} (a hundred years)"
                )));
            }
        }
        Ok(())
    }

    /// Checks that a token expiring at `expires_at`, given out at `now`, obeys the policy;
    /// `whose` names the policy in the refusal.
    pub fn check(self, expires_at: Option<DateTime<Utc>>, now: DateTime<Utc>, whose: &str) -> Result<()> {
        match (expires_at, self.max_lifetime_seconds) {
            (None, Some(max)) => Err(Error::invalid(format!(
                "{whose} token policy requires an expiry at most {} from now",
                describe_seconds(max)
            ))),
            (None, None) if self.require_expiry => {
                Err(Error::invalid(format!("{whose} token policy requires every token to have an expiry")))
            }
            (Some(e), Some(max)) if e - now > Duration::seconds(max) => Err(Error::invalid(format!(
                "{whose} token policy allows tokens to live at most {}; choose an expiry no later than {}",
                describe_seconds(max),
                (now + Duration::seconds(max)).to_rfc3339()
            ))),
            _ => Ok(()),
        }
    }
}

/// A lifetime in words: whole days when it is whole days, else seconds.
fn describe_seconds(s: i64) -> String {
    const DAY: i64 = 86_400;
    match s {
        DAY => "1 day".into(),
        s if s % DAY == 0 => format!("{} days", s / DAY),
        s => format!("{s} seconds"),
    }
}

impl Authority {
    async fn stored_policy(&self, key: &str) -> Result<TokenPolicy> {
        Ok(self.store.token_policy(key).await?.unwrap_or_default())
    }

    /// The policy that creating and rotating tokens of `coll` obeys, and whose it is; none for
    /// collections no policy covers (see the module's table).
    pub(super) async fn policy_in_force(&self, coll: &Collection) -> Result<Option<(TokenPolicy, &'static str)>> {
        match coll {
            Collection::Pats => Ok(Some((self.stored_policy(INSTANCE).await?, "the instance's"))),
            Collection::OrgTokens(org) | Collection::OrgAgentTokens(org) => {
                let instance = self.stored_policy(INSTANCE).await?;
                let own = self.stored_policy(org).await?;
                Ok(Some((instance.stricter(own), "the organization's")))
            }
            Collection::UserAgentTokens | Collection::TriggerTokens(_) => Ok(None),
        }
    }

    /// The instance's token policy. Instance administrators' login sessions only.
    pub async fn instance_policy(&self, caller: &Caller) -> Result<TokenPolicy> {
        self.require_instance_admin(caller, "policy.read").await?;
        self.stored_policy(INSTANCE).await
    }

    /// Sets the instance's token policy. Instance administrators' login sessions only.
    pub async fn set_instance_policy(&self, caller: &Caller, policy: TokenPolicy) -> Result<TokenPolicy> {
        self.require_instance_admin(caller, "policy.update").await?;
        policy.validate()?;
        let now = self.now();
        self.store.put_token_policy(INSTANCE, &policy, now).await?;
        self.audit(
            &caller.actor(),
            "policy.update",
            INSTANCE,
            Outcome::Ok,
            caller.ip.as_deref(),
            &describe(policy),
            now,
        )
        .await;
        Ok(policy)
    }

    /// The token policy of the personal access tokens the caller may create: the instance's.
    pub async fn user_policy(&self, caller: &Caller) -> Result<TokenPolicy> {
        caller.acting_user()?;
        self.stored_policy(INSTANCE).await
    }

    /// Refuses unless the caller administers organization `org`: an admin's login session, an
    /// admin's personal access token with `org:admin`, or the organization's own token with
    /// `org:admin` or `token:admin`.
    async fn org_policy_admin(&self, caller: &Caller, org: &str, action: &str) -> Result<()> {
        self.store.org(org).await?.ok_or(Error::NotFound("organization"))?;
        let allowed = if let Some(own) = caller.acting_org() {
            if own != org {
                return Err(Error::NotFound("organization"));
            }
            if caller.scopes().contains(Scope::OrgAdmin) || caller.scopes().contains(Scope::TokenAdmin) {
                Ok(())
            } else {
                Err(Error::ScopeMissing(Scope::OrgAdmin))
            }
        } else {
            let user = self.guard(caller, action, org, caller.acting_user().cloned()).await?;
            match self.store.membership(org, &user.id).await? {
                None => return Err(Error::NotFound("organization")),
                Some(OrgRole::Member) => {
                    Err(Error::forbidden("only an organization admin may see or change its token policy"))
                }
                Some(OrgRole::Admin) => caller.require(Scope::OrgAdmin),
            }
        };
        self.guard(caller, action, org, allowed).await
    }

    /// An organization's token policy, with the instance's and the one in force.
    pub async fn org_policy(&self, caller: &Caller, org: &str) -> Result<OrgPolicy> {
        self.org_policy_admin(caller, org, "policy.read").await?;
        let instance = self.stored_policy(INSTANCE).await?;
        let policy = self.stored_policy(org).await?;
        Ok(OrgPolicy { policy, instance, in_force: instance.stricter(policy) })
    }

    /// Sets an organization's token policy; one looser than the instance's is refused.
    pub async fn set_org_policy(&self, caller: &Caller, org: &str, policy: TokenPolicy) -> Result<OrgPolicy> {
        policy.validate()?;
        self.org_policy_admin(caller, org, "policy.update").await?;
        let instance = self.stored_policy(INSTANCE).await?;
        if policy.is_looser_than(instance) {
            return Err(Error::invalid(format!(
                "an organization's token policy cannot be looser than the instance's ({})",
                describe(instance)
            )));
        }
        let now = self.now();
        self.store.put_token_policy(org, &policy, now).await?;
        self.audit(&caller.actor(), "policy.update", org, Outcome::Ok, caller.ip.as_deref(), &describe(policy), now)
            .await;
        Ok(OrgPolicy { policy, instance, in_force: instance.stricter(policy) })
    }
}

/// A policy in words, for refusals and the audit log.
fn describe(p: TokenPolicy) -> String {
    match (p.max_lifetime_seconds, p.require_expiry) {
        (Some(s), _) => format!("tokens live at most {}", describe_seconds(s)),
        (None, true) => "every token needs an expiry".into(),
        (None, false) => "no limit".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(max: Option<i64>, require: bool) -> TokenPolicy {
        TokenPolicy { max_lifetime_seconds: max, require_expiry: require }
    }

    #[test]
    fn seconds_are_whole_numbers_written_either_way() {
        let read = |s: &str| serde_json::from_str::<TokenPolicy>(s);
        assert_eq!(read(r#"{"max_lifetime_seconds":365}"#).unwrap(), p(Some(365), false));
        assert_eq!(read(r#"{"max_lifetime_seconds":365.0}"#).unwrap(), p(Some(365), false));
        assert_eq!(read(r#"{"max_lifetime_seconds":null}"#).unwrap(), p(None, false));
        assert_eq!(read(r#"{}"#).unwrap(), p(None, false));
        assert!(read(r#"{"max_lifetime_seconds":365.5}"#).is_err());
        assert!(read(r#"{"max_lifetime_seconds":"365"}"#).is_err());
    }

    #[test]
    fn stricter_takes_the_smaller_limit_and_any_requirement() {
        assert_eq!(p(Some(10), false).stricter(p(Some(5), false)), p(Some(5), false));
        assert_eq!(p(None, true).stricter(p(Some(5), false)), p(Some(5), true));
        assert_eq!(p(None, false).stricter(p(None, false)), p(None, false));
        assert!(p(None, false).is_looser_than(p(Some(5), false)));
        assert!(p(Some(6), true).is_looser_than(p(Some(5), false)));
        assert!(p(Some(5), false).is_looser_than(p(None, true)));
        assert!(!p(Some(4), true).is_looser_than(p(Some(5), true)));
        assert!(!p(None, false).is_looser_than(p(None, false)));
    }

    #[test]
    fn check_enforces_lifetime_and_expiry() {
        let now = DateTime::<Utc>::UNIX_EPOCH;
        let day = Duration::days(1);
        let thirty = p(Some(30 * 86_400), false);
        assert!(thirty.check(Some(now + day * 30), now, "the").is_ok());
        assert!(thirty.check(Some(now + day * 30 + Duration::seconds(1)), now, "the").is_err());
        assert!(thirty.check(None, now, "the").is_err());
        assert!(p(None, true).check(None, now, "the").is_err());
        assert!(p(None, true).check(Some(now + day * 9999), now, "the").is_ok());
        assert!(p(None, false).check(None, now, "the").is_ok());
    }

    #[test]
    fn lifetimes_read_as_days_when_whole() {
        assert_eq!(describe_seconds(86_400), "1 day");
        assert_eq!(describe_seconds(90 * 86_400), "90 days");
        assert_eq!(describe_seconds(3_600), "3600 seconds");
    }
}
