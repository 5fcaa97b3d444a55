//! Issuing, listing, editing, rotating, deleting, introspecting and revoking tokens.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{validate_text, Access, Authority, Caller, Credential};
use crate::audit::Outcome;
use crate::error::{Error, Result};
use crate::id::new_id;
use crate::model::{OrgRole, Owner, OwnerKind, Role, Token};
use crate::patch::Patch;
use crate::scope::{needed_to_mint, Scope, Scopes};
use crate::secret::Secret;
use crate::store::Rotation;
use crate::token::{self, TokenKind};

/// The five places tokens live, one per group of endpoints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Collection {
    /// `/user/tokens`: the caller's personal access tokens.
    Pats,
    /// `/user/agent-tokens`: the caller's personal agent tokens.
    UserAgentTokens,
    /// `/orgs/{org}/tokens`.
    OrgTokens(String),
    /// `/orgs/{org}/agent-tokens`.
    OrgAgentTokens(String),
    /// `/projects/{project}/trigger-tokens`.
    TriggerTokens(String),
}

impl Collection {
    fn kind(&self) -> TokenKind {
        match self {
            Collection::Pats => TokenKind::Pat,
            Collection::OrgTokens(_) => TokenKind::Org,
            Collection::UserAgentTokens | Collection::OrgAgentTokens(_) => TokenKind::Agent,
            Collection::TriggerTokens(_) => TokenKind::Trigger,
        }
    }
}

/// What a caller asks for when creating a token.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    /// A short name, 1 to 100 characters, not only white space.
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 100,
            pattern = "^[^\\u0000-\\u0008\\u000B-\\u001F\\u007F-\\u009F\\u061C\\u180E\\u200B-\\u200F\\u202A-\\u202E\\u2060-\\u2064\\u2066-\\u2069\\uFEFF]*[^\\u0000-\\u0008\\u000B-\\u001F\\u007F-\\u009F\\u061C\\u180E\\u200B-\\u200F\\u202A-\\u202E\\u2060-\\u2064\\u2066-\\u2069\\uFEFF\\s][^\\u0000-\\u0008\\u000B-\\u001F\\u007F-\\u009F\\u061C\\u180E\\u200B-\\u200F\\u202A-\\u202E\\u2060-\\u2064\\u2066-\\u2069\\uFEFF]*$"
        )
    )]
    pub label: String,
    /// A longer note, up to 1,000 characters.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(
            max_length = 1000,
            pattern = "^[^\\u0000-\\u0008\\u000B-\\u001F\\u007F-\\u009F\\u061C\\u180E\\u200B-\\u200F\\u202A-\\u202E\\u2060-\\u2064\\u2066-\\u2069\\uFEFF]*$"
        )
    )]
    pub description: String,
    /// Scopes, for personal access tokens and organization tokens only (at least one).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(example = json!(["read", "trigger"])))]
    pub scopes: Scopes,
    /// When it stops working; in the future, or absent for never.
    #[serde(default)]
    pub expires_at: Option<DateTime<Utc>>,
}

/// What a caller may change on a token.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TokenPatch {
    /// A new label; it cannot be removed.
    #[serde(default, skip_serializing_if = "Patch::is_keep")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, min_length = 1, max_length = 100, pattern = "^[^\\u0000-\\u0008\\u000B-\\u001F\\u007F-\\u009F\\u061C\\u180E\\u200B-\\u200F\\u202A-\\u202E\\u2060-\\u2064\\u2066-\\u2069\\uFEFF]*[^\\u0000-\\u0008\\u000B-\\u001F\\u007F-\\u009F\\u061C\\u180E\\u200B-\\u200F\\u202A-\\u202E\\u2060-\\u2064\\u2066-\\u2069\\uFEFF\\s][^\\u0000-\\u0008\\u000B-\\u001F\\u007F-\\u009F\\u061C\\u180E\\u200B-\\u200F\\u202A-\\u202E\\u2060-\\u2064\\u2066-\\u2069\\uFEFF]*$"))]
    pub label: Patch<String>,
    /// A new description; `null` removes it.
    #[serde(default, skip_serializing_if = "Patch::is_keep")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, max_length = 1000, pattern = "^[^\\u0000-\\u0008\\u000B-\\u001F\\u007F-\\u009F\\u061C\\u180E\\u200B-\\u200F\\u202A-\\u202E\\u2060-\\u2064\\u2066-\\u2069\\uFEFF]*$"))]
    pub description: Patch<String>,
}

