//! Stored logins with tokens: `tessera login --with-token` and `tessera auth
//! status|switch|logout|token`, with several servers and accounts, the real binary against real
//! servers, the secrets in the private keyring `tests/keyring/with-keyring.sh` gives this suite.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use serde_json::Value;

mod common;

use common::{command, ran, Ran, Served};

/// Runs `tessera ARGS` as a person at this computer: client data in `dir`, no --server or
/// --token unless ARGS say so.
fn cli(dir: &Path, args: &[&str], stdin: Option<&str>) -> Ran {
    let mut c = command(dir);
    c.args(args);
    ran(c, stdin)
}

/// What the keyring holds for logins to `server`: (user name, secret) pairs, read with
/// secret-tool, as a person could.
fn keyring(server: &str) -> Vec<(String, String)> {
    let out =
        std::process::Command::new("secret-tool").args(["search", "--all", "service", "tessera"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let mut found = Vec::new();
    for item in text.split("\n[").filter(|i| !i.trim().is_empty()) {
        let get = |k: &str| {
            item.lines().find_map(|l| l.strip_prefix(&format!("{k} = ")).map(str::to_owned)).unwrap_or_default()
        };
        // secret-tool prints the attributes on standard error; the label names the user too.
        let user = get("label");
        if user.contains(&format!("/{server}/")) {
            found.push((user, get("secret")));
        }
    }
    found.sort();
    found
}

fn pat(s: &Served, session: &str) -> String {
    let v = s
        .run(session, &["--json", "token", "create", "--label", "laptop", "--scope", "read", "--scope", "token:admin"])
        .json();
    v["token"].as_str().unwrap().to_owned()
}

#[test]
fn token_logins_to_several_servers_and_accounts() {
    assert_eq!(std::env::var("TESSERA_TEST_KEYRING").as_deref(), Ok("1"), "run under tests/keyring/with-keyring.sh");
    let (one, two) = (Served::start(), Served::start());
    let alice = pat(&one, &one.user("alice"));
    let bob = pat(&one, &one.user("bob"));
    let carol = pat(&two, &two.user("carol"));
    let home = tempfile::tempdir().unwrap();
    let c = home.path();

    // Nothing stored: client commands say how to sign in (exit 3).
    cli(c, &["me"], None).failed(3, "not signed in");
    cli(c, &["auth", "status"], None).failed(3, "not signed in to any server");

    // --with-token reads the token from standard input, checks it, and keeps it.
    let login = cli(c, &["login", "--server", &one.url, "--with-token"], Some(&format!("{alice}\n")));
    assert!(login.ok().starts_with(&format!("signed in to {} as alice", one.url)), "{login:?}");
    assert!(!login.stdout.contains(&alice));
    assert_eq!(cli(c, &["--json", "me"], None).json()["name"], "alice");
    assert_eq!(cli(c, &["token", "list"], None).ok().lines().count(), 2, "alice's own token list");
    // The token is in the keyring; the index beside it is its owner's only and holds no secret.
    let stored = keyring(&one.url);
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].1, alice);
    let index = c.join("logins.json");
    let text = std::fs::read_to_string(&index).unwrap();
    assert!(text.contains("alice") && !text.contains(&alice), "{text}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&index).unwrap().permissions().mode() & 0o777, 0o600);
    }

    // A second account on the same server, then another server: the newest is in use.
    cli(c, &["--json", "login", "--server", &one.url, "--with-token"], Some(&bob)).json();
    assert_eq!(cli(c, &["--json", "me"], None).json()["name"], "bob");
    cli(c, &["login", "--server", &two.url, "--with-token"], Some(&carol)).ok();
    assert_eq!(cli(c, &["--json", "me"], None).json()["name"], "carol");
    // Naming a server picks that server's login; --token still wins over all of them.
    assert_eq!(cli(c, &["--json", "me", "--server", &one.url], None).json()["name"], "bob");
    assert_eq!(cli(c, &["--json", "me", "--server", &one.url, "--token", &alice], None).json()["name"], "alice");

    // Status: every login, which is in use, and whether it works.
    let status = cli(c, &["auth", "status"], None).ok().to_owned();
    let line = |who: &str| status.lines().find(|l| l.contains(who)).unwrap_or_default().to_owned();
    assert!(line("carol").starts_with('*') && line("carol").contains(&two.url), "{status}");
    assert!(line("bob").starts_with('+') && line("bob").ends_with("yes"), "{status}");
    assert!(line("alice").starts_with(' ') && line("alice").contains("token"), "{status}");
    let json = cli(c, &["--json", "auth", "status"], None).json();
    assert_eq!(json.as_array().unwrap().len(), 3);
    assert!(json.as_array().unwrap().iter().all(|l| l["valid"] == true));

    // Switch: alice on the first server, and the first server for commands that name none.
    let switched = cli(c, &["auth", "switch", "--server", &one.url, "--account", "alice"], None);
    assert_eq!(switched.ok(), format!("now using {} as alice", one.url));
    assert_eq!(cli(c, &["--json", "me"], None).json()["name"], "alice");
    assert_eq!(cli(c, &["--json", "me", "--server", &two.url], None).json()["name"], "carol");
    cli(c, &["auth", "switch", "--account", "nobody"], None).failed(3, "no stored login as nobody");
    cli(c, &["auth", "switch", "--server", &one.url], None).ok();

    // An account name on two servers needs the server named.
    let alice_two = pat(&two, &two.user("alice"));
    cli(c, &["login", "--server", &two.url, "--with-token"], Some(&alice_two)).ok();
    cli(c, &["auth", "switch", "--account", "alice"], None).failed(2, "2 stored logins match; name the server");
    cli(c, &["auth", "logout", "--server", &two.url, "--account", "alice"], None).ok();
    cli(c, &["auth", "switch", "--server", &one.url, "--account", "alice"], None).ok();

    // Token: the stored credential, for scripts.
    assert_eq!(cli(c, &["auth", "token"], None).ok(), alice);
    assert_eq!(cli(c, &["auth", "token", "--server", &two.url], None).ok(), carol);

    // A token revoked elsewhere shows as not valid, and commands with it exit 3.
    cli(c, &["token", "revoke", "-", "--server", &one.url], Some(&bob)).ok();
    let json = cli(c, &["--json", "auth", "status", "--account", "bob"], None).json();
    assert_eq!(json[0]["valid"], false, "{json}");
    cli(c, &["auth", "switch", "--account", "bob"], None).ok();
    cli(c, &["me"], None).failed(3, "no longer works; sign in again with `tessera login`");

    // Logout forgets the login: keyring entry and index line; the token itself keeps working.
    let out = cli(c, &["auth", "logout", "--server", &two.url], None);
    assert!(out.ok().contains("the token itself works until it is revoked"), "{out:?}");
    assert!(keyring(&two.url).is_empty());
    assert_eq!(two.run(&carol, &["--json", "me"]).json()["name"], "carol");
    cli(c, &["me", "--server", &two.url], None).failed(3, "not signed in");
    assert_eq!(cli(c, &["--json", "auth", "status"], None).json().as_array().unwrap().len(), 2);
    cli(c, &["auth", "logout", "--all"], None).ok();
    assert!(keyring(&one.url).is_empty());
    cli(c, &["auth", "status"], None).failed(3, "not signed in to any server");
    cli(c, &["me"], None).failed(3, "not signed in");
}

