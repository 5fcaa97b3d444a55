//! Triggering runs the way CI and code hosts do (a bearer header, GitLab's `token` field, GitHub
//! and GitLab webhooks), and what runs keep: their ref, commit, variables, log and artifacts,
//! read with `read`.

use std::collections::BTreeSet;

use futures::future::join_all;
use reqwest::Method;
use serde_json::{json, Value};
use tessera_server::limits::{Limits, Rate};
use tessera_server::ServeOptions;

use crate::harness::{Reply, Server};

fn github_signature(secret: &str, body: &[u8]) -> String {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret.as_bytes());
    let tag = ring::hmac::sign(&key, body);
    format!("sha256={}", tag.as_ref().iter().map(|b| format!("{b:02x}")).collect::<String>())
}

struct Project {
    id: String,
    owner: String,
    token: Value,
    value: String,
    secret: String,
}

async fn project(s: &Server) -> Project {
    let owner = s.user("alice", false).await;
    let id = s.id_of("/api/v1/projects", &owner, json!({"name": "app"})).await;
    let (token, value) = s.token(&format!("/api/v1/projects/{id}/trigger-tokens"), &owner, &[]).await;
    let secret = token["webhook_secret"].as_str().expect("a webhook secret beside the trigger token").to_owned();
    Project { id, owner, token, value, secret }
}

async fn deliver(s: &Server, p: &str, headers: &[(&str, &str)], body: &[u8]) -> Reply {
    let mut all = vec![("content-type", "application/json")];
    all.extend_from_slice(headers);
    s.raw(Method::POST, &format!("/api/v1/projects/{p}/trigger"), &all, body.to_vec()).await
}

#[tokio::test]
async fn ci_triggers_with_a_bearer_header_a_form_or_the_query_and_the_run_keeps_what_it_was_for() {
    let s = Server::start().await;
    let p = project(&s).await;
    assert!(p.secret.starts_with("whsec_") && p.secret.len() == 46, "{}", p.secret);
    // The secret is shown once: never in a list or a read.
    let listed = s.get(&format!("/api/v1/projects/{}/trigger-tokens", p.id), &p.owner).await.expect(200);
    assert!(!listed.to_string().contains(&p.secret));
    let url = format!("/api/v1/projects/{}/trigger", p.id);

    let run = s
        .post(&url, &p.value, json!({"ref": "refs/heads/main", "commit": "ABCDEF0123", "variables": {"DEPLOY": "yes"}}))
        .await
        .expect(202);
    assert_eq!(run["ref"], "refs/heads/main");
    assert_eq!(run["commit"], "abcdef0123");
    assert_eq!(run["variables"], json!({"DEPLOY": "yes"}));
    assert_eq!(run["triggered_by"], p.token["id"]);

    // GitLab's trigger style: the token as a form field, variables as variables[NAME].
    let form = format!("token={}&ref=main&variables%5BRUN_NIGHTLY%5D=true", p.value);
    let r = s
        .raw(Method::POST, &url, &[("content-type", "application/x-www-form-urlencoded")], form.into_bytes())
        .await
        .expect(202);
    assert_eq!((r["ref"].as_str(), r["variables"]["RUN_NIGHTLY"].as_str()), (Some("main"), Some("true")));
    // …or in the query, with no body at all.
    let r = s.raw(Method::POST, &format!("{url}?token={}&ref=v1.2", p.value), &[], vec![]).await.expect(202);
    assert_eq!(r["ref"], "v1.2");

    // A JSON content type with no body at all is a trigger with nothing named.
    let bearer = format!("Bearer {}", p.value);
    let r =
        s.raw(Method::POST, &url, &[("authorization", &bearer), ("content-type", "application/json")], vec![]).await;
    assert_eq!(r.expect(202)["ref"], Value::Null);

    // The run reads back with `read`, whole.
    let reader = s.pat(&p.owner, &["read"]).await;
    let got = s.get(&format!("/api/v1/projects/{}/runs/{}", p.id, run["id"].as_str().unwrap()), &reader).await;
    assert_eq!(got.expect(200), run);

    // Bad input is a sentence, never a run.
    s.post(&url, &p.value, json!({"ref": "main branch"})).await.expect_error(400, "invalid_request");
    s.post(&url, &p.value, json!({"commit": "not-hex"})).await.expect_error(400, "invalid_request");
    s.post(&url, &p.value, json!({"variables": {"1BAD": "x"}})).await.expect_error(400, "invalid_request");
    let both = s
        .raw(
            Method::POST,
            &format!("{url}?token={}", p.value),
            &[("authorization", &format!("Bearer {}", p.value))],
            vec![],
        )
        .await;
    let body = both.expect_error(400, "invalid_request");
    assert!(!body.to_string().contains(&p.value), "an error never repeats the token");
    s.raw(Method::POST, &url, &[], vec![]).await.expect_error(401, "unauthenticated");
    s.raw(Method::POST, &format!("{url}?token=tsr_trg_000000000000000000000000000000000000"), &[], vec![])
        .await
        .expect_error(401, "unauthenticated");
    // A trigger token of this project does not trigger another.
    let other = s.id_of("/api/v1/projects", &p.owner, json!({"name": "other"})).await;
    s.post(&format!("/api/v1/projects/{other}/trigger"), &p.value, json!({})).await.expect_error(403, "forbidden");
    // The older route keeps working.
    s.post(&format!("/api/v1/projects/{}/runs", p.id), &p.value, json!({})).await.expect(202);
    assert_eq!(
        s.get(&format!("/api/v1/projects/{}/runs", p.id), &reader).await.expect(200).as_array().unwrap().len(),
        5
    );
}

