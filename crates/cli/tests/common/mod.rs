//! What the command line's integration tests share.
// Each test binary uses its own part of this module.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Child, Command};
use std::sync::atomic::{AtomicU64, Ordering};

use sqlx::Connection;

/// The `tessera` binary under test.
pub const TESSERA: &str = env!("CARGO_BIN_EXE_tessera");

/// A child process, killed and reaped when the test ends (passing or not).
pub struct Running(pub Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `tessera` with its data directory in `data`, in local mode the session key in a file there
/// (tests never reach the OS keyring), and no credential from the caller's environment. Team mode
/// seals its secrets with a key from the environment; local mode ignores it.
pub fn command(data: &Path) -> Command {
    let mut c = Command::new(TESSERA);
    c.env("TESSERA_DATA_DIR", data)
        .env("TESSERA_KEY_FILE", "1")
        .env("TESSERA_SECRET_KEY", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")
        .env_remove("TESSERA_TOKEN")
        .env_remove("TESSERA_SERVER");
    c
}

/// Runs `tessera ARGS`, which must succeed, and returns what it printed, trimmed.
pub fn tessera(data: &Path, args: &[&str]) -> String {
    let out = command(data).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "tessera {args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// The `--db` argument for a fresh store, as the API suite's harness makes one: a SQLite file in
/// `data`, or, when `TESSERA_TEST_PG_URL` is set, a schema of its own in that database.
pub async fn fresh_db(data: &Path) -> String {
    match std::env::var("TESSERA_TEST_PG_URL") {
        Ok(url) if !url.is_empty() => {
            static SEQ: AtomicU64 = AtomicU64::new(0);
            let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
            let schema =
                format!("c_{}_{}_{}", std::process::id(), nanos % 1_000_000_000, SEQ.fetch_add(1, Ordering::Relaxed));
            let mut conn = sqlx::PgConnection::connect(&url).await.expect("TESSERA_TEST_PG_URL is reachable");
            sqlx::query(&format!("CREATE SCHEMA {schema}")).execute(&mut conn).await.unwrap();
            conn.close().await.unwrap();
            let sep = if url.contains('?') { '&' } else { '?' };
            format!("{url}{sep}options=-c%20search_path%3D{schema}")
        }
        _ => data.join("tessera.db").to_string_lossy().into_owned(),
    }
}

/// Starts the local identity providers of tests/idp with their certificates in `dir`; returns
/// them (stopped when dropped) with their ready line.
pub fn identity_providers(dir: &Path) -> (Running, serde_json::Value) {
    use std::io::BufRead;
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/idp");
    assert!(root.join("node_modules/oidc-provider").exists(), "run `npm ci` in tests/idp (make test does)");
    let mut child = Command::new("node")
        .arg(root.join("start.mjs"))
        .args(["--dir", dir.to_str().unwrap()])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    (Running(child), serde_json::from_str(&line).unwrap())
}

/// `tessera serve` on a free port of 127.0.0.1 over a fresh data directory whose providers.toml
/// names the local code hosts of tests/idp in `hosts` (`github` as `gh`, `gitlab` as `gl`,
/// `bitbucket` as `bb`, `gitea` as `gt`); returns it (stopped when dropped) with its URL. Needs the private keyring
/// of tests/keyring/with-keyring.sh, where code-host tokens and stored logins go.
pub fn serve_with_code_hosts(data: &Path, idp: &serde_json::Value, hosts: &[&str]) -> (Running, String) {
    use std::fmt::Write;
    assert_eq!(std::env::var("TESSERA_TEST_KEYRING").as_deref(), Ok("1"), "run under tests/keyring/with-keyring.sh");
    std::fs::create_dir_all(data).unwrap();
    let mut toml = String::new();
    for kind in hosts {
        let h = &idp[kind];
        let id = match *kind {
            "github" => "gh",
            "gitlab" => "gl",
            "bitbucket" => "bb",
            "gitea" => "gt",
            other => panic!("no local code host {other}"),
        };
        let text = |k: &str| h[k].as_str().unwrap().to_owned();
        write!(
            toml,
            "[[provider]]\nid = \"{id}\"\nkind = \"{kind}\"\nbase_url = \"{}\"\nclient_id = \"{}\"\nclient_secret = \"{}\"\nca_file = \"{}\"\n",
            text("base_url"),
            text("client_id"),
            text("client_secret"),
            idp["ca_file"].as_str().unwrap()
        )
        .unwrap();
        if let Some(api) = h["api_url"].as_str() {
            writeln!(toml, "api_url = \"{api}\"").unwrap();
        }
    }
    std::fs::write(data.join("providers.toml"), toml).unwrap();
    let mut c = Command::new(TESSERA);
    c.args(["serve", "--listen", "127.0.0.1:0"]).env("TESSERA_DATA_DIR", data).stderr(std::process::Stdio::null());
    listening(c)
}

/// Starts a prepared `tessera serve` command, quiet but for warnings, and returns it (stopped
/// when dropped) with the URL it says it listens on.
pub fn listening(mut serve: Command) -> (Running, String) {
    use std::io::{BufRead, BufReader};
    let mut child = serve.env("TESSERA_LOG", "warn").stdout(std::process::Stdio::piped()).spawn().unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let running = Running(child);
    let url = line.trim().strip_prefix("listening on ").unwrap_or_else(|| panic!("unexpected first line {line:?}"));
    (running, url.to_owned())
}

/// Runs `tessera --json ARGS` with its logins kept under `client`, handing each line it prints on
/// stderr to `on_line` until it exits; returns its JSON output.
pub fn interactive(client: &Path, args: &[&str], mut on_line: impl FnMut(&str)) -> serde_json::Value {
    use std::io::{BufRead, BufReader, Read};
    let mut child = Command::new(TESSERA)
        .env("TESSERA_DATA_DIR", client)
        .env_remove("TESSERA_SERVER")
        .env_remove("TESSERA_TOKEN")
        .arg("--json")
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = BufReader::new(child.stderr.take().unwrap());
    for line in stderr.lines() {
        on_line(&line.unwrap());
    }
    let mut out = String::new();
    child.stdout.take().unwrap().read_to_string(&mut out).unwrap();
    assert!(child.wait().unwrap().success(), "tessera {args:?} failed: {out}");
    serde_json::from_str(&out).unwrap()
}

/// The refresh credential the keyring holds for `account`'s login, read with secret-tool.
pub fn stored_refresh(server: &str, account: &str) -> Option<String> {
    let out =
        std::process::Command::new("secret-tool").args(["search", "--all", "service", "tessera"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut label = String::new();
    for line in text.lines() {
        if let Some(l) = line.strip_prefix("label = ") {
            label = l.to_owned();
        } else if let Some(secret) = line.strip_prefix("secret = ") {
            if label.contains(&format!("/login/{server}/{account}@")) {
                return Some(secret.to_owned());
            }
        }
    }
    None
}

/// A real `tessera serve` on a free port of 127.0.0.1 over a fresh data directory with an
/// instance admin `root`; stopped when dropped.
pub struct Served {
    pub data: tempfile::TempDir,
    pub url: String,
    /// A one-hour login session of `root`.
    pub admin: String,
    _server: Running,
}

impl Served {
    pub fn start() -> Self {
        Self::start_with(|_| {})
    }

    /// As [`Served::start`], with `setup` given the data directory before the server starts.
    pub fn start_with(setup: impl FnOnce(&Path)) -> Self {
        let data = tempfile::tempdir().unwrap();
        setup(data.path());
        tessera(data.path(), &["admin", "create-user", "root", "--admin"]);
        let admin = tessera(data.path(), &["admin", "session", "root"]);
        let mut c = command(data.path());
        c.args(["serve", "--listen", "127.0.0.1:0"]).stderr(std::process::Stdio::null());
        let (server, url) = listening(c);
        Self { data, url, admin, _server: server }
    }

    /// A new account `name` with a one-hour login session (made offline on the same store).
    pub fn user(&self, name: &str) -> String {
        tessera(self.data.path(), &["admin", "create-user", name]);
        tessera(self.data.path(), &["admin", "session", name])
    }

    /// Runs `tessera ARGS --server URL --token TOKEN` with the server's data directory.
    pub fn run<S: AsRef<str>>(&self, token: &str, args: &[S]) -> Ran {
        let args: Vec<&str> = args.iter().map(AsRef::as_ref).collect();
        self.run_in(self.data.path(), Some(token), &args, None)
    }

    /// Runs `tessera ARGS` with its data directory `dir`, the server's URL, `token` if any and
    /// `stdin` if any.
    pub fn run_in(&self, dir: &Path, token: Option<&str>, args: &[&str], stdin: Option<&str>) -> Ran {
        let mut c = command(dir);
        c.args(args).args(["--server", &self.url]);
        if let Some(t) = token {
            c.args(["--token", t]);
        }
        ran(c, stdin)
    }
}

/// Runs a prepared command with `stdin` (empty when `None`).
pub fn ran(mut c: Command, stdin: Option<&str>) -> Ran {
    use std::io::Write;
    c.stdin(std::process::Stdio::piped()).stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped());
    let mut child = c.spawn().unwrap();
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin.unwrap_or_default().as_bytes()).unwrap();
    drop(input);
    let out = child.wait_with_output().unwrap();
    Ran {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).trim_end().to_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).trim_end().to_owned(),
    }
}

/// What a run of `tessera` did.
#[derive(Debug)]
pub struct Ran {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Ran {
    /// Standard output of a run that must have succeeded.
    #[track_caller]
    pub fn ok(&self) -> &str {
        assert_eq!(self.code, 0, "{self:?}");
        &self.stdout
    }

    /// The JSON it printed, of a run that must have succeeded.
    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(self.ok()).unwrap_or_else(|e| panic!("{e}: {self:?}"))
    }

    /// A run that must have failed with `code`, saying `because` on standard error.
    #[track_caller]
    pub fn failed(&self, code: i32, because: &str) {
        assert_eq!(self.code, code, "{self:?}");
        assert!(self.stderr.contains(because), "expected {because:?}: {self:?}");
    }
}
