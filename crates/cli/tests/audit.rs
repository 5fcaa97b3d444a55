//! `tessera audit` reads the audit log through the API: filtered, across pages, as JSON lines.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use serde_json::Value;

mod common;

use common::{command, tessera, Running};

#[test]
fn audit_exports_filtered_json_lines() {
    let data = tempfile::tempdir().unwrap();
    let d = data.path();
    tessera(d, &["admin", "create-user", "root", "--admin"]);
    let session = tessera(d, &["admin", "session", "root"]);
    let mut child = command(d)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("TESSERA_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let _server = Running(child);
    let base = line.trim().strip_prefix("listening on ").unwrap().to_owned();
    let remote = ["--server", base.as_str(), "--token", session.as_str()];
    for label in ["one", "two", "three"] {
        let mut args = vec!["token", "create", "--label", label, "--scope", "read"];
        args.extend(remote);
        tessera(d, &args);
    }
    let export = |extra: &[&str]| -> Vec<Value> {
        let mut args = vec!["--json", "audit"];
        args.extend(remote);
        args.extend(extra);
        tessera(d, &args).lines().map(|l| serde_json::from_str(l).expect("one JSON object a line")).collect()
    };
    let created = export(&["--action", "token.create", "--since", "2000-01-01T00:00:00Z"]);
    assert_eq!(created.len(), 3, "{created:?}");
    assert!(created.iter().all(|e| e["action"] == "token.create" && e["count"] == 1));
    assert!(created[0]["at"].as_str().unwrap() >= created[2]["at"].as_str().unwrap(), "newest first");
    assert_eq!(export(&["--max", "2"]).len(), 2);
    assert!(export(&["--action", "token.create", "--until", "2000-01-01T00:00:00Z"]).is_empty());
    let refused = command(d).args(["audit", "--outcome", "maybe"]).args(remote).output().unwrap();
    assert!(!refused.status.success());
    let said = format!("{}{}", String::from_utf8_lossy(&refused.stdout), String::from_utf8_lossy(&refused.stderr));
    assert!(said.contains("ok, denied or failed"), "{said}");
}
