//! `tessera auth status|switch|logout|token`: the stored logins, several servers and accounts.

use anyhow::Result;
use clap::{Args, Subcommand};
use serde_json::{json, Value};

use crate::api_path;
use crate::client::{Client, NotSignedIn};
use crate::logins::{Kind, Login, Logins};
use crate::output::{table, Out, Usage};

/// Which stored login a command means.
#[derive(Debug, Args)]
pub struct Which {
    /// The server's URL (default: the current server).
    #[arg(long)]
    server: Option<String>,
    /// The account name (default: the one in use on that server).
    #[arg(long)]
    account: Option<String>,
}

/// `tessera auth …`.
#[derive(Debug, Subcommand)]
pub enum AuthCommand {
    /// The stored logins: server, account, kind, which is in use, and whether each still works.
    Status {
        #[command(flatten)]
        which: Which,
    },
    /// Use another stored login: for its server, and its server for commands that name none.
    Switch {
        #[command(flatten)]
        which: Which,
    },
    /// Forget a stored login (the one in use unless named). A sign-in through a provider is also
    /// ended at the server; a token stays valid until it is revoked.
    Logout {
        #[command(flatten)]
        which: Which,
        /// Every stored login.
        #[arg(long, conflicts_with_all = ["server", "account"])]
        all: bool,
    },
    /// Make git ask Tessera for the code-host token of your linked account at each host you have
    /// one at (or at --host): `credential.<url>.helper` in git's global configuration.
    SetupGit {
        #[command(flatten)]
        remote: crate::Remote,
        /// For the desktop app in local mode on this computer, instead of a server's stored login.
        #[arg(long)]
        desktop: bool,
        /// Only this host (e.g. github.com, or a base URL such as https://gitlab.example.com).
        #[arg(long)]
        host: Option<String>,
    },
    /// Print a credential for scripts: the stored token, or a new one-hour login session.
    Token {
        #[command(flatten)]
        which: Which,
    },
}

impl Which {
    /// The one login meant: by server and account, by either, or the one in use.
    fn pick(&self, logins: &Logins) -> Result<Login> {
        let server = self.server.as_deref().map(crate::client::server_url).transpose()?;
        let server = server.or_else(|| if self.account.is_none() { logins.index.current.clone() } else { None });
        let found = logins.matching(server.as_deref(), self.account.as_deref());
        match found.as_slice() {
            [] => Err(NotSignedIn(match (&server, &self.account) {
                (Some(s), Some(a)) => format!("there is no stored login to {s} as {a}; run `tessera login`"),
                (Some(s), None) => format!("there is no stored login to {s}; run `tessera login`"),
                (None, Some(a)) => format!("there is no stored login as {a}; run `tessera login`"),
                (None, None) => "not signed in to any server; run `tessera login`".to_owned(),
            })
            .into()),
            [one] => Ok(one.clone()),
            several => match several.iter().find(|l| l.active && self.account.is_none()) {
                Some(active) => Ok(active.clone()),
                None => Err(Usage(format!(
                    "{} stored logins match; name the server with --server: {}",
                    several.len(),
                    several.iter().map(|l| l.server.as_str()).collect::<Vec<_>>().join(", ")
                ))
                .into()),
            },
        }
    }
}

/// Whether `login` still works, asked of its server's /me: None when it does, else why not.
async fn problem(logins: &mut Logins, login: &Login) -> Option<String> {
    let credential = match logins.credential(login).await {
        Ok(c) => c,
        Err(e) => return Some(format!("{e:#}")),
    };
    let client = match Client::new(&login.server, Some(credential.expose().to_owned())) {
        Ok(c) => c,
        Err(e) => return Some(format!("{e:#}")),
    };
    let path = match api_path("account_me", &[]) {
        Ok(p) => p,
        Err(e) => return Some(format!("{e:#}")),
    };
    match client.get(&path).await {
        Ok(_) => None,
        Err(e) => Some(format!("{e:#}")),
    }
}

