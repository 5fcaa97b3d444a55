//! The secret store against a real Secret Service (gnome-keyring on a private D-Bus session).
//!
//! `make test` runs this binary three times: under `tests/keyring/with-keyring.sh` (unlocked),
//! under `with-keyring.sh --locked`, and with no session bus at all. Each run asserts what that
//! keyring must do; run outside those, it fails rather than passing vacuously.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;
use std::time::Instant;

use tessera_auth::{AuthError, KeyringStore, SecretStore};
use tessera_core::error::ErrorCode;
use tessera_core::Secret;

#[derive(Debug, PartialEq)]
enum Keyring {
    Unlocked,
    Locked,
    NoBus,
}

fn environment() -> Keyring {
    match (std::env::var("TESSERA_TEST_KEYRING").as_deref(), std::env::var("TESSERA_TEST_KEYRING_LOCKED").as_deref()) {
        (Ok("1"), Ok("1")) => Keyring::Locked,
        (Ok("1"), _) => Keyring::Unlocked,
        _ if std::env::var("TESSERA_TEST_NO_BUS").as_deref() == Ok("1") => Keyring::NoBus,
        _ => panic!(
            "run under tests/keyring/with-keyring.sh [--locked], or with TESSERA_TEST_NO_BUS=1 and no session bus (make test does)"
        ),
    }
}

fn lookup(store: &KeyringStore, key: &str) -> Option<String> {
    let out = Command::new("secret-tool")
        .args(["lookup", "service", "tessera", "username", &store.user_name(key)])
        .output()
        .expect("secret-tool runs");
    out.status.success().then(|| String::from_utf8(out.stdout).unwrap())
}

#[tokio::test]
async fn the_keyring_keeps_secrets_or_says_clearly_why_not() {
    let ns = format!("keyring-test-{}", std::process::id());
    match environment() {
        Keyring::NoBus => {
            assert!(std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none(), "this run must have no session bus");
            let err = KeyringStore::connect(&ns).unwrap_err();
            assert!(matches!(err, AuthError::KeyringUnavailable(_)), "{err:?}");
            assert_eq!(err.code(), ErrorCode::KeyringUnavailable);
        }
        Keyring::Locked => {
            let store = KeyringStore::connect(&ns).expect("the bus and the daemon are there");
            let err = store.set("scm/gh/1", &Secret::new("ghu_locked".into())).await.unwrap_err();
            assert!(matches!(err, AuthError::KeyringLocked), "{err:?}");
            assert_eq!(err.code(), ErrorCode::KeyringLocked);
            // Reading and deleting fail the same way, or find nothing: never a false success that
            // would let a caller believe a token was removed.
            match store.delete("scm/gh/1").await {
                Err(AuthError::KeyringLocked) | Ok(()) => {}
                other => panic!("{other:?}"),
            }
            assert!(lookup(&store, "scm/gh/1").is_none());
        }
        Keyring::Unlocked => {
            let store = KeyringStore::connect(&ns).unwrap();
            let value = Secret::new(r#"{"access_token":"ghu_real_keyring","refresh_token":"ghr_x"}"#.into());
            let t = Instant::now();
            store.set("scm/gh/42", &value).await.unwrap();
            let write = t.elapsed();
            assert_eq!(lookup(&store, "scm/gh/42").as_deref(), Some(value.expose()), "secret-tool finds it");
            let t = Instant::now();
            let got = store.get("scm/gh/42").await.unwrap();
            let read = t.elapsed();
            assert_eq!(got.as_ref().map(Secret::expose), Some(value.expose()));
            eprintln!("figure: keyring write {} µs, read {} µs", write.as_micros(), read.as_micros());
            // Replacing keeps one entry.
            store.set("scm/gh/42", &Secret::new("second".into())).await.unwrap();
            assert_eq!(lookup(&store, "scm/gh/42").as_deref(), Some("second"));
            store.delete("scm/gh/42").await.unwrap();
            assert!(lookup(&store, "scm/gh/42").is_none());
            assert_eq!(store.get("scm/gh/42").await.unwrap(), None);
            store.delete("scm/gh/42").await.unwrap();
            // Namespaces keep data directories apart.
            let other = KeyringStore::connect(&format!("{ns}-other")).unwrap();
            store.set("k", &Secret::new("mine".into())).await.unwrap();
            assert_eq!(other.get("k").await.unwrap(), None);
            store.delete("k").await.unwrap();
        }
    }
}
