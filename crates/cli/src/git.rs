//! `tessera git-credential get|store|erase`: git's credential helper protocol (`git help
//! credential`), answering with the code-host token of the account linked to the stored login;
//! and `tessera auth setup-git`, which names this command as git's helper for the linked hosts.
//!
//! The helper keeps nothing: every `get` asks the server, which refreshes the token first when it
//! is about to expire. With `--desktop` it acts for the desktop app in local mode instead: over
//! the app's own store and keyring in this process, as the person the app is signed in as (its
//! device's refresh credential, read from the keyring and never spent here). When it has nothing to give it says why in one sentence on standard error
//! and answers nothing, so git goes on to its next helper (or its own prompt).

use std::collections::BTreeMap;
use std::io::Write;

use std::sync::Arc;

use anyhow::{bail, Context, Result};
use serde_json::{json, Value};
use tessera_auth::git::GitQuery;
use tessera_auth::local::KeyPlace;
use tessera_auth::secret_store::namespace_for;
use tessera_auth::{AuthError, KeyringStore, SecretStore, SignIn};
use tessera_core::{Caller, DataDir};

use crate::api_path;
use crate::client::{ApiFailure, Client, NotSignedIn};
use crate::output::{table, Out, Usage};
use crate::Remote;

/// Longest request git sends a helper: a few short lines (a path at most a few kilobytes).
const MAX_REQUEST: u64 = 64 * 1024;

/// One request from git: its `key=value` lines.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Request(BTreeMap<String, String>);

impl Request {
    /// Reads git's `key=value` lines up to a blank line or the end. Keys git may repeat (`url`,
    /// `capability[]`, `wwwauth[]`) keep their last value, which no answer here depends on.
    pub fn parse(text: &str) -> Result<Self> {
        let mut fields = BTreeMap::new();
        for line in text.split('\n') {
            let line = line.strip_suffix('\r').unwrap_or(line);
            if line.is_empty() {
                break;
            }
            let Some((key, value)) = line.split_once('=') else {
                bail!("git sent a line that is not key=value");
            };
            if value.contains('\0') {
                bail!("git sent a value with a NUL byte");
            }
            fields.insert(key.to_owned(), value.to_owned());
        }
        Ok(Self(fields))
    }

    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str).filter(|v| !v.is_empty())
    }

    /// The body the server takes: protocol, host, and the user name and path when given.
    fn query(&self) -> Option<Value> {
        let protocol = self.get("protocol")?;
        let host = self.get("host")?;
        let mut q = json!({"protocol": protocol, "host": host});
        if let Some(u) = self.get("username") {
            q["username"] = json!(u);
        }
        if let Some(p) = self.get("path") {
            q["path"] = json!(p);
        }
        Some(q)
    }
}

/// The answer to `get`: the lines git reads, or none when a value could break the protocol.
fn answer(v: &Value) -> Option<String> {
    let username = v["username"].as_str()?;
    let password = v["password"].as_str()?;
    let clean = |s: &str| !s.is_empty() && !s.contains(['\n', '\r', '\0']);
    if !clean(username) || !clean(password) {
        return None;
    }
    let mut out = format!("username={username}\npassword={password}\n");
    // Git 2.41 and later stop using a password at its expiry; older ones ignore the line.
    if let Some(at) = v["expires_at"].as_str().and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok()) {
        out.push_str(&format!("password_expiry_utc={}\n", at.timestamp()));
    }
    Some(out)
}

/// Why nothing was answered, in one sentence for the person reading git's output.
fn why_nothing(e: &anyhow::Error, host: &str) -> String {
    if let Some(f) = e.downcast_ref::<ApiFailure>() {
        return match f.code.as_str() {
            "not_found" => format!(
                "tessera: no account at {host} is linked to your Tessera account; link one in the Tessera app \
                 (Account) or with `tessera identity link --provider ID`"
            ),
            "reconnect_required" => format!(
                "tessera: {}; open the Tessera app and click Reconnect, or run `tessera identity link --provider {}`",
                f.message,
                f.provider.as_deref().unwrap_or("…")
            ),
            _ => format!("tessera: no credential for {host}: {}", f.message),
        };
    }
    if let Some(n) = e.downcast_ref::<NotSignedIn>() {
        return format!("tessera: no credential for {host}: {n}");
    }
    format!("tessera: no credential for {host}: {e:#}")
}

