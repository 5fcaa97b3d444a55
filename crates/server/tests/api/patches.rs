//! PATCH bodies tell absent (keep), `null` (clear) and a value (set) apart, for every field.

use serde_json::json;

use crate::harness::Server;

#[tokio::test]
async fn a_project_repository_url_can_be_set_kept_and_removed() {
    let s = Server::start().await;
    let alice = s.user("alice", false).await;
    let url = "https://git.example/app.git";
    let p = s.id_of("/api/v1/projects", &alice, json!({"name": "app", "repository_url": url})).await;
    let path = format!("/api/v1/projects/{p}");

    // Absent: kept.
    let kept = s.patch(&path, &alice, json!({"name": "app2"})).await.expect(200);
    assert_eq!((kept["name"].as_str(), kept["repository_url"].as_str()), (Some("app2"), Some(url)));
    // Null: removed, and stays removed.
    let cleared = s.patch(&path, &alice, json!({"repository_url": null})).await.expect(200);
    assert!(cleared["repository_url"].is_null(), "{cleared}");
    assert!(s.get(&path, &alice).await.expect(200)["repository_url"].is_null());
    // A value: set again.
    let set = s.patch(&path, &alice, json!({"repository_url": url})).await.expect(200);
    assert_eq!(set["repository_url"], url);
    // The name cannot be removed: null is refused, and nothing changed.
    let e = s
        .patch(&path, &alice, json!({"name": null, "repository_url": null}))
        .await
        .expect_error(400, "invalid_request");
    assert!(e["error"]["message"].as_str().unwrap().contains("cannot be removed"), "{e}");
    let now = s.get(&path, &alice).await.expect(200);
    assert_eq!((now["name"].as_str(), now["repository_url"].as_str()), (Some("app2"), Some(url)));
}

#[tokio::test]
async fn a_token_description_can_be_removed_and_its_label_cannot() {
    let s = Server::start().await;
    let alice = s.user("alice", false).await;
    let t = s
        .post("/api/v1/user/tokens", &alice, json!({"label": "ci", "description": "for the CI", "scopes": ["read"]}))
        .await
        .expect(201);
    let path = format!("/api/v1/user/tokens/{}", t["id"].as_str().unwrap());

    let kept = s.patch(&path, &alice, json!({"label": "ci2"})).await.expect(200);
    assert_eq!((kept["label"].as_str(), kept["description"].as_str()), (Some("ci2"), Some("for the CI")));
    let cleared = s.patch(&path, &alice, json!({"description": null})).await.expect(200);
    assert_eq!((cleared["label"].as_str(), cleared["description"].as_str()), (Some("ci2"), Some("")));
    let set = s.patch(&path, &alice, json!({"description": "again"})).await.expect(200);
    assert_eq!(set["description"], "again");
    s.patch(&path, &alice, json!({"label": null})).await.expect_error(400, "invalid_request");
    assert_eq!(s.get(&path, &alice).await.expect(200)["label"], "ci2");
    // A label that is only white space, or too long before trimming, is refused as the
    // document says.
    s.patch(&path, &alice, json!({"label": "   "})).await.expect_error(400, "invalid_request");
    let long = format!("{} ", "x".repeat(100));
    s.patch(&path, &alice, json!({"label": long})).await.expect_error(400, "invalid_request");
}

#[tokio::test]
async fn an_account_role_and_disabled_flag_cannot_be_removed() {
    let s = Server::start().await;
    let root = s.user("root", true).await;
    let bob = s.user("bob", false).await;
    let bob_id = s.get("/api/v1/me", &bob).await.expect(200)["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/admin/users/{bob_id}");
    s.patch(&path, &root, json!({"role": null})).await.expect_error(400, "invalid_request");
    s.patch(&path, &root, json!({"disabled": null})).await.expect_error(400, "invalid_request");
    let u = s.patch(&path, &root, json!({})).await.expect(200);
    assert_eq!((u["role"].as_str(), u["disabled"].as_bool()), (Some("member"), Some(false)));
    let u = s.patch(&path, &root, json!({"role": "admin"})).await.expect(200);
    assert_eq!((u["role"].as_str(), u["disabled"].as_bool()), (Some("admin"), Some(false)));
}
