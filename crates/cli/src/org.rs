//! `tessera org …`: organization membership by invitation, as a client of the REST API.

use anyhow::Result;
use clap::Subcommand;
use serde_json::{json, Value};

use crate::api_path;
use crate::client::Client;
use crate::output::Out;
use crate::Remote;

/// Organization commands.
#[derive(Debug, Subcommand)]
pub enum OrgCommand {
    /// Invite someone to an organization; they become a member once they accept.
    Invite {
        #[command(flatten)]
        remote: Remote,
        /// The organization's id.
        org: String,
        /// The account name (or id) to invite.
        name: String,
        /// The role they get on accepting.
        #[arg(long, default_value = "member", value_parser = ["member", "admin"])]
        role: String,
    },
    /// The invitations waiting for you (with --org ID: that organization's pending invitations).
    Invitations {
        #[command(flatten)]
        remote: Remote,
        /// An organization you administer.
        #[arg(long)]
        org: Option<String>,
    },
    /// Accept an invitation: you join its organization.
    Accept {
        #[command(flatten)]
        remote: Remote,
        /// The invitation's id.
        id: String,
    },
    /// Decline an invitation.
    Decline {
        #[command(flatten)]
        remote: Remote,
        /// The invitation's id.
        id: String,
    },
}

/// Runs an organization command.
pub async fn run(cmd: OrgCommand, out: &Out) -> Result<()> {
    match cmd {
        OrgCommand::Invite { remote, org, name, role } => {
            let v = Client::new(&remote.server, remote.token)?
                .post(&api_path("orgs_invite", &[("org", &org)])?, &json!({"user": name, "role": role}))
                .await?;
            out.value(&v, || {
                format!(
                    "invited {} to {} as {} ({}); they become a member once they accept",
                    s(&v, "invitee"),
                    s(&v, "org_name"),
                    s(&v, "role"),
                    s(&v, "id")
                )
            });
            Ok(())
        }
        OrgCommand::Invitations { remote, org } => {
            let path = match &org {
                Some(org) => api_path("orgs_invitations", &[("org", org)])?,
                None => api_path("orgs_my_invitations", &[])?,
            };
            let v = Client::new(&remote.server, remote.token)?.get(&path).await?;
            out.value(&v, || table(&v, org.is_some()));
            Ok(())
        }
        OrgCommand::Accept { remote, id } => {
            let v = Client::new(&remote.server, remote.token)?
                .post(&api_path("orgs_accept_invitation", &[("id", &id)])?, &json!({}))
                .await?;
            out.value(&v, || format!("you are now a {} of {} ({})", s(&v, "role"), s(&v, "name"), s(&v, "id")));
            Ok(())
        }
        OrgCommand::Decline { remote, id } => {
            Client::new(&remote.server, remote.token)?
                .post(&api_path("orgs_decline_invitation", &[("id", &id)])?, &json!({}))
                .await?;
            out.value(&json!({"declined": id}), || "declined".to_owned());
            Ok(())
        }
    }
}

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v[k].as_str().unwrap_or("-")
}

/// Invitations as an aligned table: for an organization's admins, whom they invited; for the
/// invitee, which organization invites them.
fn table(v: &Value, of_org: bool) -> String {
    let Some(list) = v.as_array() else { return String::new() };
    if list.is_empty() {
        return "no pending invitations".to_owned();
    }
    let who = if of_org { "INVITEE" } else { "ORGANIZATION" };
    let mut rows = vec![["ID".to_owned(), who.to_owned(), "ROLE".into(), "INVITED BY".into(), "EXPIRES".into()]];
    for i in list {
        let name = if of_org { s(i, "invitee") } else { s(i, "org_name") };
        rows.push([s(i, "id"), name, s(i, "role"), s(i, "invited_by"), s(i, "expires_at")].map(str::to_owned));
    }
    let widths: Vec<usize> = (0..5).map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0)).collect();
    rows.iter()
        .map(|r| {
            r.iter().zip(&widths).map(|(c, w)| format!("{c:<w$}")).collect::<Vec<_>>().join("  ").trim_end().to_owned()
        })
        .collect::<Vec<_>>()
        .join("\n")
}
