//! The login session the shell holds for the UI. It lives in this process's memory only and is
//! never written to disk. What keeps the app signed in is the device's refresh credential, in
//! the OS keyring: the shell renews the one-hour session with it before it ends, and at launch.

use chrono::{DateTime, Duration, Utc};
use serde::ser::SerializeStruct;
use tessera_core::Secret;
use ts_rs::TS;

/// How long before its expiry a session is no longer handed out: the UI would sign in again
/// almost at once anyway.
pub const EXPIRY_MARGIN: Duration = Duration::seconds(30);
/// How long before its expiry the shell renews a session.
pub const RENEW_BEFORE: Duration = Duration::minutes(5);

/// A login session for the UI's API client.
#[derive(Debug, Clone, TS)]
pub struct Session {
    /// The API it is valid for.
    pub base_url: String,
    /// The session JWT.
    #[ts(type = "string")]
    pub token: Secret,
    /// When it stops working (RFC 3339).
    #[ts(type = "string")]
    pub expires_at: DateTime<Utc>,
}

impl Session {
    /// Whether it may still be handed out at `now`, for the API at `base_url`.
    pub fn usable(&self, base_url: &str, now: DateTime<Utc>) -> bool {
        self.base_url == base_url && self.expires_at - EXPIRY_MARGIN > now
    }

    /// Whether it is far enough from its end at `now` not to be renewed yet.
    pub fn fresh(&self, base_url: &str, now: DateTime<Utc>) -> bool {
        self.base_url == base_url && self.expires_at - RENEW_BEFORE > now
    }
}

/// The one place a session's token is serialized: the reply to the UI, which needs it to call
/// the API. (The secret type itself refuses to serialize, so this cannot happen by accident.)
impl serde::Serialize for Session {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("Session", 3)?;
        s.serialize_field("base_url", &self.base_url)?;
        s.serialize_field("token", self.token.expose())?;
        s.serialize_field("expires_at", &self.expires_at)?;
        s.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn session() -> Session {
        Session {
            base_url: "http://127.0.0.1:4000".into(),
            token: Secret::new("eyJ.header.sig".into()),
            expires_at: Utc.with_ymd_and_hms(2031, 3, 1, 13, 0, 0).unwrap(),
        }
    }

    #[test]
    fn the_ui_gets_the_token_but_debug_output_does_not() {
        let s = session();
        let v = serde_json::to_value(&s).unwrap();
        assert_eq!(v["token"], "eyJ.header.sig");
        assert_eq!(v["base_url"], "http://127.0.0.1:4000");
        assert_eq!(v["expires_at"], "2031-03-01T13:00:00Z");
        assert!(!format!("{s:?}").contains("eyJ"));
    }

    #[test]
    fn a_session_is_handed_out_only_for_its_server_and_before_it_expires() {
        let s = session();
        let before = Utc.with_ymd_and_hms(2031, 3, 1, 12, 0, 0).unwrap();
        assert!(s.usable("http://127.0.0.1:4000", before));
        assert!(!s.usable("https://team.example", before));
        assert!(!s.usable("http://127.0.0.1:4000", s.expires_at - Duration::seconds(10)));
        assert!(!s.usable("http://127.0.0.1:4000", s.expires_at + Duration::hours(1)));
    }
}
