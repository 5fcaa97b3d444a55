//! `tessera git-credential` and `tessera auth setup-git` with the real `git`: clones and pushes
//! over HTTPS from the local GitHub, GitLab, Bitbucket and Gitea of tests/idp, whose git front (git's own
//! `git http-backend`) accepts only a token that host issued, with the user name it expects.
//! Everything runs on 127.0.0.1 with git's configuration, the logins and the keyring private to
//! the test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

mod common;

use common::{command, identity_providers, interactive, ran, serve_with_code_hosts, stored_refresh, Ran, TESSERA};

/// A person's computer: Tessera's logins under `client`, git's global configuration in
/// `gitconfig`, the test CA trusted by git.
struct Desk {
    root: PathBuf,
    client: PathBuf,
    gitconfig: PathBuf,
    ca: String,
}

impl Desk {
    fn new(root: &Path, ca: &str) -> Self {
        let client = root.join("client");
        std::fs::create_dir_all(&client).unwrap();
        let gitconfig = root.join("gitconfig");
        std::fs::write(&gitconfig, "[user]\n\tname = Heidi\n\temail = heidi@example.test\n").unwrap();
        Self { root: root.to_owned(), client, gitconfig, ca: ca.to_owned() }
    }

    /// The environment git and the helper it starts run with.
    fn env(&self, c: &mut Command) {
        c.env("TESSERA_DATA_DIR", &self.client)
            .env_remove("TESSERA_TOKEN")
            .env_remove("TESSERA_SERVER")
            .env("HOME", &self.root)
            .env("GIT_CONFIG_GLOBAL", &self.gitconfig)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_SSL_CAINFO", &self.ca)
            .env("GIT_TERMINAL_PROMPT", "0")
            .env("GIT_ASKPASS", "")
            .env("SSH_ASKPASS", "");
    }

    /// Runs `git ARGS` in `cwd`.
    fn git(&self, cwd: &Path, args: &[&str]) -> Output {
        let mut c = Command::new("git");
        self.env(&mut c);
        c.current_dir(cwd).args(args).output().unwrap()
    }

    /// Runs `git ARGS`, which must succeed; returns its standard output.
    #[track_caller]
    fn git_ok(&self, cwd: &Path, args: &[&str]) -> String {
        let out = self.git(cwd, args);
        assert!(
            out.status.success(),
            "git {args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Runs `tessera ARGS` as this person, with `stdin`.
    fn tessera(&self, args: &[&str], stdin: Option<&str>) -> Ran {
        let mut c = command(&self.client);
        self.env(&mut c);
        c.args(args);
        ran(c, stdin)
    }

    /// Signs in to `server` through `provider` as `login` at the local host (the browser flow,
    /// the URL visited for the person).
    fn login(&self, server: &str, provider: &str, login: &str) -> Value {
        let args = ["login", "--server", server, "--provider", provider, "--no-browser"];
        interactive(&self.client, &args, |line| self.visit(line, login))
    }

    /// Links `login`'s account at `provider` to the signed-in account.
    fn link(&self, provider: &str, login: &str) -> Value {
        let args = ["identity", "link", "--provider", provider, "--no-browser"];
        interactive(&self.client, &args, |line| self.visit(line, login))
    }

    fn visit(&self, line: &str, login: &str) {
        if !line.starts_with("http") {
            return;
        }
        let ca = reqwest::Certificate::from_pem(&std::fs::read(&self.ca).unwrap()).unwrap();
        let client = reqwest::Client::builder().add_root_certificate(ca).build().unwrap();
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let status = rt.block_on(async { client.get(format!("{line}&login={login}")).send().await.unwrap().status() });
        assert_eq!(status.as_u16(), 200, "the code host's sign-in page");
    }
}

/// The control API of tests/idp.
fn control(ready: &Value, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
    let url = format!("{}{path}", ready["control"].as_str().unwrap());
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let mut req = reqwest::Client::new().request(method, url);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.unwrap();
        assert!(res.status().is_success(), "control {path}: {}", res.status());
        res.json().await.unwrap()
    })
}

/// What `git clone` spent: its whole run, and the part spent in `tessera git-credential` (git's
/// own trace2 timing of that child).
struct CloneTimes {
    total: Duration,
    in_helper: Duration,
}

