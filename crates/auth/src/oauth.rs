//! The server's half of OAuth 2.0, on the `oauth2` crate: the code exchange (with PKCE), refresh,
//! the device authorization and its token poll (RFC 8628), and revocation (RFC 7009). What is
//! Tessera's own here: where each kind of provider keeps its endpoints, how a provider's refusal
//! reads to a person, and the form linked-account tokens are stored in.

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use oauth2::basic::{
    BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenIntrospectionResponse, BasicTokenType,
};
use oauth2::{
    AuthType, AuthorizationCode, ClientId, ClientSecret, DeviceAuthorizationUrl, EndpointMaybeSet, EndpointNotSet,
    EndpointSet, ErrorResponseType, ExtraTokenFields, PkceCodeVerifier, RedirectUrl, RefreshToken, RequestTokenError,
    RevocationUrl, Scope, StandardDeviceAuthorizationResponse, StandardErrorResponse, StandardRevocableToken,
    StandardTokenResponse, TokenResponse, TokenUrl,
};
use serde::{Deserialize, Serialize};
use tessera_core::Secret;

use crate::error::{AuthError, Result};
use crate::fetch::{HttpError, Limited};
use crate::provider::{Provider, ProviderKind};

/// Tokens a provider issued.
#[derive(Debug)]
pub struct TokenSet {
    /// The access token.
    pub access_token: Secret,
    /// The refresh token, if issued.
    pub refresh_token: Option<Secret>,
    /// When the access token expires, if it does.
    pub expires_at: Option<DateTime<Utc>>,
    /// The OpenID ID token, if issued; checked by [`crate::oidc`], never trusted as it comes.
    pub id_token: Option<Secret>,
}

/// What is kept in the secret store for a linked account: one entry, so one keyring write.
#[derive(Serialize, Deserialize)]
struct Stored {
    access_token: String,
    refresh_token: Option<String>,
    expires_at: Option<DateTime<Utc>>,
}

impl TokenSet {
    /// The stored form, itself a secret.
    pub fn to_secret(&self) -> Result<Secret> {
        let s = Stored {
            access_token: self.access_token.expose().to_owned(),
            refresh_token: self.refresh_token.as_ref().map(|r| r.expose().to_owned()),
            expires_at: self.expires_at,
        };
        let json = zeroize::Zeroizing::new(serde_json::to_string(&s).map_err(|e| AuthError::Config(e.to_string()))?);
        Ok(Secret::new(json.to_string()))
    }

    /// Reads the stored form.
    pub fn from_secret(s: &Secret) -> Result<Self> {
        let v: Stored = serde_json::from_str(s.expose())
            .map_err(|_| AuthError::Reconnect("the stored token is unreadable".into()))?;
        Ok(TokenSet {
            access_token: Secret::new(v.access_token),
            refresh_token: v.refresh_token.map(Secret::new),
            expires_at: v.expires_at,
            id_token: None,
        })
    }
}

/// A device authorization (RFC 8628 section 3.2), as clients see it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeviceAuthorization {
    /// The code the client polls with.
    pub device_code: String,
    /// The code the person types.
    pub user_code: String,
    /// Where the person types it.
    pub verification_uri: String,
    /// The same with the code filled in, when the provider gives one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verification_uri_complete: Option<String>,
    /// Seconds until the codes expire.
    pub expires_in: i64,
    /// Seconds to wait between polls.
    #[serde(default = "default_interval")]
    pub interval: i64,
}

fn default_interval() -> i64 {
    5
}

/// The ID token of a token response, kept as it came: [`crate::oidc`] parses and checks it, so a
/// malformed one is refused as an ID token, not as an unreadable answer.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct IdTokenField {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    id_token: Option<String>,
}

impl ExtraTokenFields for IdTokenField {}

type Tokens = StandardTokenResponse<IdTokenField, BasicTokenType>;

/// The `oauth2` client of one provider: token endpoint always, device and revocation endpoints
/// where the provider has them.
type Client = oauth2::Client<
    BasicErrorResponse,
    Tokens,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointSet,
>;

/// A provider's OAuth endpoints: the code hosts' fixed paths, or what an OpenID provider's
/// discovery document names.
#[derive(Debug, Clone)]
pub struct Endpoints {
    /// Where browsers go to sign in.
    pub authorization: String,
    /// Where codes, refresh tokens and device codes are exchanged.
    pub token: String,
    /// RFC 8628 device authorization, when offered.
    pub device: Option<String>,
    /// RFC 7009 revocation, when offered.
    pub revocation: Option<String>,
    /// Whether the token endpoint takes client credentials by HTTP Basic authentication (RFC
    /// 6749 section 2.3.1) rather than in the form.
    pub basic_auth: bool,
}

