//! What Tessera does differently on each operating system, decided in one place.
//!
//! - [`folders`]: where the data and the configuration live (each OS's convention through the
//!   `directories` crate; `TESSERA_DATA_DIR` overrides both, so tests stay hermetic).
//! - [`files`]: folders and files only their owner may read (Unix modes; on Windows the user's
//!   profile folder already keeps other users out).
//! - [`keyring`] (feature `secret-store`): the OS secret store as a keyring-core store — Secret
//!   Service on Linux, the login Keychain on macOS, Credential Manager on Windows.
//! - [`browser`] (feature `browser`): opening a URL in the person's browser from the command line
//!   (the `opener` crate; the desktop app opens URLs through tauri-plugin-opener).
//!
//! Only Linux is built and tested on Tessera's machines; the macOS and Windows branches sit behind
//! `cfg(target_os)` and follow their crates' documentation.
//!
//! This crate imports no other Tessera crate: core, auth, the command line and the desktop app
//! all lean on it, never the other way round.

#[cfg(feature = "browser")]
pub mod browser;
pub mod error;
pub mod files;
pub mod folders;
#[cfg(feature = "secret-store")]
pub mod keyring;

pub use error::{Error, Result};
pub use folders::Folders;