/// Clones `url` into `dest` with git's trace2 events on; the clone must succeed.
fn timed_clone(desk: &Desk, url: &str, dest: &Path) -> CloneTimes {
    let trace = desk.root.join(format!("trace-{}.json", dest.file_name().unwrap().to_string_lossy()));
    let mut c = Command::new("git");
    desk.env(&mut c);
    let started = Instant::now();
    let out = c.env("GIT_TRACE2_EVENT", &trace).args(["clone", "--quiet", url]).arg(dest).output().unwrap();
    let total = started.elapsed();
    assert!(out.status.success(), "git clone {url}: {}", String::from_utf8_lossy(&out.stderr));
    let mut helpers = std::collections::HashSet::new();
    let mut in_helper = Duration::ZERO;
    for line in std::fs::read_to_string(&trace).unwrap().lines() {
        let e: Value = serde_json::from_str(line).unwrap();
        match e["event"].as_str() {
            // Git 2.39 classes its helpers "?": they are known by their command.
            Some("child_start") if e["argv"][0].as_str().is_some_and(|a| a.contains(" git-credential ")) => {
                helpers.insert((e["sid"].clone(), e["child_id"].clone()));
            }
            Some("child_exit") if helpers.contains(&(e["sid"].clone(), e["child_id"].clone())) => {
                in_helper += Duration::from_secs_f64(e["t_rel"].as_f64().unwrap());
            }
            _ => {}
        }
    }
    assert!(in_helper > Duration::ZERO, "git asked a credential helper during the clone");
    CloneTimes { total, in_helper }
}

#[test]
fn git_clones_and_pushes_through_tessera_at_github_gitlab_bitbucket_and_gitea() {
    let tmp = tempfile::tempdir().unwrap();
    let (_idp, ready) = identity_providers(&tmp.path().join("idp"));
    let (_server, server) =
        serve_with_code_hosts(&tmp.path().join("data"), &ready, &["github", "gitlab", "bitbucket", "gitea"]);
    let desk = Desk::new(tmp.path(), ready["ca_file"].as_str().unwrap());
    desk.login(&server, "gh", "heidi");
    desk.link("gl", "heidi");
    desk.link("bb", "heidi");
    desk.link("gt", "heidi");

    // setup-git names Tessera as the one helper of each linked host, for this server.
    let setup = desk.tessera(&["--json", "auth", "setup-git"], None).json();
    assert_eq!(setup.as_array().unwrap().len(), 4, "{setup}");
    for kind in ["github", "gitlab", "bitbucket", "gitea"] {
        let base = ready[kind]["base_url"].as_str().unwrap();
        let helpers =
            desk.git_ok(tmp.path(), &["config", "--global", "--get-all", &format!("credential.{base}.helper")]);
        let helpers: Vec<&str> = helpers.lines().collect();
        assert_eq!(helpers.len(), 2, "{helpers:?}");
        assert_eq!(helpers[0], "", "other helpers are reset for the host");
        assert_eq!(helpers[1], format!("!'{TESSERA}' git-credential --server '{server}'"));
    }
    // Running it again replaces its own entries rather than adding more.
    desk.tessera(&["auth", "setup-git", "--host", ready["github"]["base_url"].as_str().unwrap()], None).ok();
    let base = ready["github"]["base_url"].as_str().unwrap();
    let again = desk.git_ok(tmp.path(), &["config", "--global", "--get-all", &format!("credential.{base}.helper")]);
    assert_eq!(again.lines().count(), 2, "{again}");

    let mut figures = Vec::new();
    for kind in ["github", "gitlab", "bitbucket", "gitea"] {
        let base = ready[kind]["base_url"].as_str().unwrap();
        let url = format!("{base}/heidi/hello-world.git");
        let work = tmp.path().join(format!("{kind}-work"));
        let times = timed_clone(&desk, &url, &work);
        assert_eq!(std::fs::read_to_string(work.join("README.md")).unwrap(), "# hello-world\n", "{kind}");

        // A push through the same helper, seen by a fresh clone.
        std::fs::write(work.join("CHANGES.md"), format!("pushed to {kind}\n")).unwrap();
        std::fs::create_dir_all(work.join(".tessera")).unwrap();
        std::fs::write(work.join(".tessera/pipeline.yml"), format!("steps:\n  - run: make test # {kind}\n")).unwrap();
        desk.git_ok(&work, &["add", "CHANGES.md", ".tessera/pipeline.yml"]);
        desk.git_ok(&work, &["commit", "--quiet", "-m", "Record the push"]);
        desk.git_ok(&work, &["push", "--quiet", "origin", "main"]);
        let check = tmp.path().join(format!("{kind}-check"));
        desk.git_ok(tmp.path(), &["clone", "--quiet", &url, check.to_str().unwrap()]);
        assert_eq!(std::fs::read_to_string(check.join("CHANGES.md")).unwrap(), format!("pushed to {kind}\n"));

        // The pushed pipeline file imported into a project of that repository, through the same
        // linked account, at the default branch and at a named ref.
        let project =
            desk.tessera(&["--json", "project", "create", &format!("app-{kind}"), "--repository-url", &url], None);
        let project = project.json()["id"].as_str().unwrap().to_owned();
        let imported =
            desk.tessera(&["--json", "pipeline", "import", &project, "ci", "--path", ".tessera/pipeline.yml"], None);
        assert_eq!(imported.json()["content"], format!("steps:\n  - run: make test # {kind}\n"), "{kind}");
        let readme = desk.tessera(
            &["--json", "pipeline", "import", &project, "readme", "--path", "README.md", "--ref", "main"],
            None,
        );
        assert_eq!(readme.json()["content"], "# hello-world\n", "{kind}");
        let missing = desk.tessera(&["pipeline", "import", &project, "x", "--path", "nope.yml"], None);
        missing.failed(5, "not found");

        // Another person's repository stays out of reach: the token is heidi's.
        let other = desk.git(tmp.path(), &["clone", "--quiet", &format!("{base}/ivan/hello-world.git")]);
        assert!(!other.status.success(), "{kind}: another account's repository");
        figures.push((kind, times));
    }
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    for (kind, t) in &figures {
        eprintln!(
            "figure: git clone from the local {kind}: {:.0} ms in all, {:.0} ms in `tessera git-credential` (load {})",
            t.total.as_secs_f64() * 1e3,
            t.in_helper.as_secs_f64() * 1e3,
            load.split_whitespace().take(3).collect::<Vec<_>>().join(" ")
        );
    }
}