/// An RFC 7662 introspection answer.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Introspection {
    /// Whether the value is a usable credential now.
    pub active: bool,
    /// Space-separated scopes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// `tessera_token` or `tessera_session`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_type: Option<String>,
    /// The token kind (`pat`, `org`, `agent`, `trigger`) for tokens.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// The token id or session id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
    /// The owner id (a user, organization or project).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    /// Issued at, seconds since the epoch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
    /// Expires at, seconds since the epoch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exp: Option<i64>,
}

const LABEL_MAX: usize = 100;
const DESCRIPTION_MAX: usize = 1000;

/// The label as stored: trimmed, checked and NFC-normalized.
fn validate_label(label: &str) -> Result<String> {
    if label.chars().count() > LABEL_MAX {
        return Err(Error::invalid(format!("the label may be at most {LABEL_MAX} characters long")));
    }
    if label.trim().is_empty() {
        return Err(Error::invalid("a token needs a label"));
    }
    validate_text("label", label.trim(), LABEL_MAX)
}

impl Authority {
    /// Decides whether the caller may manage `coll`, and returns the kind and owner of its
    /// tokens.
    async fn collection_owner(&self, caller: &Caller, coll: &Collection) -> Result<Owner> {
        match coll {
            Collection::Pats | Collection::UserAgentTokens => {
                let user = caller.acting_user()?;
                caller.require(Scope::TokenAdmin)?;
                Ok(Owner::user(&user.id))
            }
            Collection::OrgTokens(org) | Collection::OrgAgentTokens(org) => {
                self.store.org(org).await?.ok_or(Error::NotFound("organization"))?;
                if let Some(own) = caller.acting_org() {
                    if own != org {
                        return Err(Error::NotFound("organization"));
                    }
                    if !(caller.scopes().contains(Scope::TokenAdmin) || caller.scopes().contains(Scope::OrgAdmin)) {
                        return Err(Error::ScopeMissing(Scope::TokenAdmin));
                    }
                    return Ok(Owner::org(org));
                }
                let user = caller.acting_user()?;
                match self.store.membership(org, &user.id).await? {
                    None => Err(Error::NotFound("organization")),
                    Some(OrgRole::Member) => Err(Error::forbidden("only an organization admin may manage its tokens")),
                    Some(OrgRole::Admin) => {
                        caller.require(Scope::OrgAdmin)?;
                        Ok(Owner::org(org))
                    }
                }
            }
            Collection::TriggerTokens(project) => {
                caller.require(Scope::TokenAdmin)?;
                let p = self.project_access(caller, project, Access::Admin).await?;
                Ok(Owner::project(&p.id))
            }
        }
    }

    /// The token `id` of `coll`, after checking the caller may manage `coll`.
    pub(super) async fn token_in(&self, caller: &Caller, coll: &Collection, id: &str, action: &str) -> Result<Token> {
        Ok(self.token_and_hash_in(caller, coll, id, action).await?.0)
    }

    /// Like [`Self::token_in`], with the hash of the value it has now: what a conditional
    /// write (rotate, delete) is conditioned on.
    async fn token_and_hash_in(
        &self,
        caller: &Caller,
        coll: &Collection,
        id: &str,
        action: &str,
    ) -> Result<(Token, Vec<u8>)> {
        let owner = self.guard(caller, action, id, self.collection_owner(caller, coll).await).await?;
        let (mut t, hash) = self
            .store
            .token_with_hash(id)
            .await?
            .filter(|(t, _)| t.kind == coll.kind() && t.owner == owner)
            .ok_or(Error::NotFound("token"))?;
        self.last_used.overlay(&mut t);
        Ok((t, hash))
    }

