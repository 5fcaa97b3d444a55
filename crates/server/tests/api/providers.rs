//! Instance admins' provider setup against the real peers of tests/idp: a provider's detail,
//! replacing its configuration, and the health checks that say what is wrong with it.

use std::sync::Arc;

use serde_json::{json, Value};
use tessera_auth::{MemoryStore, SecretStore};

use crate::harness::Server;
use crate::signin::idp;

fn ready(path: &[&str]) -> String {
    let mut v = &idp().ready;
    for p in path {
        v = &v[*p];
    }
    v.as_str().unwrap().to_owned()
}

/// File providers that are set up right: the sign-in suite's (the public OpenID client, the local
/// GitHub, GitLab and Bitbucket and their role-mapped twins), and the confidential OpenID client.
fn providers_toml() -> String {
    format!(
        r#"{}
[[provider]]
id = "conf"
kind = "oidc"
issuer = "{issuer}"
client_id = "tessera-confidential"
client_secret = "{conf_secret}"
scopes = ["openid", "email"]
ca_file = "{ca}"
"#,
        crate::signin::providers_toml(),
        issuer = ready(&["oidc", "issuer"]),
        conf_secret = ready(&["oidc", "confidential_client_secret"]),
        ca = ready(&["ca_file"]),
    )
}

async fn start() -> (Server, Arc<MemoryStore>, String) {
    let secrets = Arc::new(MemoryStore::default());
    let (s, _) = Server::start_with_sign_in(&providers_toml(), secrets.clone()).await;
    let root = s.user("root", true).await;
    (s, secrets, root)
}

/// `POST /providers/{id}/test` as `auth`, which must answer 200.
async fn test(s: &Server, id: &str, auth: &str) -> Value {
    s.post(&format!("/api/v1/providers/{id}/test"), auth, json!({})).await.expect(200)
}

/// The check named `name` of a report: (status, detail).
#[track_caller]
fn check(report: &Value, name: &str) -> (String, String) {
    let c = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == name)
        .unwrap_or_else(|| panic!("no {name} check in {report:#}"));
    (c["status"].as_str().unwrap().to_owned(), c["detail"].as_str().unwrap().to_owned())
}

fn statuses(report: &Value) -> Vec<(String, String)> {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["check"].as_str().unwrap().to_owned(), c["status"].as_str().unwrap().to_owned()))
        .collect()
}

/// A 127.0.0.1 port nothing listens on.
fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[tokio::test]
async fn a_good_openid_provider_passes_every_check() {
    let (s, _, root) = start().await;
    let report = test(&s, "kc", &root).await;
    assert_eq!(report["provider"], "kc");
    assert_eq!(report["ok"], true, "{report:#}");
    let names: Vec<String> = statuses(&report).into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        names,
        ["discovery", "issuer", "endpoints", "userinfo", "scopes", "authorization", "client", "role_mapping"],
        "{report:#}"
    );
    for (name, status) in statuses(&report) {
        assert_eq!(status, "ok", "{name}: {report:#}");
    }
    assert!(check(&report, "client").1.contains("public client"), "{report:#}");
    // The confidential client with its secret, and both code hosts, are fine too.
    for id in ["conf", "gh", "gl"] {
        let report = test(&s, id, &root).await;
        assert_eq!(report["ok"], true, "{id}: {report:#}");
        assert_eq!(check(&report, "client").0, "ok", "{id}: {report:#}");
    }
    assert_eq!(check(&test(&s, "gh", &root).await, "api").0, "ok");
}

