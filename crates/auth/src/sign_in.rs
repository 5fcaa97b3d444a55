//! Signing in with providers and using linked accounts: the glue between the provider-facing
//! flows and the token authority's account rules.
//!
//! Order matters for what a failure leaves behind: code-host tokens are written to the secret
//! store *before* the account changes, so a locked keyring fails the sign-in with nothing
//! changed; on unlink they are deleted *before* the identity, so a locked keyring keeps both.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;
use serde_json::Value;
use tessera_core::authority::SignedIn;
use tessera_core::model::{Identity, ScmStatus, ScmTokenInfo, VerifiedIdentity};
use tessera_core::{Authority, Caller, Secret};

use crate::error::{AuthError, Result};
use crate::oauth::{self, DeviceAuthorization, Endpoints, TokenSet};
use crate::oidc::OidcCache;
use crate::provider::{self, ClaimSource, Provider, ProviderConfig, ProviderInfo, ProviderKind, Source};
use crate::scm::{self, Repository};
use crate::secret_store::SecretStore;

/// What a client sends after the browser came back with a code.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CodeLogin {
    /// Provider id.
    #[cfg_attr(feature = "openapi", schema(pattern = "^[a-z0-9_-]{1,40}$"))]
    pub provider: String,
    /// The authorization code.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 4096))]
    pub code: String,
    /// The PKCE verifier (RFC 7636: 43 to 128 unreserved characters).
    #[cfg_attr(feature = "openapi", schema(pattern = "^[A-Za-z0-9._~-]{43,128}$"))]
    pub code_verifier: String,
    /// The loopback redirect URI the code was sent to (RFC 8252 section 7.3).
    #[cfg_attr(
        feature = "openapi",
        schema(
            max_length = 2048,
            pattern = "^http://(127[.](25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])[.](25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])[.](25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])|localhost|\\[::1\\]):([1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])(/[A-Za-z0-9._~/-]*)?$"
        )
    )]
    pub redirect_uri: String,
    /// The request's nonce (OpenID providers).
    #[serde(default)]
    pub nonce: Option<String>,
    /// What is signing in, as Account's list of devices will name it (sign-in only).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 200))]
    pub device_name: Option<String>,
}

/// What an OpenID provider said of the person signing in.
struct OidcClaims {
    /// The ID token's `sub`.
    subject: String,
    /// The ID token's claims, with those it leaves out taken from userinfo.
    all: Value,
    /// The role the provider asserts, when it maps one.
    role: Option<tessera_core::model::Role>,
}

/// What anonymous callers see of why a provider cannot be used.
pub const UNAVAILABLE: &str = "unavailable: the provider cannot be reached right now";

/// How far ahead of expiry code-host tokens are refreshed.
pub const REFRESH_AHEAD: Duration = Duration::minutes(5);

/// What one refresh pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RefreshReport {
    /// Tokens refreshed.
    pub refreshed: usize,
    /// Tokens the provider refused to refresh: their accounts need a new sign-in.
    pub expired: usize,
    /// Tokens left for the next pass (keyring locked, provider unreachable).
    pub deferred: usize,
}

/// The sign-in service.
pub struct SignIn {
    pub(crate) authority: Arc<Authority>,
    pub(crate) file_providers: Vec<Provider>,
    pub(crate) secrets: Arc<dyn SecretStore>,
    oidc: OidcCache,
    pub(crate) clients: Mutex<HashMap<String, reqwest::Client>>,
    /// One refresh at a time per linked account: a refresh token is spent by its first use, so
    /// a second refresh of the same one (git asking twice at once) would lose the link.
    refreshing: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl std::fmt::Debug for SignIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignIn").finish_non_exhaustive()
    }
}

fn scm_key(provider: &str, subject: &str) -> String {
    format!("scm/{provider}/{subject}")
}

pub(crate) fn client_secret_key(provider: &str) -> String {
    format!("provider/{provider}/client_secret")
}

