//! Many clients at once: nothing lost, nothing mixed up.

use std::collections::HashSet;
use std::sync::Arc;

use serde_json::json;
use tessera_core::store::TokenStore;

use crate::harness::Server;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_creates_and_verifications_lose_nothing() {
    let s = Arc::new(Server::start().await);
    let alice = s.user("alice", false).await;
    const TASKS: usize = 16;
    const EACH: usize = 12;
    let mut handles = Vec::new();
    for t in 0..TASKS {
        let s = Arc::clone(&s);
        let alice = alice.clone();
        handles.push(tokio::spawn(async move {
            let mut made = Vec::new();
            for i in 0..EACH {
                let body = json!({"label": format!("t{t}-{i}"), "scopes": ["read"]});
                let created = s.post("/api/v1/user/tokens", &alice, body).await.expect(201);
                let value = created["token"].as_str().unwrap().to_owned();
                // Verify at once, from the same task, while others write.
                s.get("/api/v1/me", &value).await.expect(200);
                made.push((created["id"].as_str().unwrap().to_owned(), value));
            }
            made
        }));
    }
    let mut all = Vec::new();
    for h in handles {
        all.extend(h.await.unwrap());
    }
    assert_eq!(all.len(), TASKS * EACH);
    let ids: HashSet<_> = all.iter().map(|(id, _)| id.clone()).collect();
    let values: HashSet<_> = all.iter().map(|(_, v)| v.clone()).collect();
    assert_eq!((ids.len(), values.len()), (TASKS * EACH, TASKS * EACH));
    let listed = s.get("/api/v1/user/tokens", &alice).await.expect(200);
    let listed: HashSet<_> = listed.as_array().unwrap().iter().map(|t| t["id"].as_str().unwrap().to_owned()).collect();
    assert_eq!(listed, ids);

    // Every value still verifies, concurrently.
    let mut checks = Vec::new();
    for (_, v) in all {
        let s = Arc::clone(&s);
        checks.push(tokio::spawn(async move { s.get("/api/v1/me", &v).await.status.as_u16() }));
    }
    for c in checks {
        assert_eq!(c.await.unwrap(), 200);
    }
    // Usage recorded by the flush reaches the store for every token.
    s.authority.flush_usage().await.unwrap();
    let stored = s
        .store
        .tokens_of(
            tessera_core::TokenKind::Pat,
            &tessera_core::model::Owner::user(s.get("/api/v1/me", &alice).await.expect(200)["id"].as_str().unwrap()),
        )
        .await
        .unwrap();
    assert!(stored.iter().all(|t| t.last_used_at.is_some()));
}

/// One request of a burst.
struct Req {
    method: reqwest::Method,
    path: String,
    auth: Option<String>,
    body: serde_json::Value,
}

impl Req {
    fn post(path: impl Into<String>, auth: Option<&str>, body: serde_json::Value) -> Req {
        Req { method: reqwest::Method::POST, path: path.into(), auth: auth.map(str::to_owned), body }
    }

    fn delete(path: impl Into<String>, auth: &str) -> Req {
        Req {
            method: reqwest::Method::DELETE,
            path: path.into(),
            auth: Some(auth.to_owned()),
            body: serde_json::Value::Null,
        }
    }
}

