//! Team mode's secret store: secrets sealed with XChaCha20-Poly1305 in the shared database, so
//! every replica can read the code-host tokens any replica stored — and the database alone
//! cannot.
//!
//! The 256-bit key comes from a file (`TESSERA_SECRET_KEY_FILE`) or the environment
//! (`TESSERA_SECRET_KEY`), base64-encoded, and never enters the database. Each ciphertext is
//! bound to its entry's name as associated data, so a sealed value moved to another entry does
//! not open. A value that does not open is an error, never a reason to overwrite it.

use std::sync::Arc;

use async_trait::async_trait;
use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use tessera_core::clock::Clock;
use tessera_core::seal::Sealer;
use tessera_core::store::Store;
use tessera_core::Secret;
use zeroize::Zeroizing;

use crate::error::{AuthError, Result};
use crate::secret_store::SecretStore;

/// The environment variable naming the key file.
pub const KEY_FILE_ENV: &str = "TESSERA_SECRET_KEY_FILE";
/// The environment variable holding the key itself.
pub const KEY_ENV: &str = "TESSERA_SECRET_KEY";

/// The sealing key.
pub struct SealingKey(Zeroizing<[u8; 32]>);

impl std::fmt::Debug for SealingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SealingKey(<redacted>)")
    }
}

impl SealingKey {
    /// A new random key.
    pub fn generate() -> Result<Self> {
        let mut k = Zeroizing::new([0u8; 32]);
        getrandom::fill(k.as_mut()).map_err(|e| AuthError::Config(format!("the OS random source failed: {e}")))?;
        Ok(Self(k))
    }

    /// Reads the base64 form (surrounding white space is ignored).
    pub fn from_base64(text: &str) -> Result<Self> {
        let bytes = Zeroizing::new(
            base64::engine::general_purpose::STANDARD
                .decode(text.trim())
                .map_err(|_| AuthError::Config("the secret key is not base64".into()))?,
        );
        let arr: [u8; 32] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| AuthError::Config(format!("the secret key must be 32 bytes, not {}", bytes.len())))?;
        Ok(Self(Zeroizing::new(arr)))
    }

    /// The base64 form, for `tessera admin secret-key`.
    pub fn to_base64(&self) -> Secret {
        Secret::new(base64::engine::general_purpose::STANDARD.encode(self.0.as_slice()))
    }

    /// The key from `TESSERA_SECRET_KEY_FILE` or `TESSERA_SECRET_KEY`, if either is set.
    pub fn from_env() -> Result<Option<Self>> {
        if let Some(path) = std::env::var_os(KEY_FILE_ENV).filter(|v| !v.is_empty()) {
            let text = Zeroizing::new(std::fs::read_to_string(&path).map_err(|e| {
                AuthError::Config(format!("cannot read {KEY_FILE_ENV} {}: {e}", std::path::Path::new(&path).display()))
            })?);
            return Self::from_base64(&text).map(Some);
        }
        match std::env::var(KEY_ENV) {
            Ok(v) if !v.is_empty() => Self::from_base64(&Zeroizing::new(v)).map(Some),
            _ => Ok(None),
        }
    }
}

impl SealingKey {
    /// The sealer the token authority uses with this key (project secrets, the shared session
    /// signing key).
    pub fn sealer(&self) -> Arc<dyn Sealer> {
        Arc::new(KeySealer(XChaCha20Poly1305::new(Key::from_slice(self.0.as_slice()))))
    }

    /// The key in `path` (base64), made there readable by its owner only on first start: for
    /// local mode without a keyring, when the user opted in to key files.
    pub fn load_or_create_file(path: &std::path::Path) -> Result<Self> {
        match std::fs::read_to_string(path) {
            Ok(text) => Self::from_base64(&Zeroizing::new(text)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = Self::generate()?;
                tessera_platform::files::write_new_private(path, key.to_base64().expose().as_bytes())
                    .map_err(|e| AuthError::Config(format!("cannot write the secret key {}: {e}", path.display())))?;
                Ok(key)
            }
            Err(e) => Err(AuthError::Config(format!("cannot read the secret key {}: {e}", path.display()))),
        }
    }
}

