//! Sign-in hardening: URLs decided on their parsed form, provider discovery cached (failures
//! too), provider answers bounded, and per-provider sign-up policy.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use serde_json::{json, Value};
use tessera_auth::MemoryStore;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::harness::Server;
use crate::signin::{browser_sign_in, control, idp};

#[tokio::test]
async fn provider_urls_are_parsed_not_prefix_matched() {
    let (s, _) = Server::start_with_sign_in("", Arc::new(MemoryStore::default())).await;
    let root = s.user("root", true).await;
    let gitlab = |base_url: &str| json!({"id": "gl", "kind": "gitlab", "base_url": base_url, "client_id": "c"});
    let oidc = |issuer: &str| json!({"id": "sso", "kind": "oidc", "issuer": issuer, "client_id": "c"});
    // Each of these starts like a loopback address or https, but is not one.
    for (body, why) in [
        (gitlab("http://127.0.0.1:80@example.invalid"), "must use https"),
        (gitlab("http://localhost@example.invalid/"), "must use https"),
        (gitlab("http://127.0.0.1.example.invalid"), "must use https"),
        (gitlab("https://ada:pw@gitlab.example"), "user name or password"),
        (gitlab("https://gitlab.example/?next=x"), "must not contain ? or #"),
        (oidc("http://127.0.0.1:80@idp.example.invalid/realms/x"), "must use https"),
        (oidc("javascript:alert(1)"), "names no host"),
        (
            json!({"id": "gl", "kind": "gitlab", "base_url": "https://gitlab.example", "api_url": "http://[::1]@api.example.invalid", "client_id": "c"}),
            "must use https",
        ),
    ] {
        let e = s.post("/api/v1/providers", &root, body.clone()).await.expect_error(400, "invalid_request");
        let msg = e["error"]["message"].as_str().unwrap();
        assert!(msg.contains(why), "{body}: {msg}");
    }
    assert!(s
        .call(reqwest::Method::GET, "/api/v1/providers", None, None)
        .await
        .expect(200)
        .as_array()
        .unwrap()
        .is_empty());
    // The real forms still work.
    s.post("/api/v1/providers", &root, gitlab("https://gitlab.example/")).await.expect(201);
    s.post(
        "/api/v1/providers",
        &root,
        json!({"id": "local", "kind": "gitlab", "base_url": "http://127.0.0.1:9", "client_id": "c"}),
    )
    .await
    .expect(201);
}

/// A local "issuer" that answers every request with HTTP 500 and counts them.
async fn failing_issuer() -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&hits);
    tokio::spawn(async move {
        while let Ok((mut conn, _)) = listener.accept().await {
            let counter = Arc::clone(&counter);
            tokio::spawn(async move {
                let mut head = [0u8; 4096];
                if conn.read(&mut head).await.unwrap_or(0) > 0 {
                    counter.fetch_add(1, Ordering::SeqCst);
                }
                let body = "internal detail: db01.corp failed";
                let reply = format!(
                    "HTTP/1.1 500 Internal Server Error\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = conn.write_all(reply.as_bytes()).await;
            });
        }
    });
    (base, hits)
}

