//! OpenID Connect: discovery, the provider's signing keys, and the checks every ID token must
//! pass — signature from the JWKS with an asymmetric algorithm, issuer, audience (and `azp`),
//! expiry against the caller's clock, and the nonce of the request.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration as StdDuration, Instant};

use chrono::{DateTime, Utc};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use serde_json::Value;

use crate::error::{AuthError, Result};
use crate::fetch::{read_json, ANSWER_LIMIT};

/// The parts of a discovery document Tessera uses.
#[derive(Debug, Clone, Deserialize)]
pub struct Discovery {
    /// The issuer; must equal the configured one.
    pub issuer: String,
    /// Where browsers go.
    pub authorization_endpoint: String,
    /// Where codes are exchanged.
    pub token_endpoint: String,
    /// The signing keys.
    pub jwks_uri: String,
    /// RFC 8628, when offered.
    #[serde(default)]
    pub device_authorization_endpoint: Option<String>,
    /// RFC 7009, when offered.
    #[serde(default)]
    pub revocation_endpoint: Option<String>,
}

impl Discovery {
    /// Every endpoint the document names follows the rule of [`crate::urls`]: a document that
    /// sends browsers or codes over plain http to another host is refused as a whole.
    fn check_endpoints(&self) -> Result<()> {
        let named = [
            ("authorization_endpoint", Some(&self.authorization_endpoint)),
            ("token_endpoint", Some(&self.token_endpoint)),
            ("jwks_uri", Some(&self.jwks_uri)),
            ("device_authorization_endpoint", self.device_authorization_endpoint.as_ref()),
            ("revocation_endpoint", self.revocation_endpoint.as_ref()),
        ];
        for (what, url) in named {
            if let Some(url) = url {
                crate::urls::web_url(&format!("the discovery document's {what}"), url)
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

/// What is known about one issuer's discovery document.
#[derive(Debug, Clone)]
enum Known {
    /// The document, and when it was fetched.
    Found { doc: Discovery, at: Instant },
    /// The last attempt failed: why, when, how long to wait, and how many failed in a row.
    Failed { why: String, at: Instant, wait: StdDuration, failures: u32 },
}

/// One issuer's entry; its lock is held while the document is fetched, so concurrent requests
/// for the same issuer wait for one fetch instead of making their own.
type Slot = Arc<tokio::sync::Mutex<Option<Known>>>;

/// Discovery documents and key sets, cached per issuer. Failures are cached too, with backoff,
/// so requests for a failing issuer (anyone may list providers) do not each reach out to it.
#[derive(Debug, Default)]
pub struct OidcCache {
    discovery: Mutex<HashMap<String, Slot>>,
    keys: Mutex<HashMap<String, (JwkSet, Instant)>>,
}

async fn get_json(http: &reqwest::Client, url: &str) -> Result<Value> {
    let res = http
        .get(url)
        .header(reqwest::header::ACCEPT, "application/json")
        .send()
        .await
        .map_err(|e| AuthError::ProviderUnavailable(format!("{url} did not answer: {}", e.without_url())))?;
    if !res.status().is_success() {
        return Err(AuthError::ProviderUnavailable(format!("{url} answered HTTP {}", res.status())));
    }
    read_json(res, ANSWER_LIMIT, url).await
}

/// How long to wait after `failures` failed discoveries in a row.
fn backoff(failures: u32) -> StdDuration {
    FIRST_BACKOFF.saturating_mul(1 << failures.saturating_sub(1).min(16)).min(MAX_BACKOFF)
}

/// A NumericDate claim (RFC 7519 section 2): seconds, possibly with a fraction.
fn seconds(claims: &Value, name: &str) -> Option<i64> {
    let v = claims.get(name)?;
    #[allow(clippy::cast_possible_truncation)]
    v.as_i64().or_else(|| v.as_f64().filter(|f| f.is_finite()).map(|f| f.floor() as i64))
}

/// The ID token's times against the caller's clock, each with [`CLOCK_SKEW`] of leeway: it has
/// not expired (`exp`), was not issued in the future (`iat`, which OpenID Connect requires) and
/// is already valid (`nbf`, when present).
fn check_times(claims: &Value, now: DateTime<Utc>) -> Result<()> {
    let now = now.timestamp();
    let refuse = |why: &str| Err(AuthError::IdToken(why.into()));
    let Some(exp) = seconds(claims, "exp") else { return refuse("no expiry") };
    if now >= exp.saturating_add(CLOCK_SKEW) {
        return refuse("it has expired");
    }
    let Some(iat) = seconds(claims, "iat") else { return refuse("it carries no issue time (iat)") };
    if iat > now.saturating_add(CLOCK_SKEW) {
        return refuse("it was issued in the future; check the clocks of the server and the provider");
    }
    match (claims.get("nbf"), seconds(claims, "nbf")) {
        (None, _) => {}
        (Some(_), None) => return refuse("its not-before time (nbf) is not a time"),
        (Some(_), Some(nbf)) if nbf > now.saturating_add(CLOCK_SKEW) => return refuse("it is not valid yet (nbf)"),
        (Some(_), Some(_)) => {}
    }
    Ok(())
}

/// Fetches and checks an issuer's discovery document.
async fn fetch_discovery(http: &reqwest::Client, issuer: &str) -> Result<Discovery> {
    let url = format!("{issuer}/.well-known/openid-configuration");
    let d: Discovery = serde_json::from_value(get_json(http, &url).await?)
        .map_err(|_| AuthError::ProviderUnavailable("the discovery document is incomplete".into()))?;
    // A document naming another issuer would let one provider speak for another.
    if d.issuer.trim_end_matches('/') != issuer {
        return Err(AuthError::ProviderUnavailable(format!(
            "the discovery document names issuer {:?}, not {issuer:?}",
            d.issuer
        )));
    }
    d.check_endpoints()?;
    Ok(d)
}

impl OidcCache {
    fn slot(&self, issuer: &str) -> Slot {
        let mut map = self.discovery.lock().unwrap_or_else(|p| p.into_inner());
        Arc::clone(map.entry(issuer.to_owned()).or_default())
    }

    /// The issuer's discovery document: from the cache while it is fresh; a failure is
    /// answered from the cache until its backoff has passed.
    pub async fn discovery(&self, http: &reqwest::Client, issuer: &str) -> Result<Discovery> {
        let issuer = issuer.trim_end_matches('/');
        let slot = self.slot(issuer);
        let mut known = slot.lock().await;
        let failures = match &*known {
            Some(Known::Found { doc, at }) if at.elapsed() < CACHE_FOR => return Ok(doc.clone()),
            Some(Known::Failed { why, at, wait, .. }) if at.elapsed() < *wait => {
                return Err(AuthError::ProviderUnavailable(why.clone()));
            }
            Some(Known::Failed { failures, .. }) => *failures,
            _ => 0,
        };
        match fetch_discovery(http, issuer).await {
            Ok(doc) => {
                *known = Some(Known::Found { doc: doc.clone(), at: Instant::now() });
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

    async fn key_set(&self, http: &reqwest::Client, jwks_uri: &str, refresh: bool) -> Result<JwkSet> {
        if !refresh {
            if let Some((k, at)) = self.keys.lock().ok().and_then(|m| m.get(jwks_uri).cloned()) {
                if at.elapsed() < CACHE_FOR {
                    return Ok(k);
                }
            }
        }
        let set: JwkSet = serde_json::from_value(get_json(http, jwks_uri).await?)
            .map_err(|_| AuthError::ProviderUnavailable("the provider's key set is not readable".into()))?;
        if let Ok(mut m) = self.keys.lock() {
            m.insert(jwks_uri.to_owned(), (set.clone(), Instant::now()));
        }
        Ok(set)
    }

    /// Checks an ID token and returns its claims.
    pub async fn verify_id_token(
        &self,
        http: &reqwest::Client,
        discovery: &Discovery,
        client_id: &str,
        id_token: &str,
        nonce: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Value> {
        let header = jsonwebtoken::decode_header(id_token).map_err(|_| AuthError::IdToken("it is not a JWT".into()))?;
        let allowed = [
            Algorithm::RS256,
            Algorithm::RS384,
            Algorithm::RS512,
            Algorithm::PS256,
            Algorithm::PS384,
            Algorithm::PS512,
            Algorithm::ES256,
            Algorithm::ES384,
            Algorithm::EdDSA,
        ];
        if !allowed.contains(&header.alg) {
            return Err(AuthError::IdToken(format!("algorithm {:?} is not accepted", header.alg)));
        }
        let mut set = self.key_set(http, &discovery.jwks_uri, false).await?;
        let pick = |set: &JwkSet| match &header.kid {
            Some(kid) => set.find(kid).cloned(),
            None if set.keys.len() == 1 => set.keys.first().cloned(),
            None => None,
        };
        let jwk = match pick(&set) {
            Some(k) => k,
            None => {
                // The provider may have rotated its keys since they were cached.
                set = self.key_set(http, &discovery.jwks_uri, true).await?;
                pick(&set)
                    .ok_or_else(|| AuthError::IdToken("it is signed with a key the provider does not publish".into()))?
            }
        };
        let key =
            DecodingKey::from_jwk(&jwk).map_err(|_| AuthError::IdToken("the provider's key is not usable".into()))?;
        let mut v = Validation::new(header.alg);
        v.set_issuer(&[discovery.issuer.as_str()]);
        v.set_audience(&[client_id]);
        v.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        v.validate_exp = false;
        v.validate_nbf = false;
        let data = jsonwebtoken::decode::<Value>(id_token, &key, &v).map_err(|e| {
            use jsonwebtoken::errors::ErrorKind as K;
            AuthError::IdToken(
                match e.kind() {
                    K::InvalidSignature => "the signature does not verify",
                    K::InvalidIssuer => "it was issued by another issuer",
                    K::InvalidAudience => "it was issued for another client",
                    K::MissingRequiredClaim(_) => "a required claim is missing",
                    K::InvalidAlgorithm => "its algorithm does not match the provider's key",
                    _ => "it is malformed",
                }
                .into(),
            )
        })?;
        let claims = data.claims;
        check_times(&claims, now)?;
        if let Some(aud) = claims.get("aud").and_then(Value::as_array) {
            if aud.len() > 1 && claims.get("azp").and_then(Value::as_str) != Some(client_id) {
                return Err(AuthError::IdToken("it names several audiences but not Tessera as the party".into()));
            }
        }
        if let Some(expected) = nonce {
            if claims.get("nonce").and_then(Value::as_str) != Some(expected) {
                return Err(AuthError::IdToken("its nonce does not match this sign-in".into()));
            }
        }
        Ok(claims)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn times_are_checked_with_a_minute_of_leeway() {
        let now = Utc::now();
        let t = now.timestamp();
        let ok = |c: Value| check_times(&c, now).is_ok();
        assert!(ok(json!({"exp": t + 300, "iat": t})));
        assert!(ok(json!({"exp": t + 300, "iat": t + 59, "nbf": t + 59})), "within the leeway");
        assert!(ok(json!({"exp": t - 59, "iat": t - 400})), "expired less than a minute ago");
        assert!(ok(json!({"exp": t as f64 + 300.5, "iat": t as f64 - 0.25})), "fractional seconds");
        assert!(!ok(json!({"exp": t - 61, "iat": t - 400})), "expired");
        assert!(!ok(json!({"exp": t + 300})), "no iat");
        assert!(!ok(json!({"iat": t})), "no exp");
        assert!(!ok(json!({"exp": t + 7200, "iat": t + 3600})), "issued an hour from now");
        assert!(!ok(json!({"exp": t + 7200, "iat": t, "nbf": t + 120})), "not valid for two minutes");
        assert!(!ok(json!({"exp": t + 300, "iat": t, "nbf": "soon"})), "nbf is not a time");
        assert!(!ok(json!({"exp": "later", "iat": t})), "exp is not a time");
    }
}