/// XChaCha20-Poly1305 for the token authority: a sealed value is the 24-byte nonce followed by
/// the ciphertext, bound to its entry's name as associated data.
struct KeySealer(XChaCha20Poly1305);

impl Sealer for KeySealer {
    fn seal(&self, name: &str, plain: &[u8]) -> tessera_core::Result<Vec<u8>> {
        let mut nonce = [0u8; 24];
        getrandom::fill(&mut nonce)
            .map_err(|e| tessera_core::Error::Internal(format!("the OS random source failed: {e}")))?;
        let ciphertext = self
            .0
            .encrypt(XNonce::from_slice(&nonce), Payload { msg: plain, aad: name.as_bytes() })
            .map_err(|_| tessera_core::Error::Internal("sealing failed".into()))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ciphertext);
        Ok(out)
    }

    fn open(&self, name: &str, sealed: &[u8]) -> tessera_core::Result<Zeroizing<Vec<u8>>> {
        let fail = || tessera_core::Error::Internal(format!("the sealed entry {name:?} does not open with this key"));
        if sealed.len() < 24 {
            return Err(fail());
        }
        let (nonce, ciphertext) = sealed.split_at(24);
        self.0
            .decrypt(XNonce::from_slice(nonce), Payload { msg: ciphertext, aad: name.as_bytes() })
            .map(Zeroizing::new)
            .map_err(|_| fail())
    }
}

/// Secrets sealed in the database.
pub struct SealedStore {
    store: Arc<dyn Store>,
    cipher: XChaCha20Poly1305,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for SealedStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SealedStore(<redacted>)")
    }
}

impl SealedStore {
    /// A store sealing with `key` into `store`.
    pub fn new(store: Arc<dyn Store>, key: &SealingKey, clock: Arc<dyn Clock>) -> Self {
        Self { store, cipher: XChaCha20Poly1305::new(Key::from_slice(key.0.as_slice())), clock }
    }
}

#[async_trait]
impl SecretStore for SealedStore {
    async fn get(&self, key: &str) -> Result<Option<Secret>> {
        let Some((nonce, ciphertext)) = self.store.sealed(key).await? else { return Ok(None) };
        if nonce.len() != 24 {
            return Err(AuthError::KeyringUnavailable(format!("the sealed entry {key:?} is damaged")));
        }
        let plain = Zeroizing::new(
            self.cipher
                .decrypt(XNonce::from_slice(&nonce), Payload { msg: &ciphertext, aad: key.as_bytes() })
                .map_err(|_| {
                    AuthError::KeyringUnavailable(format!(
                        "the sealed entry {key:?} does not open with this server's secret key (another key, or damaged)"
                    ))
                })?,
        );
        let text = String::from_utf8(plain.to_vec())
            .map_err(|_| AuthError::KeyringUnavailable(format!("the sealed entry {key:?} is not text")))?;
        Ok(Some(Secret::new(text)))
    }

    async fn set(&self, key: &str, value: &Secret) -> Result<()> {
        let mut nonce = [0u8; 24];
        getrandom::fill(&mut nonce).map_err(|e| AuthError::Config(format!("the OS random source failed: {e}")))?;
        let ciphertext = self
            .cipher
            .encrypt(XNonce::from_slice(&nonce), Payload { msg: value.expose().as_bytes(), aad: key.as_bytes() })
            .map_err(|_| AuthError::KeyringUnavailable("sealing failed".into()))?;
        self.store.put_sealed(key, &nonce, &ciphertext, self.clock.now()).await?;
        Ok(())
    }