#[tokio::test]
async fn github_and_gitlab_webhooks_trigger_with_their_secret_and_nothing_else() {
    let s = Server::start().await;
    let p = project(&s).await;
    let push = json!({"ref": "refs/heads/main", "after": "0123456789abcdef0123456789abcdef01234567", "repository": {}});
    let body = serde_json::to_vec(&push).unwrap();
    let sig = github_signature(&p.secret, &body);
    let run = deliver(&s, &p.id, &[("x-hub-signature-256", &sig), ("x-github-event", "push")], &body).await.expect(202);
    assert_eq!(run["ref"], "refs/heads/main");
    assert_eq!(run["commit"], "0123456789abcdef0123456789abcdef01234567");
    assert_eq!(run["triggered_by"], p.token["id"]);
    // GitHub's ping when a hook is added: verified, and no run.
    let ping = br#"{"zen": "Keep it logically awesome."}"#;
    let r = deliver(
        &s,
        &p.id,
        &[("x-hub-signature-256", &github_signature(&p.secret, ping)), ("x-github-event", "ping")],
        ping,
    )
    .await;
    assert_eq!(r.status.as_u16(), 204);

    // A signature made with another secret, over another body, or of another shape: refused.
    let tampered = serde_json::to_vec(&json!({"ref": "refs/heads/evil", "after": "0123456"})).unwrap();
    for (sig, body) in [
        (github_signature("whsec_guess", &body), &body),
        (sig.clone(), &tampered),
        ("sha1=0123".to_owned(), &body),
        (String::new(), &body),
    ] {
        let e = deliver(&s, &p.id, &[("x-hub-signature-256", &sig)], body).await.expect_error(401, "unauthenticated");
        assert!(e["error"]["message"].as_str().unwrap().contains("signature does not match"), "{e}");
    }
    // The same delivery to another project is refused too: secrets belong to their project.
    let other = s.id_of("/api/v1/projects", &p.owner, json!({"name": "other"})).await;
    deliver(&s, &other, &[("x-hub-signature-256", &sig)], &body).await.expect_error(401, "unauthenticated");

    // GitLab sends the secret itself; its push names checkout_sha.
    let gl = serde_json::to_vec(
        &json!({"object_kind": "push", "ref": "refs/heads/dev", "checkout_sha": "fedcba9876543210"}),
    )
    .unwrap();
    let run =
        deliver(&s, &p.id, &[("x-gitlab-token", &p.secret), ("x-gitlab-event", "Push Hook")], &gl).await.expect(202);
    assert_eq!((run["ref"].as_str(), run["commit"].as_str()), (Some("refs/heads/dev"), Some("fedcba9876543210")));
    deliver(&s, &p.id, &[("x-gitlab-token", "whsec_wrong")], &gl).await.expect_error(401, "unauthenticated");
    deliver(&s, &p.id, &[("x-gitlab-token", &p.value)], &gl).await.expect_error(401, "unauthenticated");
    // A verified delivery whose body is not JSON is a 400 sentence.
    let junk = b"not json";
    deliver(&s, &p.id, &[("x-gitlab-token", &p.secret)], junk).await.expect_error(400, "invalid_request");

    // Rotating the trigger token gives a new secret; the old one stops working at once.
    let rotated = s
        .post(
            &format!("/api/v1/projects/{}/trigger-tokens/{}/rotate", p.id, p.token["id"].as_str().unwrap()),
            &p.owner,
            json!({}),
        )
        .await
        .expect(200);
    let fresh = rotated["webhook_secret"].as_str().unwrap();
    assert_ne!(fresh, p.secret);
    deliver(&s, &p.id, &[("x-gitlab-token", &p.secret)], &gl).await.expect_error(401, "unauthenticated");
    deliver(&s, &p.id, &[("x-gitlab-token", fresh)], &gl).await.expect(202);
    // Deleting it ends the webhook with it. (A delete in the rotation's own instant would be
    // taken for a race with it.)
    s.clock.advance(chrono::Duration::seconds(1));
    s.delete(&format!("/api/v1/projects/{}/trigger-tokens/{}", p.id, p.token["id"].as_str().unwrap()), &p.owner)
        .await
        .expect(204);
    deliver(&s, &p.id, &[("x-gitlab-token", fresh)], &gl).await.expect_error(401, "unauthenticated");

    // Refusals are audited (one aggregated entry per address and minute) and name the project.
    let root = s.user("root", true).await;
    s.authority.flush_failures().await.unwrap();
    let log = s.get("/api/v1/admin/audit?limit=100", &root).await.expect(200);
    let entry = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["detail"] == "failed authentication: webhook signature mismatch")
        .unwrap_or_else(|| panic!("no audit entry for the refused webhooks: {log}"));
    assert_eq!((entry["count"].as_i64(), entry["target"].as_str()), (Some(9), Some(p.id.as_str())), "{entry}");
    assert!(!log.to_string().contains("whsec_"), "the audit log never holds a secret");
}

