//! OpenID Connect on the `openidconnect` crate: discovery (with the provider's key set), the
//! checks every ID token must pass (signature from the JWKS with an asymmetric algorithm, issuer,
//! audience, expiry and issue time against the caller's clock, nonce), userinfo (OpenID Connect
//! Core 5.3), and JWT access tokens checked against the same keys. What is Tessera's own here:
//! caching documents per issuer with backoff for failing ones, the rule that every endpoint is
//! https or on this computer, a minute of clock leeway, `nbf` and `azp`, and the sentences.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration as StdDuration, Instant};

use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use openidconnect::core::{
    CoreAuthDisplay, CoreClaimName, CoreClaimType, CoreClient, CoreClientAuthMethod, CoreGenderClaim, CoreGrantType,
    CoreIdToken, CoreIdTokenVerifier, CoreJsonWebKey, CoreJweContentEncryptionAlgorithm, CoreJweKeyManagementAlgorithm,
    CoreJwsSigningAlgorithm, CoreResponseMode, CoreResponseType, CoreSubjectIdentifierType,
};
use openidconnect::{
    AdditionalClaims, AdditionalProviderMetadata, ClaimsVerificationError, ClientId, DiscoveryError, IssuerUrl, Nonce,
    ProviderMetadata, SignatureVerificationError, SubjectIdentifier, UserInfoClaims, UserInfoError,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{AuthError, Result};
use crate::fetch::{HttpError, Limited};

/// The endpoints OAuth 2.0 adds to an OpenID discovery document, which Tessera uses when named.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct OAuthEndpoints {
    /// RFC 8628, when offered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_authorization_endpoint: Option<String>,
    /// RFC 7009, when offered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revocation_endpoint: Option<String>,
}

impl AdditionalProviderMetadata for OAuthEndpoints {}

/// A provider's discovery document with its key set.
pub type Metadata = ProviderMetadata<
    OAuthEndpoints,
    CoreAuthDisplay,
    CoreClientAuthMethod,
    CoreClaimName,
    CoreClaimType,
    CoreGrantType,
    CoreJweContentEncryptionAlgorithm,
    CoreJweKeyManagementAlgorithm,
    CoreJsonWebKey,
    CoreResponseMode,
    CoreResponseType,
    CoreSubjectIdentifierType,
>;

/// Every claim of a userinfo answer, kept as JSON for role mapping and sign-in policies.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AllClaims {
    #[serde(flatten)]
    rest: serde_json::Map<String, Value>,
}

impl AdditionalClaims for AllClaims {}

/// What Tessera uses of a discovery document: [`Metadata`], checked.
#[derive(Debug, Clone)]
pub struct Discovery {
    /// The document and the provider's keys.
    pub metadata: Metadata,
}

impl Discovery {
    /// The issuer the document names (the configured one: discovery checks they are equal).
    pub fn issuer(&self) -> &str {
        self.metadata.issuer().as_str()
    }

    /// Where browsers go.
    pub fn authorization_endpoint(&self) -> String {
        self.metadata.authorization_endpoint().to_string()
    }

    /// Where codes are exchanged; OpenID Connect requires one for the code flow.
    pub fn token_endpoint(&self) -> Result<String> {
        self.metadata
            .token_endpoint()
            .map(ToString::to_string)
            .ok_or_else(|| AuthError::ProviderUnavailable("the discovery document names no token endpoint".into()))
    }

    /// RFC 8628, when offered.
    pub fn device_authorization_endpoint(&self) -> Option<String> {
        self.metadata.additional_metadata().device_authorization_endpoint.clone()
    }

    /// RFC 7009, when offered.
    pub fn revocation_endpoint(&self) -> Option<String> {
        self.metadata.additional_metadata().revocation_endpoint.clone()
    }

    /// OpenID Connect Core 5.3, when offered.
    pub fn userinfo_endpoint(&self) -> Option<String> {
        self.metadata.userinfo_endpoint().map(|u| u.url().to_string())
    }

    /// Whether the token endpoint takes client credentials by HTTP Basic authentication, which
    /// OpenID Connect makes the default when the document does not say.
    pub fn basic_auth(&self) -> bool {
        self.metadata
            .token_endpoint_auth_methods_supported()
            .is_none_or(|m| m.contains(&CoreClientAuthMethod::ClientSecretBasic))
    }

