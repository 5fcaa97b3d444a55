//! Introspection (RFC 7662) tells a caller about credentials it owns or administers and about
//! nothing else: only a login session or a token with `token:admin` may ask, and every other
//! value comes back as `{"active": false}`.

use serde_json::{json, Value};

use crate::harness::Server;

async fn introspect(s: &Server, caller: &str, value: &str) -> Value {
    s.post("/api/v1/tokens/introspect", caller, json!({"token": value})).await.expect(200)
}

#[tokio::test]
async fn only_owners_and_administrators_see_a_token() {
    let s = Server::start().await;
    let alice = s.user("alice", false).await;
    let bob = s.user("bob", false).await;
    let root = s.user("root", true).await;
    let acme = s.id_of("/api/v1/orgs", &alice, json!({"name": "acme"})).await;
    let bobco = s.id_of("/api/v1/orgs", &bob, json!({"name": "bobco"})).await;
    let app = s.id_of("/api/v1/projects", &alice, json!({"name": "app"})).await;
    let svc = s.id_of("/api/v1/projects", &alice, json!({"name": "svc", "org": acme})).await;
    let bobs_app = s.id_of("/api/v1/projects", &bob, json!({"name": "app"})).await;

    // Alice's credentials: (name, value, seen by acme's org token).
    let mut alices = Vec::new();
    alices.push(("pat", s.pat(&alice, &["read"]).await, false));
    alices.push(("agent", s.token("/api/v1/user/agent-tokens", &alice, &[]).await.1, false));
    alices.push(("trigger", s.token(&format!("/api/v1/projects/{app}/trigger-tokens"), &alice, &[]).await.1, false));
    alices.push(("org", s.token(&format!("/api/v1/orgs/{acme}/tokens"), &alice, &["read"]).await.1, true));
    alices.push(("org agent", s.token(&format!("/api/v1/orgs/{acme}/agent-tokens"), &alice, &[]).await.1, true));
    alices.push(("org trigger", s.token(&format!("/api/v1/projects/{svc}/trigger-tokens"), &alice, &[]).await.1, true));
    alices.push(("session", s.session("alice").await, false));
    let bobs = [
        s.pat(&bob, &["read"]).await,
        s.token("/api/v1/user/agent-tokens", &bob, &[]).await.1,
        s.token(&format!("/api/v1/orgs/{bobco}/tokens"), &bob, &["read"]).await.1,
        s.token(&format!("/api/v1/projects/{bobs_app}/trigger-tokens"), &bob, &[]).await.1,
        s.session("bob").await,
    ];

    let alice_admin_pat = s.pat(&alice, &["token:admin"]).await;
    let acme_admin = s.token(&format!("/api/v1/orgs/{acme}/tokens"), &alice, &["token:admin"]).await.1;
    let root_pat = s.pat(&root, &["token:admin"]).await;

    for (what, value, org_sees) in &alices {
        for (who, caller) in [("alice's session", &alice), ("alice's token:admin PAT", &alice_admin_pat)] {
            let seen = introspect(&s, caller, value).await;
            assert_eq!(seen["active"], true, "{who} sees alice's {what}: {seen}");
            assert!(seen["sub"].is_string() && seen["jti"].is_string(), "{who}: {what}: {seen}");
        }
        let by_org = introspect(&s, &acme_admin, value).await;
        if *org_sees {
            assert_eq!(by_org["active"], true, "acme's token sees alice's {what}: {by_org}");
            assert!(by_org["sub"].is_string());
        } else {
            assert_eq!(by_org, json!({"active": false}), "acme's token does not see alice's {what}");
        }
        // Bob owns and administers none of it: he learns nothing, not even that it exists.
        assert_eq!(introspect(&s, &bob, value).await, json!({"active": false}), "bob: alice's {what}");
        // An instance admin's session sees everything; its tokens never carry the role.
        assert_eq!(introspect(&s, &root, value).await["active"], true, "root's session: alice's {what}");
        assert_eq!(introspect(&s, &root_pat, value).await, json!({"active": false}), "root's PAT: {what}");
    }
    for value in &bobs {
        for caller in [&alice, &alice_admin_pat, &acme_admin] {
            assert_eq!(introspect(&s, caller, value).await, json!({"active": false}));
        }
        assert_eq!(introspect(&s, &bob, value).await["active"], true);
        assert_eq!(introspect(&s, &root, value).await["active"], true);
    }
}

#[tokio::test]
async fn trigger_agent_and_narrow_tokens_may_not_introspect() {
    let s = Server::start().await;
    let alice = s.user("alice", false).await;
    let acme = s.id_of("/api/v1/orgs", &alice, json!({"name": "acme"})).await;
    let app = s.id_of("/api/v1/projects", &alice, json!({"name": "app"})).await;
    let target = s.pat(&alice, &["read"]).await;
    let callers = [
        ("trigger", s.token(&format!("/api/v1/projects/{app}/trigger-tokens"), &alice, &[]).await.1),
        ("agent", s.token("/api/v1/user/agent-tokens", &alice, &[]).await.1),
        ("org agent", s.token(&format!("/api/v1/orgs/{acme}/agent-tokens"), &alice, &[]).await.1),
        ("PAT without token:admin", s.pat(&alice, &["read", "trigger", "org:admin"]).await),
        ("org token without token:admin", s.token(&format!("/api/v1/orgs/{acme}/tokens"), &alice, &["read"]).await.1),
    ];
    for (what, caller) in &callers {
        // Even about its own value, and about one its owner holds.
        for value in [caller.as_str(), target.as_str()] {
            let body = s
                .post("/api/v1/tokens/introspect", caller, json!({"token": value}))
                .await
                .expect_error(403, "forbidden");
            let text = body.to_string();
            assert!(!text.contains("tok_") && !text.contains("usr_"), "{what}: nothing about the value leaks: {text}");
        }
    }
    // Without a credential: 401.
    s.call(reqwest::Method::POST, "/api/v1/tokens/introspect", None, Some(json!({"token": target})))
        .await
        .expect_error(401, "unauthenticated");
}