/// A server whose failed-authentication budget is three attempts, then one a minute.
async fn three_failures_allowed() -> Server {
    let o = ServeOptions {
        limits: Limits { failed_auth: Rate { per_minute: 1, burst: 3 }, ..Limits::default() },
        ..ServeOptions::default()
    };
    Server::start_with(o, "127.0.0.1:0").await
}

#[tokio::test]
async fn wrong_webhook_signatures_are_throttled_like_failed_authentication() {
    let s = three_failures_allowed().await;
    let p = project(&s).await;
    let body = br#"{"ref":"refs/heads/main"}"#;
    for _ in 0..3 {
        deliver(&s, &p.id, &[("x-hub-signature-256", &github_signature("whsec_x", body))], body)
            .await
            .expect_error(401, "unauthenticated");
    }
    let r = deliver(&s, &p.id, &[("x-hub-signature-256", &github_signature("whsec_x", body))], body).await;
    r.expect_error(429, "rate_limited");
    // Spent, the address is refused before the signature is looked at, even a right one.
    let good = github_signature(&p.secret, body);
    deliver(&s, &p.id, &[("x-hub-signature-256", &good)], body).await.expect_error(429, "rate_limited");
}

/// Basic credentials that cannot be read (not base64, no password) are failed authentications
/// like a wrong password: they spend the address's budget too.
#[tokio::test]
async fn unreadable_basic_credentials_are_throttled_like_failed_authentication() {
    let s = three_failures_allowed().await;
    let p = project(&s).await;
    let body = br#"{"eventType":"git.push"}"#;
    for garbage in ["Basic !!!not-base64!!!", "Basic dXNlcm9ubHk=", "Basic dXNlcjog"] {
        deliver(&s, &p.id, &[("authorization", garbage)], body).await.expect_error(401, "unauthenticated");
    }
    deliver(&s, &p.id, &[("authorization", "Basic !!!")], body).await.expect_error(429, "rate_limited");
    // Spent, the address is refused before the credential is looked at, even a right one.
    let good = format!(
        "Basic {}",
        base64::Engine::encode(&base64::engine::general_purpose::STANDARD, format!("x:{}", p.value))
    );
    deliver(&s, &p.id, &[("authorization", &good)], body).await.expect_error(429, "rate_limited");
}