    async fn delete(&self, key: &str) -> Result<()> {
        self.store.delete_sealed(key).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tessera_core::clock::SystemClock;
    use tessera_core::store::SqlStore;

    #[tokio::test]
    async fn sealed_values_open_only_with_their_key_and_their_name() -> Result<()> {
        let dir = tempfile::tempdir().map_err(|e| AuthError::Config(e.to_string()))?;
        let sql: Arc<dyn Store> = Arc::new(SqlStore::open_sqlite(&dir.path().join("t.db")).await?);
        let key = SealingKey::generate()?;
        let sealed = SealedStore::new(Arc::clone(&sql), &key, Arc::new(SystemClock));
        sealed.set("scm/gh/1", &Secret::new("ghu_secret_value".into())).await?;
        assert_eq!(sealed.get("scm/gh/1").await?.as_ref().map(Secret::expose), Some("ghu_secret_value"));
        let (nonce, ct) = sql.sealed("scm/gh/1").await?.ok_or_else(|| AuthError::Config("missing".into()))?;
        assert!(!ct.windows(16).any(|w| w == b"ghu_secret_value"), "the database holds ciphertext");
        assert_eq!(nonce.len(), 24);

        // Another key does not open it, and reading does not touch it.
        let other = SealedStore::new(Arc::clone(&sql), &SealingKey::generate()?, Arc::new(SystemClock));
        assert!(matches!(other.get("scm/gh/1").await, Err(AuthError::KeyringUnavailable(_))));
        assert_eq!(sql.sealed("scm/gh/1").await?.map(|v| v.1), Some(ct.clone()));
        // Moved to another name, it does not open either.
        sql.put_sealed("scm/gh/2", &nonce, &ct, chrono::Utc::now()).await?;
        assert!(sealed.get("scm/gh/2").await.is_err());
        // The key round-trips through its base64 form; bad forms are refused.
        let again = SealedStore::new(
            Arc::clone(&sql),
            &SealingKey::from_base64(key.to_base64().expose())?,
            Arc::new(SystemClock),
        );
        assert!(again.get("scm/gh/1").await?.is_some());
        assert!(SealingKey::from_base64("c2hvcnQ=").is_err());
        assert!(SealingKey::from_base64("not base64!").is_err());
        sealed.delete("scm/gh/1").await?;
        assert_eq!(sealed.get("scm/gh/1").await?, None);
        assert!(!format!("{key:?}{sealed:?}").contains(key.to_base64().expose()));
        Ok(())
    }

    #[test]
    fn the_authoritys_sealer_opens_only_its_own_entries() -> tessera_core::Result<()> {
        let key = SealingKey::generate().map_err(|e| tessera_core::Error::Internal(e.to_string()))?;
        let sealer = key.sealer();
        let sealed = sealer.seal("secret:prj_1/DB", b"hunter2-value")?;
        assert!(!sealed.windows(13).any(|w| w == b"hunter2-value"));
        assert_eq!(sealer.open("secret:prj_1/DB", &sealed)?.as_slice(), b"hunter2-value");
        assert!(sealer.open("secret:prj_2/DB", &sealed).is_err(), "another entry's name does not open it");
        let other = SealingKey::generate().map_err(|e| tessera_core::Error::Internal(e.to_string()))?.sealer();
        assert!(other.open("secret:prj_1/DB", &sealed).is_err(), "another key does not open it");
        assert!(sealer.open("secret:prj_1/DB", &sealed[..10]).is_err());
        assert_ne!(sealer.seal("secret:prj_1/DB", b"hunter2-value")?, sealed, "a fresh nonce every time");
        Ok(())
    }

    #[test]
    fn a_key_file_is_made_once_and_private() -> Result<()> {
        let dir = tempfile::tempdir().map_err(|e| AuthError::Config(e.to_string()))?;
        let path = dir.path().join("secret-sealing-key");
        let a = SealingKey::load_or_create_file(&path)?;
        let b = SealingKey::load_or_create_file(&path)?;
        assert_eq!(a.to_base64().expose(), b.to_base64().expose());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).map_err(|e| AuthError::Config(e.to_string()))?.permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        Ok(())
    }
}
