//! `tessera admin provider test` for Gitea/Forgejo and Azure DevOps: the real binary, offline on
//! a data directory whose providers.toml names the local Gitea and the Entra-shaped provider and
//! Azure DevOps host of tests/idp, once set up right and once with what an admin gets wrong.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{command, identity_providers};

#[test]
fn gitea_and_azure_devops_providers_are_checked_in_sentences() {
    assert_eq!(std::env::var("TESSERA_TEST_KEYRING").as_deref(), Ok("1"), "run under tests/keyring/with-keyring.sh");
    let certs = tempfile::tempdir().unwrap();
    let (_idp, ready) = identity_providers(certs.path());
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let s = |a: &str, b: &str| ready[a][b].as_str().unwrap().to_owned();
    let ca = ready["ca_file"].as_str().unwrap();
    let (gitea, gitea_id, gitea_secret) =
        (s("gitea", "base_url"), s("gitea", "client_id"), s("gitea", "client_secret"));
    let (issuer, devops) = (s("azure_devops", "issuer"), s("azure_devops", "devops_url"));
    std::fs::write(
        data.join("providers.toml"),
        format!(
            "[[provider]]\nid = \"forgejo\"\nkind = \"gitea\"\nbase_url = \"{gitea}\"\nclient_id = \"{gitea_id}\"\n\
             client_secret = \"{gitea_secret}\"\nca_file = \"{ca}\"\n\n\
             [[provider]]\nid = \"forgejo-bad\"\nkind = \"gitea\"\nbase_url = \"{gitea}\"\nclient_id = \"{gitea_id}\"\n\
             client_secret = \"wrong\"\nadmin_team = \"acme/Owners\"\nca_file = \"{ca}\"\n\n\
             [[provider]]\nid = \"ado\"\nkind = \"azure_devops\"\nissuer = \"{issuer}\"\nbase_url = \"{devops}\"\n\
             client_id = \"tessera\"\norganizations = [\"acme\"]\nca_file = \"{ca}\"\n\n\
             [[provider]]\nid = \"ado-bad\"\nkind = \"azure_devops\"\nissuer = \"{issuer}\"\nbase_url = \"{devops}\"\n\
             client_id = \"tessera\"\norganizations = [\"acme\", \"acme-lab\"]\nca_file = \"{ca}\"\n"
        ),
    )
    .unwrap();
    let test = |id: &str| {
        let out = command(data).args(["admin", "provider", "test", id, "--offline"]).output().unwrap();
        (out.status.code(), String::from_utf8(out.stdout).unwrap())
    };

    for (id, checks) in [
        ("forgejo", &["api", "authorization", "client"][..]),
        ("ado", &["discovery", "issuer", "endpoints", "userinfo", "scopes", "api", "authorization", "client"][..]),
    ] {
        let (code, text) = test(id);
        assert_eq!(code, Some(0), "{id}: {text}");
        for check in checks {
            assert!(text.lines().any(|l| l.starts_with("ok") && l.contains(check)), "{id} {check}: {text}");
        }
        assert!(!text.lines().any(|l| l.starts_with("error") || l.starts_with("warning")), "{id}: {text}");
        assert!(text.trim_end().ends_with(&format!("provider {id} is set up right")), "{text}");
    }

    let (_, text) = test("forgejo");
    assert!(text.contains("/api/v1/version answers (HTTP 200)"), "Gitea's version endpoint: {text}");

    // A wrong client secret (Gitea's `invalid_client`) and a team mapping without its scope.
    let (code, text) = test("forgejo-bad");
    assert_eq!(code, Some(1), "{text}");
    let client = text.lines().find(|l| l.split_whitespace().nth(1) == Some("client")).unwrap_or_default();
    assert!(client.starts_with("error") && client.contains("secret"), "{text}");
    assert!(text.lines().any(|l| l.starts_with("error") && l.contains("read:organization")), "{text}");

    // An organization Azure DevOps does not have.
    let (code, text) = test("ado-bad");
    assert_eq!(code, Some(1), "{text}");
    assert!(text.lines().any(|l| l.starts_with("error") && l.contains("acme-lab")), "{text}");

    let list = command(data).args(["admin", "provider", "list", "--offline"]).output().unwrap();
    let text = String::from_utf8(list.stdout).unwrap();
    assert!(text.lines().any(|l| l.starts_with("forgejo\tgitea\t")), "{text}");
    assert!(text.lines().any(|l| l.starts_with("ado\tazure_devops\tAzure DevOps")), "{text}");
}
