//! Organizations, members, and organization tokens that act only on their organization.

use serde_json::json;

use crate::harness::Server;

#[tokio::test]
async fn members_and_roles_decide_who_manages_an_org() {
    let s = Server::start().await;
    let alice = s.user("alice", false).await;
    let bob = s.user("bob", false).await;
    let org = s.post("/api/v1/orgs", &alice, json!({"name": "acme"})).await.expect(201);
    assert_eq!(org["role"], "admin");
    let org = org["id"].as_str().unwrap().to_owned();
    s.post("/api/v1/orgs", &bob, json!({"name": "acme"})).await.expect_error(409, "conflict");
    s.post("/api/v1/orgs", &bob, json!({"name": "bad name!"})).await.expect_error(400, "invalid_request");

    // Bob cannot see it until he is a member.
    s.get(&format!("/api/v1/orgs/{org}"), &bob).await.expect_error(404, "not_found");
    let members = s
        .post(&format!("/api/v1/orgs/{org}/members"), &alice, json!({"user": "bob", "role": "member"}))
        .await
        .expect(200);
    assert_eq!(members.as_array().unwrap().len(), 2);
    assert_eq!(s.get(&format!("/api/v1/orgs/{org}"), &bob).await.expect(200)["role"], "member");
    assert_eq!(s.get("/api/v1/orgs", &bob).await.expect(200).as_array().unwrap().len(), 1);

    // A member cannot manage members or org tokens.
    s.post(&format!("/api/v1/orgs/{org}/members"), &bob, json!({"user": "bob", "role": "admin"}))
        .await
        .expect_error(403, "forbidden");
    s.get(&format!("/api/v1/orgs/{org}/tokens"), &bob).await.expect_error(403, "forbidden");
    s.post(&format!("/api/v1/orgs/{org}/members"), &alice, json!({"user": "nobody", "role": "member"}))
        .await
        .expect_error(404, "not_found");
    s.post(&format!("/api/v1/orgs/{org}/members"), &alice, json!({"user": "bob", "role": "owner"}))
        .await
        .expect_error(400, "invalid_request");

    // An org:admin PAT of an admin works, and stops the moment the owner is demoted.
    s.post(&format!("/api/v1/orgs/{org}/members"), &alice, json!({"user": "bob", "role": "admin"})).await.expect(200);
    let bob_pat = s.pat(&bob, &["org:admin", "read"]).await;
    s.get(&format!("/api/v1/orgs/{org}/tokens"), &bob_pat).await.expect(200);
    s.post(&format!("/api/v1/orgs/{org}/members"), &alice, json!({"user": "bob", "role": "member"})).await.expect(200);
    s.get(&format!("/api/v1/orgs/{org}/tokens"), &bob_pat).await.expect_error(403, "forbidden");

    // The last admin can be neither removed nor demoted.
    let remove = |who: &'static str| json!({"user": who});
    s.call(reqwest::Method::DELETE, &format!("/api/v1/orgs/{org}/members"), Some(&alice), Some(remove("alice")))
        .await
        .expect_error(409, "conflict");
    s.post(&format!("/api/v1/orgs/{org}/members"), &alice, json!({"user": "alice", "role": "member"}))
        .await
        .expect_error(409, "conflict");
    s.call(reqwest::Method::DELETE, &format!("/api/v1/orgs/{org}/members"), Some(&alice), Some(remove("bob")))
        .await
        .expect(204);
    s.get(&format!("/api/v1/orgs/{org}"), &bob).await.expect_error(404, "not_found");
    s.call(reqwest::Method::DELETE, &format!("/api/v1/orgs/{org}/members"), Some(&alice), Some(remove("bob")))
        .await
        .expect_error(404, "not_found");
}

#[tokio::test]
async fn org_tokens_act_only_on_their_own_org() {
    let s = Server::start().await;
    let alice = s.user("alice", false).await;
    let acme = s.id_of("/api/v1/orgs", &alice, json!({"name": "acme"})).await;
    let globex = s.id_of("/api/v1/orgs", &alice, json!({"name": "globex"})).await;
    let mine = s.id_of("/api/v1/projects", &alice, json!({"name": "app", "org": acme})).await;
    let theirs = s.id_of("/api/v1/projects", &alice, json!({"name": "app", "org": globex})).await;
    let personal = s.id_of("/api/v1/projects", &alice, json!({"name": "dotfiles"})).await;

    let (t, value) = s.token(&format!("/api/v1/orgs/{acme}/tokens"), &alice, &["read", "trigger", "token:admin"]).await;
    assert_eq!(t["owner"], json!({"kind": "org", "id": acme}));
    assert!(value.starts_with("tsr_org_"));

    let projects = s.get("/api/v1/projects", &value).await.expect(200);
    let ids: Vec<&str> = projects.as_array().unwrap().iter().map(|p| p["id"].as_str().unwrap()).collect();
    assert_eq!(ids, vec![mine.as_str()]);
    s.post(&format!("/api/v1/projects/{mine}/runs"), &value, json!({})).await.expect(202);
    s.post(&format!("/api/v1/projects/{theirs}/runs"), &value, json!({})).await.expect_error(404, "not_found");
    s.post(&format!("/api/v1/projects/{personal}/runs"), &value, json!({})).await.expect_error(404, "not_found");
    s.get(&format!("/api/v1/orgs/{globex}"), &value).await.expect_error(404, "not_found");
    assert_eq!(s.get("/api/v1/orgs", &value).await.expect(200).as_array().unwrap().len(), 1);
    // Its token:admin manages its own org's tokens, never wider ones, never another org's.
    s.post(&format!("/api/v1/orgs/{acme}/tokens"), &value, json!({"label": "ci", "scopes": ["read"]}))
        .await
        .expect(201);
    s.post(&format!("/api/v1/orgs/{acme}/tokens"), &value, json!({"label": "ci", "scopes": ["org:admin"]}))
        .await
        .expect_error(403, "forbidden");
    s.get(&format!("/api/v1/orgs/{globex}/tokens"), &value).await.expect_error(404, "not_found");
    // It is not a person.
    s.get("/api/v1/me", &value).await.expect_error(403, "forbidden");
    s.get("/api/v1/user/tokens", &value).await.expect_error(403, "forbidden");
    s.post("/api/v1/orgs", &value, json!({"name": "spawned"})).await.expect_error(403, "forbidden");
}