    /// Lists the tokens of `coll`, newest first.
    pub async fn list_tokens(&self, caller: &Caller, coll: &Collection) -> Result<Vec<Token>> {
        let owner = self.guard(caller, "token.list", "", self.collection_owner(caller, coll).await).await?;
        let mut list = self.store.tokens_of(coll.kind(), &owner).await?;
        for t in &mut list {
            self.last_used.overlay(t);
        }
        Ok(list)
    }

    /// One token of `coll`.
    pub async fn get_token(&self, caller: &Caller, coll: &Collection, id: &str) -> Result<Token> {
        self.token_in(caller, coll, id, "token.read").await
    }

    /// Issues a token into `coll`; the value is returned here and never again.
    pub async fn create_token(&self, caller: &Caller, coll: &Collection, req: NewToken) -> Result<(Token, Secret)> {
        let now = self.now();
        let kind = coll.kind();
        let label = validate_label(&req.label)?;
        let description = validate_text("description", &req.description, DESCRIPTION_MAX)?;
        if kind.has_scopes() && req.scopes.is_empty() {
            return Err(Error::invalid(format!("choose at least one scope: {}", Scopes::ALL)));
        }
        if !kind.has_scopes() && !req.scopes.is_empty() {
            return Err(Error::invalid("agent and trigger tokens carry no scopes"));
        }
        if req.expires_at.is_some_and(|e| e <= now) {
            return Err(Error::invalid("expires_at must be in the future"));
        }
        let owner = self.guard(caller, "token.create", "", self.collection_owner(caller, coll).await).await?;
        let within = self.within_ceiling(caller, coll, req.scopes);
        self.guard(caller, "token.create", "", within).await?;
        let expires_at = child_expiry(caller, req.expires_at)?;
        if let Some((policy, whose)) = self.policy_in_force(coll).await? {
            policy.check(expires_at, now, whose)?;
        }

        let value = token::generate(kind)?;
        let t = Token {
            id: new_id("tok")?,
            kind,
            label,
            description,
            scopes: req.scopes,
            owner,
            created_at: now,
            expires_at,
            last_used_at: None,
            last_used_ip: None,
            revoked_at: None,
            hint: token::hint(value.expose()),
            created_by: caller_user_id(caller),
        };
        self.store.insert_token(&t, &token::hash(value.expose())).await?;
        self.audit(&caller.actor(), "token.create", &t.id, Outcome::Ok, caller.ip.as_deref(), kind.as_str(), now).await;
        Ok((t, value))
    }

    /// Changes a token's label or description.
    pub async fn update_token(&self, caller: &Caller, coll: &Collection, id: &str, patch: TokenPatch) -> Result<Token> {
        let label = patch.label.required("label")?.as_deref().map(validate_label).transpose()?;
        let description = patch.description.try_map(|d| validate_text("description", &d, DESCRIPTION_MAX))?;
        let mut t = self.token_in(caller, coll, id, "token.update").await?;
        if let Some(l) = label {
            t.label = l;
        }
        t.description = description.apply(Some(std::mem::take(&mut t.description))).unwrap_or_default();
        self.store.update_token_text(&t.id, &t.label, &t.description).await?;
        self.audit(&caller.actor(), "token.update", &t.id, Outcome::Ok, caller.ip.as_deref(), "", self.now()).await;
        Ok(t)
    }

