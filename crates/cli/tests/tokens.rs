//! `tessera token …` as a person and a script run it: the real binary against a real
//! `tessera serve`, for every kind of token, with the exit codes a script can act on.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::Value;

mod common;

use common::Served;

fn own(args: &[&str]) -> Vec<String> {
    args.iter().map(|a| (*a).to_owned()).collect()
}

#[test]
fn every_kind_of_token_is_created_listed_shown_edited_rotated_and_deleted() {
    let s = Served::start();
    let a = s.admin.as_str();
    let org = s.run(a, &["--json", "org", "create", "acme"]).json()["id"].as_str().unwrap().to_owned();
    let project = s.run(a, &["--json", "project", "create", "web"]).json()["id"].as_str().unwrap().to_owned();
    let kinds: [(&str, Vec<&str>, Vec<&str>); 5] = [
        ("pat", vec![], vec!["--scope", "read", "--scope", "trigger"]),
        ("agent", vec!["--agent"], vec![]),
        ("org", vec!["--org", &org], vec!["--scope", "read"]),
        ("agent", vec!["--org", &org, "--agent"], vec![]),
        ("trigger", vec!["--project", &project], vec![]),
    ];
    for (kind, collection, scopes) in kinds {
        let with =
            |args: &[&str]| -> Vec<String> { args.iter().chain(collection.iter()).map(|a| (*a).to_owned()).collect() };
        // Create: the value once, on the first line, and the id and hint below it.
        let create = [with(&["token", "create", "--label", "ci", "--description", "for CI"]), own(&scopes)].concat();
        let text = s.run(a, &create).ok().to_owned();
        let value = text.lines().next().unwrap().to_owned();
        assert!(value.starts_with("tsr_"), "{kind}: {text}");
        assert!(text.contains("This is the only time the value is shown"), "{text}");
        let created = s.run(a, &[with(&["--json", "token", "create", "--label", "two"]), own(&scopes)].concat()).json();
        assert_eq!(created["kind"], kind);
        let id = created["id"].as_str().unwrap().to_owned();

        // List: a table a person reads, and the same tokens as JSON, never a value.
        let table = s.run(a, &with(&["token", "list"])).ok().to_owned();
        let header = table.lines().next().unwrap();
        assert!(header.starts_with("ID") && header.contains("LABEL") && header.contains("HINT"), "{table}");
        assert!(table.lines().any(|l| l.starts_with(&id) && l.contains("two")), "{table}");
        assert!(!table.contains(&value) && !table.contains(created["token"].as_str().unwrap()), "{table}");
        let list = s.run(a, &with(&["--json", "token", "list"])).json();
        assert_eq!(list.as_array().unwrap().len(), 2, "{list}");
        assert!(list.as_array().unwrap().iter().all(|t| t.get("token").is_none()));

        // Show and edit.
        let shown = s.run(a, &with(&["token", "show", &id])).ok().to_owned();
        assert!(shown.contains("ID:") && shown.contains(&id) && shown.contains("Label:") && shown.contains("two"));
        let edited =
            s.run(a, &with(&["--json", "token", "edit", &id, "--label", "renamed", "--description", "d"])).json();
        assert_eq!((edited["label"].as_str(), edited["description"].as_str()), (Some("renamed"), Some("d")));
        let cleared = s.run(a, &with(&["--json", "token", "edit", &id, "--clear-description"])).json();
        assert_eq!(cleared["description"], "");
        s.run(a, &with(&["token", "edit", &id])).failed(2, "nothing to change");

        // Rotate: a new value; the old one is refused at once.
        let rotated = s.run(a, &with(&["--json", "token", "rotate", &id])).json();
        let new_value = rotated["token"].as_str().unwrap();
        assert_ne!(new_value, created["token"].as_str().unwrap());
        let old = s.run(a, &["--json", "token", "introspect", created["token"].as_str().unwrap()]).json();
        assert_eq!(old["active"], false);

        // Delete: gone from the list; deleting again is "not found" (exit 5).
        assert!(s.run(a, &with(&["token", "delete", &id])).ok().contains("deleted"));
        s.run(a, &with(&["token", "show", &id])).failed(5, "not found");
        s.run(a, &with(&["token", "delete", &id])).failed(5, "not found");
        assert_eq!(s.run(a, &with(&["--json", "token", "list"])).json().as_array().unwrap().len(), 1);
    }
}

