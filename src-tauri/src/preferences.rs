//! Preferences: theme, how long a copied token may stay on the clipboard, and which server the
//! app talks to. They hold no secrets, so a plain file (tauri-plugin-store) is the right place;
//! the rules live here so they are tested without a window.

use reqwest::Url;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::{Error, Result};

/// The shortest clipboard clear delay, in seconds.
pub const MIN_CLEAR_SECONDS: u32 = 5;
/// The longest clipboard clear delay, in seconds.
pub const MAX_CLEAR_SECONDS: u32 = 600;
/// The key the preferences are kept under in the store file.
pub const STORE_KEY: &str = "preferences";

/// The preferences file, [`crate::PREFERENCES_FILE`] in the configuration folder `config`. One
/// left in the data folder `data` by an earlier version, which kept everything there, is moved
/// over first, so no setting is lost.
pub fn file(data: &std::path::Path, config: &std::path::Path) -> std::path::PathBuf {
    let path = config.join(crate::PREFERENCES_FILE);
    let earlier = data.join(crate::PREFERENCES_FILE);
    if earlier != path && earlier.is_file() && !path.exists() {
        if let Err(e) = std::fs::rename(&earlier, &path) {
            tracing::warn!("could not move the preferences from {} to {}: {e}", earlier.display(), path.display());
            return earlier;
        }
    }
    path
}

/// How the app looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum Theme {
    /// Always light.
    Light,
    /// Always dark.
    Dark,
    /// Follow the desktop.
    System,
}

/// Which server the app uses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum ServerPreference {
    /// The embedded server over the SQLite store in the data directory.
    Local,
    /// A team server, by URL.
    Team {
        /// Its address: https, or http on this computer only.
        url: String,
    },
}

/// The preferences the shell keeps (never secrets).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Preferences {
    /// Light, dark or the desktop's.
    pub theme: Theme,
    /// Seconds a copied value may stay on the clipboard.
    pub clipboard_clear_seconds: u32,
    /// Local or a team server.
    pub server: ServerPreference,
}

impl Default for Preferences {
    fn default() -> Self {
        Self { theme: Theme::System, clipboard_clear_seconds: 30, server: ServerPreference::Local }
    }
}

impl Preferences {
    /// Checks every rule and normalizes the team URL; the UI checks the same before asking.
    pub fn validated(mut self) -> Result<Self> {
        if !(MIN_CLEAR_SECONDS..=MAX_CLEAR_SECONDS).contains(&self.clipboard_clear_seconds) {
            return Err(Error::InvalidPreferences(format!(
                "Choose a clipboard delay between {MIN_CLEAR_SECONDS} and {MAX_CLEAR_SECONDS} seconds."
            )));
        }
        if let ServerPreference::Team { url } = &self.server {
            self.server = ServerPreference::Team { url: team_url(url)? };
        }
        Ok(self)
    }

    /// What the store holds, or the defaults when it holds nothing usable: a damaged file must
    /// not keep the app from starting.
    pub fn from_stored(value: Option<serde_json::Value>) -> Self {
        let Some(value) = value else { return Self::default() };
        match serde_json::from_value::<Self>(value)
            .map_err(|e| e.to_string())
            .and_then(|p| p.validated().map_err(|e| e.to_string()))
        {
            Ok(p) => p,
            Err(why) => {
                tracing::warn!(%why, "ignoring stored preferences");
                Self::default()
            }
        }
    }
}

/// An absolute http(s) address without a trailing slash: https anywhere, plain http only to this
/// computer (tokens travel in every request).
pub fn team_url(input: &str) -> Result<String> {
    let invalid = |m: &str| Err(Error::InvalidPreferences(m.to_owned()));
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return invalid("Enter the address of the team server.");
    }
    let Ok(url) = Url::parse(trimmed) else {
        return invalid("Enter the full address of the team server, like https://tessera.example.com.");
    };
    let host = url.host_str().unwrap_or_default();
    match url.scheme() {
        "https" if !host.is_empty() => {}
        "http" if tessera_auth::urls::is_loopback_http(&url) => {}
        _ => return invalid("The team server address must start with https://."),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return invalid("Leave the user name and password out of the server address.");
    }
    if url.query().is_some() || url.fragment().is_some() {
        return invalid("The server address cannot contain ? or #.");
    }
    let origin = url.origin().ascii_serialization();
    Ok(format!("{origin}{}", url.path().trim_end_matches('/')))
}

