//! Token policies: instance admins limit how long personal access tokens live, organization
//! admins limit their organization's tokens (never looser than the instance), and creating and
//! rotating tokens obey them.

use chrono::Duration;
use serde_json::json;

use crate::harness::Server;

const DAY: i64 = 86_400;

#[tokio::test]
async fn only_instance_admins_read_and_set_the_instance_policy() {
    let s = Server::start().await;
    let root = s.user("root", true).await;
    let alice = s.user("alice", false).await;
    let root_pat = s.pat(&root, &["token:admin", "org:admin", "read"]).await;
    assert_eq!(
        s.get("/api/v1/admin/policy", &root).await.expect(200),
        json!({"max_lifetime_seconds": null, "require_expiry": false})
    );
    for who in [&alice, &root_pat] {
        s.get("/api/v1/admin/policy", who).await.expect_error(403, "forbidden");
        s.put("/api/v1/admin/policy", who, json!({"require_expiry": true})).await.expect_error(403, "forbidden");
    }
    let set = json!({"max_lifetime_seconds": 30 * DAY, "require_expiry": true});
    assert_eq!(s.put("/api/v1/admin/policy", &root, set.clone()).await.expect(200), set);
    assert_eq!(s.get("/api/v1/admin/policy", &root).await.expect(200), set);
    // Anyone may see the policy their personal access tokens obey.
    assert_eq!(s.get("/api/v1/user/policy", &alice).await.expect(200), set);
    // Bad bodies are sentences, never 500s.
    for bad in [
        json!({"max_lifetime_seconds": 0}),
        json!({"max_lifetime_seconds": -5}),
        json!({"max_lifetime_seconds": "30d"}),
        json!({"max_lifetime_days": 30}),
        json!({"require_expiry": "yes"}),
    ] {
        s.put("/api/v1/admin/policy", &root, bad).await.expect_error(400, "invalid_request");
    }
    // Changes are audited.
    let log = s.get("/api/v1/admin/audit?limit=1000", &root).await.expect(200);
    let entries = log.get("items").unwrap_or(&log);
    assert!(entries.as_array().unwrap().iter().any(|e| e["action"] == "policy.update" && e["outcome"] == "ok"));
    assert!(entries.as_array().unwrap().iter().any(|e| e["action"] == "policy.update" && e["outcome"] == "denied"));
}

#[tokio::test]
async fn the_instance_policy_limits_personal_access_tokens_at_create_and_rotate() {
    let s = Server::start().await;
    let root = s.user("root", true).await;
    let alice = s.user("alice", false).await;
    let now = s.authority.now();
    let at = |d: Duration| (now + d).to_rfc3339();
    // Made before the policy: never expires.
    let (old, _) = s.token("/api/v1/user/tokens", &alice, &["read"]).await;
    let long = s
        .post(
            "/api/v1/user/tokens",
            &alice,
            json!({"label": "l", "scopes": ["read"], "expires_at": at(Duration::days(60))}),
        )
        .await
        .expect(201);
    s.put("/api/v1/admin/policy", &root, json!({"max_lifetime_seconds": 30 * DAY})).await.expect(200);

    let pats = "/api/v1/user/tokens";
    let body =
        s.post(pats, &alice, json!({"label": "x", "scopes": ["read"]})).await.expect_error(400, "invalid_request");
    assert!(body["error"]["message"].as_str().unwrap().contains("30 days"), "{body}");
    s.post(pats, &alice, json!({"label": "x", "scopes": ["read"], "expires_at": at(Duration::days(31))}))
        .await
        .expect_error(400, "invalid_request");
    s.post(pats, &alice, json!({"label": "x", "scopes": ["read"], "expires_at": at(Duration::days(30))}))
        .await
        .expect(201);
    // Rotation hands out a value that lives until the token's expiry: it must obey the policy too.
    for t in [&old, &long] {
        let body = s
            .post(&format!("{pats}/{}/rotate", t["id"].as_str().unwrap()), &alice, json!({}))
            .await
            .expect_error(409, "conflict");
        assert!(body["error"]["message"].as_str().unwrap().contains("create a new one"), "{body}");
    }
    // Personal agent tokens and trigger tokens are not covered (see the policy module).
    s.post("/api/v1/user/agent-tokens", &alice, json!({"label": "a"})).await.expect(201);
    let app = s.id_of("/api/v1/projects", &alice, json!({"name": "app"})).await;
    s.post(&format!("/api/v1/projects/{app}/trigger-tokens"), &alice, json!({"label": "t"})).await.expect(201);

    // Expiry required, no maximum: any expiry will do, none will not.
    s.put("/api/v1/admin/policy", &root, json!({"require_expiry": true})).await.expect(200);
    s.post(pats, &alice, json!({"label": "x", "scopes": ["read"]})).await.expect_error(400, "invalid_request");
    s.post(pats, &alice, json!({"label": "x", "scopes": ["read"], "expires_at": at(Duration::days(3650))}))
        .await
        .expect(201);
    s.post(&format!("{pats}/{}/rotate", long["id"].as_str().unwrap()), &alice, json!({})).await.expect(200);
}

