//! `tessera org …`: organizations, their members, invitations and token policy, as a client of
//! the REST API.

use anyhow::Result;
use clap::{Args, Subcommand};
use serde_json::{json, Value};

use crate::output::{field, rows, table, Out};
use crate::{api_path, Remote};

/// Organization commands.
#[derive(Debug, Subcommand)]
pub enum OrgCommand {
    /// The organizations you belong to, with your role in each.
    List {
        #[command(flatten)]
        remote: Remote,
    },
    /// Create an organization; you become its admin.
    Create {
        #[command(flatten)]
        remote: Remote,
        /// Its unique name: letters, digits, `.`, `_`, `-`.
        name: String,
    },
    /// Show one organization.
    Show {
        #[command(flatten)]
        remote: Remote,
        /// The organization's id.
        org: String,
    },
    /// The members of an organization and their roles.
    Members {
        #[command(flatten)]
        remote: Remote,
        /// The organization's id.
        org: String,
    },
    /// Change a member's role (someone not yet a member is invited with that role instead).
    SetRole {
        #[command(flatten)]
        remote: Remote,
        /// The organization's id.
        org: String,
        /// The account name or id.
        user: String,
        /// `admin` or `member`.
        #[arg(value_parser = ["admin", "member"])]
        role: String,
    },
    /// Remove a member (the last admin stays).
    Remove {
        #[command(flatten)]
        remote: Remote,
        /// The organization's id.
        org: String,
        /// The account name or id.
        user: String,
    },
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
    /// Withdraw an invitation your organization sent.
    Withdraw {
        #[command(flatten)]
        remote: Remote,
        /// The organization's id.
        org: String,
        /// The invitation's id.
        id: String,
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
    /// The organization's token policy: show it, or set it.
    #[command(subcommand)]
    Policy(OrgPolicyCommand),
}

/// `tessera org policy …`.
#[derive(Debug, Subcommand)]
pub enum OrgPolicyCommand {
    /// The organization's own policy, the instance's, and the one in force (the stricter).
    Show {
        #[command(flatten)]
        remote: Remote,
        /// The organization's id.
        org: String,
    },
    /// Replace the organization's policy (it can only be stricter than the instance's).
    Set {
        #[command(flatten)]
        remote: Remote,
        /// The organization's id.
        org: String,
        #[command(flatten)]
        policy: PolicyArgs,
    },
}

/// A token policy on the command line: what is not given is not limited.
#[derive(Debug, Args)]
pub struct PolicyArgs {
    /// The longest a new or rotated token may live, in days (no limit when absent).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=36600))]
    max_lifetime_days: Option<u32>,
    /// Every new token must have an expiry.
    #[arg(long)]
    require_expiry: bool,
}

impl PolicyArgs {
    /// The JSON body of a policy PUT.
    pub fn body(&self) -> Value {
        json!({
            "max_lifetime_seconds": self.max_lifetime_days.map(|d| i64::from(d) * 86_400),
            "require_expiry": self.require_expiry,
        })
    }
}

/// Runs an organization command.
pub async fn run(cmd: OrgCommand, out: &Out) -> Result<()> {
    match cmd {
        OrgCommand::List { remote } => {
            let v = remote.client().await?.get(&api_path("orgs_list", &[])?).await?;
            out.value(&v, || {
                table(
                    ["ID", "NAME", "ROLE", "CREATED"],
                    &rows(&v, ["id", "name", "role", "created_at"]),
                    "no organizations",
                )
            });
            Ok(())
        }
        OrgCommand::Create { remote, name } => {
            let v = remote.client().await?.post(&api_path("orgs_create", &[])?, &json!({"name": name})).await?;
            out.value(&v, || {
                format!("created organization {} ({}); you are its admin", field(&v, "name"), field(&v, "id"))
            });
            Ok(())
        }
        OrgCommand::Show { remote, org } => {
            let v = remote.client().await?.get(&api_path("orgs_get", &[("org", &org)])?).await?;
            out.value(&v, || {
                crate::output::details(
                    &v,
                    &[("ID", "id"), ("Name", "name"), ("Your role", "role"), ("Created", "created_at")],
                )
            });
            Ok(())
        }
        OrgCommand::Members { remote, org } => {
            let v = remote.client().await?.get(&api_path("orgs_members", &[("org", &org)])?).await?;
            out.value(&v, || members_table(&v));
            Ok(())
        }
        OrgCommand::SetRole { remote, org, user, role } => {
            let v = remote
                .client()
                .await?
                .post(&api_path("orgs_put_member", &[("org", &org)])?, &json!({"user": user, "role": role}))
                .await?;
            out.value(&v, || {
                if v.is_array() {
                    members_table(&v)
                } else {
                    format!(
                        "{} is not a member yet: invited as {} ({}); they become a member once they accept",
                        field(&v, "invitee"),
                        field(&v, "role"),
                        field(&v, "id")
                    )
                }
            });
            Ok(())
        }
        OrgCommand::Remove { remote, org, user } => {
            remote
                .client()
                .await?
                .delete(&api_path("orgs_remove_member", &[("org", &org)])?, Some(&json!({"user": user})))
                .await?;
            out.value(&json!({"removed": user}), || format!("removed {user}"));
            Ok(())
        }
        OrgCommand::Invite { remote, org, name, role } => {
            let v = remote
                .client()
                .await?
                .post(&api_path("orgs_invite", &[("org", &org)])?, &json!({"user": name, "role": role}))
                .await?;
            out.value(&v, || {
                format!(
                    "invited {} to {} as {} ({}); they become a member once they accept",
                    field(&v, "invitee"),
                    field(&v, "org_name"),
                    field(&v, "role"),
                    field(&v, "id")
                )
            });
            Ok(())
        }
        OrgCommand::Invitations { remote, org } => {
            let path = match &org {
                Some(org) => api_path("orgs_invitations", &[("org", org)])?,
                None => api_path("orgs_my_invitations", &[])?,
            };
            let v = remote.client().await?.get(&path).await?;
            out.value(&v, || invitations_table(&v, org.is_some()));
            Ok(())
        }
        OrgCommand::Withdraw { remote, org, id } => {
            remote
                .client()
                .await?
                .delete(&api_path("orgs_withdraw_invitation", &[("org", &org), ("id", &id)])?, None)
                .await?;
            out.value(&json!({"withdrawn": id}), || "withdrawn".to_owned());
            Ok(())
        }
        OrgCommand::Accept { remote, id } => {
            let v =
                remote.client().await?.post(&api_path("orgs_accept_invitation", &[("id", &id)])?, &json!({})).await?;
            out.value(&v, || {
                format!("you are now a {} of {} ({})", field(&v, "role"), field(&v, "name"), field(&v, "id"))
            });
            Ok(())
        }
        OrgCommand::Decline { remote, id } => {
            remote.client().await?.post(&api_path("orgs_decline_invitation", &[("id", &id)])?, &json!({})).await?;
            out.value(&json!({"declined": id}), || "declined".to_owned());
            Ok(())
        }
        OrgCommand::Policy(OrgPolicyCommand::Show { remote, org }) => {
            let v = remote.client().await?.get(&api_path("policy_get_org", &[("org", &org)])?).await?;
            out.value(&v, || {
                format!(
                    "in force:\n{}\n\nthis organization's:\n{}\n\nthe instance's:\n{}",
                    crate::output::policy_text(&v["in_force"]),
                    crate::output::policy_text(&v["policy"]),
                    crate::output::policy_text(&v["instance"])
                )
            });
            Ok(())
        }
        OrgCommand::Policy(OrgPolicyCommand::Set { remote, org, policy }) => {
            let v = remote.client().await?.put(&api_path("policy_put_org", &[("org", &org)])?, &policy.body()).await?;
            let shown = if v.get("policy").is_some() { v["policy"].clone() } else { v.clone() };
            out.value(&v, || crate::output::policy_text(&shown));
            Ok(())
        }
    }
}

fn members_table(v: &Value) -> String {
    let list: Vec<[String; 3]> = v
        .as_array()
        .into_iter()
        .flatten()
        .map(|m| [field(&m["user"], "name"), field(&m["user"], "id"), field(m, "role")])
        .collect();
    table(["NAME", "ID", "ROLE"], &list, "no members")
}

/// Invitations as an aligned table: for an organization's admins, whom they invited; for the
/// invitee, which organization invites them.
fn invitations_table(v: &Value, of_org: bool) -> String {
    let who = if of_org { "invitee" } else { "org_name" };
    let head = if of_org { "INVITEE" } else { "ORGANIZATION" };
    table(
        ["ID", head, "ROLE", "INVITED BY", "EXPIRES"],
        &rows(v, ["id", who, "role", "invited_by", "expires_at"]),
        "no pending invitations",
    )
}