    /// Every endpoint the document names follows the rule of [`crate::urls`]: a document that
    /// sends browsers or codes over plain http to another host is refused as a whole.
    fn check_endpoints(&self) -> Result<()> {
        let m = &self.metadata;
        let named = [
            ("authorization_endpoint", Some(m.authorization_endpoint().to_string())),
            ("token_endpoint", m.token_endpoint().map(ToString::to_string)),
            ("userinfo_endpoint", self.userinfo_endpoint()),
            ("jwks_uri", Some(m.jwks_uri().to_string())),
            ("device_authorization_endpoint", self.device_authorization_endpoint()),
            ("revocation_endpoint", self.revocation_endpoint()),
        ];
        for (what, url) in named {
            if let Some(url) = url {
                crate::urls::web_url(&format!("the discovery document's {what}"), &url)
                    .map_err(|e| AuthError::ProviderUnavailable(e.to_string()))?;
            }
        }
        Ok(())
    }
}

const CACHE_FOR: StdDuration = StdDuration::from_secs(15 * 60);
const CLOCK_SKEW: i64 = 60;

/// How long a failed discovery is remembered before the issuer is asked again: doubling from
/// this with each failure in a row, up to [`MAX_BACKOFF`].
pub const FIRST_BACKOFF: StdDuration = StdDuration::from_secs(30);
/// The longest a failed discovery is remembered.
pub const MAX_BACKOFF: StdDuration = StdDuration::from_secs(10 * 60);

/// The signature algorithms an ID token may use: asymmetric ones only, so that no one holding
/// the client secret can make one.
const ALGORITHMS: [CoreJwsSigningAlgorithm; 9] = [
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha384,
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha512,
    CoreJwsSigningAlgorithm::RsaSsaPssSha256,
    CoreJwsSigningAlgorithm::RsaSsaPssSha384,
    CoreJwsSigningAlgorithm::RsaSsaPssSha512,
    CoreJwsSigningAlgorithm::EcdsaP256Sha256,
    CoreJwsSigningAlgorithm::EcdsaP384Sha384,
    CoreJwsSigningAlgorithm::EdDsa,
];

/// What is known about one issuer's discovery document.
#[derive(Debug, Clone)]
enum Known {
    /// The document, and when it was fetched.
    Found { doc: Arc<Discovery>, at: Instant },
    /// The last attempt failed: why, when, how long to wait, and how many failed in a row.
    Failed { why: String, at: Instant, wait: StdDuration, failures: u32 },
}

/// One issuer's entry; its lock is held while the document is fetched, so concurrent requests
/// for the same issuer wait for one fetch instead of making their own.
type Slot = Arc<tokio::sync::Mutex<Option<Known>>>;

/// Discovery documents with their key sets, cached per issuer. Failures are cached too, with
/// backoff, so requests for a failing issuer (anyone may list providers) do not each reach out.
#[derive(Debug, Default)]
pub struct OidcCache {
    discovery: Mutex<HashMap<String, Slot>>,
}

/// How long to wait after `failures` failed discoveries in a row.
fn backoff(failures: u32) -> StdDuration {
    FIRST_BACKOFF.saturating_mul(1 << failures.saturating_sub(1).min(16)).min(MAX_BACKOFF)
}

/// A discovery failure as a person reads it; the answer's body is never echoed.
fn discovery_error(issuer: &str, e: DiscoveryError<HttpError>) -> AuthError {
    AuthError::ProviderUnavailable(match e {
        DiscoveryError::Request(e) => e.to_string(),
        DiscoveryError::Response(status, _, _) => {
            format!("{issuer}/.well-known/openid-configuration answered HTTP {}", status.as_u16())
        }
        DiscoveryError::Parse(_) => "the discovery document or the provider's key set is incomplete".into(),
        DiscoveryError::UrlParse(_) => "the issuer is not a URL".into(),
        DiscoveryError::Validation(why) => {
            format!("the discovery document does not fit: {}", why.chars().take(300).collect::<String>())
        }
        other => format!("discovery failed: {}", other.to_string().chars().take(200).collect::<String>()),
    })
}

/// Fetches and checks an issuer's discovery document and key set.
async fn fetch_discovery(http: &reqwest::Client, issuer: &str) -> Result<Discovery> {
    let url =
        IssuerUrl::new(issuer.to_owned()).map_err(|_| AuthError::Config(format!("issuer {issuer:?} is not a URL")))?;
    // openidconnect refuses a document naming another issuer, which would let one provider
    // speak for another.
    let metadata = Metadata::discover_async(url, &Limited(http)).await.map_err(|e| discovery_error(issuer, e))?;
    let d = Discovery { metadata };
    d.check_endpoints()?;
    Ok(d)
}

