//! Where Tessera keeps its files. The folders follow each OS's convention (the platform layer,
//! `tessera_platform::folders`); `TESSERA_DATA_DIR` redirects every path the program touches, so
//! tests and benchmarks never reach a real home directory.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tessera_platform::{files, Folders};

use crate::authority::Authority;
use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::session::SessionKeys;
use crate::store::SqlStore;

/// The environment variable that redirects the data directory.
pub const ENV: &str = tessera_platform::folders::DATA_DIR_ENV;

/// The data directory and the files inside it, and the configuration folder beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataDir(Folders);

impl DataDir {
    /// `TESSERA_DATA_DIR` if set (data and configuration both there), else this OS's folders:
    /// on Linux `$XDG_DATA_HOME/tessera` and `$XDG_CONFIG_HOME/tessera`.
    pub fn from_env() -> Result<Self> {
        Folders::locate().map(Self).map_err(|e| Error::invalid(e.to_string()))
    }

    /// A data directory at `path`, holding the configuration too.
    pub fn at(path: impl Into<PathBuf>) -> Self {
        Self(Folders::single(path.into()))
    }

    /// The directory itself.
    pub fn path(&self) -> &Path {
        self.0.data()
    }

    /// The configuration folder: the same as the data directory under `TESSERA_DATA_DIR`.
    pub fn config(&self) -> &Path {
        self.0.config()
    }

    /// The SQLite store.
    pub fn store(&self) -> PathBuf {
        self.path().join("tessera.db")
    }

    /// The login sessions' signing key.
    pub fn session_key(&self) -> PathBuf {
        self.path().join("session-signing-key.der")
    }

    /// The key sealing project secrets, only when the user opted in to key files (no keyring).
    pub fn sealing_key(&self) -> PathBuf {
        self.path().join("secret-sealing-key")
    }

    /// The identity providers' configuration.
    pub fn providers(&self) -> PathBuf {
        self.path().join("providers.toml")
    }

    /// Creates the data and configuration folders, readable by their owner only.
    pub fn create(&self) -> Result<()> {
        files::create_private_dir(self.path()).map_err(|e| Error::Internal(e.to_string()))?;
        if self.config() != self.path() {
            files::create_private_dir(self.config()).map_err(|e| Error::Internal(e.to_string()))?;
        }
        Ok(())
    }

    /// Opens the embedded default: the SQLite store and the signing key in this directory.
    pub async fn open_authority(&self, clock: Arc<dyn Clock>) -> Result<Authority> {
        self.create()?;
        let store = SqlStore::open_sqlite(&self.store()).await?;
        let keys = SessionKeys::load_or_create(&self.session_key())?;
        Ok(Authority::new(Arc::new(store), keys, clock))
    }
}