#[tokio::test]
async fn what_is_wrong_is_said_in_a_sentence() {
    let (s, _, root) = start().await;
    let issuer = ready(&["oidc", "issuer"]);
    let ca = ready(&["ca_file"]);
    let add = |config: Value| {
        let s = &s;
        let root = root.clone();
        async move { s.post("/api/v1/providers", &root, config).await.expect(201) }
    };

    // A client id the provider does not know.
    add(json!({"id": "wrong-id", "kind": "oidc", "issuer": issuer, "client_id": "nobody", "ca_file": ca})).await;
    let report = test(&s, "wrong-id", &root).await;
    assert_eq!(report["ok"], false);
    let (status, detail) = check(&report, "authorization");
    assert_eq!(status, "error", "{report:#}");
    assert!(detail.contains("client id nobody"), "{detail}");
    assert_eq!(check(&report, "discovery").0, "ok", "discovery works whatever the client: {report:#}");

    // An issuer nothing listens at.
    let port = closed_port();
    add(json!({"id": "gone", "kind": "oidc", "issuer": format!("https://127.0.0.1:{port}"), "client_id": "tessera",
        "ca_file": ca}))
    .await;
    let report = test(&s, "gone", &root).await;
    assert_eq!(report["ok"], false);
    let (status, detail) = check(&report, "discovery");
    assert_eq!(status, "error");
    assert!(detail.contains(&format!("127.0.0.1:{port} refused the connection")), "{detail}");

    // The right issuer without its certificate authority.
    add(json!({"id": "no-ca", "kind": "oidc", "issuer": issuer, "client_id": "tessera"})).await;
    let (status, detail) = check(&test(&s, "no-ca", &root).await, "discovery");
    assert_eq!(status, "error");
    assert!(detail.contains("certificate") && detail.contains("ca_file"), "{detail}");

    // A wrong issuer path.
    add(json!({"id": "path", "kind": "oidc", "issuer": format!("{issuer}/realms/nope"), "client_id": "tessera",
        "ca_file": ca}))
    .await;
    let (status, detail) = check(&test(&s, "path", &root).await, "discovery");
    assert_eq!(status, "error");
    assert!(detail.contains("404") && detail.contains("/.well-known/openid-configuration"), "{detail}");

    // A scope the provider does not offer.
    add(json!({"id": "scope", "kind": "oidc", "issuer": issuer, "client_id": "tessera", "ca_file": ca,
        "scopes": ["openid", "email", "nonexistent"]}))
    .await;
    let report = test(&s, "scope", &root).await;
    assert_eq!(report["ok"], false);
    let (status, detail) = check(&report, "scopes");
    assert_eq!(status, "error");
    assert!(detail.contains("nonexistent") && !detail.contains("scopes openid"), "{detail}");

    // The confidential client with a wrong secret, and without one.
    let conf = |id: &str, secret: Option<&str>| {
        json!({"id": id, "kind": "oidc", "issuer": issuer, "client_id": "tessera-confidential",
            "client_secret": secret, "ca_file": ca, "scopes": ["openid"]})
    };
    add(conf("conf-wrong", Some("not-the-secret"))).await;
    add(conf("conf-none", None)).await;
    for id in ["conf-wrong", "conf-none"] {
        let report = test(&s, id, &root).await;
        let (status, detail) = check(&report, "client");
        assert_eq!(status, "error", "{id}: {report:#}");
        assert!(detail.contains("client secret is wrong or missing"), "{detail}");
        assert!(!report.to_string().contains("not-the-secret"), "no secret in a report");
    }

    // Code hosts with a wrong secret.
    for (kind, host) in [("github", "github"), ("gitlab", "gitlab")] {
        let id = format!("{kind}-wrong");
        add(json!({"id": id, "kind": kind, "base_url": ready(&[host, "base_url"]),
            "client_id": ready(&[host, "client_id"]), "client_secret": "wrong", "ca_file": ca}))
        .await;
        let report = test(&s, &id, &root).await;
        assert_eq!(report["ok"], false, "{report:#}");
        let (status, detail) = check(&report, "client");
        assert_eq!(status, "error", "{report:#}");
        assert!(detail.contains("client secret is wrong or missing"), "{detail}");
        assert_eq!(check(&report, "api").0, "ok", "{report:#}");
    }

    // A code host's unknown client id, and an admin team without read:org.
    add(
        json!({"id": "gh-team", "kind": "github", "base_url": ready(&["github", "base_url"]), "client_id": "Iv1.nobody",
        "client_secret": "x", "admin_team": "acme/admins", "ca_file": ca}),
    )
    .await;
    let report = test(&s, "gh-team", &root).await;
    let (status, detail) = check(&report, "authorization");
    assert_eq!(status, "error");
    assert!(detail.contains("client id Iv1.nobody"), "{detail}");
    let (status, detail) = check(&report, "role_mapping");
    assert_eq!(status, "error");
    assert!(detail.contains("read:org"), "{detail}");
}

