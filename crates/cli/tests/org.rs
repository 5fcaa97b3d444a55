//! `tessera org invite|invitations|accept|decline` against a real `tessera serve`: membership
//! needs the invitee's consent, through the command line as through the API.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::Stdio;

use serde_json::{json, Value};

mod common;

use common::{command, Running};

/// Runs `tessera ARGS --json` and returns its answer; `ok` says whether it must succeed.
fn tessera(data: &Path, args: &[&str], ok: bool) -> Value {
    let out = command(data).args(args).arg("--json").output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.success(), ok, "tessera {args:?}: {stdout}{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_str(stdout.trim()).unwrap_or(Value::Null)
}

#[tokio::test]
async fn an_invitation_is_sent_listed_accepted_and_declined_from_the_command_line() {
    let data = tempfile::tempdir().unwrap();
    let d = data.path();
    for name in ["alice", "bob", "carol"] {
        tessera(d, &["admin", "create-user", name], true);
    }
    let session = |name: &str| tessera(d, &["admin", "session", name], true)["token"].as_str().unwrap().to_owned();
    let (alice, bob, carol) = (session("alice"), session("bob"), session("carol"));
    let mut child = command(d)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("TESSERA_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let _server = Running(child);
    let base = line.trim().strip_prefix("listening on ").unwrap().to_owned();
    let http = reqwest::Client::new();
    let org: Value = http
        .post(format!("{base}/api/v1/orgs"))
        .bearer_auth(&alice)
        .json(&json!({"name": "acme"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let org = org["id"].as_str().unwrap();
    let as_user = |token: &str| vec!["--server".to_owned(), base.clone(), "--token".to_owned(), token.to_owned()];
    let run = |token: &str, args: &[&str], ok: bool| {
        let mut all: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
        all.extend(as_user(token));
        tessera(d, &all.iter().map(String::as_str).collect::<Vec<_>>(), ok)
    };

    // Invitations for an account and for a name no account has look alike.
    let to_bob = run(&alice, &["org", "invite", org, "bob", "--role", "admin"], true);
    let to_ghost = run(&alice, &["org", "invite", org, "ghost"], true);
    assert_eq!(to_bob["role"], "admin");
    assert_eq!(to_ghost["role"], "member");
    let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(&to_bob), keys(&to_ghost));
    run(&alice, &["org", "invite", org, "carol"], true);
    // Only an admin invites.
    let refused = run(&bob, &["org", "invite", org, "carol"], false);
    assert_eq!(refused["error"]["code"], "not_found");

    // Bob sees his invitation and accepts it; he is an admin of acme now.
    let mine = run(&bob, &["org", "invitations"], true);
    assert_eq!(mine.as_array().unwrap().len(), 1);
    assert_eq!(mine[0]["org_name"], "acme");
    let joined = run(&bob, &["org", "accept", mine[0]["id"].as_str().unwrap()], true);
    assert_eq!((joined["name"].as_str(), joined["role"].as_str()), (Some("acme"), Some("admin")));
    let pending = run(&bob, &["org", "invitations", "--org", org], true);
    let mut names: Vec<&str> = pending.as_array().unwrap().iter().map(|i| i["invitee"].as_str().unwrap()).collect();
    names.sort();
    assert_eq!(names, ["carol", "ghost"]);

    // Carol declines: she is not a member, and the invitation is gone.
    let hers = run(&carol, &["org", "invitations"], true);
    run(&carol, &["org", "decline", hers[0]["id"].as_str().unwrap()], true);
    assert!(run(&carol, &["org", "invitations"], true).as_array().unwrap().is_empty());
    let res = http.get(format!("{base}/api/v1/orgs/{org}")).bearer_auth(&carol).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 404);
    let again = run(&carol, &["org", "accept", hers[0]["id"].as_str().unwrap()], false);
    assert_eq!(again["error"]["code"], "not_found");

    // Text output names what happened.
    let out = command(d).args(["org", "invitations"]).args(as_user(&alice)).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "no pending invitations");
}