#[tokio::test]
async fn a_failing_issuer_is_asked_once_per_backoff_and_its_reason_is_for_admins() {
    let (issuer, hits) = failing_issuer().await;
    let toml = format!("[[provider]]\nid = \"sso\"\nkind = \"oidc\"\nissuer = \"{issuer}\"\nclient_id = \"tessera\"\n");
    let (s, _) = Server::start_with_sign_in(&toml, Arc::new(MemoryStore::default())).await;
    let port = issuer.rsplit(':').next().unwrap().to_owned();

    // 24 anonymous listings at once: one outbound request, the rest wait for it or use the
    // remembered failure.
    let url = format!("{}/api/v1/providers", s.base);
    let mut all = tokio::task::JoinSet::new();
    for _ in 0..24 {
        let (http, url) = (s.http.clone(), url.clone());
        all.spawn(async move {
            let r = http.get(url).send().await.unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        });
    }
    let replies = all.join_all().await;
    assert_eq!(replies.len(), 24);
    for (status, text) in replies {
        assert_eq!(status, 200);
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v[0]["id"], "sso");
        assert_eq!(v[0]["error"], tessera_auth::sign_in::UNAVAILABLE, "{text}");
        assert!(v[0]["authorization_endpoint"].is_null());
        for leak in [port.as_str(), "127.0.0.1", "500", "openid-configuration"] {
            assert!(!text.contains(leak), "the anonymous listing shows {leak:?}: {text}");
        }
    }
    assert_eq!(hits.load(Ordering::SeqCst), 1, "one outbound fetch for 24 listings");
    // And sequential ones within the backoff window reach out no more.
    for _ in 0..8 {
        s.http.get(&url).send().await.unwrap();
    }
    assert_eq!(hits.load(Ordering::SeqCst), 1);

    // An instance admin sees why; a member sees what anyone sees.
    let root = s.user("root", true).await;
    let admin_view = s.get("/api/v1/providers", &root).await.expect(200);
    let why = admin_view[0]["error"].as_str().unwrap();
    assert!(why.contains("HTTP 500") && why.contains(&port), "{why}");
    assert!(!why.contains("db01.corp"), "the issuer's body is never echoed: {why}");
    let member = s.user("member", false).await;
    assert_eq!(s.get("/api/v1/providers", &member).await.expect(200)[0]["error"], tessera_auth::sign_in::UNAVAILABLE);
    assert_eq!(hits.load(Ordering::SeqCst), 1);
}

/// An OpenID provider entry for the local identity provider, with `extra` lines of policy.
fn sso(id: &str, extra: &str) -> String {
    let r = &idp().ready;
    format!(
        "[[provider]]\nid = \"{id}\"\nkind = \"oidc\"\nissuer = \"{}\"\nclient_id = \"tessera\"\nca_file = \"{}\"\n\
         scopes = [\"openid\", \"profile\", \"email\", \"groups\"]\n{extra}\n",
        r["oidc"]["issuer"].as_str().unwrap(),
        r["ca_file"].as_str().unwrap()
    )
}

async fn try_sign_in(s: &Server, provider: &str, login: &str) -> crate::harness::Reply {
    let g = browser_sign_in(s, provider, login).await;
    s.call(reqwest::Method::POST, "/api/v1/sessions", None, Some(g.body)).await
}

