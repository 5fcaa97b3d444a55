//! Attention: expiring and expired tokens (personal and of administered organizations) and linked
//! code-host accounts to reconnect, as the app lists them.

use chrono::Duration;
use serde_json::{json, Value};
use tessera_core::clock::Clock;

use crate::harness::Server;
use crate::signin;

fn kinds(items: &Value) -> Vec<(String, String, String)> {
    items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            let s = |k: &str| i[k].as_str().unwrap_or_default().to_owned();
            (s("kind"), s("place"), s("label"))
        })
        .collect()
}

#[tokio::test]
async fn tokens_that_expire_within_a_week_or_expired_are_listed_soonest_first() {
    let s = Server::start().await;
    let ada = s.user("ada", false).await;
    let now = s.clock.now();
    let pat = |label: &str, days: i64| json!({"label": label, "scopes": ["read"], "expires_at": (now + Duration::days(days)).to_rfc3339()});
    s.post("/api/v1/user/tokens", &ada, pat("soon", 3)).await.expect(201);
    s.post("/api/v1/user/tokens", &ada, pat("later", 30)).await.expect(201);
    s.post("/api/v1/user/tokens", &ada, pat("gone", 1)).await.expect(201);
    let revoked = s.post("/api/v1/user/tokens", &ada, pat("revoked", 2)).await.expect(201);
    s.call(reqwest::Method::POST, "/api/v1/tokens/revoke", None, Some(json!({"token": revoked["token"]})))
        .await
        .expect(200);
    s.post("/api/v1/user/tokens", &ada, json!({"label": "forever", "scopes": ["read"]})).await.expect(201);
    let org = s.id_of("/api/v1/orgs", &ada, json!({"name": "acme"})).await;
    let org_token =
        json!({"label": "deploy", "scopes": ["read"], "expires_at": (now + Duration::days(5)).to_rfc3339()});
    s.post(&format!("/api/v1/orgs/{org}/tokens"), &ada, org_token).await.expect(201);

    assert_eq!(
        kinds(&s.get("/api/v1/user/attention", &ada).await.expect(200)),
        [
            ("token_expiring", "personal_tokens", "gone"),
            ("token_expiring", "personal_tokens", "soon"),
            ("token_expiring", "org_tokens", "deploy"),
        ]
        .map(|(a, b, c)| (a.to_owned(), b.to_owned(), c.to_owned()))
    );

    s.clock.advance(Duration::days(2));
    let ada = s.session("ada").await;
    let items = s.get("/api/v1/user/attention", &ada).await.expect(200);
    assert_eq!(items[0]["kind"], "token_expired", "{items}");
    assert_eq!(items[0]["label"], "gone");
    assert_eq!(items[2]["org_name"], "acme");
    assert_eq!(items.as_array().unwrap().len(), 3);

    // Someone else's tokens are not Ada's business, and a member sees no org tokens.
    let bob = s.user("bob", false).await;
    s.add_member(&org, &ada, "bob", &bob, "member").await;
    assert_eq!(s.get("/api/v1/user/attention", &bob).await.expect(200), json!([]));
}

#[tokio::test]
async fn a_code_host_link_whose_token_the_host_stopped_accepting_asks_to_reconnect() {
    let own = signin::private_idp();
    let (s, _) = Server::start_with_sign_in(&signin::providers_toml_for(&own), signin::keyring()).await;
    let carol = signin::token_of(&signin::sign_in_at(&s, "gl", "carol", &own).await);
    assert_eq!(s.get("/api/v1/user/attention", &carol).await.expect(200), json!([]));
    let gl = s.get("/api/v1/user/identities", &carol).await.expect(200)[0].clone();
    signin::control_of(&own, "/revoke-all", json!({"provider": "gitlab"})).await;
    let repos = format!("/api/v1/user/scm/{}/repos", gl["id"].as_str().unwrap());
    s.get(&repos, &carol).await.expect_error(409, "reconnect_required");
    let items = s.get("/api/v1/user/attention", &carol).await.expect(200);
    assert_eq!(kinds(&items), [("link_reconnect".to_owned(), "linked_accounts".to_owned(), "carol".to_owned())]);
    assert_eq!(items[0]["provider"], "gl");
    signin::sign_in_at(&s, "gl", "carol", &own).await;
    assert_eq!(s.get("/api/v1/user/attention", &carol).await.expect(200), json!([]), "reconnected");
}
