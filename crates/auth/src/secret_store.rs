//! Where code-host tokens and (in local mode) the session signing key are kept.
//!
//! Local mode keeps them in the OS keyring through keyring-core: the store of this OS, as the
//! platform layer picks it (`tessera_platform::keyring`: Secret Service on Linux, the Keychain on
//! macOS, Credential Manager on Windows); team mode will keep them encrypted at rest behind the
//! same trait. A locked or unreachable keyring
//! is an error with a stable code — never a reason to delete or overwrite anything, and never a
//! reason to fall back to plain text.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use tessera_core::Secret;
use tessera_platform::keyring;

use crate::error::{AuthError, Result};

/// The keyring service name every Tessera entry is filed under.
pub const SERVICE: &str = "tessera";

/// A store of secrets addressed by key.
#[async_trait]
pub trait SecretStore: Send + Sync {
    /// The secret under `key`, if there is one.
    async fn get(&self, key: &str) -> Result<Option<Secret>>;
    /// Stores `value` under `key`, replacing what was there.
    async fn set(&self, key: &str, value: &Secret) -> Result<()>;
    /// Deletes the secret under `key`; deleting nothing is fine.
    async fn delete(&self, key: &str) -> Result<()>;
}

/// The OS keyring (Secret Service on Linux, the Keychain on macOS, Credential Manager on Windows).
///
/// Entries are filed under service [`SERVICE`] with user name `<namespace>/<key>`; the namespace
/// keeps two data directories on one machine apart.
pub struct KeyringStore {
    store: Arc<keyring::CredentialStore>,
    namespace: String,
}

impl std::fmt::Debug for KeyringStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyringStore").field("namespace", &self.namespace).finish_non_exhaustive()
    }
}

fn keyring_error(e: keyring_core::Error) -> AuthError {
    match e {
        keyring_core::Error::NoStorageAccess(_) => AuthError::KeyringLocked,
        keyring_core::Error::PlatformFailure(p) => AuthError::KeyringUnavailable(p.to_string()),
        other => AuthError::KeyringUnavailable(other.to_string()),
    }
}

impl KeyringStore {
    /// Connects to this OS's secret store (on Linux, the Secret Service on the session bus).
    pub fn connect(namespace: &str) -> Result<Self> {
        let store = keyring::secret_store().map_err(keyring_error)?;
        Ok(Self { store, namespace: namespace.to_owned() })
    }

    /// The keyring user name of `key`, as `secret-tool lookup service tessera username …` finds it.
    pub fn user_name(&self, key: &str) -> String {
        format!("{}/{key}", self.namespace)
    }

    async fn blocking<T: Send + 'static>(
        &self,
        key: &str,
        f: impl FnOnce(keyring_core::Entry) -> keyring_core::Result<T> + Send + 'static,
    ) -> Result<T> {
        let entry = self.store.build(SERVICE, &self.user_name(key), None).map_err(keyring_error)?;
        tokio::task::spawn_blocking(move || f(entry))
            .await
            .map_err(|e| AuthError::KeyringUnavailable(format!("the keyring call did not finish: {e}")))?
            .map_err(keyring_error)
    }
}

#[async_trait]
impl SecretStore for KeyringStore {
    async fn get(&self, key: &str) -> Result<Option<Secret>> {
        let got = self
            .blocking(key, |e| match e.get_password() {
                Ok(v) => Ok(Some(v)),
                Err(keyring_core::Error::NoEntry) => Ok(None),
                Err(err) => Err(err),
            })
            .await?;
        Ok(got.map(Secret::new))
    }

    async fn set(&self, key: &str, value: &Secret) -> Result<()> {
        let v = value.clone();
        self.blocking(key, move |e| e.set_password(v.expose())).await
    }

    async fn delete(&self, key: &str) -> Result<()> {
        self.blocking(key, |e| match e.delete_credential() {
            Ok(()) | Err(keyring_core::Error::NoEntry) => Ok(()),
            Err(err) => Err(err),
        })
        .await
    }
}

/// An in-memory store for tests, with a switch that makes it behave like a locked keyring.
#[derive(Debug, Default)]
pub struct MemoryStore {
    values: Mutex<HashMap<String, Secret>>,
    locked: std::sync::atomic::AtomicBool,
}

impl MemoryStore {
    /// Locks or unlocks it: while locked every call fails with [`AuthError::KeyringLocked`].
    pub fn set_locked(&self, locked: bool) {
        self.locked.store(locked, std::sync::atomic::Ordering::SeqCst);
    }

    fn check(&self) -> Result<()> {
        if self.locked.load(std::sync::atomic::Ordering::SeqCst) {
            Err(AuthError::KeyringLocked)
        } else {
            Ok(())
        }
    }

    /// The keys stored.
    pub fn keys(&self) -> Vec<String> {
        self.values().keys().cloned().collect()
    }

    /// The values. A panic elsewhere while the lock was held cannot leave the map half-changed,
    /// so a poisoned lock is taken over rather than read as empty (or written to nowhere).
    fn values(&self) -> std::sync::MutexGuard<'_, HashMap<String, Secret>> {
        self.values.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[async_trait]
impl SecretStore for MemoryStore {
    async fn get(&self, key: &str) -> Result<Option<Secret>> {
        self.check()?;
        Ok(self.values().get(key).cloned())
    }

    async fn set(&self, key: &str, value: &Secret) -> Result<()> {
        self.check()?;
        self.values().insert(key.to_owned(), value.clone());
        Ok(())
    }

