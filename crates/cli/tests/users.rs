//! `tessera admin user …` offline on the store: list, set-role, disable, enable, delete, with the
//! API's rules (the last enabled admin stays; a disabled account gets no session).
//!
//! The store is a SQLite file in a temporary folder, or — when `TESSERA_TEST_PG_URL` is set — a
//! schema of its own in that PostgreSQL database.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::Output;

use serde_json::Value;

mod common;

use common::{command, fresh_db};

fn run(data: &Path, db: &str, args: &[&str]) -> Output {
    command(data).env("TESSERA_DB", db).args(args).output().unwrap()
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