/// Where the helper gets its answers: a server through the stored login, or the desktop app's
/// local store in this process.
pub enum Source<'a> {
    /// `--server`/`--token`, or the stored login.
    Remote(&'a Remote),
    /// `--desktop`: the desktop app in local mode, with the local session key kept where `KeyPlace` says.
    Desktop(KeyPlace),
}

/// The desktop app's login on this computer in local mode, in the keyring of its data directory.
const DESKTOP_LOGIN: &str = "desktop/login/local";
/// A session of that login's device kept for the helper's next runs.
const DESKTOP_GIT_SESSION: &str = "desktop/git-session/local";

/// A failure of the in-process sign-in service, in the shape of the server's answers.
fn as_api_failure(e: AuthError) -> anyhow::Error {
    let provider = match &e {
        AuthError::ReconnectRequired { provider, .. } => Some(provider.clone()),
        _ => None,
    };
    ApiFailure { status: 0, code: e.code().as_str().to_owned(), message: e.to_string(), provider }.into()
}

/// The sign-in service over the desktop app's local store, and a caller for the person the app
/// is signed in as: a session of the app's device, kept in the keyring while it has a while left.
async fn desktop(key: KeyPlace) -> Result<(Arc<SignIn>, Caller)> {
    let (authority, sign_in) = crate::open(None, key).await?;
    let sign_in = sign_in.context("the desktop app's linked accounts need the OS keyring, and none can be reached")?;
    let dir = DataDir::from_env()?;
    let keyring = KeyringStore::connect(&namespace_for(dir.path())).context("cannot reach the OS keyring")?;
    if let Some(kept) = keyring.get(DESKTOP_GIT_SESSION).await? {
        if let Ok(c) = authority.authenticate(kept.expose(), None).await {
            let left = match &c.credential {
                tessera_core::authority::Credential::Session { expires_at, .. } => *expires_at - authority.now(),
                tessera_core::authority::Credential::Token { .. } => chrono::TimeDelta::zero(),
            };
            if left > chrono::TimeDelta::minutes(2) {
                return Ok((sign_in, c));
            }
        }
    }
    let refresh = keyring.get(DESKTOP_LOGIN).await?.ok_or_else(|| {
        NotSignedIn("the Tessera app is not signed in on this computer in local mode; open it and sign in".to_owned())
    })?;
    let session = authority.device_session(refresh.expose()).await.map_err(|_| {
        NotSignedIn("the Tessera app's sign-in on this computer has ended; open it and sign in again".to_owned())
    })?;
    keyring.set(DESKTOP_GIT_SESSION, &session.token).await?;
    let caller = authority.authenticate(session.token.expose(), None).await?;
    Ok((sign_in, caller))
}

/// Runs `tessera git-credential OPERATION`, reading git's request from standard input.
pub async fn credential(source: Source<'_>, operation: &str) -> Result<()> {
    // Git may add operations; a helper ignores the ones it does not know.
    if !matches!(operation, "get" | "store" | "erase") {
        return Ok(());
    }
    let mut text = String::new();
    std::io::Read::read_to_string(&mut std::io::Read::take(std::io::stdin(), MAX_REQUEST), &mut text)
        .context("cannot read git's request from standard input")?;
    let request = Request::parse(&text)?;
    // Tessera keeps the tokens itself: what git offers to store is already there.
    if operation == "store" {
        return Ok(());
    }
    let Some(query) = request.query() else {
        return Ok(());
    };
    let host = request.get("host").unwrap_or_default().to_owned();
    if !matches!(request.get("protocol"), Some("https" | "http")) {
        return Ok(());
    }
    let result = match (&source, operation) {
        (Source::Remote(remote), "get") => get(remote, &query).await,
        (Source::Remote(remote), _) => erase(remote, query, request.get("password")).await,
        (Source::Desktop(key), op) => desktop_answer(*key, &request, op).await,
    };
    match result {
        Ok(Some(lines)) => {
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(lines.as_bytes()).and_then(|()| stdout.flush()).context("cannot answer git")?;
        }
        Ok(None) => {}
        Err(e) => eprintln!("{}", why_nothing(&e, &host)),
    }
    Ok(())
}

