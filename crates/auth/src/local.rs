//! Local mode: the embedded store in the data directory; the session signing key, the key that
//! seals project secrets and the code-host tokens in the OS keyring; providers from
//! `providers.toml`. Shared by `tessera serve` and the desktop app so both open a data directory
//! the same way.

use std::path::Path;
use std::sync::Arc;

use tessera_core::clock::Clock;
use tessera_core::session::SessionKeys;
use tessera_core::store::SqlStore;
use tessera_core::{Authority, DataDir};

use crate::error::{AuthError, Result};
use crate::sealed::SealingKey;
use crate::secret_store::{namespace_for, KeyringStore, SecretStore};
use crate::sign_in::SignIn;

/// Where the login session signing key is kept in local mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyPlace {
    /// The OS keyring (the default).
    Keyring,
    /// A file in the data directory, readable by its owner only: only when the user opts in,
    /// for machines without a keyring.
    File,
}

/// An opened local instance.
pub struct Local {
    /// The token authority over the SQLite store.
    pub authority: Arc<Authority>,
    /// The keyring, when one could be reached.
    pub secrets: Option<Arc<dyn SecretStore>>,
    /// Why the keyring could not be reached, if it could not.
    pub keyring_error: Option<AuthError>,
}

/// Opens the data directory's store (or `store` when given) with the signing key in `key`.
pub async fn open(dir: &DataDir, store: Option<&Path>, clock: Arc<dyn Clock>, key: KeyPlace) -> Result<Local> {
    let namespace = namespace_for(dir.path());
    // Connecting is a blocking D-Bus exchange on Linux: off the runtime's workers.
    let keyring = tokio::task::spawn_blocking(move || KeyringStore::connect(&namespace))
        .await
        .unwrap_or_else(|e| Err(AuthError::KeyringUnavailable(format!("connecting did not finish: {e}"))))
        .map(|k| Arc::new(k) as Arc<dyn SecretStore>);
    open_with_keyring(dir, store, clock, key, keyring).await
}

/// As [`open`], with a keyring the caller has connected already (or the reason it could not):
/// the desktop app keeps its own logins in the same one, so it connects once.
pub async fn open_with_keyring(
    dir: &DataDir,
    store: Option<&Path>,
    clock: Arc<dyn Clock>,
    key: KeyPlace,
    keyring: Result<Arc<dyn SecretStore>>,
) -> Result<Local> {
    dir.create()?;
    let sql = SqlStore::open_sqlite(store.unwrap_or(&dir.store())).await?;
    // Both keys live where the user chose: the keyring, or owner-only files beside the store.
    let (keys, sealing) = match (key, &keyring) {
        (KeyPlace::File, _) => {
            (SessionKeys::load_or_create(&dir.session_key())?, SealingKey::load_or_create_file(&dir.sealing_key())?)
        }
        (KeyPlace::Keyring, Ok(k)) => (
            crate::keys::load_or_import(k.as_ref(), &dir.session_key()).await?,
            crate::keys::load_or_create_sealing_key(k.as_ref()).await?,
        ),
        (KeyPlace::Keyring, Err(e)) => {
            return Err(AuthError::KeyringUnavailable(format!(
                "{e}; the session signing key lives in the keyring. Start a keyring (Secret Service), or opt in to a \
                 key file readable only by you with --key-file (TESSERA_KEY_FILE=1)"
            )))
        }
    };
    let authority = Arc::new(Authority::new(Arc::new(sql), keys, clock).with_sealer(sealing.sealer()));
    let (secrets, keyring_error) = match keyring {
        Ok(k) => (Some(k), None),
        Err(e) => (None, Some(e)),
    };
    Ok(Local { authority, secrets, keyring_error })
}

impl Local {
    /// The sign-in service over this instance, with providers from the data directory's
    /// `providers.toml`; none when there is no keyring to keep code-host tokens in.
    pub async fn sign_in(&self, dir: &DataDir) -> Result<Option<Arc<SignIn>>> {
        let Some(secrets) = &self.secrets else {
            if let Some(e) = &self.keyring_error {
                tracing::warn!(error = %e, "sign-in with providers is off: code-host tokens are kept only in a keyring");
            }
            return Ok(None);
        };
        Ok(Some(Arc::new(SignIn::new(Arc::clone(&self.authority), &dir.providers(), Arc::clone(secrets)).await?)))
    }
}