    /// Gives a token a new value; the old value stops working at once.
    ///
    /// The new value is written in one conditional write: only if the token still has the value
    /// read here, is not revoked, and was not rotated since this request started. Of racing
    /// rotations, revocations and deletions exactly one wins and the others answer 409, so a
    /// rotation that answers 200 hands out a live value. Requests are told apart by the
    /// authority's clock: one that started no later than a rotation finished was racing it, even
    /// if the store saw its read after that rotation's write.
    pub async fn rotate_token(&self, caller: &Caller, coll: &Collection, id: &str) -> Result<(Token, Secret)> {
        let since = self.now();
        let (mut t, old_hash) = self.token_and_hash_in(caller, coll, id, "token.rotate").await?;
        // Rotating hands out a value with the token's scopes: the same ceiling as creating one.
        let within = self.within_ceiling(caller, coll, t.scopes);
        self.guard(caller, "token.rotate", id, within).await?;
        self.guard(caller, "token.rotate", id, outlived_by(caller, t.expires_at)).await?;
        // A token the policy no longer allows conflicts with the policy as it now stands: nothing
        // in the request can change that, so it is a 409 like rotating a revoked token.
        if let Some((policy, whose)) = self.policy_in_force(coll).await? {
            policy.check(t.expires_at, self.now(), whose).map_err(|e| match e {
                Error::InvalidRequest(why) => {
                    Error::Conflict(format!("{why}; this token cannot be rotated, create a new one instead"))
                }
                other => other,
            })?;
        }
        if t.revoked_at.is_some() {
            return Err(Error::Conflict("a revoked token cannot be rotated; create a new one".into()));
        }
        let value = token::generate(t.kind)?;
        t.hint = token::hint(value.expose());
        t.created_by = caller_user_id(caller);
        let new_hash = token::hash(value.expose());
        let rotation = Rotation {
            id: &t.id,
            old_hash: &old_hash,
            new_hash: &new_hash,
            hint: &t.hint,
            by: t.created_by.as_deref().unwrap_or(""),
            since,
            at: self.now(),
        };
        if !self.store.rotate_token_value(&rotation).await? {
            return Err(lost_race(&*self.store, &t.id).await);
        }
        self.audit(&caller.actor(), "token.rotate", &t.id, Outcome::Ok, caller.ip.as_deref(), "", self.now()).await;
        Ok((t, value))
    }

    /// Deletes a token; it stops working at once.
    pub async fn delete_token(&self, caller: &Caller, coll: &Collection, id: &str) -> Result<()> {
        let since = self.now();
        let (t, hash) = self.token_and_hash_in(caller, coll, id, "token.delete").await?;
        if !self.store.delete_token_with_hash(&t.id, &hash, since).await? {
            return Err(lost_race(&*self.store, &t.id).await);
        }
        self.audit(&caller.actor(), "token.delete", &t.id, Outcome::Ok, caller.ip.as_deref(), "", self.now()).await;
        Ok(())
    }

    /// RFC 7009: revokes whatever credential `value` is, for anyone who holds it. Unknown,
    /// malformed and already revoked values are quietly accepted, as the RFC asks.
    pub async fn revoke(&self, value: &str, ip: Option<&str>) -> Result<()> {
        let now = self.now();
        if crate::device::is_refresh_shaped(value) {
            // A device's refresh credential: revoking it signs the device out. A spent one
            // names nobody to its presenter and revokes nothing (RFC 7009: still a 200).
            if let Some(device) = self.store.device_by_refresh(&token::hash(value)).await? {
                if self.store.revoke_device(&device.id, now).await? {
                    self.audit("anonymous", "device.revoke", &device.id, Outcome::Ok, ip, "revoked by value", now)
                        .await;
                }
            }
            return Ok(());
        }
        if value.starts_with("tsr_") {
            if token::parse(value).is_err() {
                return Ok(());
            }
            let hash = token::hash(value);
            if let Some(t) = self.store.token_by_hash(&hash).await? {
                // Conditioned on the value: a revocation that loses a race with a rotation
                // must not kill the value the rotation just handed out.
                if t.revoked_at.is_none() && self.store.revoke_token_with_hash(&t.id, &hash, now).await? {
                    self.audit("anonymous", "token.revoke", &t.id, Outcome::Ok, ip, "revoked by value", now).await;
                }
            }
            return Ok(());
        }
        if let Ok(claims) = self.keys.verify(value, now) {
            self.store.revoke_session(&claims.jti, now).await?;
            self.audit("anonymous", "session.revoke", &claims.jti, Outcome::Ok, ip, "revoked by value", now).await;
        }
        Ok(())
    }

