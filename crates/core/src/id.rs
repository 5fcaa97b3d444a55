//! Random identifiers and the base62 alphabet shared by ids and token values.

use crate::error::{Error, Result};

/// The base62 alphabet of token values and ids, in the order the checksum encoding uses.
pub const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// `n` uniformly random base62 characters from the operating system's CSPRNG.
///
/// Bytes of 248 and above are rejected so that every character is equally likely (248 = 4 × 62).
pub fn random_base62(n: usize) -> Result<String> {
    let mut out = String::with_capacity(n);
    let mut buf = [0u8; 64];
    while out.len() < n {
        getrandom::fill(&mut buf).map_err(|e| Error::Internal(format!("the OS random source failed: {e}")))?;
        for b in buf {
            if b < 248 && out.len() < n {
                out.push(BASE62[usize::from(b % 62)] as char);
            }
        }
    }
    Ok(out)
}

/// A new object id: a short prefix naming the kind of object, then 16 random base62 characters.
pub fn new_id(prefix: &str) -> Result<String> {
    Ok(format!("{prefix}_{}", random_base62(16)?))
}

/// True when `s` could be an id or a name this program accepts (letters, digits, `.`, `_`, `-`,
/// not starting with `.`); used to turn a malformed path parameter into a 404 without a store
/// lookup.
pub fn plausible(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 100
        && !s.starts_with('.')
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_strings_have_the_length_and_alphabet_asked_for() -> Result<()> {
        for n in [0, 1, 30, 100] {
            let s = random_base62(n)?;
            assert_eq!(s.len(), n);
            assert!(s.bytes().all(|b| BASE62.contains(&b)));
        }
        assert_ne!(random_base62(30)?, random_base62(30)?);
        Ok(())
    }

    #[test]
    fn ids_carry_their_prefix() -> Result<()> {
        let id = new_id("tok")?;
        assert!(id.starts_with("tok_") && id.len() == 20 && plausible(&id));
        assert!(plausible("build.yml") && plausible("DEPLOY_KEY"));
        assert!(!plausible("../etc/passwd") && !plausible("") && !plausible(".hidden") && !plausible("a b"));
        Ok(())
    }
}
