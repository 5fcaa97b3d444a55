//! Projects, runs, pipelines and secrets; trigger tokens trigger only their project.

use serde_json::json;

use crate::harness::Server;

#[tokio::test]
async fn trigger_tokens_only_trigger_their_project() {
    let s = Server::start().await;
    let alice = s.user("alice", false).await;
    let app = s
        .id_of("/api/v1/projects", &alice, json!({"name": "app", "repository_url": "https://git.example/app.git"}))
        .await;
    let lib = s.id_of("/api/v1/projects", &alice, json!({"name": "lib"})).await;
    let (t, trg) = s.token(&format!("/api/v1/projects/{app}/trigger-tokens"), &alice, &[]).await;
    assert!(trg.starts_with("tsr_trg_"));
    assert_eq!(t["owner"], json!({"kind": "project", "id": app}));

    let run = s.post(&format!("/api/v1/projects/{app}/runs"), &trg, json!({})).await.expect(202);
    assert_eq!(run["status"], "queued");
    s.post(&format!("/api/v1/projects/{lib}/runs"), &trg, json!({})).await.expect_error(403, "forbidden");
    s.get(&format!("/api/v1/projects/{app}/runs"), &trg).await.expect_error(403, "forbidden");
    s.get(&format!("/api/v1/projects/{app}"), &trg).await.expect_error(403, "forbidden");
    s.get("/api/v1/projects", &trg).await.expect_error(403, "forbidden");
    s.get("/api/v1/me", &trg).await.expect_error(403, "forbidden");
    s.get(&format!("/api/v1/projects/{app}/trigger-tokens"), &trg).await.expect_error(403, "forbidden");

    let runs = s.get(&format!("/api/v1/projects/{app}/runs"), &alice).await.expect(200);
    assert_eq!(runs[0]["id"], run["id"]);
    assert_eq!(runs[0]["triggered_by"], t["id"]);
}

#[tokio::test]
async fn project_settings_pipelines_and_write_only_secrets() {
    let s = Server::start().await;
    let alice = s.user("alice", false).await;
    let bob = s.user("bob", false).await;
    let p = s.post("/api/v1/projects", &alice, json!({"name": "app"})).await.expect(201);
    assert_eq!(p["owner"]["kind"], "user");
    let p = p["id"].as_str().unwrap().to_owned();
    s.post("/api/v1/projects", &alice, json!({"name": "app"})).await.expect_error(409, "conflict");
    s.post("/api/v1/projects", &alice, json!({"name": "x", "repository_url": "file:///etc/passwd"}))
        .await
        .expect_error(400, "invalid_request");
    s.post("/api/v1/projects", &alice, json!({"name": "x", "org": "org_doesnotexist"}))
        .await
        .expect_error(404, "not_found");

    let patched = s
        .patch(&format!("/api/v1/projects/{p}"), &alice, json!({"repository_url": "https://git.example/app.git"}))
        .await
        .expect(200);
    assert_eq!(patched["repository_url"], "https://git.example/app.git");
    assert_eq!(
        s.get(&format!("/api/v1/projects/{p}"), &alice).await.expect(200)["repository_url"],
        "https://git.example/app.git"
    );
    s.get(&format!("/api/v1/projects/{p}"), &bob).await.expect_error(404, "not_found");

    let pipe = s.pat(&alice, &["pipeline:write", "read"]).await;
    s.put(&format!("/api/v1/projects/{p}/pipelines/build.yml"), &pipe, json!({"content": "steps: [make]"}))
        .await
        .expect(200);
    assert_eq!(
        s.get(&format!("/api/v1/projects/{p}/pipelines/build.yml"), &pipe).await.expect(200)["content"],
        "steps: [make]"
    );
    s.get(&format!("/api/v1/projects/{p}/pipelines/missing.yml"), &pipe).await.expect_error(404, "not_found");
    s.put(&format!("/api/v1/projects/{p}/secrets/KEY"), &pipe, json!({"value": "v"}))
        .await
        .expect_error(403, "forbidden");

    let sec = s.pat(&alice, &["secret:write", "read"]).await;
    let info = s
        .put(&format!("/api/v1/projects/{p}/secrets/DEPLOY_KEY"), &sec, json!({"value": "s3cr3t-value"}))
        .await
        .expect(200);
    assert!(!info.to_string().contains("s3cr3t-value"));
    let read = s.get(&format!("/api/v1/projects/{p}/secrets/DEPLOY_KEY"), &sec).await.expect(200);
    assert_eq!(read["name"], "DEPLOY_KEY");
    assert!(!read.to_string().contains("s3cr3t-value"), "secret values are write-only");
    s.delete(&format!("/api/v1/projects/{p}/secrets/DEPLOY_KEY"), &sec).await.expect(204);
    s.delete(&format!("/api/v1/projects/{p}/secrets/DEPLOY_KEY"), &sec).await.expect_error(404, "not_found");
    s.patch(&format!("/api/v1/projects/{p}"), &sec, json!({"name": "renamed"})).await.expect_error(403, "forbidden");
}

#[tokio::test]
async fn org_members_work_on_projects_and_only_admins_change_settings() {
    let s = Server::start().await;
    let alice = s.user("alice", false).await;
    let bob = s.user("bob", false).await;
    let org = s.id_of("/api/v1/orgs", &alice, json!({"name": "acme"})).await;
    s.add_member(&org, &alice, "bob", &bob, "member").await;
    let p = s.id_of("/api/v1/projects", &alice, json!({"name": "app", "org": org})).await;
    s.post("/api/v1/projects", &bob, json!({"name": "b", "org": org})).await.expect_error(403, "forbidden");
    s.post(&format!("/api/v1/projects/{p}/runs"), &bob, json!({})).await.expect(202);
    s.put(&format!("/api/v1/projects/{p}/pipelines/ci.yml"), &bob, json!({"content": "x"})).await.expect(200);
    s.patch(&format!("/api/v1/projects/{p}"), &bob, json!({"name": "renamed"})).await.expect_error(403, "forbidden");
    s.get(&format!("/api/v1/projects/{p}/trigger-tokens"), &bob).await.expect_error(403, "forbidden");
    s.get(&format!("/api/v1/projects/{p}/trigger-tokens"), &alice).await.expect(200);
}
