//! Tessera's token authority: the token model and format, scopes, the policy that decides what
//! every credential may do, login sessions, and the store behind it all.
//!
//! Nothing here knows about HTTP or the desktop shell: the REST API and the command line are thin
//! translations over [`Authority`]. Time is always a parameter (see [`clock`]) so expiry is
//! testable without sleeping.

pub mod audit;
pub mod authority;
pub mod clock;
pub mod data_dir;
pub mod device;
pub mod error;
pub mod id;
pub mod last_used;
pub mod model;
pub mod patch;
pub mod scope;
pub mod seal;
pub mod secret;
pub mod session;
pub mod store;
pub mod token;
pub mod verify_cache;

pub use authority::{Authority, Caller, Credential};
pub use data_dir::DataDir;
pub use error::{Error, Result};
pub use scope::{Scope, Scopes};
pub use secret::Secret;
pub use token::TokenKind;
