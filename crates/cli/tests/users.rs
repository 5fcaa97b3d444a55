//! `tessera admin user …` offline on the store: list, set-role, disable, enable, delete, with the
//! API's rules (the last enabled admin stays; a disabled account gets no session).
//!
//! The store is a SQLite file in a temporary folder, or — when `TESSERA_TEST_PG_URL` is set — a
//! schema of its own in that PostgreSQL database.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::Value;
use sqlx::Connection;

mod common;

use common::TESSERA;

async fn fresh_db(data: &Path) -> String {
    match std::env::var("TESSERA_TEST_PG_URL") {
        Ok(url) if !url.is_empty() => {
            static SEQ: AtomicU64 = AtomicU64::new(0);
            let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
            let schema =
                format!("u_{}_{}_{}", std::process::id(), nanos % 1_000_000_000, SEQ.fetch_add(1, Ordering::Relaxed));
            let mut conn = sqlx::PgConnection::connect(&url).await.expect("TESSERA_TEST_PG_URL is reachable");
            sqlx::query(&format!("CREATE SCHEMA {schema}")).execute(&mut conn).await.unwrap();
            conn.close().await.unwrap();
            let sep = if url.contains('?') { '&' } else { '?' };
            format!("{url}{sep}options=-c%20search_path%3D{schema}")
        }
        _ => data.join("tessera.db").to_string_lossy().into_owned(),
    }
}

fn run(data: &Path, db: &str, args: &[&str]) -> Output {
    Command::new(TESSERA)
        .env("TESSERA_DATA_DIR", data)
        .env("TESSERA_KEY_FILE", "1")
        .env("TESSERA_DB", db)
        .args(args)
        .output()
        .unwrap()
}

#[track_caller]
fn ok(data: &Path, db: &str, args: &[&str]) -> String {
    let out = run(data, db, args);
    assert!(out.status.success(), "tessera {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

#[track_caller]
fn refused(data: &Path, db: &str, args: &[&str], because: &str) {
    let out = run(data, db, args);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "tessera {args:?} should fail");
    assert!(err.contains(because), "tessera {args:?}: {err}");
}

/// (name, role, disabled) of every account, from `user list --json`.
fn accounts(data: &Path, db: &str) -> Vec<(String, String, bool)> {
    let list: Value = serde_json::from_str(&ok(data, db, &["--json", "admin", "user", "list"])).unwrap();
    list.as_array()
        .unwrap()
        .iter()
        .map(|u| {
            (u["name"].as_str().unwrap().to_owned(), u["role"].as_str().unwrap().to_owned(), u["disabled"] == true)
        })
        .collect()
}

#[tokio::test]
async fn accounts_are_administered_offline_and_the_last_admin_stays() {
    let dir = tempfile::tempdir().unwrap();
    let (data, db) = (dir.path(), fresh_db(dir.path()).await);
    ok(data, &db, &["admin", "create-user", "root", "--admin"]);
    ok(data, &db, &["admin", "create-user", "alice"]);
    let a = |n: &str, r: &str, d: bool| (n.to_owned(), r.to_owned(), d);
    assert_eq!(accounts(data, &db), [a("root", "admin", false), a("alice", "member", false)]);

    ok(data, &db, &["admin", "user", "disable", "alice"]);
    assert_eq!(accounts(data, &db)[1], a("alice", "member", true));
    refused(data, &db, &["admin", "session", "alice"], "disabled");
    ok(data, &db, &["admin", "user", "enable", "alice"]);
    ok(data, &db, &["admin", "session", "alice"]);

    refused(data, &db, &["admin", "user", "set-role", "root", "member"], "last enabled instance administrator");
    refused(data, &db, &["admin", "user", "disable", "root"], "last enabled instance administrator");
    refused(data, &db, &["admin", "user", "delete", "root"], "last enabled instance administrator");
    refused(data, &db, &["admin", "user", "set-role", "alice", "owner"], "owner");
    refused(data, &db, &["admin", "user", "disable", "nobody"], "not found");

    ok(data, &db, &["admin", "user", "set-role", "alice", "admin"]);
    ok(data, &db, &["admin", "user", "set-role", "root", "member"]);
    ok(data, &db, &["admin", "user", "delete", "root"]);
    assert_eq!(accounts(data, &db), [a("alice", "admin", false)]);
    refused(data, &db, &["admin", "session", "root"], "not found");
}
