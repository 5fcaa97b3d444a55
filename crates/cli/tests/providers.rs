//! `tessera admin provider …` as an instance admin runs it: the real binary on a data directory
//! whose providers.toml names the local OpenID provider of tests/idp, once set up right and
//! once with a client id it does not know, offline on the store and through a real server's API;
//! client secrets in the private keyring `make test` runs this suite in.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::Value;

mod common;

use common::{command, identity_providers, Served};

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

    let good = command(data).args(["admin", "provider", "test", "sso", "--offline"]).output().unwrap();
    let text = String::from_utf8(good.stdout).unwrap();
    assert!(good.status.success(), "{text}{}", String::from_utf8_lossy(&good.stderr));
    let lines: Vec<&str> = text.lines().collect();
    for check in ["discovery", "issuer", "endpoints", "userinfo", "scopes", "authorization", "client"] {
        assert!(lines.iter().any(|l| l.starts_with("ok") && l.contains(check)), "{check}: {text}");
    }
    assert!(!lines.iter().any(|l| l.starts_with("error") || l.starts_with("warning")), "{text}");
    assert!(text.trim_end().ends_with("provider sso is set up right"), "{text}");

    let bad = command(data).args(["admin", "provider", "test", "typo", "--offline"]).output().unwrap();
    let text = String::from_utf8(bad.stdout).unwrap();
    assert_eq!(bad.status.code(), Some(1), "{text}");
    let authorization = text.lines().find(|l| l.contains("authorization")).unwrap_or_default();
    assert!(authorization.starts_with("error") && authorization.contains("client id tesera"), "{text}");
    assert!(text.lines().any(|l| l.starts_with("ok") && l.contains("discovery")), "{text}");

    let json = command(data).args(["--json", "admin", "provider", "test", "typo", "--offline"]).output().unwrap();
    assert_eq!(json.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!((report["provider"].as_str(), report["ok"].as_bool()), (Some("typo"), Some(false)));
    assert!(report["checks"].as_array().unwrap().iter().any(|c| c["check"] == "client" && c["status"] == "error"));

    let list = command(data).args(["admin", "provider", "list", "--offline"]).output().unwrap();
    let text = String::from_utf8(list.stdout).unwrap();
    assert!(text.lines().any(|l| l.starts_with("sso\toidc\t")) && text.contains("typo"), "{text}");

    let unknown = command(data).args(["admin", "provider", "test", "nope", "--offline"]).output().unwrap();
    assert_eq!(unknown.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("there is no provider \"nope\""));
}

#[test]
fn providers_are_listed_checked_added_replaced_and_deleted_through_the_api() {
    assert_eq!(std::env::var("TESSERA_TEST_KEYRING").as_deref(), Ok("1"), "run under tests/keyring/with-keyring.sh");
    let certs = tempfile::tempdir().unwrap();
    let (_idp, ready) = identity_providers(certs.path());
    let (issuer, ca) = (ready["oidc"]["issuer"].as_str().unwrap(), ready["ca_file"].as_str().unwrap());
    let s = Served::start_with(|data| {
        std::fs::write(
            data.join("providers.toml"),
            format!("[[provider]]\nid = \"sso\"\nkind = \"oidc\"\nissuer = \"{issuer}\"\nclient_id = \"tessera\"\nca_file = \"{ca}\"\n"),
        )
        .unwrap();
    });
    let a = s.admin.as_str();

    let list = s.run(a, &["admin", "provider", "list"]).ok().to_owned();
    assert!(list.starts_with("ID") && list.lines().any(|l| l.starts_with("sso") && l.contains("oidc")), "{list}");
    let report = s.run(a, &["admin", "provider", "test", "sso"]).ok().to_owned();
    assert!(report.ends_with("provider sso is set up right"), "{report}");
    let shown = s.run(a, &["admin", "provider", "show", "sso"]).ok().to_owned();
    assert!(
        shown.contains("Client id:") && shown.contains("tessera") && shown.contains("client secret: none"),
        "{shown}"
    );

    // Added from a JSON file, checked (a client id the provider does not know: exit 1), replaced,
    // deleted.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("extra.json");
    let config = |client: &str| serde_json::json!({"id": "extra", "kind": "oidc", "name": "Extra", "issuer": issuer, "client_id": client, "ca_file": ca});
    std::fs::write(&file, config("tesera").to_string()).unwrap();
    let file = file.to_str().unwrap();
    assert_eq!(s.run(a, &["admin", "provider", "add", "--file", file]).ok(), "added provider extra");
    let bad = s.run(a, &["--json", "admin", "provider", "test", "extra"]);
    assert_eq!(bad.code, 1, "{bad:?}");
    let report: Value = serde_json::from_str(&bad.stdout).unwrap();
    assert!(report["checks"].as_array().unwrap().iter().any(|c| c["check"] == "client" && c["status"] == "error"));
    std::fs::write(file, config("tessera").to_string()).unwrap();
    s.run(a, &["admin", "provider", "update", "extra", "--file", file]).ok();
    assert_eq!(s.run(a, &["--json", "admin", "provider", "show", "extra"]).json()["config"]["client_id"], "tessera");
    s.run(a, &["admin", "provider", "delete", "extra"]).ok();
    s.run(a, &["admin", "provider", "show", "extra"]).failed(5, "");
    // One from providers.toml is changed in the file, not through the API.
    assert_eq!(s.run(a, &["admin", "provider", "delete", "sso"]).code, 1);
    std::fs::write(file, "{ not json").unwrap();
    s.run(a, &["admin", "provider", "add", "--file", file]).failed(2, "not a JSON object");
    // Members may not.
    let member = s.user("eve");
    s.run(&member, &["admin", "provider", "show", "sso"]).failed(4, "");
}
