//! `tessera serve` as a real process: killed in the middle of creating tokens, it loses nothing
//! it confirmed and leaves no half-made rows.
//!
//! The store is a SQLite file in a temporary folder, or — when `TESSERA_TEST_PG_URL` is set — a
//! schema of its own in that PostgreSQL database (`make test` runs both).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use sqlx::Row;
use tessera_core::store::SqlStore;

mod common;

use common::{command, fresh_db, listening, tessera, Running};

/// Starts `tessera serve` on a free port and returns it with its base URL.
fn serve(data: &Path, db: &str) -> (Running, String) {
    let mut c = command(data);
    c.args(["serve", "--db", db, "--listen", "127.0.0.1:0"]).stderr(Stdio::inherit());
    listening(c)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_killed_server_keeps_every_token_it_confirmed_and_no_half_made_rows() {
    let data = tempfile::tempdir().unwrap();
    let db = fresh_db(data.path()).await;
    tessera(data.path(), &["admin", "create-user", "alice", "--db", &db]);
    let session = tessera(data.path(), &["admin", "session", "alice", "--db", &db]);
    let (mut server, base) = serve(data.path(), &db);
    let http = reqwest::Client::new();

    // Eight clients create tokens as fast as they can until the server disappears.
    const CLIENTS: usize = 8;
    let confirmed: Arc<Mutex<Vec<(String, String, String)>>> = Arc::default();
    let mut clients = Vec::new();
    for c in 0..CLIENTS {
        let (http, base, session, confirmed) = (http.clone(), base.clone(), session.clone(), Arc::clone(&confirmed));
        clients.push(tokio::spawn(async move {
            for i in 0.. {
                let label = format!("k{c}-{i}");
                let sent = http
                    .post(format!("{base}/api/v1/user/tokens"))
                    .bearer_auth(&session)
                    .json(&json!({"label": label, "scopes": ["read"]}))
                    .send()
                    .await;
                let Ok(res) = sent else { return i };
                assert_eq!(res.status().as_u16(), 201, "a create before the kill succeeds");
                // The confirmation is the whole body: a cut-off body is no confirmation.
                let Ok(body) = res.json::<Value>().await else { return i };
                let id = body["id"].as_str().unwrap().to_owned();
                let value = body["token"].as_str().unwrap().to_owned();
                confirmed.lock().unwrap().push((id, label, value));
            }
            unreachable!()
        }));
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while confirmed.lock().unwrap().len() < 150 {
        assert!(Instant::now() < deadline, "the server confirmed too few creates");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    server.0.kill().unwrap(); // SIGKILL: no graceful shutdown, no flush.
    let status = server.0.wait().unwrap();
    assert!(!status.success(), "the server was killed, not stopped: {status:?}");
    let mut attempts = 0;
    for c in clients {
        attempts += c.await.unwrap() + 1;
    }
    let confirmed = std::mem::take(&mut *confirmed.lock().unwrap());
    assert!(attempts > confirmed.len(), "some creates were cut off by the kill");

    // A new server on the same store: every confirmed token is there and works.
    let (_server, base) = serve(data.path(), &db);
    let get = |path: String, auth: String| {
        let http = http.clone();
        let base = base.clone();
        async move {
            let res = http.get(format!("{base}{path}")).bearer_auth(auth).send().await.unwrap();
            (res.status().as_u16(), res.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    for (id, label, value) in &confirmed {
        let (status, me) = get("/api/v1/me".into(), value.clone()).await;
        assert_eq!((status, me["name"].as_str()), (200, Some("alice")), "token {id} works after the kill");
        let (status, t) = get(format!("/api/v1/user/tokens/{id}"), session.clone()).await;
        assert_eq!(status, 200);
        assert_eq!(t["label"].as_str(), Some(label.as_str()));
        assert_eq!(t["hint"].as_str().unwrap(), format!("{}…{}", &value[..8], &value[value.len() - 4..]));
    }

    // Nothing half-made: every stored token is whole and listed, the only extras are the few
    // whose reply the kill cut off, and every confirmed create is in the audit log.
    let (status, listed) = get("/api/v1/user/tokens".into(), session.clone()).await;
    assert_eq!(status, 200);
    let listed: HashMap<String, Value> =
        listed.as_array().unwrap().iter().map(|t| (t["id"].as_str().unwrap().to_owned(), t.clone())).collect();
    let confirmed_ids: HashSet<&str> = confirmed.iter().map(|(id, _, _)| id.as_str()).collect();
    assert!(confirmed_ids.iter().all(|id| listed.contains_key(*id)));
    let extra = listed.len() - confirmed_ids.len();
    assert!(extra <= CLIENTS, "{extra} stored tokens were never confirmed: more than the requests in flight");
    for t in listed.values() {
        assert!(t["label"].as_str().unwrap().starts_with('k'));
        assert_eq!(t["scopes"], json!(["read"]));
        assert!(t["hint"].as_str().unwrap().starts_with("tsr_pat_…"));
    }
    let store = SqlStore::open(&db).await.unwrap();
    let broken: i64 = sqlx::query(
        "SELECT COUNT(*) AS n FROM tokens WHERE length(hash) <> 32 OR hint = '' OR scopes = '' \
         OR owner_id NOT IN (SELECT id FROM users)",
    )
    .fetch_one(store.pool())
    .await
    .unwrap()
    .get("n");
    assert_eq!(broken, 0);
    let audited: HashSet<String> = sqlx::query("SELECT target FROM audit WHERE action = 'token.create'")
        .fetch_all(store.pool())
        .await
        .unwrap()
        .iter()
        .map(|r| r.get("target"))
        .collect();
    assert!(confirmed_ids.iter().all(|id| audited.contains(*id)), "every confirmed create is audited");
}
