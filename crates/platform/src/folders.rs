//! Where Tessera keeps its data and its configuration, by each operating system's convention
//! (the `directories` crate):
//!
//! | OS | data (store, keys, providers.toml) | configuration (desktop preferences) |
//! |---|---|---|
//! | Linux | `$XDG_DATA_HOME/tessera` (`~/.local/share/tessera`) | `$XDG_CONFIG_HOME/tessera` (`~/.config/tessera`) |
//! | macOS | `~/Library/Application Support/dev.tessera.Tessera` | the same folder |
//! | Windows | `%LOCALAPPDATA%\tessera\Tessera\data` | `%APPDATA%\tessera\Tessera\config` |
//!
//! The data stays on this computer on Windows (local, not roaming, application data): an SQLite
//! store does not belong in a roaming profile. `TESSERA_DATA_DIR` puts both in one folder, so a
//! test or a second installation touches nothing else.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The environment variable that redirects every path Tessera touches.
pub const DATA_DIR_ENV: &str = "TESSERA_DATA_DIR";

/// The reverse-domain qualifier, organization and application name the folders are named after.
const QUALIFIER: &str = "dev";
const ORGANIZATION: &str = "tessera";
const APPLICATION: &str = "Tessera";

/// The data and configuration folders of this user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Folders {
    data: PathBuf,
    config: PathBuf,
}

impl Folders {
    /// `TESSERA_DATA_DIR` for both if set, else this OS's folders for Tessera.
    pub fn locate() -> Result<Self> {
        Self::locate_with(std::env::var_os(DATA_DIR_ENV))
    }

    /// As [`Folders::locate`], with the value of `TESSERA_DATA_DIR` given.
    pub fn locate_with(data_dir: Option<OsString>) -> Result<Self> {
        if let Some(dir) = data_dir.filter(|v| !v.is_empty()) {
            return Ok(Self::single(PathBuf::from(dir)));
        }
        let dirs = directories::ProjectDirs::from(QUALIFIER, ORGANIZATION, APPLICATION).ok_or(Error::NoHome)?;
        Ok(Self { data: dirs.data_local_dir().to_path_buf(), config: dirs.config_dir().to_path_buf() })
    }

    /// Data and configuration both in `dir`.
    pub fn single(dir: PathBuf) -> Self {
        Self { config: dir.clone(), data: dir }
    }

    /// The data folder: the store, keys, providers.toml.
    pub fn data(&self) -> &Path {
        &self.data
    }

    /// The configuration folder: preferences a person sets.
    pub fn config(&self) -> &Path {
        &self.config
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_override_holds_data_and_configuration() {
        let f = Folders::locate_with(Some("/tmp/tessera-here".into())).unwrap();
        assert_eq!(f.data(), Path::new("/tmp/tessera-here"));
        assert_eq!(f.config(), Path::new("/tmp/tessera-here"));
    }

    #[test]
    fn an_empty_override_is_no_override() {
        let empty = Folders::locate_with(Some(OsString::new()));
        let none = Folders::locate_with(None);
        assert_eq!(empty.ok(), none.ok());
    }

    /// Reads the environment the test runs in (never writes there): the XDG folders when set, as
    /// the freedesktop.org base directory specification says.
    #[cfg(target_os = "linux")]
    #[test]
    fn linux_follows_the_xdg_base_directories() {
        let Ok(f) = Folders::locate_with(None) else { return };
        let home = std::env::var_os("HOME").map(PathBuf::from);
        let base = |var: &str, fallback: &str| {
            std::env::var_os(var)
                .map(PathBuf::from)
                .filter(|p| p.is_absolute())
                .or_else(|| home.as_ref().map(|h| h.join(fallback)))
        };
        if let Some(data) = base("XDG_DATA_HOME", ".local/share") {
            assert_eq!(f.data(), data.join("tessera"));
        }
        if let Some(config) = base("XDG_CONFIG_HOME", ".config") {
            assert_eq!(f.config(), config.join("tessera"));
        }
    }
}