impl Endpoints {
    /// A code host's endpoints under its web base URL: the one table of them.
    pub fn of_code_host(p: &Provider) -> Result<Self> {
        let base = p.base_url();
        Ok(match p.kind() {
            ProviderKind::Github => Endpoints {
                authorization: format!("{base}/login/oauth/authorize"),
                token: format!("{base}/login/oauth/access_token"),
                device: Some(format!("{base}/login/device/code")),
                revocation: None,
                basic_auth: false,
            },
            ProviderKind::Gitlab => Endpoints {
                authorization: format!("{base}/oauth/authorize"),
                token: format!("{base}/oauth/token"),
                device: Some(format!("{base}/oauth/authorize_device")),
                revocation: Some(format!("{base}/oauth/revoke")),
                basic_auth: false,
            },
            ProviderKind::Bitbucket => Endpoints {
                authorization: format!("{base}/site/oauth2/authorize"),
                token: format!("{base}/site/oauth2/access_token"),
                device: None,
                revocation: None,
                basic_auth: true,
            },
            // Gitea and Forgejo have neither the device flow nor RFC 7009 revocation: a grant is
            // withdrawn in the user's settings there.
            ProviderKind::Gitea => Endpoints {
                authorization: format!("{base}/login/oauth/authorize"),
                token: format!("{base}/login/oauth/access_token"),
                device: None,
                revocation: None,
                basic_auth: false,
            },
            ProviderKind::Oidc | ProviderKind::AzureDevops => {
                return Err(AuthError::Config(format!(
                    "provider {}: an OpenID provider's endpoints come from discovery",
                    p.id()
                )));
            }
        })
    }

    fn client(&self, p: &Provider) -> Result<Client> {
        let bad = |what: &str| AuthError::ProviderUnavailable(format!("the provider's {what} endpoint is not a URL"));
        let mut c = oauth2::Client::new(ClientId::new(p.config.client_id.clone()))
            .set_token_uri(TokenUrl::new(self.token.clone()).map_err(|_| bad("token"))?)
            .set_device_authorization_url_option(
                self.device.clone().map(DeviceAuthorizationUrl::new).transpose().map_err(|_| bad("device"))?,
            )
            .set_revocation_url_option(
                self.revocation.clone().map(RevocationUrl::new).transpose().map_err(|_| bad("revocation"))?,
            )
            .set_auth_type(if self.basic_auth { AuthType::BasicAuth } else { AuthType::RequestBody });
        if let Some(secret) = &p.client_secret {
            c = c.set_client_secret(ClientSecret::new(secret.expose().to_owned()));
        }
        Ok(c)
    }
}

/// The longest lifetime a provider may give an access token that Tessera believes.
const LONGEST: StdDuration = StdDuration::from_secs(10 * 365 * 86400);

fn token_set(t: Tokens, now: DateTime<Utc>) -> Result<TokenSet> {
    let access = t.access_token().secret();
    if access.is_empty() {
        return Err(AuthError::ProviderUnavailable("the token endpoint answered without an access token".into()));
    }
    let expires_at = t
        .expires_in()
        .filter(|d| !d.is_zero() && *d < LONGEST)
        .and_then(|d| Duration::from_std(d).ok())
        .map(|d| now + d);
    Ok(TokenSet {
        access_token: Secret::new(access.clone()),
        refresh_token: t.refresh_token().map(|r| r.secret().clone()).filter(|r| !r.is_empty()).map(Secret::new),
        expires_at,
        id_token: t.extra_fields().id_token.clone().map(Secret::new),
    })
}

/// Exchanges an authorization code and its PKCE verifier.
pub async fn exchange_code(
    http: &reqwest::Client,
    p: &Provider,
    endpoints: &Endpoints,
    code: &str,
    code_verifier: &str,
    redirect_uri: &str,
    now: DateTime<Utc>,
) -> Result<TokenSet> {
    let redirect = RedirectUrl::new(redirect_uri.to_owned())
        .map_err(|_| AuthError::InvalidRequest("redirect_uri is not a URL".into()))?;
    let tokens = endpoints
        .client(p)?
        .exchange_code(AuthorizationCode::new(code.to_owned()))
        .set_pkce_verifier(PkceCodeVerifier::new(code_verifier.to_owned()))
        .set_redirect_uri(Cow::Owned(redirect))
        .request_async(&Limited(http))
        .await
        .map_err(|e| request_error(p.kind(), "token", e))?;
    token_set(tokens, now)
}

