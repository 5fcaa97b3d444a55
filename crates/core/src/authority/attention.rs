//! Attention: what a person should act on before it bites. A token that expires within a week,
//! an expired one still listed, and a linked account whose code-host token must be renewed by
//! signing in with that provider again.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use super::{Authority, Caller, Collection};
use crate::error::Result;
use crate::model::{Identity, OrgRole, ScmStatus, Token};

/// How far ahead an expiring token is brought up.
pub const EXPIRING_WITHIN: Duration = Duration::days(7);

/// What about it needs attention.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum AttentionKind {
    /// A token that stops working within [`EXPIRING_WITHIN`].
    TokenExpiring,
    /// A token that stopped working and is still listed.
    TokenExpired,
    /// A linked account whose code-host token expired or is gone: sign in with it again.
    LinkReconnect,
}

/// Where the thing that needs attention lives, so the app can open it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum AttentionPlace {
    /// The caller's personal access tokens.
    PersonalTokens,
    /// The caller's personal agent tokens.
    AgentTokens,
    /// The tokens of an organization the caller administers.
    OrgTokens,
    /// The agent tokens of an organization the caller administers.
    OrgAgentTokens,
    /// The caller's linked accounts.
    LinkedAccounts,
}

/// One thing that needs attention.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Attention {
    /// What about it.
    pub kind: AttentionKind,
    /// Where it is.
    pub place: AttentionPlace,
    /// The token's or linked identity's id.
    pub id: String,
    /// The token's label, or the linked account's name.
    pub label: String,
    /// The organization, for its tokens.
    pub org: Option<String>,
    /// The organization's name, for its tokens.
    pub org_name: Option<String>,
    /// The provider id, for a linked account.
    pub provider: Option<String>,
    /// When the token expires or expired; when the link's token expired, if known.
    pub at: Option<DateTime<Utc>>,
}

/// What in `tokens` needs attention at `now`.
fn tokens_needing_attention(
    tokens: &[Token],
    place: AttentionPlace,
    org: Option<(&str, &str)>,
    now: DateTime<Utc>,
) -> Vec<Attention> {
    tokens
        .iter()
        .filter(|t| t.revoked_at.is_none())
        .filter_map(|t| {
            let at = t.expires_at?;
            let kind = if at <= now {
                AttentionKind::TokenExpired
            } else if at <= now + EXPIRING_WITHIN {
                AttentionKind::TokenExpiring
            } else {
                return None;
            };
            Some(Attention {
                kind,
                place,
                id: t.id.clone(),
                label: t.label.clone(),
                org: org.map(|(id, _)| id.to_owned()),
                org_name: org.map(|(_, name)| name.to_owned()),
                provider: None,
                at: Some(at),
            })
        })
        .collect()
}

impl Authority {
    /// `GET /user/attention`: the caller's tokens (personal, and those of organizations they
    /// administer) that expire within a week or have expired, and linked accounts whose stored
    /// token is expired or gone, soonest first. Whether a linked account's provider is a code
    /// host (and so whether it needs a token at all) is the sign-in layer's to say: it passes
    /// `needs_token`.
    pub async fn attention(&self, caller: &Caller, needs_token: impl Fn(&Identity) -> bool) -> Result<Vec<Attention>> {
        let now = self.now();
        let me = self.me(caller).await?;
        let mut items = Vec::new();
        for (coll, place) in [
            (Collection::Pats, AttentionPlace::PersonalTokens),
            (Collection::UserAgentTokens, AttentionPlace::AgentTokens),
        ] {
            items.extend(tokens_needing_attention(&self.list_tokens(caller, &coll).await?, place, None, now));
        }
        for org in me.orgs.iter().filter(|o| o.role == Some(OrgRole::Admin)) {
            let of = Some((org.id.as_str(), org.name.as_str()));
            let tokens = self.list_tokens(caller, &Collection::OrgTokens(org.id.clone())).await?;
            items.extend(tokens_needing_attention(&tokens, AttentionPlace::OrgTokens, of, now));
            let agents = self.list_tokens(caller, &Collection::OrgAgentTokens(org.id.clone())).await?;
            items.extend(tokens_needing_attention(&agents, AttentionPlace::OrgAgentTokens, of, now));
        }
        // `me` read the identities with their status at `now` already.
        for identity in me.identities.iter().filter(|i| needs_token(i)) {
            if matches!(identity.status, ScmStatus::Expired | ScmStatus::Disconnected) {
                items.push(Attention {
                    kind: AttentionKind::LinkReconnect,
                    place: AttentionPlace::LinkedAccounts,
                    id: identity.id.clone(),
                    label: identity.display_name.clone(),
                    org: None,
                    org_name: None,
                    provider: Some(identity.provider.clone()),
                    at: identity.expires_at,
                });
            }
        }
        items.sort_by(|a, b| (a.at.is_none(), a.at, &a.id).cmp(&(b.at.is_none(), b.at, &b.id)));
        Ok(items)
    }
}
