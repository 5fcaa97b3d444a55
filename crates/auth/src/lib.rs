//! Tessera's sign-in: identity providers and code hosts, the OAuth 2.0 / OpenID Connect flows
//! (browser with PKCE, device), ID-token checks, code-host APIs, and the secret store that keeps
//! code-host tokens and the local session signing key out of every file.
//!
//! [`flow`] is the client half (the command line and the desktop shell); [`sign_in::SignIn`] is
//! the server half. Account rules stay in `tessera-core`.

pub mod admin;
pub mod error;
pub mod fetch;
pub mod flow;
pub mod git;
pub mod health;
pub mod import;
pub mod keys;
pub mod local;
pub mod oauth;
pub mod oidc;
pub mod provider;
pub mod scm;
pub mod sealed;
pub mod secret_store;
pub mod sign_in;
pub mod urls;

pub use error::{AuthError, Result};
pub use provider::{ProviderConfig, ProviderInfo, ProviderKind};
pub use secret_store::{KeyringStore, LazyStore, MemoryStore, SecretStore};
pub use sign_in::{CodeLogin, SignIn};
