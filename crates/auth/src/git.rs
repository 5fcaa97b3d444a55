//! Code-host tokens handed to git (`tessera git-credential`, git's credential helper protocol):
//! the signed-in person's linked account at the host git asks about, its token refreshed first
//! when it is about to expire, with the user name that host expects beside it.

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use tessera_core::model::{Identity, ScmStatus};
use tessera_core::{Caller, Secret};

use crate::error::{AuthError, Result};
use crate::provider::{GitRemote, Provider};
use crate::scm;
use crate::sign_in::SignIn;

/// Longest host name (with port) and user name git may send: more is not a real remote.
const MAX_FIELD: usize = 255;

/// What git asks about, from its `protocol`, `host` and `username` lines.
#[derive(Debug, Clone)]
pub struct GitQuery {
    /// `https` or `http`.
    pub protocol: String,
    /// Host name, with `:port` when not the default.
    pub host: String,
    /// The user name in the remote URL, if it has one.
    pub username: Option<String>,
}

impl GitQuery {
    /// Refuses what no git remote sends: an empty or overlong field, a line break, a protocol
    /// other than HTTP(S).
    pub fn check(&self) -> Result<()> {
        let bad = |v: &str| v.is_empty() || v.chars().count() > MAX_FIELD || v.chars().any(char::is_control);
        if !matches!(self.protocol.to_ascii_lowercase().as_str(), "https" | "http") {
            return Err(AuthError::InvalidRequest(
                "protocol must be https or http: git sends code-host tokens over HTTP only".into(),
            ));
        }
        if bad(&self.host) {
            return Err(AuthError::InvalidRequest("host must be a host name, with :port when not the default".into()));
        }
        if self.username.as_deref().is_some_and(bad) {
            return Err(AuthError::InvalidRequest("username must be a user name of at most 255 characters".into()));
        }
        Ok(())
    }
}

/// The answer to git: a user name and the code-host token as the password.
#[derive(Debug)]
pub struct GitCredential {
    /// The user name the host expects with a token (`x-access-token`, `oauth2`, `x-token-auth`).
    pub username: String,
    /// The code-host access token.
    pub password: Secret,
    /// When the token expires, if it does: git stops using it then.
    pub expires_at: Option<DateTime<Utc>>,
    /// The provider's id.
    pub provider: String,
    /// The linked identity whose token it is.
    pub identity: String,
    /// The account's name at the host.
    pub account: String,
}

/// A code host git can use through Tessera: one of the person's linked accounts.
#[derive(Debug, Clone)]
pub struct GitHost {
    /// The provider's id.
    pub provider: String,
    /// The provider's name.
    pub provider_name: String,
    /// Where git reaches it.
    pub remote: GitRemote,
    /// The linked identity.
    pub identity: String,
    /// The account's name at the host.
    pub account: String,
    /// Whether its token is usable.
    pub status: ScmStatus,
}

impl SignIn {
    /// The code hosts whose repositories are at `protocol`://`host`.
    pub(crate) async fn code_hosts_at(&self, protocol: &str, host: &str) -> Result<Vec<(Provider, GitRemote)>> {
        Ok(self
            .all_providers()
            .await?
            .into_iter()
            .filter_map(|p| p.git_remote().filter(|r| r.matches(protocol, host)).map(|r| (p, r)))
            .collect())
    }

    /// The caller's linked accounts at the host of `q`, best first, with their providers.
    async fn git_candidates(&self, caller: &Caller, q: &GitQuery) -> Result<Vec<(Identity, Provider, GitRemote)>> {
        q.check()?;
        let providers = self.code_hosts_at(&q.protocol, &q.host).await?;
        let ids: Vec<String> = providers.iter().map(|(p, _)| p.id().to_owned()).collect();
        let identities = self.authority.identities_for_git(caller, &ids, q.username.as_deref()).await?;
        Ok(identities
            .into_iter()
            .filter_map(|i| {
                let (p, r) = providers.iter().find(|(p, _)| p.id() == i.provider)?;
                Some((i, p.clone(), r.clone()))
            })
            .collect())
    }