/// Refuses anything but a loopback redirect URI (RFC 8252 section 7.3).
fn check_redirect(uri: &str) -> Result<()> {
    if crate::urls::is_loopback_redirect(uri) {
        Ok(())
    } else {
        Err(AuthError::InvalidRequest("redirect_uri must be http://127.0.0.1:<port>/<path>".into()))
    }
}

/// A sign-in the provider's policy does not admit.
fn refused(p: &Provider, subject: Option<&str>, reason: String) -> AuthError {
    AuthError::SignInRefused { provider: p.id().to_owned(), subject: subject.unwrap_or("").to_owned(), reason }
}

fn check_login(req: &CodeLogin) -> Result<()> {
    check_redirect(&req.redirect_uri)?;
    if req.code.is_empty() || req.code.len() > 4096 {
        return Err(AuthError::InvalidRequest("code is missing".into()));
    }
    let v = &req.code_verifier;
    if v.len() < 43 || v.len() > 128 || !v.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b)) {
        return Err(AuthError::InvalidRequest(
            "code_verifier must be 43 to 128 unreserved characters (RFC 7636)".into(),
        ));
    }
    Ok(())
}

impl SignIn {
    /// The service over `authority`, with providers from `providers_file` and the API, keeping
    /// code-host tokens in `secrets`.
    pub async fn new(authority: Arc<Authority>, providers_file: &Path, secrets: Arc<dyn SecretStore>) -> Result<Self> {
        let file_providers = provider::load_file(providers_file)?;
        let me = Self {
            authority,
            file_providers,
            secrets,
            oidc: OidcCache::default(),
            clients: Mutex::new(HashMap::new()),
            refreshing: Mutex::new(HashMap::new()),
        };
        me.adopt_issuers().await?;
        Ok(me)
    }

    /// Gives identities linked before issuers were recorded the issuer of the provider they were
    /// made with, as it is configured now.
    async fn adopt_issuers(&self) -> Result<()> {
        for p in self.all_providers().await? {
            let n = self.authority.adopt_identity_issuer(p.id(), &p.identity_issuer()).await?;
            if n > 0 {
                tracing::info!(provider = %p.id(), identities = n, "recorded the issuer of identities linked before");
            }
        }
        Ok(())
    }

    /// The token authority.
    pub fn authority(&self) -> &Arc<Authority> {
        &self.authority
    }

