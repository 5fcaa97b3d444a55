//! `tessera admin provider …` as an instance admin runs it: the real binary on a data directory
//! whose providers.toml names the local OpenID provider of tests/idp, once set up right and
//! once with a client id it does not know; client secrets in the private keyring `make test`
//! runs this suite in.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::Value;

mod common;

use common::{command, identity_providers};

#[test]
fn a_provider_check_says_what_is_wrong_and_exits_1_when_anything_is() {
    assert_eq!(std::env::var("TESSERA_TEST_KEYRING").as_deref(), Ok("1"), "run under tests/keyring/with-keyring.sh");
    let certs = tempfile::tempdir().unwrap();
    let (_idp, ready) = identity_providers(certs.path());
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let (issuer, ca) = (ready["oidc"]["issuer"].as_str().unwrap(), ready["ca_file"].as_str().unwrap());
    std::fs::write(
        data.join("providers.toml"),
        format!(
            "[[provider]]\nid = \"sso\"\nkind = \"oidc\"\nissuer = \"{issuer}\"\nclient_id = \"tessera\"\nca_file = \"{ca}\"\n\n\
             [[provider]]\nid = \"typo\"\nkind = \"oidc\"\nissuer = \"{issuer}\"\nclient_id = \"tesera\"\nca_file = \"{ca}\"\n"
        ),
    )
    .unwrap();

    let good = command(data).args(["admin", "provider", "test", "sso"]).output().unwrap();
    let text = String::from_utf8(good.stdout).unwrap();
    assert!(good.status.success(), "{text}{}", String::from_utf8_lossy(&good.stderr));
    let lines: Vec<&str> = text.lines().collect();
    for check in ["discovery", "issuer", "endpoints", "userinfo", "scopes", "authorization", "client"] {
        assert!(lines.iter().any(|l| l.starts_with("ok") && l.contains(check)), "{check}: {text}");
    }
    assert!(!lines.iter().any(|l| l.starts_with("error") || l.starts_with("warning")), "{text}");
    assert!(text.trim_end().ends_with("provider sso is set up right"), "{text}");

    let bad = command(data).args(["admin", "provider", "test", "typo"]).output().unwrap();
    let text = String::from_utf8(bad.stdout).unwrap();
    assert_eq!(bad.status.code(), Some(1), "{text}");
    let authorization = text.lines().find(|l| l.contains("authorization")).unwrap_or_default();
    assert!(authorization.starts_with("error") && authorization.contains("client id tesera"), "{text}");
    assert!(text.lines().any(|l| l.starts_with("ok") && l.contains("discovery")), "{text}");

    let json = command(data).args(["--json", "admin", "provider", "test", "typo"]).output().unwrap();
    assert_eq!(json.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!((report["provider"].as_str(), report["ok"].as_bool()), (Some("typo"), Some(false)));
    assert!(report["checks"].as_array().unwrap().iter().any(|c| c["check"] == "client" && c["status"] == "error"));

    let list = command(data).args(["admin", "provider", "list"]).output().unwrap();
    let text = String::from_utf8(list.stdout).unwrap();
    assert!(text.lines().any(|l| l.starts_with("sso\toidc\t")) && text.contains("typo"), "{text}");

    let unknown = command(data).args(["admin", "provider", "test", "nope"]).output().unwrap();
    assert_eq!(unknown.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("there is no provider \"nope\""));
}
