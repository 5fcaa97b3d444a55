//! Sign-in hardening: URLs decided on their parsed form, provider discovery cached (failures
//! too), provider answers bounded, and per-provider sign-up policy.

use std::sync::Arc;

use serde_json::json;
use tessera_auth::MemoryStore;

use crate::harness::Server;

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