/// `get` and `erase` for the desktop app, in process.
async fn desktop_answer(key: KeyPlace, request: &Request, operation: &str) -> Result<Option<String>> {
    let (sign_in, caller) = desktop(key).await?;
    let q = GitQuery {
        protocol: request.get("protocol").unwrap_or_default().to_owned(),
        host: request.get("host").unwrap_or_default().to_owned(),
        username: request.get("username").map(str::to_owned),
    };
    if operation == "get" {
        let c = sign_in.git_credential(&caller, &q).await.map_err(as_api_failure)?;
        let v = json!({"username": c.username, "password": c.password.expose(), "expires_at": c.expires_at});
        return Ok(Some(answer(&v).context("the credential cannot be passed to git")?));
    }
    if let Some(password) = request.get("password") {
        sign_in.git_reject(&caller, &q, password).await.map_err(as_api_failure)?;
    }
    Ok(None)
}

async fn get(remote: &Remote, query: &Value) -> Result<Option<String>> {
    let client = remote.client().await?;
    let v = client.post(&api_path("git_credential", &[])?, query).await?;
    Ok(Some(answer(&v).context("the server's credential cannot be passed to git")?))
}

async fn erase(remote: &Remote, mut query: Value, password: Option<&str>) -> Result<Option<String>> {
    let Some(password) = password else {
        return Ok(None);
    };
    query["password"] = json!(password);
    let client = remote.client().await?;
    client.post(&api_path("git_reject", &[])?, &query).await?;
    Ok(None)
}

/// The command git runs as its helper: this program, quoted for the shell git runs it with,
/// with the server of the login it should use.
fn helper_command(server: Option<&str>) -> Result<String> {
    let exe = std::env::current_exe().context("cannot tell where this program is")?;
    let exe = exe.to_str().context("this program's path is not UTF-8, which git's configuration cannot hold")?;
    let quote = |s: &str| format!("'{}'", s.replace('\'', r"'\''"));
    Ok(match server {
        Some(server) => format!("!{} git-credential --server {}", quote(exe), quote(server)),
        None => format!("!{} git-credential --desktop", quote(exe)),
    })
}

fn git_config(args: &[&str]) -> Result<()> {
    let out = std::process::Command::new("git")
        .args(["config", "--global"])
        .args(args)
        .output()
        .context("cannot run git: is it installed?")?;
    if !out.status.success() {
        bail!("git config failed: {}", String::from_utf8_lossy(&out.stderr).trim());
    }
    Ok(())
}

