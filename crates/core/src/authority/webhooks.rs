//! Code-host webhooks that trigger runs. A webhook cannot send a bearer header, so each trigger
//! token has a webhook secret beside it, shown once when the token is created or rotated:
//! GitHub, Gitea/Forgejo and Bitbucket Cloud sign each delivery with it (HMAC-SHA256 of the raw
//! body: `X-Hub-Signature-256`, `X-Gitea-Signature`, `X-Hub-Signature`) and GitLab sends it back
//! as `X-Gitlab-Token`. The server must compute the HMAC, so the secret is
//! kept sealed (as project secrets are), not hashed.
//!
//! Comparisons go through `ring::hmac` (already a dependency of this crate): the GitHub tag with
//! `hmac::verify`, which compares in constant time, and the GitLab token by HMAC-ing both values
//! under a per-process random key and verifying one tag against the other, so neither comparison
//! leaks through its timing how much of a guess was right.

use std::sync::OnceLock;

use ring::hmac;

use super::{Authority, Caller, Credential};
use crate::authority::Collection;
use crate::error::{Error, Result};
use crate::id::random_base62;
use crate::secret::Secret;
use crate::token::TokenKind;

/// What a code host's delivery carries to prove it comes from a holder of the secret.
#[derive(Debug, Clone, Copy)]
pub enum Delivery<'a> {
    /// An HMAC-SHA256 of the raw body in hex, with or without a `sha256=` prefix: GitHub's
    /// `X-Hub-Signature-256`, Gitea's and Forgejo's `X-Gitea-Signature`, Bitbucket's
    /// `X-Hub-Signature`.
    Signed {
        /// The header's value.
        signature: &'a str,
        /// The body exactly as received.
        body: &'a [u8],
    },
    /// GitLab: `X-Gitlab-Token: <secret>`.
    GitLab {
        /// The header's value.
        token: &'a str,
    },
}

/// How webhook secrets begin, so people (and secret scanners) can tell one from a token.
pub const WEBHOOK_SECRET_PREFIX: &str = "whsec_";
const WEBHOOK_SECRET_RANDOM: usize = 40;

const MISMATCH: &str = "the webhook's signature does not match the secret of any trigger token of this project";

fn tag_of(signature: &str) -> Option<Vec<u8>> {
    let signature = signature.trim();
    let hex = signature.strip_prefix("sha256=").unwrap_or(signature);
    if hex.len() != 64 {
        return None;
    }
    (0..64).step_by(2).map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok()).collect()
}

/// A key made once per process, to compare GitLab tokens in constant time.
fn compare_key() -> Result<&'static hmac::Key> {
    static KEY: OnceLock<hmac::Key> = OnceLock::new();
    if let Some(k) = KEY.get() {
        return Ok(k);
    }
    let mut raw = [0u8; 32];
    getrandom::fill(&mut raw).map_err(|e| Error::Internal(format!("the OS random source failed: {e}")))?;
    Ok(KEY.get_or_init(|| hmac::Key::new(hmac::HMAC_SHA256, &raw)))
}

impl Delivery<'_> {
    /// Whether this delivery was made with `secret`.
    fn made_with(&self, secret: &[u8]) -> Result<bool> {
        Ok(match self {
            Delivery::Signed { signature, body } => match tag_of(signature) {
                Some(tag) => hmac::verify(&hmac::Key::new(hmac::HMAC_SHA256, secret), body, &tag).is_ok(),
                None => false,
            },
            Delivery::GitLab { token } => {
                let key = compare_key()?;
                hmac::verify(key, token.trim().as_bytes(), hmac::sign(key, secret).as_ref()).is_ok()
            }
        })
    }
}

impl Authority {
    /// Gives the trigger token `id` of `coll` a new webhook secret, replacing any earlier one,
    /// and returns it: the only time it is shown. `None` for other collections, and on a server
    /// without a sealing key, which cannot keep a secret it must read back.
    pub async fn issue_webhook_secret(&self, caller: &Caller, coll: &Collection, id: &str) -> Result<Option<Secret>> {
        let Collection::TriggerTokens(_) = coll else {
            return Ok(None);
        };
        let Some(sealer) = self.sealer.as_ref() else {
            return Ok(None);
        };
        let token = self.token_in(caller, coll, id, "token.webhook_secret").await?;
        let secret = Secret::new(format!("{WEBHOOK_SECRET_PREFIX}{}", random_base62(WEBHOOK_SECRET_RANDOM)?));
        let sealed = sealer.seal(&crate::seal::webhook_entry(&token.id), secret.expose().as_bytes())?;
        self.store.put_webhook_secret(&token.id, &token.owner.id, &sealed, self.now()).await?;
        Ok(Some(secret))
    }