/// Sends every request at once, each on a connection of its own opened beforehand, released
/// together by a barrier; answers in the order given as (status, body).
async fn burst(s: &Server, reqs: Vec<Req>) -> Vec<(u16, serde_json::Value)> {
    let barrier = Arc::new(tokio::sync::Barrier::new(reqs.len()));
    let mut tasks = Vec::new();
    for r in reqs {
        let client = reqwest::Client::new();
        // Open the connection first, so that the burst itself is only the requests.
        client.get(format!("{}/api/v1/health", s.base)).send().await.unwrap();
        let url = format!("{}{}", s.base, r.path);
        let barrier = Arc::clone(&barrier);
        tasks.push(tokio::spawn(async move {
            let mut req = client.request(r.method, url);
            if let Some(a) = &r.auth {
                req = req.bearer_auth(a);
            }
            if !r.body.is_null() {
                req = req.json(&r.body);
            }
            barrier.wait().await;
            let res = req.send().await.unwrap();
            let status = res.status().as_u16();
            let text = res.text().await.unwrap();
            (status, serde_json::from_str(&text).unwrap_or(serde_json::Value::Null))
        }));
    }
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

#[track_caller]
fn assert_conflict_sentence(body: &serde_json::Value) {
    assert_eq!(body["error"]["code"], "conflict", "{body}");
    assert!(body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixteen_rotations_of_one_token_let_exactly_one_win() {
    let s = Server::start().await;
    let alice = s.user("alice", false).await;
    for round in 0..3 {
        let (t, old) = s.token("/api/v1/user/tokens", &alice, &["read"]).await;
        let path = format!("/api/v1/user/tokens/{}/rotate", t["id"].as_str().unwrap());
        let replies = burst(&s, (0..16).map(|_| Req::post(&path, Some(&alice), json!({}))).collect()).await;
        let winners: Vec<&str> =
            replies.iter().filter(|(st, _)| *st == 200).map(|(_, b)| b["token"].as_str().unwrap()).collect();
        assert_eq!(winners.len(), 1, "round {round}: exactly one rotation wins: {replies:?}");
        for (status, body) in &replies {
            if *status != 200 {
                assert_eq!(*status, 409, "round {round}: {body}");
                assert_conflict_sentence(body);
                assert!(body.get("token").is_none());
            }
        }
        s.get("/api/v1/me", winners[0]).await.expect(200);
        s.get("/api/v1/me", &old).await.expect_error(401, "unauthenticated");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn rotate_racing_revoke_never_hands_out_a_dead_value() {
    let s = Server::start().await;
    let alice = s.user("alice", false).await;
    let (mut rotations_won, mut revocations_won) = (0, 0);
    for round in 0..8 {
        let (t, old) = s.token("/api/v1/user/tokens", &alice, &["read"]).await;
        let id = t["id"].as_str().unwrap();
        // Eight rotations and eight revocations (which need no credential: anyone holding the
        // value may revoke it), interleaved.
        let mut reqs = Vec::new();
        for i in 0..16 {
            reqs.push(if i % 2 == 0 {
                Req::post(format!("/api/v1/user/tokens/{id}/rotate"), Some(&alice), json!({}))
            } else {
                Req::post("/api/v1/tokens/revoke", None, json!({"token": old}))
            });
        }
        let replies = burst(&s, reqs).await;
        let mut winners = Vec::new();
        for (i, (status, body)) in replies.iter().enumerate() {
            match (i % 2, status) {
                (1, 200) => {}
                (1, _) => panic!("round {round}: revocation always answers 200: {status} {body}"),
                (_, 200) => winners.push(body["token"].as_str().unwrap().to_owned()),
                (_, 409) => assert_conflict_sentence(body),
                (_, _) => panic!("round {round}: rotation answered {status}: {body}"),
            }
        }
        assert!(winners.len() <= 1, "round {round}: at most one rotation wins: {replies:?}");
        let shown = s.get(&format!("/api/v1/user/tokens/{id}"), &alice).await.expect(200);
        if let Some(value) = winners.first() {
            rotations_won += 1;
            // The value handed out works: no revocation got through after the rotation.
            s.get("/api/v1/me", value).await.expect(200);
            assert!(shown["revoked_at"].is_null(), "round {round}: the rotated token is live: {shown}");
        } else {
            revocations_won += 1;
            assert!(shown["revoked_at"].is_string(), "round {round}: {shown}");
        }
        s.get("/api/v1/me", &old).await.expect_error(401, "unauthenticated");
    }
    eprintln!("rotate vs revoke: rotation won {rotations_won}, revocation won {revocations_won} of 8 rounds");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn rotate_racing_delete_never_both_succeed() {
    let s = Server::start().await;
    let alice = s.user("alice", false).await;
    for round in 0..8 {
        let (t, old) = s.token("/api/v1/user/tokens", &alice, &["read"]).await;
        let item = format!("/api/v1/user/tokens/{}", t["id"].as_str().unwrap());
        let mut reqs = Vec::new();
        for i in 0..16 {
            reqs.push(if i % 2 == 0 {
                Req::post(format!("{item}/rotate"), Some(&alice), json!({}))
            } else {
                Req::delete(&item, &alice)
            });
        }
        let replies = burst(&s, reqs).await;
        let wins: Vec<_> = replies.iter().filter(|(st, _)| *st == 200 || *st == 204).collect();
        assert_eq!(wins.len(), 1, "round {round}: exactly one of the racing changes succeeds: {replies:?}");
        for (status, body) in &replies {
            match status {
                200 | 204 => {}
                // A request that reads the token after the winning delete finds no token.
                404 => assert_eq!(body["error"]["code"], "not_found", "round {round}: {body}"),
                409 => assert_conflict_sentence(body),
                _ => panic!("round {round}: answered {status}: {body}"),
            }
        }
        let (status, body) = wins[0];
        if *status == 200 {
            s.get("/api/v1/me", body["token"].as_str().unwrap()).await.expect(200);
            s.get(&item, &alice).await.expect(200);
        } else {
            s.get(&item, &alice).await.expect_error(404, "not_found");
        }
        s.get("/api/v1/me", &old).await.expect_error(401, "unauthenticated");
    }
}