#[test]
fn an_expired_token_is_refreshed_once_and_a_token_the_host_revoked_fails_with_a_sentence() {
    let tmp = tempfile::tempdir().unwrap();
    let (_idp, ready) = identity_providers(&tmp.path().join("idp"));
    // The local GitHub's tokens last two seconds from now on.
    control(&ready, reqwest::Method::POST, "/expires-in", Some(json!({"provider": "github", "seconds": 2})));
    let (_server, server) = serve_with_code_hosts(&tmp.path().join("data"), &ready, &["github", "gitlab"]);
    let desk = Desk::new(tmp.path(), ready["ca_file"].as_str().unwrap());
    desk.login(&server, "gh", "heidi");
    desk.tessera(&["auth", "setup-git"], None).ok();
    let base = ready["github"]["base_url"].as_str().unwrap();
    let host = base.strip_prefix("https://").unwrap();
    let request = format!("protocol=https\nhost={host}\n\n");
    let refreshes =
        || control(&ready, reqwest::Method::GET, "/stats", None)["github"]["refresh_token"].as_u64().unwrap_or(0);

    // The stored token has expired at the host: the clone still works, with a refreshed one.
    std::thread::sleep(Duration::from_millis(2500));
    let before = refreshes();
    desk.git_ok(tmp.path(), &["clone", "--quiet", &format!("{base}/heidi/hello-world.git"), "first"]);
    assert!(refreshes() > before, "the token was refreshed at the host");

    // Many helpers at once when the token has expired: one refresh at the host, every helper
    // answered with the same fresh token (a second use of a spent refresh token would lose the
    // link). The refreshed token lasts an hour, so a helper that comes later needs no refresh.
    std::thread::sleep(Duration::from_millis(2500));
    control(&ready, reqwest::Method::POST, "/expires-in", Some(json!({"provider": "github", "seconds": 3600})));
    let before = refreshes();
    let answers: Vec<Ran> = std::thread::scope(|s| {
        let handles: Vec<_> =
            (0..12).map(|_| s.spawn(|| desk.tessera(&["git-credential", "get"], Some(&request)))).collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for a in &answers {
        assert_eq!(a.code, 0, "{a:?}");
        assert!(a.stdout.starts_with("username=x-access-token\npassword=ghu_"), "{a:?}");
        assert!(a.stdout.contains("\npassword_expiry_utc="), "{a:?}");
    }
    let first = &answers[0].stdout;
    assert!(answers.iter().all(|a| &a.stdout == first), "every helper got the same token");
    assert_eq!(refreshes(), before + 1, "exactly one refresh at the host");

    // No linked account at a host: a sentence on standard error, nothing for git.
    let gitlab = ready["gitlab"]["base_url"].as_str().unwrap().strip_prefix("https://").unwrap().to_owned();
    let none = desk.tessera(&["git-credential", "get"], Some(&format!("protocol=https\nhost={gitlab}\n\n")));
    assert_eq!((none.code, none.stdout.as_str()), (0, ""), "{none:?}");
    assert!(none.stderr.contains(&format!("no account at {gitlab} is linked")), "{none:?}");
    // Operations git may add later, and store, answer nothing.
    for op in ["store", "capability", "frobnicate"] {
        let r = desk.tessera(&["git-credential", op], Some(&request));
        assert_eq!((r.code, r.stdout.as_str(), r.stderr.as_str()), (0, "", ""), "{op}: {r:?}");
    }
    // Garbage from git is refused in a sentence, with nothing on standard output.
    let junk = desk.tessera(&["git-credential", "get"], Some("this is not key=value\nprotocol\n"));
    assert!(junk.stdout.is_empty() && junk.stderr.contains("not key=value"), "{junk:?}");

    // An API token cannot take the code-host token: it is the person's own credential.
    let session = desk.tessera(&["auth", "token"], None).ok().to_owned();
    let pat =
        desk.tessera(&["--json", "token", "create", "--label", "ci", "--scope", "read", "--token", &session], None);
    let pat = pat.json()["token"].as_str().unwrap().to_owned();
    let refused = desk.tessera(&["git-credential", "--token", &pat, "get"], Some(&request));
    assert_eq!(refused.stdout, "", "{refused:?}");
    assert!(refused.stderr.contains("for a login session only"), "{refused:?}");

    // The host revokes every token: git's clone fails, and what it prints says why and what to do.
    control(&ready, reqwest::Method::POST, "/revoke-all", Some(json!({"provider": "github"})));
    let failed = desk.git(tmp.path(), &["clone", "--quiet", &format!("{base}/heidi/hello-world.git"), "second"]);
    assert!(!failed.status.success());
    let said = String::from_utf8_lossy(&failed.stderr);
    assert!(said.contains("needs a new sign-in") && said.contains("click Reconnect"), "{said}");
    assert!(said.contains("tessera identity link --provider gh"), "{said}");
    // The link shows as needing a new sign-in, and the next git run says so before trying.
    let list = desk.tessera(&["--json", "identity", "list"], None).json();
    assert_eq!(list[0]["status"], "expired", "{list}");
    let again = desk.git(tmp.path(), &["clone", "--quiet", &format!("{base}/heidi/hello-world.git"), "third"]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("click Reconnect"));
}

#[test]
fn the_desktop_apps_local_sign_in_serves_git_without_spending_its_refresh_credential() {
    let tmp = tempfile::tempdir().unwrap();
    let (_idp, ready) = identity_providers(&tmp.path().join("idp"));
    // The desktop app's data directory: its local store, with the link to GitHub made there.
    let data = tmp.path().join("data");
    let (server, url) = serve_with_code_hosts(&data, &ready, &["github"]);
    let mut desk = Desk::new(tmp.path(), ready["ca_file"].as_str().unwrap());
    desk.login(&url, "gh", "heidi");
    // What the app keeps after its sign-in: its device's refresh credential, in the keyring of
    // its data directory.
    let refresh = stored_refresh(&url, "heidi").expect("the sign-in's refresh credential");
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let namespace = tessera_auth::secret_store::namespace_for(&data);
        let keyring = tessera_auth::KeyringStore::connect(&namespace).unwrap();
        tessera_auth::SecretStore::set(&keyring, "desktop/login/local", &tessera_core::Secret::new(refresh.clone()))
            .await
            .unwrap();
    });
    drop(server); // the app is closed: the helper works on its store alone
    desk.client = data.clone();

    let setup = desk.tessera(&["--json", "auth", "setup-git", "--desktop"], None).json();
    assert_eq!(setup[0]["helper"], format!("!'{TESSERA}' git-credential --desktop"), "{setup}");
    let base = ready["github"]["base_url"].as_str().unwrap();
    for dest in ["one", "two"] {
        desk.git_ok(tmp.path(), &["clone", "--quiet", &format!("{base}/heidi/hello-world.git"), dest]);
    }
    assert_eq!(std::fs::read_to_string(tmp.path().join("two/README.md")).unwrap(), "# hello-world\n");
    // The app's refresh credential was read, never spent: the app still renews with it.
    let (_server, url) = serve_with_code_hosts(&data, &ready, &["github"]);
    let renewed: Value = rt.block_on(async {
        let res = reqwest::Client::new()
            .post(format!("{url}/api/v1/sessions/refresh"))
            .json(&json!({"refresh_token": refresh}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 200, "the desktop app's credential still renews");
        res.json().await.unwrap()
    });

    // The app signs out: its device ends with every session of it, and the helper says so.
    let (token, device) = (renewed["token"].as_str().unwrap(), renewed["device"]["id"].as_str().unwrap());
    let status = rt.block_on(async {
        let res = reqwest::Client::new()
            .delete(format!("{url}/api/v1/user/devices/{device}"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        res.status().as_u16()
    });
    assert_eq!(status, 204);
    let host = base.strip_prefix("https://").unwrap();
    let r = desk.tessera(&["git-credential", "--desktop", "get"], Some(&format!("protocol=https\nhost={host}\n\n")));
    assert_eq!((r.code, r.stdout.as_str()), (0, ""), "{r:?}");
    assert!(r.stderr.contains("sign-in on this computer has ended"), "{r:?}");
}
