//! `tessera admin user …`: accounts administered by an instance admin through the API, or offline
//! on the store (`--offline` or `--db`) for recovery when no admin can sign in. Both keep the same
//! rules: the last enabled admin stays.

use anyhow::Result;
use clap::{Args, Subcommand};
use serde_json::{json, Value};
use tessera_auth::local::KeyPlace;
use tessera_core::authority::{AdminActor, UserPatch};
use tessera_core::model::{Role, User};
use tessera_core::patch::Patch;

use crate::client::Client;
use crate::output::{rows, table, Out};
use crate::{api_path, Remote, StoreArg};

/// Where an account command acts: the server's API (the stored login, or --server and --token),
/// or the store itself with --offline or --db.
#[derive(Debug, Args)]
pub struct Place {
    /// Act on the store directly instead of through the server (bootstrap and recovery).
    #[arg(long)]
    pub(crate) offline: bool,
    #[command(flatten)]
    pub(crate) store: StoreArg,
    #[command(flatten)]
    pub(crate) remote: Remote,
}

impl Place {
    /// Whether to act on the store rather than through the server.
    pub(crate) fn is_offline(&self) -> bool {
        self.offline || self.store.db.is_some()
    }
}

/// The account commands.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// List every account with its local role and whether it is disabled.
    List {
        #[command(flatten)]
        place: Place,
    },
    /// Set an account's local role.
    SetRole {
        #[command(flatten)]
        place: Place,
        /// The account name or id.
        name: String,
        /// `admin` or `member`.
        #[arg(value_parser = ["admin", "member"])]
        role: String,
    },
    /// Disable an account: its sessions and tokens stop working at once; nothing is deleted.
    Disable {
        #[command(flatten)]
        place: Place,
        /// The account name or id.
        name: String,
    },
    /// Re-enable a disabled account.
    Enable {
        #[command(flatten)]
        place: Place,
        /// The account name or id.
        name: String,
    },
    /// Delete an account with its tokens, sessions, linked identities and personal projects.
    Delete {
        #[command(flatten)]
        place: Place,
        /// The account name or id.
        name: String,
    },
}

fn line(u: &User) -> String {
    format!("{}\t{}\t{}{}", u.name, u.id, u.role.as_str(), if u.disabled { "\tdisabled" } else { "" })
}

/// Runs one account command.
pub async fn run(cmd: UserCommand, key: KeyPlace, out: &Out) -> Result<()> {
    let place = match &cmd {
        UserCommand::List { place }
        | UserCommand::SetRole { place, .. }
        | UserCommand::Disable { place, .. }
        | UserCommand::Enable { place, .. }
        | UserCommand::Delete { place, .. } => place,
    };
    if place.is_offline() {
        offline(cmd, key, out).await
    } else {
        online(cmd, out).await
    }
}

/// The id of the account named `name` (a name or an id) in the server's list.
async fn account_id(client: &Client, name: &str) -> Result<String> {
    let list = client.get(&api_path("account_users", &[])?).await?;
    Ok(list
        .as_array()
        .into_iter()
        .flatten()
        .find(|u| u["name"] == name)
        .and_then(|u| u["id"].as_str())
        .unwrap_or(name)
        .to_owned())
}

fn user_line(u: &Value) -> String {
    table(
        ["NAME", "ID", "ROLE", "DISABLED"],
        &rows(&Value::Array(vec![u.clone()]), ["name", "id", "role", "disabled"]),
        "",
    )
}

async fn online(cmd: UserCommand, out: &Out) -> Result<()> {
    let (place, name, body) = match cmd {
        UserCommand::List { place } => {
            let v = place.remote.client().await?.get(&api_path("account_users", &[])?).await?;
            out.value(&v, || {
                table(["NAME", "ID", "ROLE", "DISABLED"], &rows(&v, ["name", "id", "role", "disabled"]), "no accounts")
            });
            return Ok(());
        }
        UserCommand::Delete { place, name } => {
            let client = place.remote.client().await?;
            let id = account_id(&client, &name).await?;
            client.delete(&api_path("users_delete", &[("id", &id)])?, None).await?;
            out.value(&json!({"deleted": id}), || format!("deleted {name} ({id})"));
            return Ok(());
        }
        UserCommand::SetRole { place, name, role } => (place, name, json!({"role": role})),
        UserCommand::Disable { place, name } => (place, name, json!({"disabled": true})),
        UserCommand::Enable { place, name } => (place, name, json!({"disabled": false})),
    };
    let client = place.remote.client().await?;
    let id = account_id(&client, &name).await?;
    let v = client.patch(&api_path("users_update", &[("id", &id)])?, &body).await?;
    out.value(&v, || user_line(&v));
    Ok(())
}

async fn offline(cmd: UserCommand, key: KeyPlace, out: &Out) -> Result<()> {
    let (store, patch) = match cmd {
        UserCommand::List { place } => {
            let (auth, _) = crate::open(place.store.db.as_deref(), key).await?;
            let users = auth.all_users().await?;
            out.value(&users, || users.iter().map(line).collect::<Vec<_>>().join("\n"));
            return Ok(());
        }
        UserCommand::Delete { place, name } => {
            let (auth, sign_in) = crate::open(place.store.db.as_deref(), key).await?;
            let identities = auth.identities_before_delete(AdminActor::CommandLine, &name).await?;
            let user = auth.delete_user(AdminActor::CommandLine, &name).await?;
            if let Some(si) = sign_in {
                si.forget_tokens(&identities).await;
            }
            out.value(&json!({"deleted": user.id}), || format!("deleted {} ({})", user.name, user.id));
            return Ok(());
        }
        UserCommand::SetRole { place, name, role } => {
            let role =
                Role::from_name(&role).ok_or_else(|| anyhow::anyhow!("a role is admin or member, not {role:?}"))?;
            (place.store, (name, UserPatch { role: Patch::Set(role), disabled: Patch::Keep }))
        }
        UserCommand::Disable { place, name } => {
            (place.store, (name, UserPatch { role: Patch::Keep, disabled: Patch::Set(true) }))
        }
        UserCommand::Enable { place, name } => {
            (place.store, (name, UserPatch { role: Patch::Keep, disabled: Patch::Set(false) }))
        }
    };
    let (name, patch) = patch;
    let (auth, _) = crate::open(store.db.as_deref(), key).await?;
    let user = auth.update_user(AdminActor::CommandLine, &name, &patch).await?;
    out.value(&user, || line(&user));
    Ok(())
}
