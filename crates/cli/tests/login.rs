//! `tessera login` as a person runs it: the real binary against a real `tessera serve` whose
//! `providers.toml` names the local GitHub of tests/idp, with code-host tokens and the stored
//! login's refresh credential in the private keyring `make test` runs this suite in; then the
//! stored sign-in used, renewed, listed and ended.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use serde_json::{json, Value};

mod common;

use common::{command, identity_providers, interactive, ran, serve_with_code_hosts, stored_refresh, Ran, Running};

/// Runs `tessera ARGS` with its logins kept under `client`.
fn cli(client: &Path, args: &[&str]) -> Ran {
    let mut c = command(client);
    c.args(args);
    ran(c, None)
}

/// `tessera serve` over a fresh data directory whose providers.toml names the local GitHub.
fn serve(data: &Path, idp: &Value) -> (Running, String) {
    serve_with_code_hosts(data, idp, &["github"])
}

/// Runs `tessera --json login …` with its logins kept under `client`, handing each line it prints
/// on stderr to `on_line` until it exits; returns its JSON output.
fn login(client: &Path, server: &str, args: &[&str], on_line: impl FnMut(&str)) -> Value {
    let login = ["login", "--server", server, "--provider", "gh", "--no-browser"];
    interactive(client, &[login.as_slice(), args].concat(), on_line)
}

fn me(server: &str, token: &str) -> Value {
    let res = reqwest::blocking_get(format!("{server}/api/v1/me"), token);
    assert_eq!(res.0, 200, "{}", res.1);
    res.1
}

mod reqwest {
    pub use ::reqwest::*;

    /// A GET with a bearer token from a plain thread (the login process drives the rest).
    pub fn blocking_get(url: String, token: &str) -> (u16, serde_json::Value) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let res = Client::new().get(url).bearer_auth(token).send().await.unwrap();
            (res.status().as_u16(), res.json().await.unwrap_or_default())
        })
    }

    pub fn blocking_post(url: String, body: serde_json::Value) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async { Client::new().post(url).json(&body).send().await.unwrap() });
    }

    pub fn blocking_post_status(url: String, body: serde_json::Value) -> u16 {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async { Client::new().post(url).json(&body).send().await.unwrap().status().as_u16() })
    }

    pub fn blocking_visit(url: String) -> u16 {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async { Client::new().get(url).send().await.unwrap().status().as_u16() })
    }

    /// A browser's visit to a page of the local code host, whose certificate the test CA signs.
    pub fn blocking_visit_trusting(url: String, ca_file: &str) -> u16 {
        let ca = Certificate::from_pem(&std::fs::read(ca_file).unwrap()).unwrap();
        let client = Client::builder().add_root_certificate(ca).build().unwrap();
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async { client.get(url).send().await.unwrap().status().as_u16() })
    }
}

