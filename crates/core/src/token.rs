//! Token values: `tsr_<kind>_<30 random base62><6 base62 CRC-32>`.
//!
//! The checksum lets a value be rejected — a typo, a truncated paste, a random string — before
//! any store access, and lets secret scanners tell real tokens from look-alikes. Only the SHA-256
//! of a value is ever stored; lists show a hint (prefix and the last four characters).

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::id::{random_base62, BASE62};
use crate::secret::Secret;

const RANDOM_LEN: usize = 30;
const CHECK_LEN: usize = 6;
/// Length of every token value: `tsr_` + 3-letter kind + `_` + 30 + 6.
pub const VALUE_LEN: usize = 4 + 3 + 1 + RANDOM_LEN + CHECK_LEN;

/// The kinds of token Tessera issues.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum TokenKind {
    /// Personal access token, owned by a user, with scopes.
    Pat,
    /// Organization token, owned by an organization, with scopes.
    Org,
    /// Agent token, owned by a user or an organization; only connects agents.
    Agent,
    /// Trigger token, owned by one project; only triggers its runs.
    Trigger,
}

impl TokenKind {
    /// Every kind.
    pub const ALL: [TokenKind; 4] = [TokenKind::Pat, TokenKind::Org, TokenKind::Agent, TokenKind::Trigger];

    /// The three letters inside the value's prefix.
    pub fn tag(self) -> &'static str {
        match self {
            TokenKind::Pat => "pat",
            TokenKind::Org => "org",
            TokenKind::Agent => "agt",
            TokenKind::Trigger => "trg",
        }
    }

    /// The name used in the API and the store.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenKind::Pat => "pat",
            TokenKind::Org => "org",
            TokenKind::Agent => "agent",
            TokenKind::Trigger => "trigger",
        }
    }

    /// Parses the API/store name.
    pub fn from_name(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    fn from_tag(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.tag() == s)
    }

    /// Whether tokens of this kind carry a chosen set of scopes.
    pub fn has_scopes(self) -> bool {
        matches!(self, TokenKind::Pat | TokenKind::Org)
    }
}

/// Why a string is not a token value. None of these reveal anything about stored tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FormatError {
    /// Not `tsr_<kind>_` followed by 36 base62 characters.
    #[error("not a Tessera token: expected tsr_<pat|org|agt|trg>_ and 36 letters or digits")]
    Shape,
    /// The shape is right but the checksum does not match: a typo or a truncated copy.
    #[error("the token's checksum does not match: it was mistyped or cut short")]
    Checksum,
}

/// Makes a new token value of `kind` from the OS CSPRNG.
pub fn generate(kind: TokenKind) -> Result<Secret> {
    let random = random_base62(RANDOM_LEN)?;
    let check = checksum(&random);
    Ok(Secret::new(format!("tsr_{}_{random}{check}", kind.tag())))
}

/// Checks a value's shape and checksum and returns its kind. Touches no store.
pub fn parse(value: &str) -> Result<TokenKind, FormatError> {
    let bytes = value.as_bytes();
    if bytes.len() != VALUE_LEN || !value.starts_with("tsr_") || bytes[7] != b'_' {
        return Err(FormatError::Shape);
    }
    let kind = value.get(4..7).and_then(TokenKind::from_tag).ok_or(FormatError::Shape)?;
    let body = &value[8..];
    if !body.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(FormatError::Shape);
    }
    let (random, check) = body.split_at(RANDOM_LEN);
    if checksum(random) != check {
        return Err(FormatError::Checksum);
    }
    Ok(kind)
}

/// The base62 CRC-32 (IEEE) of `random`, left-padded with `0` to six characters.
fn checksum(random: &str) -> String {
    let mut n = crc32fast::hash(random.as_bytes());
    let mut out = [b'0'; CHECK_LEN];
    for slot in out.iter_mut().rev() {
        *slot = BASE62[(n % 62) as usize];
        n /= 62;
    }
    out.iter().map(|&b| b as char).collect()
}