#[tokio::test]
async fn only_instance_admins_see_and_change_providers() {
    let (s, _, root) = start().await;
    let member = s.user("member", false).await;
    let pat = s.pat(&root, &["read", "org:admin", "token:admin"]).await;
    let body = json!({"id": "kc", "kind": "oidc", "issuer": ready(&["oidc", "issuer"]), "client_id": "tessera"});
    for who in [&member, &pat] {
        s.get("/api/v1/providers/kc", who).await.expect_error(403, "forbidden");
        s.put("/api/v1/providers/kc", who, body.clone()).await.expect_error(403, "forbidden");
        s.post("/api/v1/providers/kc/test", who, json!({})).await.expect_error(403, "forbidden");
    }
    s.call(reqwest::Method::GET, "/api/v1/providers/kc", None, None).await.expect_error(401, "unauthenticated");
    for path in ["/api/v1/providers/nope"] {
        s.get(path, &root).await.expect_error(404, "not_found");
        s.put(path, &root, json!({"id": "nope", "kind": "github", "client_id": "c"}))
            .await
            .expect_error(404, "not_found");
        s.post(&format!("{path}/test"), &root, json!({})).await.expect_error(404, "not_found");
    }
    let audit = s.get("/api/v1/admin/audit?action=provider.test", &root).await.expect(200);
    assert!(!audit["items"].as_array().unwrap().is_empty(), "refusals are audited: {audit:#}");
}