/// Runs an auth command.
pub async fn run(cmd: AuthCommand, key: tessera_auth::local::KeyPlace, out: &Out) -> Result<()> {
    let mut logins = Logins::open()?;
    match cmd {
        AuthCommand::SetupGit { remote, desktop, host } => {
            let source = if desktop { crate::git::Source::Desktop(key) } else { crate::git::Source::Remote(&remote) };
            crate::git::setup(source, host.as_deref(), out).await
        }
        AuthCommand::Status { which } => {
            let server = which.server.as_deref().map(crate::client::server_url).transpose()?;
            let list = logins.matching(server.as_deref(), which.account.as_deref());
            if list.is_empty() {
                return Err(NotSignedIn("not signed in to any server; run `tessera login`".to_owned()).into());
            }
            let current = logins.index.current.clone();
            let mut report = Vec::new();
            for l in &list {
                let problem = problem(&mut logins, l).await;
                let in_use = l.active && current.as_deref() == Some(l.server.as_str());
                report.push(json!({
                    "server": l.server,
                    "account": l.account,
                    "account_id": l.account_id,
                    "kind": l.kind.as_str(),
                    "active": l.active,
                    "current": in_use,
                    "valid": problem.is_none(),
                    "problem": problem,
                }));
            }
            let v = Value::Array(report);
            out.value(&v, || {
                let rows: Vec<[String; 5]> = v
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|r| {
                        let mark = if r["current"] == true {
                            "*"
                        } else if r["active"] == true {
                            "+"
                        } else {
                            ""
                        };
                        let valid = match r["problem"].as_str() {
                            None => "yes".to_owned(),
                            Some(p) => format!("no: {p}"),
                        };
                        [
                            mark.to_owned(),
                            crate::output::field(r, "server"),
                            crate::output::field(r, "account"),
                            crate::output::field(r, "kind"),
                            valid,
                        ]
                    })
                    .collect();
                format!(
                    "{}\n\n* in use; + in use when that server is named",
                    table(["", "SERVER", "ACCOUNT", "KIND", "VALID"], &rows, "")
                )
            });
            Ok(())
        }
        AuthCommand::Switch { which } => {
            let login = which.pick(&logins)?;
            logins.switch(&login.server, &login.account)?;
            out.value(&json!({"server": login.server, "account": login.account}), || {
                format!("now using {} as {}", login.server, login.account)
            });
            Ok(())
        }
        AuthCommand::Logout { which, all } => {
            let chosen = if all { logins.index.logins.clone() } else { vec![which.pick(&logins)?] };
            if chosen.is_empty() {
                return Err(NotSignedIn("not signed in to any server".to_owned()).into());
            }
            let mut done = Vec::new();
            for login in chosen {
                let note = if login.kind == Kind::Session { end_session(&mut logins, &login).await } else { None };
                logins.remove(&login.server, &login.account).await?;
                if let Some(n) = &note {
                    eprintln!("warning: {n}");
                }
                done.push(json!({"server": login.server, "account": login.account, "kind": login.kind.as_str()}));
            }
            let v = Value::Array(done);
            out.value(&v, || {
                v.as_array()
                    .into_iter()
                    .flatten()
                    .map(|l| {
                        let tail = if l["kind"] == "token" {
                            "; the token itself works until it is revoked (tessera token revoke)"
                        } else {
                            ""
                        };
                        format!(
                            "signed out of {} as {}{tail}",
                            crate::output::field(l, "server"),
                            crate::output::field(l, "account")
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            });
            Ok(())
        }
        AuthCommand::Token { which } => {
            let login = which.pick(&logins)?;
            let credential = logins.credential(&login).await?;
            let value = match login.kind {
                Kind::Token => credential.expose().to_owned(),
                Kind::Session => {
                    let client = Client::new(&login.server, Some(credential.expose().to_owned()))?;
                    let v = client.post(&api_path("devices_extra_session", &[])?, &json!({})).await?;
                    v["token"]
                        .as_str()
                        .map(str::to_owned)
                        .ok_or_else(|| anyhow::anyhow!("the server sent no session"))?
                }
            };
            out.value(&json!({"server": login.server, "account": login.account, "token": value}), || value.clone());
            Ok(())
        }
    }
}

/// Ends a provider sign-in at its server (its device is revoked); a sentence when that failed.
pub(crate) async fn end_session(logins: &mut Logins, login: &Login) -> Option<String> {
    let result = async {
        let credential = logins.credential(login).await?;
        let client = Client::new(&login.server, Some(credential.expose().to_owned()))?;
        client.delete(&api_path("account_end_session", &[])?, None).await
    }
    .await;
    result.err().map(|e| format!("the server was not told ({e:#}); the login is forgotten here"))
}