#[test]
fn a_value_is_revoked_introspected_and_inspected_from_standard_input() {
    let s = Served::start();
    let a = s.admin.as_str();
    let created = s.run(a, &["--json", "token", "create", "--label", "leak", "--scope", "read"]).json();
    let value = created["token"].as_str().unwrap();

    // Introspection, the value on standard input (never in the process list).
    let active = s.run_in(s.data.path(), Some(a), &["--json", "token", "introspect", "-"], Some(value)).json();
    assert_eq!((active["active"].as_bool(), active["scope"].as_str()), (Some(true), Some("read")));
    let text = s.run_in(s.data.path(), Some(a), &["token", "introspect", "-"], Some(value));
    assert!(text.ok().starts_with("active:") && text.stdout.contains("scopes: read"), "{text:?}");

    // The token works until anyone holding it revokes it, without any other credential.
    assert_eq!(s.run(value, &["--json", "me"]).json()["name"], "root");
    let revoked = s.run_in(s.data.path(), None, &["token", "revoke", "-"], Some(value));
    assert!(revoked.ok().starts_with("revoked"), "{revoked:?}");
    s.run(value, &["me"]).failed(3, "");
    let gone = s.run_in(s.data.path(), Some(a), &["token", "introspect", "-"], Some(value));
    assert!(gone.ok().starts_with("not active"), "{gone:?}");

    // Offline inspection of the shape and checksum: exit 1 for a broken value.
    let offline = |args: &[&str], stdin: Option<&str>| {
        let mut c = common::command(s.data.path());
        c.args(args);
        common::ran(c, stdin)
    };
    let inspect = offline(&["--json", "token", "inspect", "-"], Some(value)).json();
    assert_eq!((inspect["valid"].as_bool(), inspect["kind"].as_str()), (Some(true), Some("pat")));
    let broken = format!("{}x", &value[..value.len() - 1]);
    let refused = offline(&["token", "inspect", &broken], None);
    assert_eq!(refused.code, 1, "{refused:?}");
    assert!(refused.stdout.starts_with("not valid"), "{refused:?}");
    s.run_in(s.data.path(), None, &["token", "revoke", "-"], Some("  \n")).failed(2, "the value is empty");

    // The personal token policy.
    let policy = s.run(a, &["token", "policy"]);
    assert!(policy.ok().contains("maximum lifetime: no limit"), "{policy:?}");
}

#[test]
fn failures_have_one_sentence_and_the_exit_code_of_their_kind() {
    let s = Served::start();
    let a = s.admin.as_str();
    let member = s.user("mallory");

    // 2: a usage error, clap's or ours (an unknown scope), before any request.
    s.run(a, &["token", "create"]).failed(2, "--label");
    s.run(a, &["token", "create", "--label", "x", "--scope", "everything"]).failed(2, "everything");
    s.run(a, &["token", "frobnicate"]).failed(2, "unrecognized subcommand");
    // 3: no credential at all, and one the server does not know.
    let bare = s.run_in(tempfile::tempdir().unwrap().path(), None, &["token", "list"], None);
    bare.failed(3, "not signed in");
    s.run("tsr_pat_000000000000000000000000000000000000", &["token", "list"]).failed(3, "");
    // 4: a member is forbidden what only instance admins may do.
    s.run(&member, &["admin", "user", "list"]).failed(4, "");
    // 5: an object that is not there.
    s.run(a, &["token", "rotate", "tok_doesnotexist00000"]).failed(5, "not found");
    // 6: a server that is not there.
    let nowhere = common::ran(
        {
            let mut c = common::command(s.data.path());
            c.args(["token", "list", "--server", "http://127.0.0.1:9", "--token", a]);
            c
        },
        None,
    );
    nowhere.failed(6, "cannot reach the Tessera server at http://127.0.0.1:9");
    // Plain http to another computer is refused before anything is sent.
    let far = common::ran(
        {
            let mut c = common::command(s.data.path());
            c.args(["token", "list", "--server", "http://tessera.example", "--token", a]);
            c
        },
        None,
    );
    assert_ne!(far.code, 0);
    assert!(far.stderr.contains("must use https"), "{far:?}");

    // With --json the error is JSON too, with the API's code; never the credential.
    let json = s.run(a, &["--json", "token", "show", "tok_doesnotexist00000"]);
    assert_eq!(json.code, 5);
    let v: Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(v["error"]["code"], "not_found");
    for ran in [&json, &bare] {
        assert!(!ran.stdout.contains(a) && !ran.stderr.contains(a));
    }
    // The exit codes are documented where a person looks.
    let help = common::ran(
        {
            let mut c = common::command(s.data.path());
            c.arg("--help");
            c
        },
        None,
    );
    for line in ["Exit codes:", "3  not signed in", "5  not found", "6  cannot reach the server"] {
        assert!(help.ok().contains(line), "{line}: {help:?}");
    }
}