/// Reads a JWT's claims as JSON, after a check of its signature has passed.
fn payload(jwt: &str) -> Result<Value> {
    let part = jwt.split('.').nth(1).ok_or_else(|| AuthError::IdToken("it is not a JWT".into()))?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part.trim_end_matches('='))
        .map_err(|_| AuthError::IdToken("it is malformed".into()))?;
    serde_json::from_slice(&bytes).map_err(|_| AuthError::IdToken("it is malformed".into()))
}

/// A NumericDate claim (RFC 7519 section 2): seconds, possibly with a fraction.
fn seconds(claims: &Value, name: &str) -> Option<i64> {
    let v = claims.get(name)?;
    #[allow(clippy::cast_possible_truncation)]
    v.as_i64().or_else(|| v.as_f64().filter(|f| f.is_finite()).map(|f| f.floor() as i64))
}

/// `nbf`, which ID tokens may carry (RFC 7519 section 4.1.5) and openidconnect does not read:
/// a token not valid yet is refused, with [`CLOCK_SKEW`] of leeway.
fn check_not_before(claims: &Value, now: DateTime<Utc>) -> Result<()> {
    match (claims.get("nbf"), seconds(claims, "nbf")) {
        (None, _) => Ok(()),
        (Some(_), None) => Err(AuthError::IdToken("its not-before time (nbf) is not a time".into())),
        (Some(_), Some(nbf)) if nbf > now.timestamp().saturating_add(CLOCK_SKEW) => {
            Err(AuthError::IdToken("it is not valid yet (nbf)".into()))
        }
        (Some(_), Some(_)) => Ok(()),
    }
}

/// OpenID Connect Core 3.1.3.7, steps 4 and 5: a token for several audiences must name Tessera
/// as the authorized party, and one that names a party names Tessera.
fn check_party(claims: &Value, client_id: &str) -> Result<()> {
    let several = claims.get("aud").and_then(Value::as_array).is_some_and(|a| a.len() > 1);
    match claims.get("azp").and_then(Value::as_str) {
        Some(azp) if azp != client_id => Err(AuthError::IdToken("it was issued to another party (azp)".into())),
        None if several => Err(AuthError::IdToken("it names several audiences but not Tessera as the party".into())),
        _ => Ok(()),
    }
}

fn verification_error(e: &ClaimsVerificationError) -> AuthError {
    use ClaimsVerificationError as C;
    use SignatureVerificationError as S;
    AuthError::IdToken(
        match e {
            C::Expired(why) if why.contains("issued in the future") => {
                "it was issued in the future; check the clocks of the server and the provider"
            }
            C::Expired(_) => "it has expired",
            C::InvalidAudience(_) => "it was issued for another client",
            C::InvalidIssuer(_) => "it was issued by another issuer",
            C::InvalidNonce(_) => "its nonce does not match this sign-in",
            C::SignatureVerification(S::NoMatchingKey) => "it is signed with a key the provider does not publish",
            C::SignatureVerification(S::DisallowedAlg(_) | S::UnsupportedAlg(_)) => "its algorithm is not accepted",
            C::SignatureVerification(S::NoSignature) => "it is not signed",
            C::SignatureVerification(_) => "the signature does not verify",
            _ => "it is malformed",
        }
        .into(),
    )
}

impl OidcCache {
    fn slot(&self, issuer: &str) -> Slot {
        let mut map = self.discovery.lock().unwrap_or_else(|p| p.into_inner());
        Arc::clone(map.entry(issuer.to_owned()).or_default())
    }

    /// The issuer's discovery document: from the cache while it is fresh; a failure is
    /// answered from the cache until its backoff has passed.
    pub async fn discovery(&self, http: &reqwest::Client, issuer: &str) -> Result<Arc<Discovery>> {
        self.discover(http, issuer, false).await
    }

