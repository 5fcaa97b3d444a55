//! `tessera admin user …`: accounts administered offline on the store, for recovery when no
//! admin can sign in (the same rules as the API: the last enabled admin stays).

use anyhow::Result;
use clap::Subcommand;
use serde_json::json;
use tessera_auth::local::KeyPlace;
use tessera_core::authority::{AdminActor, UserPatch};
use tessera_core::model::{Role, User};
use tessera_core::patch::Patch;

use crate::output::Out;
use crate::StoreArg;

/// The account commands.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// List every account with its local role and whether it is disabled.
    List {
        #[command(flatten)]
        store: StoreArg,
    },
    /// Set an account's local role.
    SetRole {
        #[command(flatten)]
        store: StoreArg,
        /// The account name or id.
        name: String,
        /// `admin` or `member`.
        #[arg(value_parser = ["admin", "member"])]
        role: String,
    },
    /// Disable an account: its sessions and tokens stop working at once; nothing is deleted.
    Disable {
        #[command(flatten)]
        store: StoreArg,
        /// The account name or id.
        name: String,
    },
    /// Re-enable a disabled account.
    Enable {
        #[command(flatten)]
        store: StoreArg,
        /// The account name or id.
        name: String,
    },
    /// Delete an account with its tokens, sessions, linked identities and personal projects.
    Delete {
        #[command(flatten)]
        store: StoreArg,
        /// The account name or id.
        name: String,
    },
}

fn line(u: &User) -> String {
    format!("{}\t{}\t{}{}", u.name, u.id, u.role.as_str(), if u.disabled { "\tdisabled" } else { "" })
}

/// Runs one account command.
pub async fn run(cmd: UserCommand, key: KeyPlace, out: &Out) -> Result<()> {
    let (store, patch) = match cmd {
        UserCommand::List { store } => {
            let (auth, _) = crate::open(store.db.as_deref(), key).await?;
            let users = auth.all_users().await?;
            out.value(&users, || users.iter().map(line).collect::<Vec<_>>().join("\n"));
            return Ok(());
        }
        UserCommand::Delete { store, name } => {
            let (auth, sign_in) = crate::open(store.db.as_deref(), key).await?;
            let identities = auth.identities_before_delete(AdminActor::CommandLine, &name).await?;
            let user = auth.delete_user(AdminActor::CommandLine, &name).await?;
            if let Some(si) = sign_in {
                si.forget_tokens(&identities).await;
            }
            out.value(&json!({"deleted": user.id}), || format!("deleted {} ({})", user.name, user.id));
            return Ok(());
        }
        UserCommand::SetRole { store, name, role } => {
            let role =
                Role::from_name(&role).ok_or_else(|| anyhow::anyhow!("a role is admin or member, not {role:?}"))?;
            (store, (name, UserPatch { role: Patch::Set(role), disabled: Patch::Keep }))
        }
        UserCommand::Disable { store, name } => {
            (store, (name, UserPatch { role: Patch::Keep, disabled: Patch::Set(true) }))
        }
        UserCommand::Enable { store, name } => {
            (store, (name, UserPatch { role: Patch::Keep, disabled: Patch::Set(false) }))
        }
    };
    let (name, patch) = patch;
    let (auth, _) = crate::open(store.db.as_deref(), key).await?;
    let user = auth.update_user(AdminActor::CommandLine, &name, &patch).await?;
    out.value(&user, || line(&user));
    Ok(())
}