    /// RFC 7662: what `value` is, for a caller that may ask. Only a login session, or a
    /// personal access or organization token with `token:admin`, may introspect; trigger and
    /// agent tokens never do. The answer is `active: true` only for a usable credential the caller
    /// owns or administers (an instance admin's session: every one); anything else is
    /// `{"active": false}` and nothing more, so a value's owner, scopes and id never leak.
    pub async fn introspect(&self, caller: &Caller, value: &str) -> Result<Introspection> {
        let may = match caller.token_kind() {
            None => Ok(()),
            Some(TokenKind::Pat | TokenKind::Org) => caller.require(Scope::TokenAdmin),
            Some(k) => Err(Error::forbidden(format!(
                "{} tokens cannot introspect; use a login session or a token with token:admin",
                super::kind_name(k)
            ))),
        };
        self.guard(caller, "token.introspect", "", may).await?;
        let now = self.now();
        if value.starts_with("tsr_") {
            if token::parse(value).is_err() {
                return Ok(Introspection::default());
            }
            let Some(t) = self.store.token_by_hash(&token::hash(value)).await?.filter(|t| t.is_active(now)) else {
                return Ok(Introspection::default());
            };
            if !self.administers(caller, &t.owner).await? {
                return Ok(Introspection::default());
            }
            return Ok(Introspection {
                active: true,
                scope: Some(t.scopes.to_space_separated()),
                token_type: Some("tessera_token".into()),
                kind: Some(t.kind.as_str().into()),
                jti: Some(t.id),
                sub: Some(t.owner.id),
                iat: Some(t.created_at.timestamp()),
                exp: t.expires_at.map(|e| e.timestamp()),
            });
        }
        let Ok(claims) = self.keys.verify(value, now) else {
            return Ok(Introspection::default());
        };
        let live = self.store.session(&claims.jti).await?.is_some_and(|s| s.revoked_at.is_none());
        if !live || !self.administers(caller, &Owner::user(&claims.sub)).await? {
            return Ok(Introspection::default());
        }
        Ok(Introspection {
            active: true,
            scope: Some(Scopes::ALL.to_space_separated()),
            token_type: Some("tessera_session".into()),
            kind: None,
            jti: Some(claims.jti),
            sub: Some(claims.sub),
            iat: Some(claims.iat),
            exp: Some(claims.exp),
        })
    }

    /// Whether the caller owns or administers what `owner` names: an instance admin's session
    /// administers everything; an organization token its organization and the organization's
    /// projects; a user (session or personal access token) itself, the organizations it is an
    /// admin of, and the projects it owns or administers through its organization.
    async fn administers(&self, caller: &Caller, owner: &Owner) -> Result<bool> {
        if let Credential::Session { user, .. } = &caller.credential {
            if user.role == Role::Admin {
                return Ok(true);
            }
        }
        let owner = match owner.kind {
            OwnerKind::Project => match self.store.project(&owner.id).await? {
                Some(p) => p.owner,
                None => return Ok(false),
            },
            _ => owner.clone(),
        };
        if let Some(org) = caller.acting_org() {
            return Ok(owner == Owner::org(org));
        }
        let Ok(user) = caller.acting_user() else {
            return Ok(false);
        };
        Ok(match owner.kind {
            OwnerKind::User => owner.id == user.id,
            OwnerKind::Org => self.store.membership(&owner.id, &user.id).await? == Some(OrgRole::Admin),
            OwnerKind::Project => false,
        })
    }

