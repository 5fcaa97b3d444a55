//! The login session signing key in local mode: kept in the keyring, created on first start.
//! A file (owner-only) is used only when the user opts in, for machines without a keyring.

use base64::Engine;
use tessera_core::session::SessionKeys;
use tessera_core::Secret;

use crate::error::{AuthError, Result};
use crate::sealed::SealingKey;
use crate::secret_store::SecretStore;

const KEY: &str = "session-signing-key";
/// Where local mode keeps the key that seals project secrets in the store.
const SEALING_KEY: &str = "secret-sealing-key";

/// Loads the key that seals project secrets in the local store from the secret store, making
/// and storing one on first start. It never enters the data directory.
pub async fn load_or_create_sealing_key(store: &dyn SecretStore) -> Result<SealingKey> {
    if let Some(s) = store.get(SEALING_KEY).await? {
        return SealingKey::from_base64(s.expose())
            .map_err(|_| AuthError::KeyringUnavailable("the stored secret sealing key is unreadable".into()));
    }
    let key = SealingKey::generate()?;
    store.set(SEALING_KEY, &key.to_base64()).await?;
    Ok(key)
}

/// Loads the signing key from the secret store, making and storing one on first start.
pub async fn load_or_create(store: &dyn SecretStore) -> Result<SessionKeys> {
    let b64 = base64::engine::general_purpose::STANDARD;
    if let Some(s) = store.get(KEY).await? {
        let der = zeroize::Zeroizing::new(
            b64.decode(s.expose())
                .map_err(|_| AuthError::KeyringUnavailable("the stored signing key is unreadable".into()))?,
        );
        return Ok(SessionKeys::from_pkcs8(&der)?);
    }
    let (keys, der) = SessionKeys::generate()?;
    let der = zeroize::Zeroizing::new(der);
    store.set(KEY, &Secret::new(b64.encode(der.as_slice()))).await?;
    Ok(keys)
}

/// Like [`load_or_create`], but first moves a key left in `file` by an older start (or by the
/// file opt-in) into the secret store, and deletes the file once the store holds it.
pub async fn load_or_import(store: &dyn SecretStore, file: &std::path::Path) -> Result<SessionKeys> {
    if store.get(KEY).await?.is_none() {
        if let Ok(der) = std::fs::read(file).map(zeroize::Zeroizing::new) {
            let keys = SessionKeys::from_pkcs8(&der)?;
            let b64 = base64::engine::general_purpose::STANDARD;
            store.set(KEY, &Secret::new(b64.encode(der.as_slice()))).await?;
            if let Err(e) = std::fs::remove_file(file) {
                tracing::warn!(error = %e, "the signing key is in the keyring now, but its old file could not be removed");
            }
            return Ok(keys);
        }
    }
    load_or_create(store).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret_store::MemoryStore;

    #[tokio::test]
    async fn the_key_is_made_once_and_a_locked_store_is_an_error() -> Result<()> {
        let store = MemoryStore::default();
        let a = load_or_create(&store).await?;
        let b = load_or_create(&store).await?;
        let now = chrono::Utc::now();
        let (jwt, _) = a.sign("usr_1", "ses_1", now)?;
        assert!(b.verify(jwt.expose(), now).is_ok());
        store.set_locked(true);
        assert!(matches!(load_or_create(&store).await, Err(AuthError::KeyringLocked)));
        Ok(())
    }

    #[tokio::test]
    async fn the_sealing_key_is_made_once_and_kept_in_the_store() -> Result<()> {
        let store = MemoryStore::default();
        let a = load_or_create_sealing_key(&store).await?;
        let b = load_or_create_sealing_key(&store).await?;
        assert_eq!(a.to_base64().expose(), b.to_base64().expose());
        assert_eq!(store.keys(), vec![SEALING_KEY.to_owned()]);
        store.set_locked(true);
        assert!(matches!(load_or_create_sealing_key(&store).await, Err(AuthError::KeyringLocked)));
        Ok(())
    }

    #[tokio::test]
    async fn a_key_file_moves_into_the_store() -> Result<()> {
        let dir = tempfile::tempdir().map_err(|e| AuthError::Config(e.to_string()))?;
        let file = dir.path().join("key.der");
        let from_file = SessionKeys::load_or_create(&file)?;
        let store = MemoryStore::default();
        let moved = load_or_import(&store, &file).await?;
        assert!(!file.exists(), "the file is gone once the store holds the key");
        let now = chrono::Utc::now();
        let (jwt, _) = from_file.sign("usr_1", "ses_1", now)?;
        assert!(moved.verify(jwt.expose(), now).is_ok(), "sessions signed before the move still verify");
        assert!(load_or_import(&store, &file).await?.verify(jwt.expose(), now).is_ok());
        Ok(())
    }
}