    /// Who sent a webhook delivery to `project`: the trigger token whose webhook secret made it.
    /// A delivery no live trigger token's secret made is refused, and counted with the failed
    /// authentications of `ip` in the audit log.
    pub async fn webhook_caller(&self, project: &str, delivery: Delivery<'_>, ip: Option<String>) -> Result<Caller> {
        let now = self.now();
        let found = match self.sealer.as_ref() {
            Some(sealer) => {
                let mut found = None;
                for (token_id, sealed) in self.store.webhook_secrets(project, now).await? {
                    let secret = match sealer.open(&crate::seal::webhook_entry(&token_id), &sealed) {
                        Ok(s) => s,
                        Err(e) => {
                            tracing::error!(error = %e, token = %token_id, "a webhook secret does not open");
                            continue;
                        }
                    };
                    if delivery.made_with(&secret)? {
                        found = Some(token_id);
                        break;
                    }
                }
                found
            }
            None => None,
        };
        let Some(token_id) = found else {
            self.note_failed_authentication(ip.as_deref(), project, "webhook signature mismatch");
            return Err(Error::Unauthenticated(MISMATCH));
        };
        self.trigger_token_caller(&token_id, ip, now).await
    }

    /// A caller for the trigger token `id`, with the checks [`Authority::authenticate`] makes.
    async fn trigger_token_caller(
        &self,
        id: &str,
        ip: Option<String>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Caller> {
        let hash = self.store.token_with_hash(id).await?.map(|(_, h)| h).ok_or(Error::TokenUnknown)?;
        let (mut token, owner) = self.store.credential_by_hash(&hash).await?.ok_or(Error::TokenUnknown)?;
        let refusal = if owner.as_ref().is_some_and(|u| u.disabled) {
            Some((Error::AccountDisabled, "owner disabled"))
        } else if token.revoked_at.is_some() {
            Some((Error::TokenRevoked, "revoked token"))
        } else if !token.is_active(now) {
            Some((Error::TokenExpired, "expired token"))
        } else if token.kind != TokenKind::Trigger {
            Some((Error::TokenUnknown, "token kind mismatch"))
        } else {
            None
        };
        if let Some((e, why)) = refusal {
            self.note_failed_authentication(ip.as_deref(), &token.id, why);
            return Err(e);
        }
        self.last_used.note(&token.id, now, ip.as_deref());
        self.last_used.overlay(&mut token);
        Ok(Caller { credential: Credential::Token { token: Box::new(token), user: None }, ip })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_hmac_sha256_of_the_body() {
        // The example GitHub documents for validating webhook deliveries.
        let sig = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
        let d = Delivery::Signed { signature: sig, body: b"Hello, World!" };
        assert!(d.made_with(b"It's a Secret to Everybody").unwrap_or(false));
        assert!(!d.made_with(b"another secret").unwrap_or(true));
        // Gitea and Forgejo send the hex without the prefix.
        let bare = sig.trim_start_matches("sha256=");
        assert!(Delivery::Signed { signature: bare, body: b"Hello, World!" }
            .made_with(b"It's a Secret to Everybody")
            .unwrap_or(false));
        let d = Delivery::Signed { signature: sig, body: b"Hello, World?" };
        assert!(!d.made_with(b"It's a Secret to Everybody").unwrap_or(true));
        for bad in
            ["", "sha256=", "sha1=757107ea", "sha256=zz7107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"]
        {
            let d = Delivery::Signed { signature: bad, body: b"Hello, World!" };
            assert!(!d.made_with(b"It's a Secret to Everybody").unwrap_or(true), "{bad}");
        }
    }

    #[test]
    fn gitlab_tokens_must_match_whole() {
        let secret = b"whsec_abc";
        assert!(Delivery::GitLab { token: "whsec_abc" }.made_with(secret).unwrap_or(false));
        for other in ["whsec_ab", "whsec_abcd", "", "WHSEC_ABC"] {
            assert!(!Delivery::GitLab { token: other }.made_with(secret).unwrap_or(true), "{other}");
        }
    }
}
