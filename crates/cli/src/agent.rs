//! `tessera agent …`: agents as the API sees them — listed with `read`, and connected, kept alive
//! and given runs with an agent token (pass it with --token).

use anyhow::Result;
use clap::Subcommand;
use serde_json::{json, Value};

use crate::output::{field, table, Out};
use crate::{api_path, Remote};

/// `tessera agent …`.
#[derive(Debug, Subcommand)]
pub enum AgentCommand {
    /// The agents of your tokens and organizations.
    List {
        #[command(flatten)]
        remote: Remote,
    },
    /// Connect an agent with an agent token; prints the agent's id.
    Connect {
        #[command(flatten)]
        remote: Remote,
        /// The agent's name: letters, digits, `.`, `_`, `-`.
        name: String,
    },
    /// Report what an agent is doing.
    Heartbeat {
        #[command(flatten)]
        remote: Remote,
        /// The agent's id.
        id: String,
        /// online, busy or offline.
        #[arg(long, default_value = "online", value_parser = ["online", "busy", "offline"])]
        status: String,
    },
    /// Claim the next queued run of the agent's owner, if there is one.
    Claim {
        #[command(flatten)]
        remote: Remote,
        /// The agent's id.
        id: String,
    },
    /// Disconnect an agent.
    Disconnect {
        #[command(flatten)]
        remote: Remote,
        /// The agent's id.
        id: String,
    },
}

fn agents_table(v: &Value) -> String {
    let list: Vec<[String; 5]> = v
        .as_array()
        .into_iter()
        .flatten()
        .map(|a| {
            let owner = format!("{} {}", field(&a["owner"], "kind"), field(&a["owner"], "id"));
            [field(a, "id"), field(a, "name"), field(a, "status"), owner, field(a, "last_seen_at")]
        })
        .collect();
    table(["ID", "NAME", "STATUS", "OWNER", "LAST SEEN"], &list, "no agents")
}

/// Runs an agent command.
pub async fn run(cmd: AgentCommand, out: &Out) -> Result<()> {
    match cmd {
        AgentCommand::List { remote } => {
            let v = remote.client().await?.get(&api_path("agents_list", &[])?).await?;
            out.value(&v, || agents_table(&v));
            Ok(())
        }
        AgentCommand::Connect { remote, name } => {
            let v = remote.client().await?.post(&api_path("agents_connect", &[])?, &json!({"name": name})).await?;
            out.value(&v, || field(&v, "agent_id"));
            Ok(())
        }
        AgentCommand::Heartbeat { remote, id, status } => {
            let path = api_path("agents_heartbeat", &[("id", &id)])?;
            let v = remote.client().await?.post(&path, &json!({"status": status})).await?;
            out.value(&v, || format!("agent {} is {}", field(&v, "name"), field(&v, "status")));
            Ok(())
        }
        AgentCommand::Claim { remote, id } => {
            let v = remote.client().await?.post(&api_path("agents_claim", &[("id", &id)])?, &json!({})).await?;
            out.value(&v, || {
                if v["run"].is_object() {
                    format!("claimed run {} of project {}", field(&v["run"], "id"), field(&v["run"], "project_id"))
                } else {
                    "no run is queued".to_owned()
                }
            });
            Ok(())
        }
        AgentCommand::Disconnect { remote, id } => {
            remote.client().await?.delete(&api_path("agents_disconnect", &[("id", &id)])?, None).await?;
            out.value(&json!({"disconnected": id}), || format!("disconnected agent {id}"));
            Ok(())
        }
    }
}