    /// Providers configured through the API, read from the store on every call so that every
    /// replica sees an admin's change at once (one small query; no per-process cache to go
    /// stale). Client secrets are left out: [`SignIn::provider`] reads the one it needs.
    async fn api_providers(&self) -> Result<Vec<Provider>> {
        let mut list = Vec::new();
        for (id, json) in self.authority.stored_providers().await? {
            let config: ProviderConfig = match serde_json::from_str(&json) {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!(provider = %id, error = %e, "skipping a stored provider that no longer parses");
                    continue;
                }
            };
            match config.into_provider(Source::Api) {
                Ok(p) => list.push(p),
                Err(e) => {
                    tracing::warn!(provider = %id, error = %e, "skipping a stored provider that is no longer valid")
                }
            }
        }
        Ok(list)
    }

    pub(crate) async fn all_providers(&self) -> Result<Vec<Provider>> {
        let mut all = self.file_providers.clone();
        let api = self.api_providers().await?;
        all.extend(api.into_iter().filter(|p| !self.file_providers.iter().any(|f| f.id() == p.id())));
        Ok(all)
    }

    async fn provider(&self, id: &str) -> Result<Provider> {
        let mut p = self
            .all_providers()
            .await?
            .into_iter()
            .find(|p| p.id() == id)
            .ok_or_else(|| AuthError::UnknownProvider(id.to_owned()))?;
        if p.source == Source::Api {
            // The secret lives in the secret store; a locked keyring leaves the provider usable
            // for public clients and reports itself at the code exchange.
            p.client_secret = self.secrets.get(&client_secret_key(id)).await.ok().flatten();
        }
        Ok(p)
    }

    /// An HTTP client for a provider: bounded time, no redirects followed, the provider's extra
    /// CA trusted when configured.
    pub(crate) fn http(&self, p: &Provider) -> Result<reqwest::Client> {
        if let Some(c) = self.clients.lock().ok().and_then(|m| m.get(p.id()).cloned()) {
            return Ok(c);
        }
        let mut b = reqwest::Client::builder()
            .timeout(StdDuration::from_secs(15))
            .connect_timeout(StdDuration::from_secs(5))
            .redirect(reqwest::redirect::Policy::none());
        if let Some(ca) = &p.config.ca_file {
            let pem = std::fs::read(ca)
                .map_err(|e| AuthError::Config(format!("cannot read ca_file {}: {e}", ca.display())))?;
            let cert = reqwest::Certificate::from_pem(&pem).map_err(|e| AuthError::Config(format!("ca_file: {e}")))?;
            b = b.add_root_certificate(cert);
        }
        let c = b.build().map_err(|e| AuthError::Config(e.to_string()))?;
        if let Ok(mut m) = self.clients.lock() {
            m.insert(p.id().to_owned(), c.clone());
        }
        Ok(c)
    }

    /// The provider's OAuth endpoints: from discovery for OpenID providers, fixed for code hosts.
    async fn endpoints(&self, p: &Provider) -> Result<Endpoints> {
        if !p.kind().is_openid() {
            return Endpoints::of_code_host(p);
        }
        let d = self.oidc.discovery(&self.http(p)?, p.oidc_issuer()?).await?;
        Ok(Endpoints {
            authorization: d.authorization_endpoint(),
            token: d.token_endpoint()?,
            device: d.device_authorization_endpoint(),
            revocation: d.revocation_endpoint(),
            basic_auth: d.basic_auth(),
        })
    }

    /// What anyone may see of the providers: [`SignIn::providers`] with the reason a provider
    /// cannot be used replaced by [`UNAVAILABLE`] (the reason names internal addresses and
    /// answers; instance admins see it).
    pub async fn public_providers(&self) -> Vec<ProviderInfo> {
        let mut list = self.providers().await;
        for p in &mut list {
            if p.error.is_some() {
                p.error = Some(UNAVAILABLE.to_owned());
            }
        }
        list
    }

    /// What clients need to start a sign-in with each provider, with the reason a provider
    /// cannot be used right now (for instance admins).
    pub async fn providers(&self) -> Vec<ProviderInfo> {
        let mut out = Vec::new();
        let all = match self.all_providers().await {
            Ok(all) => all,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the providers configured through the API");
                self.file_providers.clone()
            }
        };
        for p in all {
            let (auth, device, error) = if p.kind().is_openid() {
                match self.http(&p).and_then(|http| Ok((http, p.oidc_issuer()?))) {
                    Ok((http, issuer)) => match self.oidc.discovery(&http, issuer).await {
                        Ok(d) => (Some(d.authorization_endpoint()), d.device_authorization_endpoint().is_some(), None),
                        Err(e) => (None, false, Some(e.to_string())),
                    },
                    Err(e) => (None, false, Some(e.to_string())),
                }
            } else {
                match Endpoints::of_code_host(&p) {
                    Ok(e) => (Some(e.authorization), e.device.is_some(), None),
                    Err(e) => (None, false, Some(e.to_string())),
                }
            };
            out.push(ProviderInfo {
                id: p.id().to_owned(),
                kind: p.kind(),
                name: p.name(),
                logo: p.config.logo.clone(),
                client_id: p.config.client_id.clone(),
                authorization_endpoint: auth,
                scopes: p.scopes(),
                code_challenge_method: "S256".into(),
                nonce: p.kind().is_openid(),
                device,
                error,
                source: p.source,
            });
        }
        out
    }

    /// Exchanges a code and finds out, with every check, who signed in.
    async fn redeem(&self, req: &CodeLogin, now: DateTime<Utc>) -> Result<(Provider, VerifiedIdentity, TokenSet)> {
        check_login(req)?;
        let p = self.provider(&req.provider).await?;
        if p.kind().is_openid() && req.nonce.as_deref().is_none_or(str::is_empty) {
            return Err(AuthError::InvalidRequest("an OpenID sign-in needs the request's nonce".into()));
        }
        let endpoints = self.endpoints(&p).await?;
        let http = self.http(&p)?;
        let tokens =
            oauth::exchange_code(&http, &p, &endpoints, &req.code, &req.code_verifier, &req.redirect_uri, now).await?;
        let who = self.identify(&p, &tokens, req.nonce.as_deref(), now).await?;
        Ok((p, who, tokens))
    }

    async fn identify(
        &self,
        p: &Provider,
        tokens: &TokenSet,
        nonce: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<VerifiedIdentity> {
        let http = self.http(p)?;
        // Azure DevOps people sign in through Entra ID: who they are is in the ID token.
        if p.kind().is_openid() {
            let claims = self.oidc_claims(&http, p, tokens, nonce, now).await?;
            p.admits(&claims.all).map_err(|reason| refused(p, Some(&claims.subject), reason))?;
            let s = |k: &str| claims.all.get(k).and_then(Value::as_str).filter(|v| !v.is_empty()).map(str::to_owned);
            let preferred = s("preferred_username").or_else(|| s("email")).unwrap_or_else(|| claims.subject.clone());
            return Ok(VerifiedIdentity {
                provider: p.id().to_owned(),
                // The ID token's `iss` was checked against this very issuer.
                issuer: p.identity_issuer(),
                display_name: s("name").unwrap_or_else(|| preferred.clone()),
                preferred_name: preferred,
                email: s("email"),
                role: claims.role,
                subject: claims.subject,
            });
        }
        let user = scm::user(&http, p, tokens.access_token.expose()).await?;
        p.admits(&user.raw).map_err(|reason| refused(p, Some(&user.subject), reason))?;
        let role = scm::role(&http, p, tokens.access_token.expose(), &user).await?;
        Ok(VerifiedIdentity {
            provider: p.id().to_owned(),
            issuer: p.identity_issuer(),
            subject: user.subject,
            display_name: user.display_name,
            preferred_name: user.login,
            email: user.email,
            role,
        })
    }

    /// What an OpenID provider says of the person: the checked ID token's claims, with those it
    /// leaves out taken from userinfo (OpenID Connect Core 5.4: profile and e-mail claims may be
    /// served there only), and the role from where the provider is configured to put it.
    async fn oidc_claims(
        &self,
        http: &reqwest::Client,
        p: &Provider,
        tokens: &TokenSet,
        nonce: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<OidcClaims> {
        let id_token =
            tokens.id_token.as_ref().ok_or_else(|| AuthError::IdToken("the provider sent no ID token".into()))?;
        let d = self.oidc.discovery(http, p.oidc_issuer()?).await?;
        let client_id = &p.config.client_id;
        let id_claims = self.oidc.verify_id_token(http, &d, client_id, id_token.expose(), nonce, now).await?;
        let subject = id_claims
            .get("sub")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| AuthError::IdToken("no subject".into()))?
            .to_owned();
        let source = p.config.role_claim_source;
        let wanted = p.claims_wanted();
        let missing = wanted.iter().any(|path| provider::claim_at(&id_claims, path).is_none());
        let userinfo = if source == Some(ClaimSource::Userinfo) || missing {
            match self.oidc.userinfo(http, &d, client_id, tokens.access_token.expose(), &subject).await {
                Ok(found) => found,
                // Without userinfo the ID token still says who this is; a role the provider puts
                // only there then reads as `member`, and a sign-in policy refuses.
                Err(e) if source != Some(ClaimSource::Userinfo) => {
                    tracing::warn!(provider = %p.id(), error = %e, "userinfo could not be read; using the ID token alone");
                    None
                }
                Err(e) => return Err(e),
            }
        } else {
            None
        };
        if source == Some(ClaimSource::Userinfo) && userinfo.is_none() {
            return Err(AuthError::ProviderUnavailable(
                "the provider has no userinfo endpoint, and its role claim is configured to be read there".into(),
            ));
        }
        let mut all = id_claims.clone();
        if let (Value::Object(all), Some(Value::Object(extra))) = (&mut all, &userinfo) {
            for (k, v) in extra {
                all.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
        let role = match source {
            None => p.role_from(&all),
            Some(ClaimSource::IdToken) => p.role_from(&id_claims),
            Some(ClaimSource::Userinfo) => userinfo.as_ref().and_then(|u| p.role_from(u)),
            Some(ClaimSource::AccessToken) => {
                let at = self.oidc.access_token_claims(&d, client_id, tokens.access_token.expose(), now)?;
                p.role_from(&at)
            }
        };
        Ok(OidcClaims { subject, all, role })
    }

    /// Writes a linked account's tokens to the secret store, before anything else changes.
    async fn keep_tokens(&self, provider: &str, subject: &str, tokens: &TokenSet) -> Result<ScmTokenInfo> {
        self.secrets.set(&scm_key(provider, subject), &tokens.to_secret()?).await?;
        Ok(ScmTokenInfo { expires_at: tokens.expires_at, refreshable: tokens.refresh_token.is_some() })
    }

    /// `POST /sessions`: signs in with a code from the browser flow.
    pub async fn sign_in(&self, req: &CodeLogin, ip: Option<&str>) -> Result<SignedIn> {
        let now = self.authority.now();
        let (_, who, tokens) = match self.redeem(req, now).await {
            Ok(r) => r,
            Err(e) => return Err(self.audited(e, ip).await),
        };
        self.finish_sign_in(&who, &tokens, req.device_name.as_deref(), ip).await
    }

    async fn finish_sign_in(
        &self,
        who: &VerifiedIdentity,
        tokens: &TokenSet,
        device_name: Option<&str>,
        ip: Option<&str>,
    ) -> Result<SignedIn> {
        // Before anything is written: a provider that does not allow sign-up makes no account.
        let allow_signup = self.provider(&who.provider).await?.config.allow_signup;
        self.authority.check_sign_up(who, allow_signup, ip).await?;
        let info = self.keep_tokens(&who.provider, &who.subject, tokens).await?;
        let mut done = self.authority.sign_in_with(who, device_name, ip).await?;
        let stored = self.authority.record_scm_token(&done.identity.id, Some(info)).await?;
        done.identity = self.with_kind(stored.unwrap_or(done.identity)).await;
        Ok(done)
    }

    /// Writes the audit entry of a sign-in the provider's policy refused; other errors pass.
    async fn audited(&self, e: AuthError, ip: Option<&str>) -> AuthError {
        match e {
            AuthError::SignInRefused { provider, subject, reason } => {
                self.authority.refuse_sign_in(&provider, &subject, &reason, ip).await.into()
            }
            e => e,
        }
    }

    /// `POST /user/identities`: links another account to the signed-in user.
    pub async fn link(&self, caller: &Caller, req: &CodeLogin) -> Result<Identity> {
        self.authority.check_link(caller, None).await?;
        let now = self.authority.now();
        let (_, who, tokens) = match self.redeem(req, now).await {
            Ok(r) => r,
            Err(e) => return Err(self.audited(e, caller.ip.as_deref()).await),
        };
        self.authority.check_link(caller, Some(&who)).await?;
        let info = self.keep_tokens(&who.provider, &who.subject, &tokens).await?;
        let identity = self.authority.link_identity(caller, &who).await?;
        self.authority.record_scm_token(&identity.id, Some(info)).await?;
        Ok(self.with_kind(self.authority.identity_for(caller, &identity.id).await?).await)
    }

    /// Fills in the provider kind of an identity read from the store.
    pub async fn with_kind(&self, mut i: Identity) -> Identity {
        if let Ok(Some(p)) = self.all_providers().await.map(|all| all.into_iter().find(|p| p.id() == i.provider)) {
            i.provider_kind = p.kind().as_str().to_owned();
        }
        i
    }

    /// Fills in the provider kind of identities read from the store, reading the providers once.
    pub async fn with_kinds(&self, mut list: Vec<Identity>) -> Vec<Identity> {
        if list.is_empty() {
            return list;
        }
        let all = self.all_providers().await.unwrap_or_else(|_| self.file_providers.clone());
        for i in &mut list {
            if let Some(p) = all.iter().find(|p| p.id() == i.provider) {
                i.provider_kind = p.kind().as_str().to_owned();
            }
        }
        list
    }

    /// `GET /user/attention`: what the caller should act on; a linked account needs a stored
    /// token only when its provider is a code host (an OpenID sign-in keeps none to renew).
    pub async fn attention(&self, caller: &Caller) -> Result<Vec<tessera_core::authority::Attention>> {
        let all = self.all_providers().await.unwrap_or_else(|_| self.file_providers.clone());
        let hosts: Vec<String> = all.iter().filter(|p| p.kind().is_code_host()).map(|p| p.id().to_owned()).collect();
        Ok(self.authority.attention(caller, |i| hosts.contains(&i.provider)).await?)
    }

    /// `GET /user/identities`.
    pub async fn identities(&self, caller: &Caller) -> Result<Vec<Identity>> {
        Ok(self.with_kinds(self.authority.identities(caller).await?).await)
    }

    /// `DELETE /user/identities/{id}`: revokes the tokens at the provider where it offers
    /// revocation (best effort), deletes them from the secret store, then unlinks.
    pub async fn unlink(&self, caller: &Caller, id: &str) -> Result<()> {
        let identity = self.authority.check_unlink(caller, id).await?;
        let key = scm_key(&identity.provider, &identity.subject);
        // Reading first also proves the keyring is usable before anything changes.
        if let Some(stored) = self.secrets.get(&key).await? {
            if let (Ok(p), Ok(tokens)) = (self.provider(&identity.provider).await, TokenSet::from_secret(&stored)) {
                if let Err(e) = self.revoke_at_provider(&p, &tokens).await {
                    tracing::warn!(provider = %p.id(), error = %e, "could not revoke the tokens at the provider");
                }
            }
        }
        self.secrets.delete(&key).await?;
        self.authority.record_scm_token(&identity.id, None).await?;
        self.authority.unlink_identity(caller, id).await?;
        Ok(())
    }

    /// Deletes the stored code-host tokens of a deleted account's identities. Best effort: the
    /// account is already gone, and an entry a locked keyring keeps is reachable by no one.
    pub async fn forget_tokens(&self, identities: &[Identity]) {
        for i in identities {
            if let Err(e) = self.secrets.delete(&scm_key(&i.provider, &i.subject)).await {
                tracing::warn!(identity = %i.id, error = %e, "could not delete a deleted account's code-host token");
            }
        }
    }

    /// RFC 7009 at OpenID providers that offer it and at GitLab; GitHub's own token deletion.
    async fn revoke_at_provider(&self, p: &Provider, tokens: &TokenSet) -> Result<()> {
        let http = self.http(p)?;
        if p.kind() == ProviderKind::Github {
            return scm::github_delete_token(&http, p, tokens.access_token.expose()).await;
        }
        let endpoints = self.endpoints(p).await?;
        if endpoints.revocation.is_none() {
            return Ok(());
        }
        oauth::revoke(&http, p, &endpoints, tokens).await
    }

    /// `GET /user/scm/{identity}/repos`.
    pub async fn repositories(&self, caller: &Caller, identity_id: &str) -> Result<Vec<Repository>> {
        let identity = self.authority.identity_for(caller, identity_id).await?;
        let p = self.provider(&identity.provider).await?;
        if !p.kind().is_code_host() {
            return Err(AuthError::InvalidRequest("this linked account is not a code host".into()));
        }
        let token = self.access_token(&p, &identity).await.map_err(|e| e.at_provider(&identity.provider))?;
        match scm::repositories(&self.http(&p)?, &p, token.expose()).await {
            Err(AuthError::Reconnect(why)) => {
                self.authority.record_scm_failure(&identity.id).await?;
                Err(AuthError::Reconnect(why).at_provider(&identity.provider))
            }
            other => other,
        }
    }

    /// A usable access token for a linked account, refreshed first when it is about to expire.
    pub(crate) async fn access_token(&self, p: &Provider, identity: &Identity) -> Result<Secret> {
        Ok(self.fresh_tokens(p, identity).await?.access_token)
    }

    /// A linked account's tokens, refreshed first when the access token is about to expire.
    pub(crate) async fn fresh_tokens(&self, p: &Provider, identity: &Identity) -> Result<TokenSet> {
        if identity.status != ScmStatus::Connected {
            return Err(AuthError::Reconnect(format!("sign in with {} again", p.name())));
        }
        let stored = self
            .secrets
            .get(&scm_key(&identity.provider, &identity.subject))
            .await?
            .ok_or_else(|| AuthError::Reconnect("no token is stored for this account".into()))?;
        let tokens = TokenSet::from_secret(&stored)?;
        let now = self.authority.now();
        if tokens.expires_at.is_some_and(|e| e - Duration::seconds(30) <= now) {
            return self.refresh(p, identity, tokens, now).await;
        }
        Ok(tokens)
    }

    async fn refresh(&self, p: &Provider, identity: &Identity, old: TokenSet, now: DateTime<Utc>) -> Result<TokenSet> {
        let lock = match self.refreshing.lock() {
            Ok(mut m) => Arc::clone(m.entry(identity.id.clone()).or_default()),
            Err(_) => return Err(AuthError::ProviderUnavailable("the refresh lock is poisoned".into())),
        };
        let _one_at_a_time = lock.lock().await;
        // Whoever held the lock before may have refreshed already, spending `old`'s refresh token:
        // what it kept is the answer.
        if let Some(kept) = self.secrets.get(&scm_key(&identity.provider, &identity.subject)).await? {
            let kept = TokenSet::from_secret(&kept)?;
            if kept.access_token.expose() != old.access_token.expose() {
                return Ok(kept);
            }
        }
        let refresh = old.refresh_token.as_ref().ok_or_else(|| AuthError::Reconnect("the token expired".into()))?;
        let endpoints = self.endpoints(p).await?;
        let mut fresh = match oauth::refresh(&self.http(p)?, p, &endpoints, refresh, now).await {
            Ok(t) => t,
            Err(AuthError::ProviderDenied(why)) => {
                self.authority.record_scm_failure(&identity.id).await?;
                return Err(AuthError::Reconnect(why));
            }
            Err(e) => return Err(e),
        };
        // Hosts that do not rotate refresh tokens answer without one: keep the old one.
        if fresh.refresh_token.is_none() {
            fresh.refresh_token = old.refresh_token;
        }
        let info = self.keep_tokens(&identity.provider, &identity.subject, &fresh).await?;
        self.authority.record_scm_token(&identity.id, Some(info)).await?;
        Ok(fresh)
    }

    /// Refreshes every code-host token that expires within [`REFRESH_AHEAD`].
    pub async fn refresh_due(&self) -> Result<RefreshReport> {
        let now = self.authority.now();
        let mut report = RefreshReport::default();
        for identity in self.authority.scm_tokens_due(now + REFRESH_AHEAD).await? {
            let Ok(p) = self.provider(&identity.provider).await else {
                report.deferred += 1;
                continue;
            };
            let stored = match self.secrets.get(&scm_key(&identity.provider, &identity.subject)).await {
                Ok(Some(s)) => s,
                Ok(None) => {
                    self.authority.record_scm_token(&identity.id, None).await?;
                    continue;
                }
                Err(e) => {
                    tracing::warn!(identity = %identity.id, error = %e, "cannot read a stored token; will retry");
                    report.deferred += 1;
                    continue;
                }
            };
            let tokens = match TokenSet::from_secret(&stored) {
                Ok(t) => t,
                Err(_) => {
                    report.deferred += 1;
                    continue;
                }
            };
            match self.refresh(&p, &identity, tokens, now).await {
                Ok(_) => report.refreshed += 1,
                Err(AuthError::Reconnect(_)) => report.expired += 1,
                Err(e) => {
                    tracing::warn!(identity = %identity.id, error = %e, "refresh failed; will retry");
                    report.deferred += 1;
                }
            }
        }
        Ok(report)
    }

    /// Runs [`SignIn::refresh_due`] every `every` until the task is aborted.
    pub fn spawn_refresher(self: &Arc<Self>, every: StdDuration) -> tokio::task::JoinHandle<()> {
        let me = Arc::clone(self);
        tessera_core::clock::spawn_every(every, "a code-host token refresh pass", move || {
            let me = Arc::clone(&me);
            async move { me.refresh_due().await.map(|_| ()) }
        })
    }

    /// `POST /sessions/device` without a device code: starts a device sign-in.
    pub async fn device_start(&self, provider_id: &str) -> Result<DeviceAuthorization> {
        let p = self.provider(provider_id).await?;
        let endpoints = self.endpoints(&p).await?;
        oauth::device_authorization(&self.http(&p)?, &p, &endpoints).await
    }

    /// `POST /sessions/device` with a device code: polls once. Pending and slow-down are errors
    /// with their own codes, so clients know to keep polling.
    pub async fn device_poll(
        &self,
        provider_id: &str,
        device_code: &str,
        device_name: Option<&str>,
        ip: Option<&str>,
    ) -> Result<SignedIn> {
        if device_code.is_empty() || device_code.len() > 2048 {
            return Err(AuthError::InvalidRequest("device_code is missing".into()));
        }
        let p = self.provider(provider_id).await?;
        let now = self.authority.now();
        let endpoints = self.endpoints(&p).await?;
        let tokens = oauth::device_poll(&self.http(&p)?, &p, &endpoints, device_code, now).await?;
        let who = match self.identify(&p, &tokens, None, now).await {
            Ok(who) => who,
            Err(e) => return Err(self.audited(e, ip).await),
        };
        self.finish_sign_in(&who, &tokens, device_name, ip).await
    }

    /// Instance admins: adds a provider; its client secret goes to the secret store.
    pub async fn add_provider(&self, caller: &Caller, mut config: ProviderConfig) -> Result<ProviderInfo> {
        self.authority.require_instance_admin(caller, "provider.create").await?;
        if self.file_providers.iter().any(|p| p.id() == config.id) {
            return Err(tessera_core::Error::Conflict(format!(
                "provider {:?} is configured in providers.toml",
                config.id
            ))
            .into());
        }
        let secret = config.client_secret.take().filter(|s| !s.is_empty()).map(Secret::new);
        let p = config.clone().into_provider(Source::Api)?;
        if let Some(s) = &secret {
            self.secrets.set(&client_secret_key(p.id()), s).await?;
        }
        let json = serde_json::to_string(&p.config).map_err(|e| AuthError::Config(e.to_string()))?;
        self.authority.store_provider(p.id(), &json).await?;
        self.providers()
            .await
            .into_iter()
            .find(|i| i.id == p.config.id)
            .ok_or_else(|| AuthError::UnknownProvider(p.config.id.clone()))
    }

    /// Instance admins: removes a provider configured through the API.
    pub async fn delete_provider(&self, caller: &Caller, id: &str) -> Result<()> {
        self.authority.require_instance_admin(caller, "provider.delete").await?;
        if self.file_providers.iter().any(|p| p.id() == id) {
            return Err(tessera_core::Error::Conflict(format!(
                "provider {id:?} is configured in providers.toml; change it there"
            ))
            .into());
        }
        self.secrets.delete(&client_secret_key(id)).await?;
        if !self.authority.remove_stored_provider(id).await? {
            return Err(AuthError::UnknownProvider(id.to_owned()));
        }
        // A provider added again under this id may trust another CA.
        if let Ok(mut m) = self.clients.lock() {
            m.remove(id);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_redirects_are_accepted() {
        for good in ["http://127.0.0.1:5555/callback", "http://localhost:1/cb", "http://[::1]:8080/callback"] {
            assert!(check_redirect(good).is_ok(), "{good}");
        }
        for bad in [
            "https://evil.example/callback",
            "http://127.0.0.1/callback",
            "http://127.0.0.1.evil.example:80/callback",
            "http://127.0.0.1:80@evil.example:8080/callback",
            "http://ada@127.0.0.1:8080/callback",
            "http://127.0.0.1:80/callback?x=1",
            "javascript:alert(1)",
            "",
        ] {
            assert!(check_redirect(bad).is_err(), "{bad}");
        }
    }
}