    async fn delete(&self, key: &str) -> Result<()> {
        self.check()?;
        self.values().remove(key);
        Ok(())
    }
}

/// How [`LazyStore`] connects: called once, on a blocking thread.
type Connect = Box<dyn FnOnce() -> Result<Arc<dyn SecretStore>> + Send>;

/// A store that connects on first use rather than when it is made.
///
/// Connecting to the Secret Service is a D-Bus round trip or more. The desktop app makes its
/// store while its window is set up, on the thread that draws the window, and needs it only once
/// its session is being restored, on another. A store that cannot connect fails every call with
/// [`AuthError::KeyringUnavailable`], saying why, and is not tried again.
pub struct LazyStore {
    connect: Mutex<Option<Connect>>,
    store: tokio::sync::OnceCell<std::result::Result<Arc<dyn SecretStore>, String>>,
}

impl std::fmt::Debug for LazyStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LazyStore").field("connected", &self.store.initialized()).finish_non_exhaustive()
    }
}

impl LazyStore {
    /// A store that `connect` makes when it is first used.
    pub fn new(connect: impl FnOnce() -> Result<Arc<dyn SecretStore>> + Send + 'static) -> Self {
        Self { connect: Mutex::new(Some(Box::new(connect))), store: tokio::sync::OnceCell::new() }
    }

    /// The OS keyring under `namespace` (see [`KeyringStore::connect`]), connected on first use.
    pub fn keyring(namespace: &str) -> Self {
        let namespace = namespace.to_owned();
        Self::new(move || Ok(Arc::new(KeyringStore::connect(&namespace)?) as Arc<dyn SecretStore>))
    }

    /// The store, connected now if it was not yet, or why it cannot be.
    pub async fn connected(&self) -> Result<Arc<dyn SecretStore>> {
        self.store().await.cloned()
    }

    async fn store(&self) -> Result<&Arc<dyn SecretStore>> {
        let connected = self
            .store
            .get_or_init(|| async {
                let connect = self.connect.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take();
                let Some(connect) = connect else {
                    return Err("the keyring connection was not made".to_owned());
                };
                let made = tokio::task::spawn_blocking(connect)
                    .await
                    .unwrap_or_else(|e| Err(AuthError::KeyringUnavailable(format!("connecting did not finish: {e}"))));
                made.map_err(|e| {
                    tracing::warn!(error = %e, "no keyring");
                    match e {
                        AuthError::KeyringUnavailable(why) => why,
                        other => other.to_string(),
                    }
                })
            })
            .await;
        connected.as_ref().map_err(|why| AuthError::KeyringUnavailable(why.clone()))
    }
}

#[async_trait]
impl SecretStore for LazyStore {
    async fn get(&self, key: &str) -> Result<Option<Secret>> {
        self.store().await?.get(key).await
    }

    async fn set(&self, key: &str, value: &Secret) -> Result<()> {
        self.store().await?.set(key, value).await
    }

    async fn delete(&self, key: &str) -> Result<()> {
        self.store().await?.delete(key).await
    }
}

/// A namespace for keyring entries derived from the data directory, so two data directories on
/// one machine never share entries.
pub fn namespace_for(data_dir: &std::path::Path) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(data_dir.to_string_lossy().as_bytes());
    hex::encode(&digest[..6])
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn a_lazy_store_connects_once_on_first_use_even_when_first_used_from_many_tasks() {
        let connects = Arc::new(AtomicUsize::new(0));
        let inner = Arc::new(MemoryStore::default());
        let lazy = {
            let (connects, inner) = (Arc::clone(&connects), Arc::clone(&inner));
            Arc::new(LazyStore::new(move || {
                connects.fetch_add(1, Ordering::SeqCst);
                Ok(inner as Arc<dyn SecretStore>)
            }))
        };
        assert_eq!(connects.load(Ordering::SeqCst), 0, "made, not connected");

        let uses: Vec<_> = (0..16)
            .map(|i| {
                let lazy = Arc::clone(&lazy);
                tokio::spawn(async move { lazy.set(&format!("k{i}"), &Secret::new(format!("v{i}"))).await })
            })
            .collect();
        for used in uses {
            used.await.unwrap().unwrap();
        }
        assert_eq!(connects.load(Ordering::SeqCst), 1);
        assert_eq!(inner.keys().len(), 16, "every call reached the store it connected to");
        assert_eq!(lazy.get("k3").await.unwrap().unwrap().expose(), "v3");
        lazy.delete("k3").await.unwrap();
        assert!(lazy.get("k3").await.unwrap().is_none());
        assert_eq!(connects.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_lazy_store_that_cannot_connect_says_why_on_every_call_and_tries_once() {
        let connects = Arc::new(AtomicUsize::new(0));
        let lazy = {
            let connects = Arc::clone(&connects);
            LazyStore::new(move || {
                connects.fetch_add(1, Ordering::SeqCst);
                Err(AuthError::KeyringUnavailable("no Secret Service on the session bus".into()))
            })
        };
        for _ in 0..3 {
            let err = lazy.get("k").await.unwrap_err();
            assert!(matches!(&err, AuthError::KeyringUnavailable(why) if why.contains("no Secret Service")), "{err:?}");
        }
        assert!(matches!(lazy.set("k", &Secret::new("v".into())).await, Err(AuthError::KeyringUnavailable(_))));
        assert!(matches!(lazy.delete("k").await, Err(AuthError::KeyringUnavailable(_))));
        assert_eq!(connects.load(Ordering::SeqCst), 1);
    }
}