#[cfg(test)]
mod tests {
    #[test]
    fn preferences_left_in_the_data_folder_move_to_the_configuration_folder() {
        let tmp = tempfile::tempdir().unwrap();
        let (data, config) = (tmp.path().join("data"), tmp.path().join("config"));
        std::fs::create_dir_all(&data).unwrap();
        std::fs::create_dir_all(&config).unwrap();
        std::fs::write(data.join(crate::PREFERENCES_FILE), br#"{"preferences":{"theme":"dark"}}"#).unwrap();
        let path = super::file(&data, &config);
        assert_eq!(path, config.join(crate::PREFERENCES_FILE));
        assert_eq!(std::fs::read(&path).unwrap(), br#"{"preferences":{"theme":"dark"}}"#);
        assert!(!data.join(crate::PREFERENCES_FILE).exists());
        // A file in the configuration folder wins; nothing is moved over it.
        std::fs::write(data.join(crate::PREFERENCES_FILE), b"{}").unwrap();
        assert_eq!(super::file(&data, &config), path);
        assert_eq!(std::fs::read(&path).unwrap(), br#"{"preferences":{"theme":"dark"}}"#);
        // One folder for both (TESSERA_DATA_DIR): the file stays where it is.
        assert_eq!(super::file(&data, &data), data.join(crate::PREFERENCES_FILE));
        assert!(data.join(crate::PREFERENCES_FILE).exists());
    }

    use super::*;
    use serde_json::json;

    #[test]
    fn defaults_are_the_local_server_and_thirty_seconds() {
        let p = Preferences::default();
        assert_eq!(p.server, ServerPreference::Local);
        assert_eq!(p.clipboard_clear_seconds, 30);
        assert_eq!(
            serde_json::to_value(&p).unwrap(),
            json!({"theme": "system", "clipboard_clear_seconds": 30, "server": {"kind": "local"}})
        );
    }

    #[test]
    fn the_clipboard_delay_is_bounded() {
        for (secs, ok) in [(4, false), (5, true), (600, true), (601, false), (0, false)] {
            let p = Preferences { clipboard_clear_seconds: secs, ..Preferences::default() };
            assert_eq!(p.validated().is_ok(), ok, "{secs}");
        }
    }

    #[test]
    fn team_urls_are_https_or_this_computer() {
        assert_eq!(team_url(" https://tessera.example.com/ ").unwrap(), "https://tessera.example.com");
        assert_eq!(team_url("https://example.com/tessera/").unwrap(), "https://example.com/tessera");
        assert_eq!(team_url("http://127.0.0.1:7878").unwrap(), "http://127.0.0.1:7878");
        assert_eq!(team_url("http://localhost:7878/").unwrap(), "http://localhost:7878");
        for bad in [
            "",
            "tessera.example.com",
            "http://tessera.example.com",
            "ftp://example.com",
            "https://ada:pw@example.com",
            "https://example.com/?x=1",
            "https://example.com/#x",
            "http://127.evil.example",
            "http://127.0.0.1:80@evil.example",
            "http://localhost@evil.example",
            "http://ada@127.0.0.1:7878",
        ] {
            let e = team_url(bad).unwrap_err();
            assert_eq!(e.code(), "invalid_preferences", "{bad}");
            assert!(e.to_string().ends_with('.'), "{bad}: {e}");
        }
    }

    #[test]
    fn a_team_server_is_normalized_when_saved() {
        let p =
            Preferences { server: ServerPreference::Team { url: "https://x.example/".into() }, ..Default::default() };
        assert_eq!(p.validated().unwrap().server, ServerPreference::Team { url: "https://x.example".into() });
        let v = serde_json::to_value(ServerPreference::Team { url: "https://x.example".into() }).unwrap();
        assert_eq!(v, json!({"kind": "team", "url": "https://x.example"}));
    }

    #[test]
    fn damaged_or_missing_preferences_fall_back_to_the_defaults() {
        assert_eq!(Preferences::from_stored(None), Preferences::default());
        assert_eq!(Preferences::from_stored(Some(json!("garbage"))), Preferences::default());
        let bad_delay = json!({"theme": "dark", "clipboard_clear_seconds": 1, "server": {"kind": "local"}});
        assert_eq!(Preferences::from_stored(Some(bad_delay)), Preferences::default());
        let good = json!({"theme": "dark", "clipboard_clear_seconds": 90, "server": {"kind": "team", "url": "https://t.example"}});
        let p = Preferences::from_stored(Some(good));
        assert_eq!(p.theme, Theme::Dark);
        assert_eq!(p.clipboard_clear_seconds, 90);
    }
}