/// The audit entries of refused sign-ins.
async fn refusals(s: &Server, admin: &str) -> Vec<Value> {
    let log = s.get("/api/v1/admin/audit?action=session.sign_in&outcome=denied&limit=1000", admin).await.expect(200);
    log["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "session.sign_in" && e["outcome"] == "denied")
        .cloned()
        .collect()
}

#[tokio::test]
async fn sign_up_policy_limits_domains_and_groups_with_a_sentence_and_an_audit_entry() {
    let toml = [
        sso("corp", "allowed_domains = [\"corp.example\", \"Example.TEST\"]"),
        sso("elsewhere", "allowed_domains = [\"corp.example\"]"),
        sso("staff", "allowed_groups = [\"staff\", \"ops\"]"),
        sso("nested", "allowed_groups = [\"tessera\"]\ngroups_claim = \"groups\""),
    ]
    .concat();
    let (s, _) = Server::start_with_sign_in(&toml, Arc::new(MemoryStore::default())).await;
    let root = s.user("root", true).await;

    // Domains: a verified address in an allowed domain (compared without case) signs in.
    try_sign_in(&s, "corp", "dora").await.expect(201);
    let e = try_sign_in(&s, "elsewhere", "eli").await.expect_error(403, "forbidden");
    let msg = e["error"]["message"].as_str().unwrap();
    assert!(msg.contains("certain domains") && msg.contains("example.test"), "{msg}");
    assert!(!msg.contains("corp.example"), "the allowed list is not shown: {msg}");
    // An unverified address is refused even in an allowed domain.
    let e = try_sign_in(&s, "corp", "unverified-uma").await.expect_error(403, "forbidden");
    assert!(e["error"]["message"].as_str().unwrap().contains("verified e-mail"), "{e}");

    // Groups.
    control("/groups", json!({"login": "gus", "groups": ["dev", "ops"]})).await;
    control("/groups", json!({"login": "gia", "groups": ["dev"]})).await;
    try_sign_in(&s, "staff", "gus").await.expect(201);
    let e = try_sign_in(&s, "staff", "gia").await.expect_error(403, "forbidden");
    assert!(e["error"]["message"].as_str().unwrap().contains("members of certain groups"), "{e}");
    try_sign_in(&s, "nested", "nobody-in-groups").await.expect_error(403, "forbidden");

    // Nobody refused got an account, and each refusal is in the audit log with its reason.
    let users = s.get("/api/v1/admin/users", &root).await.expect(200).to_string();
    for refused in ["eli", "unverified-uma", "gia", "nobody-in-groups"] {
        assert!(!users.contains(&format!("\"{refused}\"")), "{refused} got an account: {users}");
    }
    assert!(users.contains("\"dora\"") && users.contains("\"gus\""));
    let denied = refusals(&s, &root).await;
    let targets: Vec<&str> = denied.iter().map(|e| e["target"].as_str().unwrap()).collect();
    for t in ["elsewhere:eli", "corp:unverified-uma", "staff:gia", "nested:nobody-in-groups"] {
        assert!(targets.contains(&t), "no audit entry for {t}: {targets:?}");
    }
    assert!(denied.iter().all(|e| !e["detail"].as_str().unwrap().is_empty()), "{denied:?}");

    // A group removed at the provider shuts out an existing account at its next sign-in.
    control("/groups", json!({"login": "gus", "groups": ["dev"]})).await;
    try_sign_in(&s, "staff", "gus").await.expect_error(403, "forbidden");
}

#[tokio::test]
async fn without_sign_up_only_linked_accounts_sign_in_from_the_file_and_the_api() {
    let (s, _) =
        Server::start_with_sign_in(&sso("closed", "allow_signup = false"), Arc::new(MemoryStore::default())).await;
    let root = s.user("root", true).await;

    // providers.toml: a stranger is refused with a sentence, and no account is made.
    let e = try_sign_in(&s, "closed", "stranger").await.expect_error(403, "forbidden");
    assert!(e["error"]["message"].as_str().unwrap().contains("does not create new accounts"), "{e}");
    assert!(!s.get("/api/v1/admin/users", &root).await.expect(200).to_string().contains("\"stranger\""));
    assert!(refusals(&s, &root).await.iter().any(|e| e["target"] == "closed:stranger"));

    // An API-configured provider: open at first, so "olga" signs up; closed again, she still
    // signs in to the same account while a newcomer is refused.
    let r = &idp().ready;
    let mut config = json!({"id": "api-sso", "kind": "oidc", "issuer": r["oidc"]["issuer"], "client_id": "tessera",
        "ca_file": r["ca_file"], "scopes": ["openid", "profile", "email"]});
    s.post("/api/v1/providers", &root, config.clone()).await.expect(201);
    let first = try_sign_in(&s, "api-sso", "olga").await.expect(201);
    assert_eq!(first["created"], true);
    s.delete("/api/v1/providers/api-sso", &root).await.expect(204);
    config["allow_signup"] = json!(false);
    s.post("/api/v1/providers", &root, config).await.expect(201);
    let again = try_sign_in(&s, "api-sso", "olga").await.expect(201);
    assert_eq!(again["created"], false);
    assert_eq!(again["account"]["id"], first["account"]["id"]);
    try_sign_in(&s, "api-sso", "newcomer").await.expect_error(403, "forbidden");
    assert!(refusals(&s, &root).await.iter().any(|e| e["target"] == "api-sso:newcomer"));

    // Policies that cannot work are refused when configured.
    let gh = json!({"id": "gh2", "kind": "github", "client_id": "c", "allowed_domains": ["corp.example"]});
    let e = s.post("/api/v1/providers", &root, gh).await.expect_error(400, "invalid_request");
    assert!(e["error"]["message"].as_str().unwrap().contains("verified"), "{e}");
    let bad = json!({"id": "x", "kind": "oidc", "issuer": "https://idp.example", "client_id": "c", "allowed_domains": ["not a domain"]});
    s.post("/api/v1/providers", &root, bad).await.expect_error(400, "invalid_request");
}
