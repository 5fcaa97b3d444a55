//! Login sessions: EdDSA-signed JWTs that name a user and a session record, nothing more.
//!
//! A session carries no role: the user's role is looked up on every request, so demoting a user
//! takes effect at once. The record behind each session (its `jti`) makes it revocable. Expiry is
//! checked against the caller's `now`, not the system clock, so tests can move time.

use std::path::Path;

use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use ring::rand::SystemRandom;
use ring::signature::{Ed25519KeyPair, KeyPair};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::secret::Secret;
use crate::store::SqlStore;

/// How long a login session lasts.
pub const SESSION_LIFETIME: Duration = Duration::hours(1);
const ISSUER: &str = "tessera";
const AUDIENCE: &str = "tessera-api";
/// The session key's name among the keys a team-mode database shares.
pub const SHARED_KEY_NAME: &str = "session";

/// What a session JWT says.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Claims {
    /// The user id.
    pub sub: String,
    /// The session id.
    pub jti: String,
    /// Issued at (seconds since the epoch).
    pub iat: i64,
    /// Expires at (seconds since the epoch).
    pub exp: i64,
    /// Always `tessera`.
    pub iss: String,
    /// Always `tessera-api`.
    pub aud: String,
}

/// The key pair that signs and checks login sessions.
pub struct SessionKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl std::fmt::Debug for SessionKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionKeys(<redacted>)")
    }
}

