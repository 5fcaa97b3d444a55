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
        .env_remove("TESSERA_TOKEN");
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