/// An agent of `owner` that claimed a run of the project; returns (agent token, agent id, run id).
async fn claimed(s: &Server, p: &Project) -> (String, String, String) {
    let (_, agent_token) = s.token("/api/v1/user/agent-tokens", &p.owner, &[]).await;
    let agent = s.post("/api/v1/agents/connect", &agent_token, json!({"name": "runner"})).await.expect(201);
    let agent = agent["agent_id"].as_str().unwrap().to_owned();
    let run = s.post(&format!("/api/v1/projects/{}/trigger", p.id), &p.value, json!({})).await.expect(202);
    let claim = s.post(&format!("/api/v1/agents/{agent}/claim"), &agent_token, json!({})).await.expect(200);
    assert_eq!(claim["run"]["id"], run["id"]);
    (agent_token, agent, run["id"].as_str().unwrap().to_owned())
}

#[tokio::test]
async fn agents_post_logs_and_artifacts_and_read_reads_them() {
    let s = Server::start().await;
    let p = project(&s).await;
    let (agt, agent, run) = claimed(&s, &p).await;
    let log = format!("/api/v1/agents/{agent}/runs/{run}/log");
    let w = s.post(&log, &agt, json!({"lines": ["$ make", "\u{1b}[32mok\u{1b}[0m"]})).await.expect(200);
    assert_eq!(w["log_lines"], 2);
    s.post(&log, &agt, json!({"lines": ["done"]})).await.expect(200);
    let art = format!("/api/v1/agents/{agent}/runs/{run}/artifacts/report.txt");
    let a = s
        .raw(Method::PUT, &art, &[("authorization", &format!("Bearer {agt}"))], b"all green\n".to_vec())
        .await
        .expect(201);
    assert_eq!(a["size"], 10);
    s.raw(Method::PUT, &art, &[("authorization", &format!("Bearer {agt}"))], b"again".to_vec())
        .await
        .expect_error(409, "conflict");

    let reader = s.pat(&p.owner, &["read"]).await;
    let base = format!("/api/v1/projects/{}/runs/{run}", p.id);
    let page = s.get(&format!("{base}/log"), &reader).await.expect(200);
    let texts: Vec<&str> = page["lines"].as_array().unwrap().iter().map(|l| l["text"].as_str().unwrap()).collect();
    assert_eq!(texts, ["$ make", "\u{1b}[32mok\u{1b}[0m", "done"]);
    assert_eq!((page["next_after"].as_i64(), page["open"].as_bool()), (Some(3), Some(true)));
    let rest = s.get(&format!("{base}/log?after=2&limit=5"), &reader).await.expect(200);
    assert_eq!(rest["lines"][0]["seq"], 3);
    let list = s.get(&format!("{base}/artifacts"), &reader).await.expect(200);
    assert_eq!(list[0]["name"], "report.txt");
    let content =
        s.http.get(format!("{}{base}/artifacts/report.txt", s.base)).bearer_auth(&reader).send().await.unwrap();
    assert_eq!(content.status(), 200);
    assert_eq!(content.bytes().await.unwrap().as_ref(), b"all green\n");
    s.get(&format!("{base}/artifacts/missing.txt"), &reader).await.expect_error(404, "not_found");

    // Who may not: a credential without read, the trigger token, another account, another agent.
    let writer = s.pat(&p.owner, &["pipeline:write"]).await;
    s.get(&format!("{base}/log"), &writer).await.expect_error(403, "forbidden");
    s.get(&format!("{base}/log"), &p.value).await.expect_error(403, "forbidden");
    let bob = s.user("bob", false).await;
    s.get(&format!("{base}/log"), &bob).await.expect_error(404, "not_found");
    let (_, bobs_agent) = s.token("/api/v1/user/agent-tokens", &bob, &[]).await;
    let bobs = s.post("/api/v1/agents/connect", &bobs_agent, json!({"name": "b"})).await.expect(201);
    let bobs = bobs["agent_id"].as_str().unwrap();
    s.post(&format!("/api/v1/agents/{bobs}/runs/{run}/log"), &bobs_agent, json!({"lines": ["x"]}))
        .await
        .expect_error(404, "not_found");
    s.post(&log, &reader, json!({"lines": ["x"]})).await.expect_error(403, "forbidden");

    // Limits are said in the refusal.
    let long = "x".repeat(8 * 1024 + 1);
    let e = s.post(&log, &agt, json!({"lines": [long]})).await.expect_error(413, "payload_too_large");
    assert!(e["error"]["message"].as_str().unwrap().contains("8 KiB"), "{e}");
    let many: Vec<&str> = vec!["x"; 1001];
    let e = s.post(&log, &agt, json!({"lines": many})).await.expect_error(413, "payload_too_large");
    assert!(e["error"]["message"].as_str().unwrap().contains("1000"), "{e}");
    s.post(&log, &agt, json!({"lines": ["a\nb"]})).await.expect_error(400, "invalid_request");
    s.post(&log, &agt, json!({"lines": []})).await.expect_error(400, "invalid_request");
    let big = vec![0u8; 8 * 1024 * 1024 + 1];
    let e = s
        .raw(
            Method::PUT,
            &format!("/api/v1/agents/{agent}/runs/{run}/artifacts/big.bin"),
            &[("authorization", &format!("Bearer {agt}"))],
            big,
        )
        .await
        .expect_error(413, "payload_too_large");
    assert!(e["error"]["message"].as_str().unwrap().contains("8 MiB"), "{e}");

    // A finished run takes no more output, and its log says it is closed.
    let done = s.post(&format!("/api/v1/agents/{agent}/runs/{run}/finish"), &agt, json!({"status": "succeeded"})).await;
    assert_eq!(done.expect(200)["status"], "succeeded");
    s.post(&log, &agt, json!({"lines": ["late"]})).await.expect_error(409, "conflict");
    assert_eq!(s.get(&format!("{base}/log"), &reader).await.expect(200)["open"], false);
}

