//! OpenID Connect: discovery, the provider's signing keys, and the checks every ID token must
//! pass — signature from the JWKS with an asymmetric algorithm, issuer, audience (and `azp`),
//! expiry against the caller's clock, and the nonce of the request.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration as StdDuration, Instant};

use chrono::{DateTime, Utc};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use serde_json::Value;

use crate::error::{AuthError, Result};

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

/// Discovery documents and key sets, cached per issuer.
#[derive(Debug, Default)]
pub struct OidcCache {
    discovery: Mutex<HashMap<String, (Discovery, Instant)>>,
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
    res.json().await.map_err(|_| AuthError::ProviderUnavailable(format!("{url} did not answer JSON")))
}

impl OidcCache {
    /// The issuer's discovery document.
    pub async fn discovery(&self, http: &reqwest::Client, issuer: &str) -> Result<Discovery> {
        let issuer = issuer.trim_end_matches('/');
        if let Some((d, at)) = self.discovery.lock().ok().and_then(|m| m.get(issuer).cloned()) {
            if at.elapsed() < CACHE_FOR {
                return Ok(d);
            }
        }
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
        if let Ok(mut m) = self.discovery.lock() {
            m.insert(issuer.to_owned(), (d.clone(), Instant::now()));
        }
        Ok(d)
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
        let exp = claims.get("exp").and_then(Value::as_i64).ok_or_else(|| AuthError::IdToken("no expiry".into()))?;
        if now.timestamp() >= exp + CLOCK_SKEW {
            return Err(AuthError::IdToken("it has expired".into()));
        }
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