/// Runs `tessera auth setup-git`: for each code host the stored login has a linked account at
/// (or the one named by `host`), git's global configuration gets this program as the only
/// credential helper for that host's URL, replacing any other helper for it (as `gh auth
/// setup-git` does): an old stored password must not win over the linked account.
pub async fn setup(source: Source<'_>, host: Option<&str>, out: &Out) -> Result<()> {
    let (hosts, helper) = match source {
        Source::Remote(remote) => {
            let client: Client = remote.client().await?;
            let hosts = client.get(&api_path("git_hosts", &[])?).await?;
            (hosts.as_array().cloned().unwrap_or_default(), helper_command(Some(client.base()))?)
        }
        Source::Desktop(key) => {
            let (sign_in, caller) = desktop(key).await?;
            let hosts = sign_in.git_hosts(&caller).await.map_err(as_api_failure)?;
            let hosts = hosts
                .into_iter()
                .map(|h| {
                    json!({"url": h.remote.url, "host": h.remote.host, "provider": h.provider, "account": h.account,
                        "status": h.status})
                })
                .collect();
            (hosts, helper_command(None)?)
        }
    };
    let wanted = |h: &Value| match host {
        None => true,
        Some(want) => {
            let want = want.trim_end_matches('/').to_ascii_lowercase();
            h["host"].as_str().is_some_and(|x| x.eq_ignore_ascii_case(&want))
                || h["url"].as_str().is_some_and(|x| x.eq_ignore_ascii_case(&want))
        }
    };
    // One entry per URL: two linked accounts at one host share its helper.
    let mut chosen: Vec<Value> = Vec::new();
    for h in hosts.into_iter().filter(wanted) {
        if !chosen.iter().any(|c| c["url"] == h["url"]) {
            chosen.push(h);
        }
    }
    if chosen.is_empty() {
        return Err(Usage(match host {
            Some(h) => format!("no account at {h} is linked to your Tessera account; link one first"),
            None => "no code-host account is linked to your Tessera account; link one first".to_owned(),
        })
        .into());
    }
    let mut done = Vec::new();
    for h in &chosen {
        let url = h["url"].as_str().context("the server listed a host without a URL")?;
        let key = format!("credential.{url}.helper");
        git_config(&["--replace-all", &key, ""])?;
        git_config(&["--add", &key, &helper])?;
        done.push(json!({
            "url": url,
            "provider": h["provider"],
            "account": h["account"],
            "status": h["status"],
            "helper": helper,
        }));
    }
    let v = Value::Array(done);
    out.value(&v, || {
        let rows: Vec<[String; 4]> = v
            .as_array()
            .into_iter()
            .flatten()
            .map(|h| {
                let status = match h["status"].as_str() {
                    Some("connected") => "ready".to_owned(),
                    _ => "needs a new sign-in (Reconnect in the app)".to_owned(),
                };
                [
                    crate::output::field(h, "url"),
                    crate::output::field(h, "provider"),
                    crate::output::field(h, "account"),
                    status,
                ]
            })
            .collect();
        format!("git now asks Tessera for these hosts:\n{}", table(["URL", "PROVIDER", "ACCOUNT", "STATUS"], &rows, ""))
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn git_requests_are_read_up_to_the_blank_line() {
        let r = Request::parse("protocol=https\nhost=github.com\npath=acme/app.git\n\nignored=1\n").unwrap();
        assert_eq!(r.get("protocol"), Some("https"));
        assert_eq!(r.get("host"), Some("github.com"));
        assert_eq!(r.get("ignored"), None);
        assert_eq!(r.query(), Some(json!({"protocol": "https", "host": "github.com", "path": "acme/app.git"})));
        assert_eq!(Request::parse("protocol=https\r\nhost=h\r\n").unwrap().get("host"), Some("h"));
        assert!(Request::parse("protocol https\n").is_err());
        assert!(Request::parse("host=a\0b\n").is_err());
        assert_eq!(Request::parse("protocol=https\n").unwrap().query(), None, "no host: nothing to ask");
    }

    #[test]
    fn answers_never_carry_a_line_break_into_git() {
        let v = json!({"username": "x-access-token", "password": "ghu_abc", "expires_at": "2026-11-30T01:00:00Z"});
        assert_eq!(
            answer(&v).as_deref(),
            Some("username=x-access-token\npassword=ghu_abc\npassword_expiry_utc=1796000400\n")
        );
        assert_eq!(answer(&json!({"username": "u", "password": "a\nusername=evil"})), None);
        assert_eq!(answer(&json!({"username": "", "password": "p"})), None);
        assert_eq!(answer(&json!({"username": "u"})), None);
    }

    #[test]
    fn the_helper_is_quoted_for_the_shell() {
        let h = helper_command(Some("https://t.example")).unwrap();
        assert!(h.starts_with("!'"), "{h}");
        assert!(h.ends_with(" git-credential --server 'https://t.example'"), "{h}");
        assert!(helper_command(None).unwrap().ends_with(" git-credential --desktop"));
    }
}