impl SessionKeys {
    /// Makes a new Ed25519 key pair; returns it with its PKCS#8 document for keeping.
    pub fn generate() -> Result<(Self, Vec<u8>)> {
        let doc = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new())
            .map_err(|_| Error::Internal("cannot generate the session signing key".into()))?;
        let der = doc.as_ref().to_vec();
        Ok((Self::from_pkcs8(&der)?, der))
    }

    /// Loads a key pair from its PKCS#8 document.
    pub fn from_pkcs8(der: &[u8]) -> Result<Self> {
        let pair = Ed25519KeyPair::from_pkcs8(der)
            .map_err(|_| Error::Internal("the session signing key is not a valid Ed25519 PKCS#8 key".into()))?;
        Ok(Self {
            encoding: EncodingKey::from_ed_der(der),
            decoding: DecodingKey::from_ed_der(pair.public_key().as_ref()),
        })
    }

    /// Loads the key from `path`, creating it (readable by its owner only) on first start.
    pub fn load_or_create(path: &Path) -> Result<Self> {
        let io = |e: std::io::Error| Error::Internal(format!("session signing key {}: {e}", path.display()));
        match std::fs::read(path) {
            Ok(der) => Self::from_pkcs8(&der),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let (keys, der) = Self::generate()?;
                tessera_platform::files::write_new_private(path, &der).map_err(io)?;
                Ok(keys)
            }
            Err(e) => Err(io(e)),
        }
    }

    /// Loads the key every replica on `store`'s database shares, creating it on first start.
    ///
    /// Team mode's replicas must verify each other's sessions, so the key lives in the
    /// database; replicas starting together race to insert one and all read back the winner.
    /// It is sealed by `sealer`, so the database alone cannot sign sessions; a key an older
    /// version left unsealed is sealed in place on first start.
    pub async fn load_or_create_shared_sealed(
        store: &SqlStore,
        sealer: &dyn crate::seal::Sealer,
        now: DateTime<Utc>,
    ) -> Result<Self> {
        use crate::seal::SESSION_KEY_ENTRY;
        let stored = match store.signing_key(SHARED_KEY_NAME).await? {
            Some(s) => s,
            None => {
                let (_, der) = Self::generate()?;
                let der = Zeroizing::new(der);
                let sealed = sealer.seal(SESSION_KEY_ENTRY, &der)?;
                store.put_signing_key_if_absent(SHARED_KEY_NAME, &sealed, now).await?
            }
        };
        if let Ok(der) = sealer.open(SESSION_KEY_ENTRY, &stored) {
            return Self::from_pkcs8(&der);
        }
        // Not sealed with this key: a plain key from before sealing is sealed now (only if no
        // other replica sealed it meanwhile); anything else is another key's, or damage.
        let Ok(keys) = Self::from_pkcs8(&stored) else {
            return Err(Error::Internal(
                "the shared session signing key does not open with this server's secret key (another key, or damaged)"
                    .into(),
            ));
        };
        let sealed = sealer.seal(SESSION_KEY_ENTRY, &stored)?;
        store.replace_signing_key(SHARED_KEY_NAME, &stored, &sealed).await?;
        Ok(keys)
    }

    /// Signs a session for `user_id` with id `jti`, valid from `now` for [`SESSION_LIFETIME`].
    pub fn sign(&self, user_id: &str, jti: &str, now: DateTime<Utc>) -> Result<(Secret, DateTime<Utc>)> {
        let exp = now + SESSION_LIFETIME;
        let claims = Claims {
            sub: user_id.to_owned(),
            jti: jti.to_owned(),
            iat: now.timestamp(),
            exp: exp.timestamp(),
            iss: ISSUER.to_owned(),
            aud: AUDIENCE.to_owned(),
        };
        let jwt = jsonwebtoken::encode(&Header::new(Algorithm::EdDSA), &claims, &self.encoding)
            .map_err(|e| Error::Internal(format!("cannot sign a session: {e}")))?;
        Ok((Secret::new(jwt), exp))
    }

    /// Checks signature, algorithm, issuer, audience and expiry at `now`.
    pub fn verify(&self, jwt: &str, now: DateTime<Utc>) -> Result<Claims> {
        let mut v = Validation::new(Algorithm::EdDSA);
        v.set_issuer(&[ISSUER]);
        v.set_audience(&[AUDIENCE]);
        v.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        // Expiry is checked below against the caller's clock.
        v.validate_exp = false;
        let data = jsonwebtoken::decode::<Claims>(jwt, &self.decoding, &v)
            .map_err(|_| Error::Unauthenticated("the session is not valid"))?;
        if now.timestamp() >= data.claims.exp {
            return Err(Error::SessionExpired);
        }
        Ok(data.claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64_free::encode_segment;

    /// Base64url without padding, enough to forge JWT segments in tests.
    mod base64_free {
        pub fn encode_segment(bytes: &[u8]) -> String {
            const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
            let mut out = String::new();
            for chunk in bytes.chunks(3) {
                let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
                let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
                for i in 0..=chunk.len() {
                    out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
                }
            }
            out
        }
    }

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default()
    }

    #[test]
    fn a_signed_session_verifies_until_it_expires() -> Result<()> {
        let (keys, _) = SessionKeys::generate()?;
        let (jwt, exp) = keys.sign("usr_1", "ses_1", now())?;
        assert_eq!(exp, now() + SESSION_LIFETIME);
        let c = keys.verify(jwt.expose(), now() + Duration::minutes(59))?;
        assert_eq!((c.sub.as_str(), c.jti.as_str()), ("usr_1", "ses_1"));
        assert!(keys.verify(jwt.expose(), now() + SESSION_LIFETIME).is_err());
        Ok(())
    }

    #[test]
    fn another_key_tampering_and_alg_none_are_refused() -> Result<()> {
        let (keys, _) = SessionKeys::generate()?;
        let (other, _) = SessionKeys::generate()?;
        let (jwt, _) = keys.sign("usr_1", "ses_1", now())?;
        assert!(other.verify(jwt.expose(), now()).is_err(), "a session signed by another key");

        let parts: Vec<&str> = jwt.expose().split('.').collect();
        assert_eq!(parts.len(), 3);
        let forged_claims = encode_segment(
            format!(
                r#"{{"sub":"usr_admin","jti":"ses_1","iat":0,"exp":{},"iss":"tessera","aud":"tessera-api"}}"#,
                now().timestamp() + 60
            )
            .as_bytes(),
        );
        let tampered = format!("{}.{}.{}", parts[0], forged_claims, parts[2]);
        assert!(keys.verify(&tampered, now()).is_err(), "claims changed under the signature");

        let none_header = encode_segment(br#"{"alg":"none","typ":"JWT"}"#);
        assert!(keys.verify(&format!("{none_header}.{forged_claims}."), now()).is_err(), "alg none");
        let hs_header = encode_segment(br#"{"alg":"HS256","typ":"JWT"}"#);
        assert!(keys.verify(&format!("{hs_header}.{forged_claims}.{}", parts[2]), now()).is_err(), "alg HS256");
        assert!(keys.verify("not-a-jwt", now()).is_err());
        Ok(())
    }

    #[test]
    fn the_key_file_is_created_once_and_private() -> Result<()> {
        let dir = tempfile::tempdir().map_err(|e| Error::Internal(e.to_string()))?;
        let path = dir.path().join("session.key");
        let a = SessionKeys::load_or_create(&path)?;
        let b = SessionKeys::load_or_create(&path)?;
        let (jwt, _) = a.sign("usr_1", "ses_1", now())?;
        assert!(b.verify(jwt.expose(), now()).is_ok(), "the second load reads the same key");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).map_err(|e| Error::Internal(e.to_string()))?.permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        Ok(())
    }
}