    /// The minting ceiling ([`needed_to_mint`]): a token may mint or rotate only a token that
    /// reaches nothing its own scopes do not.
    fn within_ceiling(&self, caller: &Caller, coll: &Collection, scopes: Scopes) -> Result<()> {
        let Credential::Token { .. } = &caller.credential else {
            return Ok(());
        };
        let mut held = caller.scopes();
        if matches!(coll, Collection::OrgTokens(_) | Collection::OrgAgentTokens(_)) && held.contains(Scope::OrgAdmin) {
            held = held | Scope::TokenAdmin;
        }
        let kind = coll.kind();
        let needed = needed_to_mint(kind, scopes);
        let missing: Scopes = needed.iter().filter(|s| !held.contains(*s)).collect();
        if missing.is_empty() {
            return Ok(());
        }
        let word = if missing.iter().count() == 1 { "scope" } else { "scopes" };
        Err(Error::forbidden(format!(
            "a token may hand out {} token only if it holds {needed}; this one lacks the {missing} {word}",
            article_kind(kind)
        )))
    }
}

fn caller_user_id(caller: &Caller) -> Option<String> {
    match &caller.credential {
        Credential::Session { user, .. } => Some(user.id.clone()),
        Credential::Token { user: Some(u), .. } => Some(u.id.clone()),
        Credential::Token { .. } => None,
    }
}

fn article_kind(kind: TokenKind) -> &'static str {
    match kind {
        TokenKind::Pat => "a personal access",
        TokenKind::Org => "an organization",
        TokenKind::Agent => "an agent",
        TokenKind::Trigger => "a trigger",
    }
}

/// The error for a conditional write that found the token changed since it was read.
async fn lost_race(store: &dyn crate::store::Store, id: &str) -> Error {
    match store.token(id).await {
        Ok(None) => Error::Conflict("the token was deleted by another request at the same time".into()),
        Ok(Some(t)) if t.revoked_at.is_some() => {
            Error::Conflict("the token was revoked while this request ran; create a new one".into())
        }
        _ => Error::Conflict(
            "the token was rotated or changed by another request at the same time; reload it and try again".into(),
        ),
    }
}

/// The expiry of a token minted by `caller`: a token never mints one that outlives it. Asked
/// for none, the child gets the parent's expiry; asked for a later one, the request is refused.
fn child_expiry(caller: &Caller, wanted: Option<DateTime<Utc>>) -> Result<Option<DateTime<Utc>>> {
    let Credential::Token { token: parent, .. } = &caller.credential else {
        return Ok(wanted);
    };
    match (parent.expires_at, wanted) {
        (Some(limit), None) => Ok(Some(limit)),
        (Some(limit), Some(e)) if e > limit => Err(Error::invalid(format!(
            "a token cannot mint a token that outlives it: this one expires at {}; choose an expiry no later \
             than that, or none to get that one",
            limit.to_rfc3339()
        ))),
        (_, e) => Ok(e),
    }
}

/// Refuses when a token would rotate a token that outlives it: the new value would last longer
/// than the credential that asked for it.
fn outlived_by(caller: &Caller, target: Option<DateTime<Utc>>) -> Result<()> {
    let Credential::Token { token: parent, .. } = &caller.credential else {
        return Ok(());
    };
    match (parent.expires_at, target) {
        (Some(limit), None) => Err(Error::forbidden(format!(
            "a token cannot rotate a token that outlives it: this one expires at {} and that one never does",
            limit.to_rfc3339()
        ))),
        (Some(limit), Some(e)) if e > limit => Err(Error::forbidden(format!(
            "a token cannot rotate a token that outlives it: this one expires at {}, that one at {}",
            limit.to_rfc3339(),
            e.to_rfc3339()
        ))),
        _ => Ok(()),
    }
}