#[test]
fn a_token_login_refuses_what_is_not_a_working_token() {
    let s = Served::start();
    let home = tempfile::tempdir().unwrap();
    let c = home.path();
    let server = s.url.as_str();
    cli(c, &["login", "--server", server, "--with-token"], Some("")).failed(2, "was empty");
    cli(c, &["login", "--server", server, "--with-token"], Some("hunter2")).failed(2, "Tessera token");
    let unknown =
        cli(c, &["login", "--server", server, "--with-token"], Some("tsr_pat_000000000000000000000000000000000000"));
    assert!(unknown.code == 2 || unknown.code == 3, "{unknown:?}");
    let made_up = tessera_like_but_unknown(&s);
    let refused = cli(c, &["login", "--server", server, "--with-token"], Some(&made_up));
    refused.failed(3, "");
    assert!(!refused.stderr.contains(&made_up));
    cli(c, &["login", "--server", server], None).failed(2, "--provider");
    cli(c, &["login", "--server", "http://tessera.example", "--with-token"], Some(&made_up)).failed(1, "https");
    cli(c, &["login", "--server", "http://127.0.0.1:9", "--with-token"], Some(&made_up)).failed(6, "cannot reach");
    assert!(!c.join("logins.json").exists(), "nothing was stored");
    let v: Value = serde_json::from_str(&cli(c, &["--json", "auth", "status"], None).stdout).unwrap();
    assert_eq!(v["error"]["code"], "unauthenticated");
}

/// A well-formed token value the server never issued: a real one, deleted.
fn tessera_like_but_unknown(s: &Served) -> String {
    let v = s.run(&s.admin, &["--json", "token", "create", "--label", "gone", "--scope", "read"]).json();
    s.run(&s.admin, &["token", "delete", v["id"].as_str().unwrap()]).ok();
    v["token"].as_str().unwrap().to_owned()
}
