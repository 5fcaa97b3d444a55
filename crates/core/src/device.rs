//! Devices: how a person stays signed in.
//!
//! Every sign-in makes a device, the app or command line that signed in, and gives it a refresh
//! credential to keep in the OS keyring. With it the device renews its one-hour login session
//! without the person: each renewal spends the value it presents and hands out the next, so a
//! stolen copy works at most until the device renews, and the first time a spent value comes
//! back the device and every session renewed through it are revoked (RFC 6819 5.2.2.3), the
//! thief's and the owner's alike. Only a value's SHA-256 is stored.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::id::random_base62;
use crate::secret::Secret;

/// How long a device may go without renewing before it must sign in again.
pub const IDLE_LIFETIME: Duration = Duration::days(30);
/// The prefix of a refresh credential, so secret scanners and people can tell one apart.
pub const REFRESH_PREFIX: &str = "tsr_rfr_";
/// Random base62 characters after the prefix: about 256 bits.
const REFRESH_RANDOM_LEN: usize = 43;
/// The longest device name kept; longer ones are cut.
pub const NAME_MAX: usize = 80;

/// A signed-in device, as its owner sees it in Account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Device {
    /// The device id.
    pub id: String,
    /// What signed in, e.g. "Tessera desktop on ada-laptop".
    pub name: String,
    /// When it signed in.
    pub created_at: DateTime<Utc>,
    /// When it last renewed its session (or signed in).
    pub last_seen_at: DateTime<Utc>,
    /// The address it last renewed from.
    pub last_seen_ip: Option<String>,
    /// When it must sign in again unless it renews before.
    pub expires_at: DateTime<Utc>,
    /// Whether the session of this request belongs to it.
    pub current: bool,
}

/// A device's stored record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceRecord {
    /// The device id.
    pub id: String,
    /// Whose device it is.
    pub user_id: String,
    /// Its name.
    pub name: String,
    /// The linked identity it signed in through; its sessions carry that identity's role.
    pub identity_id: Option<String>,
    /// When it signed in.
    pub created_at: DateTime<Utc>,
    /// When it last renewed.
    pub last_seen_at: DateTime<Utc>,
    /// Where it last renewed from.
    pub last_seen_ip: Option<String>,
    /// When it can no longer renew.
    pub expires_at: DateTime<Utc>,
    /// When it was signed out or revoked, if it was.
    pub revoked_at: Option<DateTime<Utc>>,
}

impl DeviceRecord {
    /// The owner's view of it.
    pub fn view(&self, current: Option<&str>) -> Device {
        Device {
            id: self.id.clone(),
            name: self.name.clone(),
            created_at: self.created_at,
            last_seen_at: self.last_seen_at,
            last_seen_ip: self.last_seen_ip.clone(),
            expires_at: self.expires_at,
            current: current == Some(self.id.as_str()),
        }
    }
}

/// What a renewal found for the presented value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Renewal {
    /// The value was the device's current one: it is spent now, and the device holds the new one.
    Renewed(DeviceRecord),
    /// The value was spent before: someone else holds a copy. Names the device.
    Spent(String),
    /// No device holds this value now (unknown, signed out, revoked or idle too long).
    Unknown,
}

/// A new refresh credential: `tsr_rfr_` and 43 random base62 characters.
pub fn new_refresh() -> Result<Secret> {
    Ok(Secret::new(format!("{REFRESH_PREFIX}{}", random_base62(REFRESH_RANDOM_LEN)?)))
}

/// Whether `value` has the shape of a refresh credential; anything else is refused before the
/// store is asked.
pub fn is_refresh_shaped(value: &str) -> bool {
    value
        .strip_prefix(REFRESH_PREFIX)
        .is_some_and(|r| r.len() == REFRESH_RANDOM_LEN && r.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// A device name as kept: control characters dropped, whitespace collapsed, at most
/// [`NAME_MAX`] characters; empty becomes `fallback`.
pub fn clean_name(name: Option<&str>, fallback: &str) -> String {
    let cleaned: String = name
        .unwrap_or_default()
        .split_whitespace()
        .map(|w| w.chars().filter(|c| !c.is_control()).collect::<String>())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(NAME_MAX)
        .collect();
    if cleaned.is_empty() {
        fallback.to_owned()
    } else {
        cleaned
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refresh_values_have_their_own_shape_and_are_never_alike() {
        let a = new_refresh().unwrap();
        let b = new_refresh().unwrap();
        assert!(is_refresh_shaped(a.expose()), "{}", a.expose().len());
        assert_ne!(a.expose(), b.expose());
        assert!(crate::token::parse(a.expose()).is_err(), "not a token");
        assert!(!is_refresh_shaped("tsr_rfr_short"));
        assert!(!is_refresh_shaped(&format!("tsr_pat_{}", &a.expose()[8..])));
        assert!(!is_refresh_shaped(&format!("{}!", &a.expose()[..a.expose().len() - 1])));
    }

    #[test]
    fn device_names_are_cleaned_and_bounded() {
        assert_eq!(clean_name(Some("  Tessera   desktop\non  laptop "), "x"), "Tessera desktop on laptop");
        assert_eq!(clean_name(Some("\u{7}\u{1b}"), "command line"), "command line");
        assert_eq!(clean_name(None, "command line"), "command line");
        assert_eq!(clean_name(Some(&"é".repeat(200)), "x").chars().count(), NAME_MAX);
    }
}
