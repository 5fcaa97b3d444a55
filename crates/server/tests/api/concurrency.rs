//! Many clients at once: nothing lost, nothing mixed up.

use std::collections::HashSet;
use std::sync::Arc;

use serde_json::json;

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
        .authority
        .store()
        .tokens_of(
            tessera_core::TokenKind::Pat,
            &tessera_core::model::Owner::user(s.get("/api/v1/me", &alice).await.expect(200)["id"].as_str().unwrap()),
        )
        .await
        .unwrap();
    assert!(stored.iter().all(|t| t.last_used_at.is_some()));
}