/// Exchanges a refresh token.
pub async fn refresh(
    http: &reqwest::Client,
    p: &Provider,
    endpoints: &Endpoints,
    refresh_token: &Secret,
    now: DateTime<Utc>,
) -> Result<TokenSet> {
    let token = RefreshToken::new(refresh_token.expose().to_owned());
    let tokens = endpoints
        .client(p)?
        .exchange_refresh_token(&token)
        .request_async(&Limited(http))
        .await
        .map_err(|e| request_error(p.kind(), "token", e))?;
    token_set(tokens, now)
}

/// Starts a device authorization (RFC 8628 section 3.1).
pub async fn device_authorization(
    http: &reqwest::Client,
    p: &Provider,
    endpoints: &Endpoints,
) -> Result<DeviceAuthorization> {
    let started: StandardDeviceAuthorizationResponse = endpoints
        .client(p)?
        .exchange_device_code()
        .map_err(|_| AuthError::InvalidRequest(format!("{} does not offer the device flow", p.name())))?
        .add_scopes(p.scopes().into_iter().map(Scope::new))
        .request_async(&Limited(http))
        .await
        .map_err(|e| request_error(p.kind(), "device", e))?;
    let seconds = |d: StdDuration| i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
    Ok(DeviceAuthorization {
        device_code: started.device_code().secret().clone(),
        user_code: started.user_code().secret().clone(),
        verification_uri: started.verification_uri().to_string(),
        verification_uri_complete: started.verification_uri_complete().map(|u| u.secret().clone()),
        expires_in: seconds(started.expires_in()),
        interval: seconds(started.interval()),
    })
}

/// Polls the token endpoint once for a device code (RFC 8628 section 3.4).
///
/// The client polls Tessera, and Tessera polls the provider once per client poll, keeping no
/// state in between: the authorization `oauth2` polls with is made again from the device code,
/// and the crate's own waiting is cut short at its first "wait" (pending or slow down), which is
/// handed back to the client as [`AuthError::AuthorizationPending`] or [`AuthError::SlowDown`].
pub async fn device_poll(
    http: &reqwest::Client,
    p: &Provider,
    endpoints: &Endpoints,
    device_code: &str,
    now: DateTime<Utc>,
) -> Result<TokenSet> {
    const INTERVAL: u64 = 5;
    let authorization: StandardDeviceAuthorizationResponse = serde_json::from_value(serde_json::json!({
        "device_code": device_code,
        "user_code": "",
        "verification_uri": endpoints.token,
        "expires_in": 600,
        "interval": INTERVAL,
    }))
    .map_err(|_| AuthError::InvalidRequest("device_code is not usable".into()))?;
    let client = endpoints.client(p)?;
    let request = client.exchange_device_access_token(&authorization);
    let asked_to_wait = Arc::new(tokio::sync::Notify::new());
    let waited = Arc::new(std::sync::Mutex::new(None));
    let (notify, record) = (Arc::clone(&asked_to_wait), Arc::clone(&waited));
    let sleep = move |interval: StdDuration| {
        if let Ok(mut w) = record.lock() {
            *w = Some(interval);
        }
        notify.notify_one();
        std::future::pending::<()>()
    };
    let limited = Limited(http);
    let poll = request.request_async(&limited, sleep, None);
    tokio::select! {
        done = poll => token_set(done.map_err(|e| request_error(p.kind(), "token", e))?, now),
        () = asked_to_wait.notified() => {
            let interval = waited.lock().ok().and_then(|w| *w).unwrap_or_default();
            Err(if interval.as_secs() > INTERVAL { AuthError::SlowDown } else { AuthError::AuthorizationPending })
        }
    }
}

/// Revokes a token at the provider's RFC 7009 endpoint (`oauth2` sends it only over https).
pub async fn revoke(http: &reqwest::Client, p: &Provider, endpoints: &Endpoints, tokens: &TokenSet) -> Result<()> {
    let client = endpoints.client(p)?;
    let mut values =
        vec![StandardRevocableToken::AccessToken(oauth2::AccessToken::new(tokens.access_token.expose().to_owned()))];
    if let Some(r) = &tokens.refresh_token {
        values.push(StandardRevocableToken::RefreshToken(RefreshToken::new(r.expose().to_owned())));
    }
    for token in values {
        let request = client.revoke_token(token).map_err(|e| AuthError::ProviderUnavailable(e.to_string()))?;
        request.request_async(&Limited(http)).await.map_err(|e| request_error(p.kind(), "revocation", e))?;
    }
    Ok(())
}