    async fn discover(&self, http: &reqwest::Client, issuer: &str, refresh: bool) -> Result<Arc<Discovery>> {
        let slot = self.slot(issuer);
        let mut known = slot.lock().await;
        let failures = match &*known {
            Some(Known::Found { doc, at }) if !refresh && at.elapsed() < CACHE_FOR => return Ok(Arc::clone(doc)),
            Some(Known::Failed { why, at, wait, .. }) if at.elapsed() < *wait => {
                return Err(AuthError::ProviderUnavailable(why.clone()));
            }
            Some(Known::Failed { failures, .. }) => *failures,
            _ => 0,
        };
        match fetch_discovery(http, issuer).await {
            Ok(doc) => {
                let doc = Arc::new(doc);
                *known = Some(Known::Found { doc: Arc::clone(&doc), at: Instant::now() });
                Ok(doc)
            }
            Err(e) => {
                let why = match &e {
                    AuthError::ProviderUnavailable(why) => why.clone(),
                    other => other.to_string(),
                };
                let failures = failures.saturating_add(1);
                *known = Some(Known::Failed { why, at: Instant::now(), wait: backoff(failures), failures });
                Err(e)
            }
        }
    }

    /// Checks an ID token and returns its claims. A token signed with a key the cached set does
    /// not hold makes one fresh discovery: the provider may have rotated its keys.
    pub async fn verify_id_token(
        &self,
        http: &reqwest::Client,
        discovery: &Discovery,
        client_id: &str,
        id_token: &str,
        nonce: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Value> {
        let token: CoreIdToken = id_token.parse().map_err(|_| AuthError::IdToken("it is not a JWT".into()))?;
        match check_id_token(discovery, client_id, &token, nonce, now) {
            Err(ClaimsVerificationError::SignatureVerification(SignatureVerificationError::NoMatchingKey)) => {
                let fresh = self.discover(http, discovery.issuer(), true).await?;
                check_id_token(&fresh, client_id, &token, nonce, now).map_err(|e| verification_error(&e))?;
            }
            other => other.map_err(|e| verification_error(&e))?,
        }
        let claims = payload(id_token)?;
        check_not_before(&claims, now)?;
        check_party(&claims, client_id)?;
        Ok(claims)
    }

    /// The person's claims from the userinfo endpoint (OpenID Connect Core 5.3): its `sub` must be
    /// the ID token's (5.3.2). `None` when the provider has no userinfo endpoint.
    pub async fn userinfo(
        &self,
        http: &reqwest::Client,
        discovery: &Discovery,
        client_id: &str,
        access_token: &str,
        subject: &str,
    ) -> Result<Option<Value>> {
        if discovery.userinfo_endpoint().is_none() {
            return Ok(None);
        }
        let client =
            CoreClient::from_provider_metadata(discovery.metadata.clone(), ClientId::new(client_id.to_owned()), None);
        let request = client
            .user_info(
                openidconnect::AccessToken::new(access_token.to_owned()),
                Some(SubjectIdentifier::new(subject.to_owned())),
            )
            .map_err(|e| AuthError::ProviderUnavailable(e.to_string()))?;
        let claims: UserInfoClaims<AllClaims, CoreGenderClaim> =
            request.request_async(&Limited(http)).await.map_err(|e| {
                AuthError::ProviderUnavailable(match e {
                    UserInfoError::ClaimsVerification(ClaimsVerificationError::InvalidSubject(_)) => {
                        "the userinfo endpoint answered for another person".to_owned()
                    }
                    UserInfoError::Response(status, _, _) => {
                        format!("the userinfo endpoint answered HTTP {}", status.as_u16())
                    }
                    UserInfoError::Request(e) => format!("the userinfo endpoint: {e}"),
                    _ => "the userinfo endpoint's answer is not readable".to_owned(),
                })
            })?;
        serde_json::to_value(&claims)
            .map(Some)
            .map_err(|_| AuthError::ProviderUnavailable("the userinfo endpoint's answer is not readable".into()))
    }

    /// The claims of an access token that is a JWT signed with the provider's keys (Keycloak's,
    /// RFC 9068's): signature from the same key set, issuer, expiry with a minute of leeway, and,
    /// where it names one, Tessera as the party it was issued to. Its audience is the resource
    /// it is for, not Tessera, and is not checked.
    pub fn access_token_claims(
        &self,
        discovery: &Discovery,
        client_id: &str,
        access_token: &str,
        now: DateTime<Utc>,
    ) -> Result<Value> {
        let not_jwt = || {
            AuthError::IdToken(
                "the access token is not a JWT signed by the provider, so roles cannot be read from it".into(),
            )
        };
        let header = jsonwebtoken::decode_header(access_token).map_err(|_| not_jwt())?;
        let keys: jsonwebtoken::jwk::JwkSet = serde_json::to_value(discovery.metadata.jwks())
            .and_then(serde_json::from_value)
            .map_err(|_| AuthError::ProviderUnavailable("the provider's key set is not readable".into()))?;
        let jwk = match &header.kid {
            Some(kid) => keys.find(kid),
            None if keys.keys.len() == 1 => keys.keys.first(),
            None => None,
        }
        .ok_or_else(|| {
            AuthError::IdToken("the access token is signed with a key the provider does not publish".into())
        })?;
        let key = jsonwebtoken::DecodingKey::from_jwk(jwk).map_err(|_| not_jwt())?;
        let allowed = [
            jsonwebtoken::Algorithm::RS256,
            jsonwebtoken::Algorithm::RS384,
            jsonwebtoken::Algorithm::RS512,
            jsonwebtoken::Algorithm::PS256,
            jsonwebtoken::Algorithm::PS384,
            jsonwebtoken::Algorithm::PS512,
            jsonwebtoken::Algorithm::ES256,
            jsonwebtoken::Algorithm::ES384,
            jsonwebtoken::Algorithm::EdDSA,
        ];
        if !allowed.contains(&header.alg) {
            return Err(not_jwt());
        }
        let mut v = jsonwebtoken::Validation::new(header.alg);
        v.set_issuer(&[discovery.issuer()]);
        v.validate_aud = false;
        v.validate_exp = false;
        v.set_required_spec_claims(&["exp", "iss", "sub"]);
        let claims = jsonwebtoken::decode::<Value>(access_token, &key, &v).map_err(|_| not_jwt())?.claims;
        if seconds(&claims, "exp").is_none_or(|exp| now.timestamp() >= exp.saturating_add(CLOCK_SKEW)) {
            return Err(AuthError::IdToken("the access token has expired".into()));
        }
        let party = claims.get("azp").or_else(|| claims.get("client_id")).and_then(Value::as_str);
        if party.is_some_and(|p| p != client_id) {
            return Err(AuthError::IdToken("the access token was issued to another party".into()));
        }
        Ok(claims)
    }
}

/// openidconnect's checks of one ID token against one key set, with Tessera's clock and a
/// minute of leeway both ways.
fn check_id_token(
    d: &Discovery,
    client_id: &str,
    token: &CoreIdToken,
    nonce: Option<&str>,
    now: DateTime<Utc>,
) -> std::result::Result<(), ClaimsVerificationError> {
    let latest_issue = now + Duration::seconds(CLOCK_SKEW);
    let verifier =
        CoreIdTokenVerifier::new_public_client(
            ClientId::new(client_id.to_owned()),
            d.metadata.issuer().clone(),
            d.metadata.jwks().clone(),
        )
        .set_allowed_algs(ALGORITHMS)
        // Other audiences are allowed only with Tessera as the party: `check_party`.
        .set_other_audience_verifier_fn(|_| true)
        .set_time_fn(move || now - Duration::seconds(CLOCK_SKEW))
        .set_issue_time_verifier_fn(move |iat| {
            if iat > latest_issue {
                Err("issued in the future".to_owned())
            } else {
                Ok(())
            }
        });
    match nonce {
        Some(n) => token.claims(&verifier, &Nonce::new(n.to_owned())).map(|_| ()),
        // The device flow has no nonce.
        None => token.claims(&verifier, |_: Option<&Nonce>| Ok(())).map(|_| ()),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn not_before_is_checked_with_a_minute_of_leeway() {
        let now = Utc::now();
        let t = now.timestamp();
        let ok = |c: Value| check_not_before(&c, now).is_ok();
        assert!(ok(json!({})));
        assert!(ok(json!({"nbf": t + 59})), "within the leeway");
        assert!(ok(json!({"nbf": t as f64 - 0.25})), "fractional seconds");
        assert!(!ok(json!({"nbf": t + 120})), "not valid for two minutes");
        assert!(!ok(json!({"nbf": "soon"})), "nbf is not a time");
    }

    #[test]
    fn several_audiences_need_tessera_as_the_party() {
        assert!(check_party(&json!({"aud": "tessera"}), "tessera").is_ok());
        assert!(check_party(&json!({"aud": ["tessera", "api"], "azp": "tessera"}), "tessera").is_ok());
        assert!(check_party(&json!({"aud": ["tessera", "api"]}), "tessera").is_err());
        assert!(check_party(&json!({"aud": ["tessera", "api"], "azp": "api"}), "tessera").is_err());
        assert!(check_party(&json!({"aud": "tessera", "azp": "other"}), "tessera").is_err());
    }
}