/// The SHA-256 of a value: what the store keeps instead of the value.
pub fn hash(value: &str) -> Vec<u8> {
    Sha256::digest(value.as_bytes()).to_vec()
}

/// The hint shown in lists: the prefix and the last four characters.
pub fn hint(value: &str) -> String {
    let tail = value.get(value.len().saturating_sub(4)..).unwrap_or_default();
    let prefix = value.get(..8).unwrap_or_default();
    format!("{prefix}…{tail}")
}

/// Parses a value and maps a format error to a 401 for use at the API boundary.
pub fn parse_credential(value: &str) -> Result<TokenKind> {
    parse(value).map_err(|e| match e {
        FormatError::Shape => Error::Unauthenticated("the credential is not a valid token or session"),
        FormatError::Checksum => Error::Unauthenticated("the token's checksum does not match"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn generated_values_parse_as_their_kind() -> Result<()> {
        for kind in TokenKind::ALL {
            let v = generate(kind)?;
            assert_eq!(v.expose().len(), VALUE_LEN);
            assert!(v.expose().starts_with(&format!("tsr_{}_", kind.tag())));
            assert_eq!(parse(v.expose()), Ok(kind));
        }
        Ok(())
    }

    #[test]
    fn the_checksum_is_base62_crc32_left_padded() {
        // CRC-32 of thirty "0" characters is 2011552642, which is "2C8GjS" in base62.
        let random = "0".repeat(30);
        assert_eq!(crc32fast::hash(random.as_bytes()), 2_011_552_642);
        assert_eq!(checksum(&random), "2C8GjS");
        // A small CRC is padded with zeros on the left.
        assert_eq!(checksum("").len(), 6);
        assert_eq!(checksum(""), "000000");
    }

    #[test]
    fn values_match_the_scanner_regex_shape() -> Result<()> {
        let v = generate(TokenKind::Trigger)?;
        let body = &v.expose()[8..];
        assert_eq!(body.len(), 36);
        assert!(body.bytes().all(|b| b.is_ascii_alphanumeric()));
        Ok(())
    }

    #[test]
    fn malformed_values_are_rejected() -> Result<()> {
        let good = generate(TokenKind::Pat)?.expose().to_owned();
        let wrong_kind = good.replacen("pat", "xyz", 1);
        let short = &good[..good.len() - 1];
        let long = format!("{good}0");
        let bad_char = format!("{}-{}", &good[..20], &good[21..]);
        let upper_prefix = good.replacen("tsr", "TSR", 1);
        for v in ["", "tsr_", "Bearer x", short, &long, &wrong_kind, &bad_char, &upper_prefix, "tsr_pat_ü"] {
            assert_eq!(parse(v), Err(FormatError::Shape), "{v}");
        }
        Ok(())
    }

    #[test]
    fn hint_shows_prefix_and_last_four() {
        let v = "tsr_pat_0123456789abcdefghijABCDEFGHIJ123456";
        assert_eq!(hint(v), "tsr_pat_…3456");
    }

    #[test]
    fn hash_is_sha256() {
        assert_eq!(hex::encode(hash("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    proptest! {
        #[test]
        fn any_single_character_change_is_caught(pos in 8usize..VALUE_LEN, c in proptest::sample::select(BASE62.to_vec())) {
            let v = generate(TokenKind::Org).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let mut bytes = v.expose().as_bytes().to_vec();
            prop_assume!(bytes[pos] != c);
            bytes[pos] = c;
            let changed = String::from_utf8(bytes).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(parse(&changed), Err(FormatError::Checksum));
        }

        #[test]
        fn arbitrary_strings_never_panic(s in ".{0,64}") {
            let _ = parse(&s);
            let _ = hint(&s);
        }

        #[test]
        fn base62_bodies_with_wrong_checksums_are_refused(body in "[0-9A-Za-z]{36}") {
            let v = format!("tsr_pat_{body}");
            let expected = if checksum(&body[..30]) == body[30..] { Ok(TokenKind::Pat) } else { Err(FormatError::Checksum) };
            prop_assert_eq!(parse(&v), expected);
        }
    }
}
