//! Sealing values at rest. The token authority decides *what* is sealed and under which name
//! (project secrets as `secret:<project>/<name>`, team mode's session key as `session-key`);
//! how is the business of the secret-store crate, which implements [`Sealer`] with an AEAD and
//! a key kept outside the database. Core holds no cryptography of its own.

use zeroize::Zeroizing;

use crate::error::Result;

/// Seals and opens values bound to their entry's name, so a sealed value moved to another
/// entry does not open.
pub trait Sealer: Send + Sync {
    /// Seals `plain` as the entry `name`.
    fn seal(&self, name: &str, plain: &[u8]) -> Result<Vec<u8>>;
    /// Opens what [`Sealer::seal`] made for `name`; anything else (another key, another name,
    /// damage) is an error.
    fn open(&self, name: &str, sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>>;
}

/// The name a project secret is sealed under.
pub fn secret_entry(project_id: &str, name: &str) -> String {
    format!("secret:{project_id}/{name}")
}

/// The name team mode's shared session signing key is sealed under.
pub const SESSION_KEY_ENTRY: &str = "session-key";

/// The name a trigger token's webhook secret is sealed under.
pub fn webhook_entry(token_id: &str) -> String {
    format!("webhook:{token_id}")
}
