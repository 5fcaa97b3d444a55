//! The login-session check (`SessionKeys::verify`): no text made without the key verifies, and
//! an edited real session either fails or says exactly what was signed.
#![no_main]

use std::sync::OnceLock;

use chrono::{DateTime, Utc};
use libfuzzer_sys::fuzz_target;
use tessera_core::session::{Claims, SessionKeys};

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_800_000_000, 0).expect("a valid timestamp")
}

/// A key made once per run, and one session it signed.
fn signed() -> &'static (SessionKeys, String, Claims) {
    static SIGNED: OnceLock<(SessionKeys, String, Claims)> = OnceLock::new();
    SIGNED.get_or_init(|| {
        let (keys, _) = SessionKeys::generate().expect("a key can be made");
        let (jwt, _) = keys.sign("usr_fuzz", "ses_fuzz", now()).expect("a session can be signed");
        let jwt = jwt.expose().to_owned();
        let claims = keys.verify(&jwt, now()).expect("the signed session verifies");
        (keys, jwt, claims)
    })
}

fuzz_target!(|data: &[u8]| {
    let (keys, jwt, claims) = signed();
    // The key is made at run time, so no input can carry a session it signed.
    if let Ok(s) = std::str::from_utf8(data) {
        if s != jwt.as_str() {
            let r = keys.verify(s, now());
            assert!(r.is_err(), "a session not signed by the key verified: {s:?} -> {r:?}");
        }
    }
    // The real session with byte edits (position, new byte) taken from the input.
    let mut bytes = jwt.as_bytes().to_vec();
    for edit in data.chunks_exact(2) {
        let i = usize::from(edit[0]) * 2 % bytes.len();
        bytes[i] = edit[1];
    }
    if let Ok(edited) = String::from_utf8(bytes) {
        if let Ok(c) = keys.verify(&edited, now()) {
            assert_eq!(&c, claims, "an edited session verified with other claims: {edited:?}");
        }
    }
});
