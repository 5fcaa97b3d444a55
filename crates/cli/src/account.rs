//! `tessera me`, `tessera identity …` and `tessera health`: the signed-in account, its linked
//! identities and their code-host repositories, and whether a server is up.

use anyhow::Result;
use clap::Subcommand;
use serde_json::{json, Value};

use crate::output::{field, rows, table, Out};
use crate::{api_path, Remote, ServerOnly};

/// `tessera identity …`.
#[derive(Debug, Subcommand)]
pub enum IdentityCommand {
    /// The accounts at identity providers and code hosts linked to yours, with their status.
    List {
        #[command(flatten)]
        remote: Remote,
    },
    /// Link another account at one of the server's providers to yours, signing in to it in the
    /// browser.
    Link {
        #[command(flatten)]
        remote: Remote,
        /// The provider's id.
        #[arg(long)]
        provider: String,
        /// Do not try to open a browser; only print the URL.
        #[arg(long)]
        no_browser: bool,
    },
    /// Unlink an identity (the last one you sign in with stays).
    Unlink {
        #[command(flatten)]
        remote: Remote,
        /// The identity's id.
        id: String,
    },
    /// The repositories a linked code-host account can see, through its stored token.
    Repos {
        #[command(flatten)]
        remote: Remote,
        /// The identity's id.
        id: String,
    },
}

/// `tessera device …`.
#[derive(Debug, Subcommand)]
pub enum DeviceCommand {
    /// The devices signed in to your account (a login session only), and which one this is.
    List {
        #[command(flatten)]
        remote: Remote,
    },
    /// Sign a device out: it can no longer renew its session.
    Revoke {
        #[command(flatten)]
        remote: Remote,
        /// The device's id.
        id: String,
    },
}

/// Runs a device command.
pub async fn device(cmd: DeviceCommand, out: &Out) -> Result<()> {
    match cmd {
        DeviceCommand::List { remote } => {
            let v = remote.client().await?.get(&api_path("devices_devices", &[])?).await?;
            out.value(&v, || {
                let list: Vec<[String; 5]> = v
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|d| {
                        let mark = if d["current"] == true { "*" } else { "" };
                        [
                            mark.to_owned(),
                            field(d, "id"),
                            field(d, "name"),
                            field(d, "last_seen_at"),
                            field(d, "expires_at"),
                        ]
                    })
                    .collect();
                table(["", "ID", "NAME", "LAST SEEN", "EXPIRES"], &list, "no devices are signed in")
            });
            Ok(())
        }
        DeviceCommand::Revoke { remote, id } => {
            remote.client().await?.delete(&api_path("devices_revoke_device", &[("id", &id)])?, None).await?;
            out.value(&json!({"revoked": id}), || format!("signed out device {id}"));
            Ok(())
        }
    }
}

/// The account as `GET /me` shows it, as lines of text.
pub fn me_text(v: &Value) -> String {
    let mut text = crate::output::details(
        v,
        &[("Name", "name"), ("ID", "id"), ("Role", "role"), ("Local role", "local_role"), ("Created", "created_at")],
    );
    let orgs: Vec<String> = v["orgs"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|o| format!("{} ({}, {})", field(o, "name"), field(o, "id"), field(o, "role")))
        .collect();
    if !orgs.is_empty() {
        text.push_str(&format!("\nOrganizations: {}", orgs.join(", ")));
    }
    let ids: Vec<String> = v["identities"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|i| format!("{} at {} ({})", field(i, "display_name"), field(i, "provider"), field(i, "status")))
        .collect();
    if !ids.is_empty() {
        text.push_str(&format!("\nIdentities: {}", ids.join(", ")));
    }
    text
}

/// `tessera me`.
pub async fn me(remote: Remote, out: &Out) -> Result<()> {
    let v = remote.client().await?.get(&api_path("account_me", &[])?).await?;
    out.value(&v, || me_text(&v));
    Ok(())
}

/// `tessera health`.
pub async fn health(server: ServerOnly, out: &Out) -> Result<()> {
    let client = server.client()?;
    let v = client.public(reqwest::Method::GET, &api_path("account_health", &[])?, None).await?;
    out.value(&v, || format!("{} is {} (version {})", client.base(), field(&v, "status"), field(&v, "version")));
    Ok(())
}

/// Runs an identity command.
pub async fn identity(cmd: IdentityCommand, out: &Out) -> Result<()> {
    match cmd {
        IdentityCommand::List { remote } => {
            let v = remote.client().await?.get(&api_path("signin_identities", &[])?).await?;
            out.value(&v, || {
                table(
                    ["ID", "PROVIDER", "NAME", "STATUS", "EXPIRES", "LAST SIGN-IN"],
                    &rows(&v, ["id", "provider", "display_name", "status", "expires_at", "last_login_at"]),
                    "no linked identities",
                )
            });
            Ok(())
        }
        IdentityCommand::Link { remote, provider, no_browser } => {
            let v = crate::login::link(&remote.client().await?, &provider, no_browser).await?;
            out.value(&v, || {
                format!("linked {} at {} ({})", field(&v, "display_name"), field(&v, "provider"), field(&v, "id"))
            });
            Ok(())
        }
        IdentityCommand::Unlink { remote, id } => {
            remote.client().await?.delete(&api_path("signin_unlink", &[("id", &id)])?, None).await?;
            out.value(&json!({"unlinked": id}), || format!("unlinked {id}"));
            Ok(())
        }
        IdentityCommand::Repos { remote, id } => {
            let v = remote.client().await?.get(&api_path("signin_repositories", &[("identity", &id)])?).await?;
            out.value(&v, || {
                table(["NAME", "PRIVATE", "URL"], &rows(&v, ["full_name", "private", "web_url"]), "no repositories")
            });
            Ok(())
        }
    }
}