#[test]
fn tessera_login_runs_the_browser_flow_and_the_device_flow() {
    let tmp = tempfile::tempdir().unwrap();
    let (_idp, ready) = identity_providers(&tmp.path().join("idp"));
    let (_server, url) = serve(&tmp.path().join("data"), &ready);

    let client_dir = tempfile::tempdir().unwrap();
    let c = client_dir.path();

    // The browser flow: the URL it prints is "opened" (the local GitHub signs in `heidi` and
    // redirects to the command's loopback listener), and the sign-in is kept.
    let signed_in = login(c, &url, &["--device-name", "heidi's laptop"], |line| {
        if line.starts_with("http") {
            assert!(line.contains("code_challenge_method=S256") && line.contains("state="), "{line}");
            // Strangers on this computer reach the loopback listener first: a forged code, and a
            // forged `error=` with a guessed state. Neither ends the command.
            let url = reqwest::Url::parse(line).unwrap();
            let redirect = url.query_pairs().find(|(k, _)| k == "redirect_uri").unwrap().1.into_owned();
            for stray in ["error=access_denied&state=guessed", "code=forged&state=guessed", "error=access_denied"] {
                assert_eq!(reqwest::blocking_visit(format!("{redirect}?{stray}")), 400, "{stray}");
            }
            let ca = ready["ca_file"].as_str().unwrap();
            assert_eq!(reqwest::blocking_visit_trusting(format!("{line}&login=heidi"), ca), 200);
        }
    });
    assert_eq!((signed_in["account"].as_str(), signed_in["kind"].as_str()), (Some("heidi"), Some("session")));
    assert!(signed_in.get("token").is_none() && signed_in.get("refresh_token").is_none(), "{signed_in}");
    // The refresh credential is in the keyring, nowhere on disk.
    let first = stored_refresh(&url, "heidi").expect("the refresh credential is in the keyring");
    assert!(first.starts_with("tsr_rfr_"), "a refresh credential");
    assert!(!std::fs::read_to_string(c.join("logins.json")).unwrap().contains(&first));

    // Commands use the stored sign-in; `auth token` gives scripts a session of their own.
    assert_eq!(cli(c, &["--json", "me"]).json()["name"], "heidi");
    let session = cli(c, &["auth", "token"]).ok().to_owned();
    assert_eq!(me(&url, &session)["name"], "heidi");
    let status = cli(c, &["--json", "auth", "status"]).json();
    assert_eq!((status[0]["kind"].as_str(), status[0]["valid"].as_bool()), (Some("session"), Some(true)));
    let devices = cli(c, &["device", "list"]).ok().to_owned();
    assert!(devices.lines().any(|l| l.starts_with('*') && l.contains("heidi's laptop")), "{devices}");

    // When the kept session is about to end, the next command renews it: the refresh credential
    // is rotated and the new one kept.
    let index = c.join("logins.json");
    let text = std::fs::read_to_string(&index).unwrap();
    let mut v: Value = serde_json::from_str(&text).unwrap();
    v["logins"][0]["session_expires_at"] = json!("2000-01-01T00:00:00Z");
    std::fs::write(&index, v.to_string()).unwrap();
    assert_eq!(cli(c, &["--json", "me"]).json()["name"], "heidi");
    let second = stored_refresh(&url, "heidi").unwrap();
    assert_ne!(first, second, "rotated");
    // Several commands at once when the session has run out: one renews it, the others wait for
    // it and use its session, so no refresh credential is presented twice.
    let mut v: Value = serde_json::from_str(&std::fs::read_to_string(&index).unwrap()).unwrap();
    v["logins"][0]["session_expires_at"] = json!("2000-01-01T00:00:00Z");
    std::fs::write(&index, v.to_string()).unwrap();
    let running: Vec<_> = (0..4)
        .map(|_| {
            let mut cmd = command(c);
            cmd.args(["--json", "me"]).stdout(Stdio::piped()).stderr(Stdio::piped());
            cmd.spawn().unwrap()
        })
        .collect();
    for child in running {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    let third = stored_refresh(&url, "heidi").unwrap();
    assert_ne!(third, second, "renewed once more");
    assert_eq!(cli(c, &["--json", "me"]).json()["name"], "heidi");
    // The spent credential, presented again (a thief's copy), ends the whole sign-in.
    let reuse =
        reqwest::blocking_post_status(format!("{url}/api/v1/sessions/refresh"), json!({"refresh_token": first}));
    assert_eq!(reuse, 401);
    let mut v: Value = serde_json::from_str(&std::fs::read_to_string(&index).unwrap()).unwrap();
    v["logins"][0]["session_expires_at"] = json!("2000-01-01T00:00:00Z");
    std::fs::write(&index, v.to_string()).unwrap();
    cli(c, &["me"]).failed(3, "has ended");

    // The device flow: the command prints a code; approving it at the host signs in.
    let control = ready["control"].as_str().unwrap().to_owned();
    let signed_in = login(c, &url, &["--device"], |line| {
        if let Some(code) = line.split("enter the code ").nth(1) {
            std::thread::sleep(Duration::from_millis(200));
            reqwest::blocking_post(
                format!("{control}/device/approve"),
                json!({"provider": "github", "user_code": code.trim(), "login": "ivan"}),
            );
        }
    });
    assert_eq!(signed_in["account"], "ivan");
    assert_eq!(cli(c, &["--json", "me"]).json()["name"], "ivan");
    // Signing in again as ivan ends the earlier sign-in at the server: one device, not two.
    let earlier = stored_refresh(&url, "ivan").unwrap();
    login(c, &url, &["--device"], |line| {
        if let Some(code) = line.split("enter the code ").nth(1) {
            std::thread::sleep(Duration::from_millis(200));
            reqwest::blocking_post(
                format!("{control}/device/approve"),
                json!({"provider": "github", "user_code": code.trim(), "login": "ivan"}),
            );
        }
    });
    let renew =
        reqwest::blocking_post_status(format!("{url}/api/v1/sessions/refresh"), json!({"refresh_token": earlier}));
    assert_eq!(renew, 401, "the earlier sign-in was ended");
    assert_eq!(cli(c, &["--json", "device", "list"]).json().as_array().unwrap().len(), 1);
    let devices = cli(c, &["--json", "device", "list"]).json();
    assert!(devices[0]["name"].as_str().unwrap().starts_with("tessera command line"), "{devices}");

    // Another account at the code host linked to ivan's in the browser: listed, its repositories
    // read through its stored token, unlinked.
    reqwest::blocking_post(format!("{control}/repos"), json!({"provider": "github", "login": "judy", "count": 3}));
    let ca = ready["ca_file"].as_str().unwrap().to_owned();
    let linked = interactive(c, &["identity", "link", "--provider", "gh", "--no-browser"], |line| {
        if line.starts_with("http") {
            assert_eq!(reqwest::blocking_visit_trusting(format!("{line}&login=judy"), &ca), 200);
        }
    });
    let judy = linked["id"].as_str().unwrap().to_owned();
    let identities = cli(c, &["identity", "list"]).ok().to_owned();
    assert!(identities.starts_with("ID") && identities.lines().any(|l| l.starts_with(&judy)), "{identities}");
    assert_eq!(identities.lines().count(), 3, "{identities}");
    let repos = cli(c, &["--json", "identity", "repos", &judy]).json();
    assert_eq!(repos.as_array().unwrap().len(), 3, "{repos}");
    assert!(cli(c, &["identity", "repos", &judy]).ok().starts_with("NAME"));
    cli(c, &["identity", "unlink", &judy]).ok();
    assert_eq!(cli(c, &["--json", "identity", "list"]).json().as_array().unwrap().len(), 1);
    cli(c, &["device", "revoke", "dev_doesnotexist0000"]).failed(5, "");

    // Signing out ends the sign-in at the server too: its refresh credential no longer renews.
    let kept = stored_refresh(&url, "ivan").unwrap();
    let out = cli(c, &["auth", "logout", "--account", "ivan"]);
    assert!(out.ok().starts_with("signed out of"), "{out:?}");
    assert!(out.stderr.is_empty(), "{out:?}");
    assert_eq!(stored_refresh(&url, "ivan"), None);
    let after = reqwest::blocking_post_status(format!("{url}/api/v1/sessions/refresh"), json!({"refresh_token": kept}));
    assert_eq!(after, 401);
    cli(c, &["auth", "logout", "--all"]).ok();
    cli(c, &["me", "--server", &url]).failed(3, "not signed in");

    // A device signed out from the list can no longer renew its session.
    login(c, &url, &["--device"], |line| {
        if let Some(code) = line.split("enter the code ").nth(1) {
            std::thread::sleep(Duration::from_millis(200));
            reqwest::blocking_post(
                format!("{control}/device/approve"),
                json!({"provider": "github", "user_code": code.trim(), "login": "kim"}),
            );
        }
    });
    let devices = cli(c, &["--json", "device", "list"]).json();
    let device = devices[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(cli(c, &["device", "revoke", &device]).ok(), format!("signed out device {device}"));
    let mut v: Value = serde_json::from_str(&std::fs::read_to_string(&index).unwrap()).unwrap();
    v["logins"][0]["session_expires_at"] = json!("2000-01-01T00:00:00Z");
    std::fs::write(&index, v.to_string()).unwrap();
    cli(c, &["me"]).failed(3, "has ended");
}
