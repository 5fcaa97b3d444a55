//! The server's half of OAuth 2.0: the token endpoint (authorization code with PKCE, refresh,
//! device code) and the device authorization request (RFC 8628).

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tessera_core::Secret;

use crate::error::{AuthError, Result};
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
    /// The OpenID ID token, if issued.
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

/// Posts a form to a token endpoint and reads the answer.
pub async fn token_request(
    http: &reqwest::Client,
    endpoint: &str,
    provider: &Provider,
    mut form: Vec<(&'static str, String)>,
    now: DateTime<Utc>,
) -> Result<TokenSet> {
    form.push(("client_id", provider.config.client_id.clone()));
    if let Some(secret) = &provider.client_secret {
        form.push(("client_secret", secret.expose().to_owned()));
    }
    let res =
        http.post(endpoint).header(reqwest::header::ACCEPT, "application/json").form(&form).send().await.map_err(
            |e| AuthError::ProviderUnavailable(format!("the token endpoint did not answer: {}", e.without_url())),
        )?;
    let status = res.status();
    let body = read_body(res).await?;
    if let Some(err) = body.get("error").and_then(Value::as_str) {
        return Err(oauth_error(err, &body));
    }
    if !status.is_success() {
        return Err(AuthError::ProviderUnavailable(format!("the token endpoint answered HTTP {status}")));
    }
    let access =
        body.get("access_token").and_then(Value::as_str).filter(|s| !s.is_empty()).ok_or_else(|| {
            AuthError::ProviderUnavailable("the token endpoint answered without an access token".into())
        })?;
    let expires_at = body.get("expires_in").and_then(as_seconds).map(|s| now + Duration::seconds(s));
    Ok(TokenSet {
        access_token: Secret::new(access.to_owned()),
        refresh_token: body
            .get("refresh_token")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(|s| Secret::new(s.to_owned())),
        expires_at,
        id_token: body.get("id_token").and_then(Value::as_str).map(|s| Secret::new(s.to_owned())),
    })
}

fn as_seconds(v: &Value) -> Option<i64> {
    v.as_i64().or_else(|| v.as_str().and_then(|s| s.parse().ok())).filter(|s| *s > 0 && *s < 10 * 365 * 86400)
}

/// Reads a JSON answer, or a form-encoded one (GitHub answers that way without `Accept`).
async fn read_body(res: reqwest::Response) -> Result<Value> {
    let form = res
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let bytes = crate::fetch::read_limited(res, crate::fetch::ANSWER_LIMIT).await?;
    if form {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&bytes)
            .map_err(|_| AuthError::ProviderUnavailable("the provider's answer is not readable".into()))?;
        return Ok(Value::Object(pairs.into_iter().map(|(k, v)| (k, Value::String(v))).collect()));
    }
    serde_json::from_slice(&bytes)
        .map_err(|_| AuthError::ProviderUnavailable("the provider's answer is not JSON".into()))
}

/// Maps an OAuth error code (RFC 6749 section 5.2, RFC 8628 section 3.5, GitHub's own) to a
/// decision. The provider's description is summarized, never trusted as markup.
fn oauth_error(code: &str, body: &Value) -> AuthError {
    let description: String =
        body.get("error_description").and_then(Value::as_str).unwrap_or("").chars().take(200).collect();
    let why = |default: &str| if description.is_empty() { default.to_owned() } else { description.clone() };
    match code {
        "authorization_pending" => AuthError::AuthorizationPending,
        "slow_down" => AuthError::SlowDown,
        "invalid_grant" | "bad_verification_code" => AuthError::ProviderDenied(format!(
            "the code or token was not accepted ({})",
            why("invalid, used or expired")
        )),
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

/// The device authorization endpoint of a code host (OpenID providers name theirs in discovery).
pub fn device_endpoint(provider: &Provider) -> Option<String> {
    let base = provider.base_url();
    match provider.kind() {
        ProviderKind::Github => Some(format!("{base}/login/device/code")),
        ProviderKind::Gitlab => Some(format!("{base}/oauth/authorize_device")),
        ProviderKind::Bitbucket | ProviderKind::Oidc => None,
    }
}

/// Starts a device authorization.
pub async fn device_authorization(
    http: &reqwest::Client,
    endpoint: &str,
    provider: &Provider,
) -> Result<DeviceAuthorization> {
    let mut form = vec![("client_id", provider.config.client_id.clone()), ("scope", provider.scopes().join(" "))];
    if let Some(secret) = &provider.client_secret {
        form.push(("client_secret", secret.expose().to_owned()));
    }
    let res =
        http.post(endpoint).header(reqwest::header::ACCEPT, "application/json").form(&form).send().await.map_err(
            |e| AuthError::ProviderUnavailable(format!("the device endpoint did not answer: {}", e.without_url())),
        )?;
    let body = read_body(res).await?;
    if let Some(err) = body.get("error").and_then(Value::as_str) {
        return Err(oauth_error(err, &body));
    }
    serde_json::from_value(body)
        .map_err(|_| AuthError::ProviderUnavailable("the device endpoint's answer is incomplete".into()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn oauth_errors_map_to_decisions() {
        assert!(matches!(oauth_error("authorization_pending", &json!({})), AuthError::AuthorizationPending));
        assert!(matches!(oauth_error("slow_down", &json!({})), AuthError::SlowDown));
        assert!(matches!(oauth_error("bad_verification_code", &json!({})), AuthError::ProviderDenied(_)));
        assert!(matches!(oauth_error("invalid_client", &json!({})), AuthError::ProviderUnavailable(_)));
        let long = "x".repeat(5000);
        let e = oauth_error("weird", &json!({"error_description": long})).to_string();
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
}