#[tokio::test]
async fn concurrent_log_posts_number_every_line_once_and_the_caps_hold_under_races() {
    let s = Server::start().await;
    let p = project(&s).await;
    let (agt, agent, run) = claimed(&s, &p).await;
    let log = format!("/api/v1/agents/{agent}/runs/{run}/log");
    // 16 writers at once, 20 lines each.
    let posts = (0..16).map(|w| {
        let lines: Vec<String> = (0..20).map(|i| format!("writer {w} line {i}")).collect();
        s.post(&log, &agt, json!({ "lines": lines }))
    });
    for r in join_all(posts).await {
        r.expect(200);
    }
    let reader = s.pat(&p.owner, &["read"]).await;
    let page = s.get(&format!("/api/v1/projects/{}/runs/{run}/log", p.id), &reader).await.expect(200);
    let lines = page["lines"].as_array().unwrap();
    let seqs: Vec<i64> = lines.iter().map(|l| l["seq"].as_i64().unwrap()).collect();
    assert_eq!(seqs, (1..=320).collect::<Vec<_>>(), "every line numbered once, in order");
    let texts: BTreeSet<&str> = lines.iter().map(|l| l["text"].as_str().unwrap()).collect();
    assert_eq!(texts.len(), 320);
    // Each writer's lines stay together and in order.
    for w in 0..16 {
        let mine: Vec<i64> = lines
            .iter()
            .filter(|l| l["text"].as_str().unwrap().starts_with(&format!("writer {w} ")))
            .map(|l| l["seq"].as_i64().unwrap())
            .collect();
        assert_eq!(mine.last().unwrap() - mine.first().unwrap(), 19, "writer {w}: {mine:?}");
    }

    // Artifacts racing for the last room of the run's 32 MiB: five of 7 MiB each, at once;
    // four fit, the fifth is refused whatever the order.
    let chunk = vec![7u8; 7 * 1024 * 1024];
    let auth = format!("Bearer {agt}");
    let s = &s;
    let uploads = (0..5).map(|i| {
        let (path, auth, chunk) = (format!("/api/v1/agents/{agent}/runs/{run}/artifacts/part{i}.bin"), &auth, &chunk);
        async move { s.raw(Method::PUT, &path, &[("authorization", auth)], chunk.clone()).await }
    });
    let statuses: Vec<u16> = join_all(uploads).await.into_iter().map(|r| r.status.as_u16()).collect();
    assert_eq!(statuses.iter().filter(|&&c| c == 201).count(), 4, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|&&c| c == 413).count(), 1, "{statuses:?}");
    let kept = s.get(&format!("/api/v1/projects/{}/runs/{run}/artifacts", p.id), &reader).await.expect(200);
    let total: i64 = kept.as_array().unwrap().iter().map(|a| a["size"].as_i64().unwrap()).sum();
    assert_eq!(total, 4 * 7 * 1024 * 1024);
}

