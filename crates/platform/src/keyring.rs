//! The OS secret store, as a keyring-core store: Secret Service on Linux (over D-Bus, through
//! zbus), the login Keychain on macOS, Credential Manager on Windows. Callers file entries by
//! service and user name and never learn which store is underneath.

use std::sync::Arc;

pub use keyring_core::api::CredentialStore;
pub use keyring_core::Error;

/// The secret store's name as a person knows it on this OS, for messages.
pub const NAME: &str = if cfg!(target_os = "macos") {
    "the macOS Keychain"
} else if cfg!(target_os = "windows") {
    "Windows Credential Manager"
} else {
    "the Secret Service (GNOME Keyring, KWallet or KeePassXC)"
};

/// This OS's secret store. On Linux this connects to the session bus, so a machine without one
/// fails here, with the store's own error.
pub fn secret_store() -> keyring_core::Result<Arc<CredentialStore>> {
    #[cfg(target_os = "linux")]
    {
        let store: Arc<CredentialStore> = zbus_secret_service_keyring_store::Store::new()?;
        Ok(store)
    }
    #[cfg(target_os = "macos")]
    {
        // The "legacy" keychain store: the user's login keychain, open to an unsandboxed app.
        let store: Arc<CredentialStore> = apple_native_keyring_store::keychain::Store::new()?;
        Ok(store)
    }
    #[cfg(target_os = "windows")]
    {
        let store: Arc<CredentialStore> = windows_native_keyring_store::Store::new()?;
        Ok(store)
    }
    #[cfg(not(any(target_os = "linux", target_os = "macos", target_os = "windows")))]
    {
        Err(Error::NotSupportedByStore("Tessera knows no secret store on this operating system".to_owned()))
    }
}