    /// `git credential fill` through Tessera: the linked account's token for the host git names,
    /// refreshed first when it is about to expire. No linked account there is
    /// [`tessera_core::Error::NotFound`]; one that must sign in again is
    /// [`AuthError::ReconnectRequired`].
    pub async fn git_credential(&self, caller: &Caller, q: &GitQuery) -> Result<GitCredential> {
        let candidates = self.git_candidates(caller, q).await?;
        let Some((identity, p, remote)) = candidates.into_iter().next() else {
            return Err(tessera_core::Error::NotFound("linked account at that host").into());
        };
        let tokens = self.fresh_tokens(&p, &identity).await.map_err(|e| e.at_provider(&identity.provider))?;
        self.authority.record_git_credential(caller, &identity.id, &q.host).await;
        Ok(GitCredential {
            username: remote.username.to_owned(),
            password: tokens.access_token,
            expires_at: tokens.expires_at,
            provider: identity.provider.clone(),
            identity: identity.id.clone(),
            account: identity.display_name.clone(),
        })
    }

    /// `git credential reject` through Tessera: git says the host refused `password`. When it is
    /// the linked account's current token, the host is asked whether it still accepts it; a token
    /// it no longer accepts marks the link for reconnecting ([`AuthError::ReconnectRequired`]).
    /// Anything else (an older token, a repository the account may not reach) changes nothing.
    pub async fn git_reject(&self, caller: &Caller, q: &GitQuery, password: &str) -> Result<()> {
        for (identity, p, _) in self.git_candidates(caller, q).await? {
            if identity.status != ScmStatus::Connected {
                continue;
            }
            let Ok(current) = self.access_token(&p, &identity).await else {
                continue;
            };
            // Digests are compared, so the time taken says nothing of how much of a guess matched.
            if Sha256::digest(current.expose()) != Sha256::digest(password) {
                continue;
            }
            return match scm::user(&self.http(&p)?, &p, current.expose()).await {
                Err(AuthError::Reconnect(why)) => {
                    self.authority.record_scm_failure(&identity.id).await?;
                    Err(AuthError::Reconnect(why).at_provider(&identity.provider))
                }
                _ => Ok(()),
            };
        }
        Ok(())
    }

    /// The code hosts git can use through Tessera for the caller: every linked account at a
    /// code host (`read`).
    pub async fn git_hosts(&self, caller: &Caller) -> Result<Vec<GitHost>> {
        let identities = self.authority.identities(caller).await?;
        let providers = self.all_providers().await?;
        Ok(identities
            .into_iter()
            .filter_map(|i| {
                let p = providers.iter().find(|p| p.id() == i.provider)?;
                Some(GitHost {
                    provider: i.provider.clone(),
                    provider_name: p.name(),
                    remote: p.git_remote()?,
                    identity: i.id,
                    account: i.display_name,
                    status: i.status,
                })
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(protocol: &str, host: &str, username: Option<&str>) -> GitQuery {
        GitQuery { protocol: protocol.into(), host: host.into(), username: username.map(str::to_owned) }
    }

    #[test]
    fn only_what_a_git_remote_sends_is_asked_about() {
        assert!(query("https", "github.com", None).check().is_ok());
        assert!(query("HTTPS", "127.0.0.1:8443", Some("alice")).check().is_ok());
        for bad in [
            query("ssh", "github.com", None),
            query("file", "github.com", None),
            query("https", "", None),
            query("https", "github.com\nusername=x", None),
            query("https", &"a".repeat(256), None),
            query("https", "github.com", Some("")),
            query("https", "github.com", Some("a\rb")),
        ] {
            assert!(matches!(bad.check(), Err(AuthError::InvalidRequest(_))), "{bad:?}");
        }
    }
}
