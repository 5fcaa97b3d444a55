//! Where Tessera keeps its files. `TESSERA_DATA_DIR` redirects every path the program touches,
//! so tests and benchmarks never reach a real home directory.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::authority::Authority;
use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::session::SessionKeys;
use crate::store::SqlStore;

/// The environment variable that redirects the data directory.
pub const ENV: &str = "TESSERA_DATA_DIR";

/// The data directory and the files inside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataDir(PathBuf);

impl DataDir {
    /// `TESSERA_DATA_DIR` if set, else `$XDG_DATA_HOME/tessera`, else `~/.local/share/tessera`.
    pub fn from_env() -> Result<Self> {
        if let Some(d) = std::env::var_os(ENV).filter(|v| !v.is_empty()) {
            return Ok(Self(PathBuf::from(d)));
        }
        if let Some(d) = std::env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty()) {
            return Ok(Self(PathBuf::from(d).join("tessera")));
        }
        let home = std::env::var_os("HOME")
            .filter(|v| !v.is_empty())
            .ok_or_else(|| Error::invalid(format!("set {ENV} or HOME so Tessera knows where to keep its data")))?;
        Ok(Self(PathBuf::from(home).join(".local/share/tessera")))
    }

    /// A data directory at `path`.
    pub fn at(path: impl Into<PathBuf>) -> Self {
        Self(path.into())
    }

    /// The directory itself.
    pub fn path(&self) -> &Path {
        &self.0
    }

    /// The SQLite store.
    pub fn store(&self) -> PathBuf {
        self.0.join("tessera.db")
    }

    /// The login sessions' signing key.
    pub fn session_key(&self) -> PathBuf {
        self.0.join("session-signing-key.der")
    }

    /// The key sealing project secrets, only when the user opted in to key files (no keyring).
    pub fn sealing_key(&self) -> PathBuf {
        self.0.join("secret-sealing-key")
    }

    /// The identity providers' configuration.
    pub fn providers(&self) -> PathBuf {
        self.0.join("providers.toml")
    }

    /// Creates the directory, readable by its owner only.
    pub fn create(&self) -> Result<()> {
        std::fs::create_dir_all(&self.0)
            .map_err(|e| Error::Internal(format!("cannot create the data directory {}: {e}", self.0.display())))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&self.0, std::fs::Permissions::from_mode(0o700))
                .map_err(|e| Error::Internal(format!("cannot protect the data directory {}: {e}", self.0.display())))?;
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