#[tokio::test]
async fn a_provider_is_read_and_replaced_keeping_its_secret() {
    let (s, secrets, root) = start().await;
    let ca = ready(&["ca_file"]);
    let gl_secret = ready(&["gitlab", "client_secret"]);
    let config = json!({"id": "gl2", "kind": "gitlab", "name": "GitLab (staging)",
        "base_url": ready(&["gitlab", "base_url"]), "client_id": ready(&["gitlab", "client_id"]),
        "client_secret": gl_secret, "ca_file": ca});
    s.post("/api/v1/providers", &root, config.clone()).await.expect(201);

    let detail = s.get("/api/v1/providers/gl2", &root).await.expect(200);
    assert_eq!((detail["source"].as_str(), detail["has_client_secret"].as_bool()), (Some("api"), Some(true)));
    assert_eq!(detail["config"]["name"], "GitLab (staging)");
    assert!(!detail.to_string().contains(&gl_secret), "never the secret");
    let file = s.get("/api/v1/providers/gh", &root).await.expect(200);
    assert_eq!((file["source"].as_str(), file["has_client_secret"].as_bool()), (Some("file"), Some(true)));
    assert!(!file.to_string().contains(&ready(&["github", "client_secret"])));

    // Renamed, the secret left out: the stored one stays and still works.
    let mut renamed = config.clone();
    renamed["name"] = json!("GitLab");
    renamed.as_object_mut().unwrap().remove("client_secret");
    let after = s.put("/api/v1/providers/gl2", &root, renamed.clone()).await.expect(200);
    assert_eq!((after["config"]["name"].as_str(), after["has_client_secret"].as_bool()), (Some("GitLab"), Some(true)));
    let kept = secrets.get("provider/gl2/client_secret").await.unwrap().unwrap();
    assert_eq!(kept.expose(), gl_secret);
    renamed["client_secret"] = json!("");
    s.put("/api/v1/providers/gl2", &root, renamed.clone()).await.expect(200);
    assert_eq!(check(&test(&s, "gl2", &root).await, "client").0, "ok");
    let listed = s.get("/api/v1/providers", &root).await.expect(200);
    assert!(listed.as_array().unwrap().iter().any(|p| p["id"] == "gl2" && p["name"] == "GitLab"));

    // Bad input is refused with a sentence and changes nothing.
    let mut other_id = renamed.clone();
    other_id["id"] = json!("gl3");
    let e = s.put("/api/v1/providers/gl2", &root, other_id).await.expect_error(400, "invalid_request");
    assert!(e["error"]["message"].as_str().unwrap().contains("cannot change"), "{e}");
    let mut broken = renamed.clone();
    broken["admin_access_level"] = json!(40);
    broken["name"] = json!("Broken");
    s.put("/api/v1/providers/gl2", &root, broken).await.expect_error(400, "invalid_request");
    s.put("/api/v1/providers/gl2", &root, json!({"id": "gl2", "kind": "gitlab", "client_id": "c", "surprise": 1}))
        .await
        .expect_error(400, "invalid_request");
    assert_eq!(s.get("/api/v1/providers/gl2", &root).await.expect(200)["config"]["name"], "GitLab");

    // A new secret replaces the stored one.
    renamed["client_secret"] = json!("gloas-wrong");
    s.put("/api/v1/providers/gl2", &root, renamed).await.expect(200);
    assert_eq!(secrets.get("provider/gl2/client_secret").await.unwrap().unwrap().expose(), "gloas-wrong");
    assert_eq!(check(&test(&s, "gl2", &root).await, "client").0, "error");

    // Providers from the file are changed in the file.
    let gh = json!({"id": "gh", "kind": "github", "client_id": "c"});
    let e = s.put("/api/v1/providers/gh", &root, gh).await.expect_error(409, "conflict");
    assert!(e["error"]["message"].as_str().unwrap().contains("providers.toml"), "{e}");

    let audit = s.get("/api/v1/admin/audit?action=provider.update", &root).await.expect(200);
    let details: Vec<&str> = audit["items"].as_array().unwrap().iter().filter_map(|e| e["detail"].as_str()).collect();
    assert!(details.contains(&"changed name"), "{details:?}");
    assert!(details.contains(&"changed client secret"), "{details:?}");
    assert!(!audit.to_string().contains("gloas-wrong"));
}

#[tokio::test]
async fn a_fixed_configuration_is_checked_as_it_is_now() {
    let (s, _, root) = start().await;
    let issuer = ready(&["oidc", "issuer"]);
    let mut config = json!({"id": "later", "kind": "oidc", "issuer": issuer, "client_id": "tessera",
        "ca_file": "/nonexistent/ca.pem"});
    s.post("/api/v1/providers", &root, config.clone()).await.expect(201);
    let (status, detail) = check(&test(&s, "later", &root).await, "setup");
    assert_eq!(status, "error");
    assert!(detail.contains("ca_file") && detail.contains("/nonexistent/ca.pem"), "{detail}");

    // Without a CA the provider's client is made (and kept) trusting the usual authorities only.
    config.as_object_mut().unwrap().remove("ca_file");
    s.put("/api/v1/providers/later", &root, config.clone()).await.expect(200);
    let (status, detail) = check(&test(&s, "later", &root).await, "discovery");
    assert_eq!(status, "error");
    assert!(detail.contains("ca_file"), "{detail}");

    // With it, the next check uses a client that trusts it.
    config["ca_file"] = json!(ready(&["ca_file"]));
    s.put("/api/v1/providers/later", &root, config).await.expect(200);
    let report = test(&s, "later", &root).await;
    assert_eq!(report["ok"], true, "{report:#}");
}