/// How a failed request to one of the provider's endpoints reads: the provider's error code as a
/// decision, or why no usable answer came. Bodies are never echoed.
fn request_error<T>(
    kind: ProviderKind,
    endpoint: &str,
    e: RequestTokenError<HttpError, StandardErrorResponse<T>>,
) -> AuthError
where
    T: ErrorResponseType + AsRef<str> + std::fmt::Display + 'static,
{
    match e {
        // Gitea and Forgejo answer `unauthorized_client` for a code or refresh token they do not
        // accept (used, expired, failed PKCE), and `invalid_client` for a client they do not
        // know: their refusal of a grant is the grant's, not the client's.
        RequestTokenError::ServerResponse(r)
            if kind == ProviderKind::Gitea && r.error().as_ref() == "unauthorized_client" =>
        {
            oauth_error("invalid_grant", r.error_description().map(String::as_str))
        }
        RequestTokenError::ServerResponse(r) => {
            oauth_error(r.error().as_ref(), r.error_description().map(String::as_str))
        }
        RequestTokenError::Request(e) => AuthError::ProviderUnavailable(format!("the {endpoint} endpoint: {e}")),
        RequestTokenError::Parse(..) => {
            AuthError::ProviderUnavailable(format!("the {endpoint} endpoint's answer is not readable"))
        }
        RequestTokenError::Other(why) => {
            let why: String = why.chars().take(200).collect();
            AuthError::ProviderUnavailable(format!("the {endpoint} endpoint's answer is not usable ({why})"))
        }
    }
}

/// Maps an OAuth error code (RFC 6749 section 5.2, RFC 8628 section 3.5, GitHub's own) to a
/// decision. The provider's description is summarized, never trusted as markup.
fn oauth_error(code: &str, description: Option<&str>) -> AuthError {
    let description: String = description.unwrap_or("").chars().take(200).collect();
    let why = |default: &str| if description.is_empty() { default.to_owned() } else { description.clone() };
    match code {
        "authorization_pending" => AuthError::AuthorizationPending,
        "slow_down" => AuthError::SlowDown,
        "invalid_grant" | "bad_verification_code" | "bad_refresh_token" | "incorrect_device_code" => {
            AuthError::ProviderDenied(format!(
                "the code or token was not accepted ({})",
                why("invalid, used or expired")
            ))
        }
        "access_denied" => AuthError::ProviderDenied("the sign-in was declined".into()),
        "expired_token" => AuthError::ProviderDenied("the device code expired; start again".into()),
        "invalid_client" | "unauthorized_client" | "incorrect_client_credentials" => {
            AuthError::ProviderUnavailable(format!("the provider does not accept Tessera's client ({})", why(code)))
        }
        other => {
            AuthError::ProviderDenied(format!("{} ({})", other.chars().take(40).collect::<String>(), why("no detail")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oauth_errors_map_to_decisions() {
        assert!(matches!(oauth_error("authorization_pending", None), AuthError::AuthorizationPending));
        assert!(matches!(oauth_error("slow_down", None), AuthError::SlowDown));
        assert!(matches!(oauth_error("bad_verification_code", None), AuthError::ProviderDenied(_)));
        assert!(matches!(oauth_error("bad_refresh_token", None), AuthError::ProviderDenied(_)));
        assert!(matches!(oauth_error("invalid_client", None), AuthError::ProviderUnavailable(_)));
        let long = "x".repeat(5000);
        let e = oauth_error("weird", Some(&long)).to_string();
        assert!(e.len() < 400, "provider text is bounded");
    }

    #[test]
    fn stored_tokens_round_trip_and_debug_is_redacted() -> Result<()> {
        let t = TokenSet {
            access_token: Secret::new("ghu_abc".into()),
            refresh_token: Some(Secret::new("ghr_def".into())),
            expires_at: None,
            id_token: None,
        };
        let s = t.to_secret()?;
        assert!(!format!("{s:?}").contains("ghu_abc"));
        let back = TokenSet::from_secret(&s)?;
        assert_eq!(back.access_token.expose(), "ghu_abc");
        assert_eq!(back.refresh_token.as_ref().map(Secret::expose), Some("ghr_def"));
        assert!(!format!("{back:?}").contains("ghr_def"));
        Ok(())
    }

    #[test]
    fn token_answers_become_token_sets() -> Result<()> {
        let now = Utc::now();
        let t: Tokens = serde_json::from_value(serde_json::json!({
            "access_token": "at", "token_type": "bearer", "expires_in": 3600, "refresh_token": "rt", "id_token": "x.y.z"
        }))
        .map_err(AuthError::provider)?;
        let set = token_set(t, now)?;
        assert_eq!(set.expires_at, Some(now + Duration::hours(1)));
        assert_eq!(set.id_token.as_ref().map(Secret::expose), Some("x.y.z"));
        let forever: Tokens =
            serde_json::from_value(serde_json::json!({"access_token": "at", "token_type": "Bearer", "expires_in": 0}))
                .map_err(AuthError::provider)?;
        assert_eq!(token_set(forever, now)?.expires_at, None, "no usable lifetime means none");
        Ok(())
    }
}