#[tokio::test]
async fn gitea_bitbucket_and_azure_devops_deliveries_trigger_with_their_own_shapes() {
    let s = Server::start().await;
    let p = project(&s).await;

    // Gitea and Forgejo: the same HMAC in hex without a prefix, and GitHub's push shape.
    let push = serde_json::to_vec(&json!({"ref": "refs/heads/main", "after": "a1b2c3d", "repository": {}})).unwrap();
    let hex = github_signature(&p.secret, &push).trim_start_matches("sha256=").to_owned();
    for header in ["x-gitea-signature", "x-forgejo-signature"] {
        let run = deliver(&s, &p.id, &[(header, &hex), ("x-gitea-event", "push")], &push).await.expect(202);
        assert_eq!(
            (run["ref"].as_str(), run["commit"].as_str()),
            (Some("refs/heads/main"), Some("a1b2c3d")),
            "{header}"
        );
    }
    let forged = github_signature("whsec_wrong", &push).trim_start_matches("sha256=").to_owned();
    deliver(&s, &p.id, &[("x-gitea-signature", &forged)], &push).await.expect_error(401, "unauthenticated");

    // Bitbucket Cloud: X-Hub-Signature with sha256=, and its push.changes shape.
    let bb = serde_json::to_vec(&json!({"push": {"changes": [
        {"new": {"type": "branch", "name": "release", "target": {"hash": "beef012"}}}
    ]}}))
    .unwrap();
    let sig = github_signature(&p.secret, &bb);
    let run = deliver(&s, &p.id, &[("x-hub-signature", &sig), ("x-event-key", "repo:push")], &bb).await.expect(202);
    assert_eq!((run["ref"].as_str(), run["commit"].as_str()), (Some("refs/heads/release"), Some("beef012")));
    // A SHA-1 X-Hub-Signature alone is not a Bitbucket signature and proves nothing.
    let r = deliver(&s, &p.id, &[("x-hub-signature", "sha1=0123456789abcdef0123456789abcdef01234567")], &bb).await;
    r.expect_error(401, "unauthenticated");

    // Azure DevOps service hooks: the trigger token as the Basic password, and its git.push shape.
    let az = serde_json::to_vec(&json!({"publisherId": "tfs", "eventType": "git.push", "resource": {
        "refUpdates": [{"name": "refs/heads/main", "oldObjectId": "0000", "newObjectId": "cafe423"}]}}))
    .unwrap();
    let basic = |password: &str| {
        format!(
            "Basic {}",
            base64::Engine::encode(&base64::engine::general_purpose::STANDARD, format!("azure:{password}"))
        )
    };
    let run = deliver(&s, &p.id, &[("authorization", &basic(&p.value))], &az).await.expect(202);
    assert_eq!((run["ref"].as_str(), run["commit"].as_str()), (Some("refs/heads/main"), Some("cafe423")));
    assert_eq!(run["triggered_by"], p.token["id"]);
    deliver(&s, &p.id, &[("authorization", &basic("tsr_trg_wrong"))], &az).await.expect_error(401, "unauthenticated");
    deliver(&s, &p.id, &[("authorization", "Basic !!!")], &az).await.expect_error(401, "unauthenticated");
}
