//! The loopback listener's reading of the provider's redirect (`tessera_auth::flow`): the request
//! line (`parse_callback`) and its query (`read_callback`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use tessera_auth::flow::{parse_callback, read_callback};

const STATE: &str = "expected-state";

fuzz_target!(|data: &[u8]| {
    let Some(url) = parse_callback(data) else { return };
    if url.path() != "/callback" {
        return;
    }
    let first = |k: &str| url.query_pairs().find(|(n, _)| n == k).map(|(_, v)| v.into_owned());
    match read_callback(&url, STATE) {
        Ok(code) => {
            // A code is taken only from a redirect with the right state and no error.
            assert_eq!(first("state").as_deref(), Some(STATE), "{url}");
            assert_eq!(first("error"), None, "{url}");
            assert_eq!(first("code").as_deref(), Some(code.expose()), "{url}");
            assert!(!code.expose().is_empty() && code.expose().len() <= 4096, "{url}");
        }
        Err(e) => {
            // The sentence is bounded whatever the redirect carried (at most 64 characters of
            // it, escaped: up to 10 each), shows no control character, and never holds the code.
            let text = e.to_string();
            assert!(text.chars().count() <= 64 * 10 + 100, "{text:?}");
            assert!(!text.chars().any(char::is_control), "{text:?}");
            if let Some(code) = first("code").filter(|c| c.len() >= 8) {
                assert!(!text.contains(&code), "the error {text:?} shows the code");
            }
        }
    }
});
