//! Code-host tokens handed to git (`POST /user/git/credential`), the hosts git can use
//! (`GET /user/git/hosts`) and git's rejection of a credential, over the local GitHub and GitLab of
//! tests/idp, on both stores. The command line's helper and the real `git` are tested in
//! crates/cli/tests/git.rs.

use serde_json::{json, Value};

use crate::signin::{browser_sign_in, idp, secret_tool_lookup, sign_in, start, token_of};

fn host_of(kind: &str) -> String {
    idp().ready[kind]["base_url"].as_str().unwrap().strip_prefix("https://").unwrap().to_owned()
}

#[tokio::test]
async fn a_login_session_gets_its_own_linked_token_for_git_and_nothing_else_does() {
    let (s, _, kr) = start().await;
    let gwen = token_of(&sign_in(&s, "gh", "gwen").await);
    s.post("/api/v1/user/identities", &gwen, browser_sign_in(&s, "gl", "gwen").await.body).await.expect(201);
    let (github, gitlab) = (host_of("github"), host_of("gitlab"));

    // The hosts git can use, with the URL setup-git configures.
    let hosts = s.get("/api/v1/user/git/hosts", &gwen).await.expect(200);
    let mut found: Vec<(String, String)> = hosts
        .as_array()
        .unwrap()
        .iter()
        .map(|h| (h["host"].as_str().unwrap().to_owned(), h["url"].as_str().unwrap().to_owned()))
        .collect();
    found.sort();
    let mut want = vec![
        (github.clone(), idp().ready["github"]["base_url"].as_str().unwrap().to_owned()),
        (gitlab.clone(), idp().ready["gitlab"]["base_url"].as_str().unwrap().to_owned()),
    ];
    want.sort();
    assert_eq!(found, want);

    // The stored token, with the user name each host expects; never cached on the way.
    let res = s
        .http
        .post(format!("{}/api/v1/user/git/credential", s.base))
        .bearer_auth(&gwen)
        .json(&json!({"protocol": "https", "host": github, "path": "gwen/hello-world.git"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let c: Value = res.json().await.unwrap();
    assert_eq!(
        (c["username"].as_str(), c["provider"].as_str(), c["account"].as_str()),
        (Some("x-access-token"), Some("gh"), Some("gwen"))
    );
    let identity = c["identity"].as_str().unwrap().to_owned();
    let ids = s.get("/api/v1/user/identities", &gwen).await.expect(200);
    let gh = ids.as_array().unwrap().iter().find(|i| i["provider"] == "gh").unwrap();
    let stored = secret_tool_lookup(&kr, &format!("scm/gh/{}", gh["subject"].as_str().unwrap())).unwrap();
    let stored: Value = serde_json::from_str(&stored).unwrap();
    assert_eq!(c["password"], stored["access_token"], "the linked account's own token");
    assert!(c["expires_at"].is_string());
    let gl =
        s.post("/api/v1/user/git/credential", &gwen, json!({"protocol": "https", "host": gitlab.to_uppercase()})).await;
    assert_eq!(gl.expect(200)["username"], "oauth2", "host names match in any case");

    // An API token cannot take it, whatever its scopes: the token is the person's credential.
    let pat = s.pat(&gwen, &["read", "repo:write", "pipeline:write", "secret:write", "trigger", "token:admin"]).await;
    let r = s.post("/api/v1/user/git/credential", &pat, json!({"protocol": "https", "host": github})).await;
    let body = r.expect_error(403, "forbidden");
    assert!(body["error"]["message"].as_str().unwrap().contains("login session only"), "{body}");
    assert!(!body.to_string().contains(stored["access_token"].as_str().unwrap()));
    // Another person has no link there: nothing of gwen's.
    let hal = token_of(&sign_in(&s, "gl", "hal").await);
    s.post("/api/v1/user/git/credential", &hal, json!({"protocol": "https", "host": github}))
        .await
        .expect_error(404, "not_found");
    // No provider at that host.
    s.post("/api/v1/user/git/credential", &gwen, json!({"protocol": "https", "host": "git.example.org"}))
        .await
        .expect_error(404, "not_found");
    // What no git remote sends is refused in a sentence.
    for bad in [
        json!({"protocol": "ssh", "host": github}),
        json!({"protocol": "https", "host": format!("{github}\nusername=x")}),
        json!({"protocol": "https"}),
        json!({"protocol": "https", "host": github, "password": "x"}),
        json!([]),
    ] {
        s.post("/api/v1/user/git/credential", &gwen, bad.clone()).await.expect_error(400, "invalid_request");
    }

    // Git's rejection of a password that is not the current token changes nothing, nor does a
    // rejection of the current one while the host still accepts it (a repository out of reach).
    for password in ["ghu_not-the-token", stored["access_token"].as_str().unwrap()] {
        let body = json!({"protocol": "https", "host": github, "username": "x-access-token", "password": password});
        s.post("/api/v1/user/git/credential/reject", &gwen, body).await.expect(204);
    }
    let after = s.get("/api/v1/user/identities", &gwen).await.expect(200);
    assert!(after.as_array().unwrap().iter().all(|i| i["status"] == "connected"), "{after}");

    // Each hand-out is in the audit log, naming the identity and the host.
    let root = s.user("root", true).await;
    let log = s.get("/api/v1/admin/audit?action=identity.git_credential", &root).await.expect(200);
    let items = log["items"].as_array().unwrap();
    assert!(items.iter().any(|e| e["target"] == identity.as_str() && e["outcome"] == "ok"), "{log}");
    assert!(items.iter().any(|e| e["outcome"] == "denied"), "the API token's attempt: {log}");
}

#[tokio::test]
async fn a_pipeline_file_is_imported_from_the_project_repository_through_the_linked_account() {
    let (s, _, _) = start().await;
    let ivy = token_of(&sign_in(&s, "gh", "ivy").await);
    let base = idp().ready["github"]["base_url"].as_str().unwrap().to_owned();
    let repo = format!("{base}/ivy/hello-world.git");
    let p = s.post("/api/v1/projects", &ivy, json!({"name": "app", "repository_url": repo})).await.expect(201);
    let import = |name: &str| format!("/api/v1/projects/{}/pipelines/{name}/import", p["id"].as_str().unwrap());

    // A personal token with pipeline:write reads through its owner's linked account.
    let pat = s.pat(&ivy, &["pipeline:write", "read"]).await;
    let got = s.post(&import("readme"), &pat, json!({"path": "README.md", "ref": "main"})).await.expect(200);
    assert_eq!(got["content"], "# hello-world\n");
    assert_eq!(
        s.get(&format!("/api/v1/projects/{}/pipelines/readme", p["id"].as_str().unwrap()), &ivy).await.expect(200)
            ["content"],
        "# hello-world\n"
    );

    // Refusals, each in a sentence: no such file, a path or ref that names more than one file, a
    // token without pipeline:write, a project without a repository.
    s.post(&import("x"), &ivy, json!({"path": "missing.yml"})).await.expect_error(404, "not_found");
    for bad in [
        json!({"path": "../../etc/passwd"}),
        json!({"path": "/README.md"}),
        json!({"path": "README.md", "ref": "--upload-pack=x"}),
        json!({"path": "README.md", "extra": 1}),
    ] {
        s.post(&import("x"), &ivy, bad.clone()).await.expect_error(400, "invalid_request");
    }
    let read_only = s.pat(&ivy, &["read"]).await;
    s.post(&import("x"), &read_only, json!({"path": "README.md"})).await.expect_error(403, "forbidden");
    let bare = s.post("/api/v1/projects", &ivy, json!({"name": "bare"})).await.expect(201);
    let r = s
        .post(
            &format!("/api/v1/projects/{}/pipelines/x/import", bare["id"].as_str().unwrap()),
            &ivy,
            json!({"path": "README.md"}),
        )
        .await;
    assert!(r.expect_error(409, "conflict")["error"]["message"].as_str().unwrap().contains("names no repository"));

    // Someone with no account linked at that host: 409 with what to do.
    let jon = token_of(&sign_in(&s, "gl", "jon").await);
    let theirs = s.post("/api/v1/projects", &jon, json!({"name": "fork", "repository_url": repo})).await.expect(201);
    let r = s
        .post(
            &format!("/api/v1/projects/{}/pipelines/x/import", theirs["id"].as_str().unwrap()),
            &jon,
            json!({"path": "README.md"}),
        )
        .await;
    assert!(r.expect_error(409, "conflict")["error"]["message"].as_str().unwrap().contains("link one"));
}