#[tokio::test]
async fn org_policies_are_set_by_org_admins_and_never_looser_than_the_instance() {
    let s = Server::start().await;
    let root = s.user("root", true).await;
    let alice = s.user("alice", false).await;
    let bob = s.user("bob", false).await;
    let acme = s.id_of("/api/v1/orgs", &alice, json!({"name": "acme"})).await;
    let now = s.authority.now();
    let at = |d: Duration| (now + d).to_rfc3339();
    let path = format!("/api/v1/orgs/{acme}/policy");

    let none = json!({"max_lifetime_seconds": null, "require_expiry": false});
    assert_eq!(s.get(&path, &alice).await.expect(200), json!({"policy": none, "instance": none, "in_force": none}));
    s.get(&path, &bob).await.expect_error(404, "not_found");
    s.put(&path, &bob, json!({"require_expiry": true})).await.expect_error(404, "not_found");
    let narrow = s.pat(&alice, &["read", "token:admin"]).await;
    s.put(&path, &narrow, json!({"require_expiry": true})).await.expect_error(403, "forbidden");
    s.get("/api/v1/orgs/org_nope/policy", &alice).await.expect_error(404, "not_found");

    s.put("/api/v1/admin/policy", &root, json!({"max_lifetime_seconds": 90 * DAY})).await.expect(200);
    for looser in [json!({}), json!({"max_lifetime_seconds": 91 * DAY}), json!({"require_expiry": true})] {
        let body = s.put(&path, &alice, looser).await.expect_error(400, "invalid_request");
        assert!(body["error"]["message"].as_str().unwrap().contains("looser"), "{body}");
    }
    let org_policy = json!({"max_lifetime_seconds": 7 * DAY, "require_expiry": true});
    let set = s.put(&path, &alice, org_policy.clone()).await.expect(200);
    assert_eq!(set["policy"], org_policy);
    assert_eq!(set["in_force"], org_policy);
    assert_eq!(set["instance"], json!({"max_lifetime_seconds": 90 * DAY, "require_expiry": false}));

    for coll in [format!("/api/v1/orgs/{acme}/tokens"), format!("/api/v1/orgs/{acme}/agent-tokens")] {
        let scopes = if coll.ends_with("/tokens") { json!(["read"]) } else { json!([]) };
        s.post(&coll, &alice, json!({"label": "x", "scopes": scopes})).await.expect_error(400, "invalid_request");
        s.post(&coll, &alice, json!({"label": "x", "scopes": scopes, "expires_at": at(Duration::days(8))}))
            .await
            .expect_error(400, "invalid_request");
        let ok = s
            .post(&coll, &alice, json!({"label": "x", "scopes": scopes, "expires_at": at(Duration::days(7))}))
            .await
            .expect(201);
        s.post(&format!("{coll}/{}/rotate", ok["id"].as_str().unwrap()), &alice, json!({})).await.expect(200);
    }
    // Personal access tokens still obey only the instance's 90 days.
    s.post(
        "/api/v1/user/tokens",
        &alice,
        json!({"label": "p", "scopes": ["read"], "expires_at": at(Duration::days(60))}),
    )
    .await
    .expect(201);
    // Tightening the instance below an organization's policy tightens what is in force there.
    s.put("/api/v1/admin/policy", &root, json!({"max_lifetime_seconds": DAY})).await.expect(200);
    assert_eq!(
        s.get(&path, &alice).await.expect(200)["in_force"],
        json!({"max_lifetime_seconds": DAY, "require_expiry": true})
    );
    s.post(
        &format!("/api/v1/orgs/{acme}/tokens"),
        &alice,
        json!({"label": "x", "scopes": ["read"], "expires_at": at(Duration::days(2))}),
    )
    .await
    .expect_error(400, "invalid_request");
}
