//! `tessera token …`: every kind of token — personal access, organization, agent and trigger —
//! created, listed, shown, edited, rotated, revoked and deleted through the REST API, and a value
//! inspected offline.

use anyhow::{bail, Result};
use chrono::{DateTime, Duration, Utc};
use clap::{Args, Subcommand};
use serde_json::{json, Value};
use tessera_core::token::{self, FormatError};
use tessera_core::Scopes;

use crate::output::{self, field, Out, Usage};
use crate::{api_path, Remote, ServerOnly};

/// Which collection of tokens a command works on.
#[derive(Debug, Args)]
pub struct Collection {
    /// Organization tokens (or organization agent tokens with --agent) of this organization id.
    #[arg(long, conflicts_with = "project")]
    org: Option<String>,
    /// Trigger tokens of this project id.
    #[arg(long)]
    project: Option<String>,
    /// Agent tokens instead of access tokens.
    #[arg(long, conflicts_with = "project")]
    agent: bool,
}

impl Collection {
    /// The path of `operation` (`list`, `create`, `rotate`…) on this collection, from the
    /// API's own routes.
    fn path(&self, operation: &str, id: Option<&str>) -> Result<String> {
        let (collection, mut params) = match (&self.org, &self.project, self.agent) {
            (Some(org), _, false) => ("org_tokens", vec![("org", org.as_str())]),
            (Some(org), _, true) => ("org_agent_tokens", vec![("org", org.as_str())]),
            (None, Some(p), _) => ("trigger_tokens", vec![("project", p.as_str())]),
            (None, None, true) => ("user_agent_tokens", vec![]),
            (None, None, false) => ("pats", vec![]),
        };
        params.extend(id.map(|id| ("id", id)));
        api_path(&format!("tokens_{operation}_{collection}"), &params)
    }
}

/// The token commands.
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Check a token value's shape and checksum, offline ("-" reads it from standard input).
    Inspect {
        /// The value, or "-".
        value: String,
    },
    /// Create a token and print its value once.
    Create {
        #[command(flatten)]
        remote: Remote,
        #[command(flatten)]
        collection: Collection,
        /// A short name.
        #[arg(long)]
        label: String,
        /// A longer note.
        #[arg(long, default_value = "")]
        description: String,
        /// A scope (repeat for several): trigger, read, pipeline:write, repo:write, secret:write,
        /// token:admin, org:admin.
        #[arg(long = "scope")]
        scopes: Vec<String>,
        /// Expire after this many days.
        #[arg(long, conflicts_with = "expires_at")]
        expires_in_days: Option<u32>,
        /// Expire at this instant (RFC 3339).
        #[arg(long)]
        expires_at: Option<DateTime<Utc>>,
    },
    /// List tokens.
    List {
        #[command(flatten)]
        remote: Remote,
        #[command(flatten)]
        collection: Collection,
    },
    /// Show one token (never its value).
    Show {
        #[command(flatten)]
        remote: Remote,
        #[command(flatten)]
        collection: Collection,
        /// The token's id.
        id: String,
    },
    /// Change a token's label or description.
    Edit {
        #[command(flatten)]
        remote: Remote,
        #[command(flatten)]
        collection: Collection,
        /// The token's id.
        id: String,
        /// A new label.
        #[arg(long)]
        label: Option<String>,
        /// A new description.
        #[arg(long, conflicts_with = "clear_description")]
        description: Option<String>,
        /// Remove the description.
        #[arg(long)]
        clear_description: bool,
    },
    /// Give a token a new value; the old one stops working at once.
    Rotate {
        #[command(flatten)]
        remote: Remote,
        #[command(flatten)]
        collection: Collection,
        /// The token's id.
        id: String,
    },
    /// Revoke a token or session by its value (RFC 7009); needs no other credential. "-" reads
    /// the value from standard input, which keeps it out of the process list.
    Revoke {
        #[command(flatten)]
        server: ServerOnly,
        /// The value to revoke, or "-".
        value: String,
    },
    /// Delete a token by its id: it stops working at once and leaves the list.
    Delete {
        #[command(flatten)]
        remote: Remote,
        #[command(flatten)]
        collection: Collection,
        /// The token's id.
        id: String,
    },
    /// Ask the server what a value is (RFC 7662): active or not, its kind, scopes and expiry.
    /// Needs a login session or a token with token:admin; "-" reads the value from standard input.
    Introspect {
        #[command(flatten)]
        remote: Remote,
        /// The value, or "-".
        value: String,
    },
    /// The token policy that applies to your personal access tokens.
    Policy {
        #[command(flatten)]
        remote: Remote,
    },
}

/// The token value a create or rotate answer reveals, its one and only time. An answer without
/// one is a failure, not an empty line above "store it now".
fn revealed(answer: &Value) -> Result<&str> {
    answer["token"].as_str().ok_or_else(|| anyhow::anyhow!("the server's answer carries no token value"))
}

/// A value given on the command line, or read from standard input for "-".
pub fn value_arg(value: &str) -> Result<String> {
    let v = if value == "-" { crate::read_stdin()? } else { value.to_owned() };
    let v = v.trim().to_owned();
    if v.is_empty() {
        return Err(Usage("the value is empty".to_owned()).into());
    }
    Ok(v)
}

/// One token as `key: value` lines.
pub fn token_details(t: &Value) -> String {
    let owner = format!("{} {}", field(&t["owner"], "kind"), field(&t["owner"], "id"));
    let mut v = t.clone();
    v["owner_text"] = json!(owner);
    output::details(
        &v,
        &[
            ("ID", "id"),
            ("Label", "label"),
            ("Kind", "kind"),
            ("Description", "description"),
            ("Scopes", "scopes"),
            ("Owner", "owner_text"),
            ("Hint", "hint"),
            ("Created", "created_at"),
            ("Expires", "expires_at"),
            ("Last used", "last_used_at"),
            ("Last used from", "last_used_ip"),
            ("Revoked", "revoked_at"),
        ],
    )
}

/// Runs one token command.
pub async fn run(cmd: TokenCommand, out: &Out) -> Result<()> {
    match cmd {
        TokenCommand::Inspect { value } => {
            let value = value_arg(&value)?;
            let value = value.as_str();
            let parsed = token::parse(value);
            let v = json!({
                "valid": parsed.is_ok(),
                "kind": parsed.ok().map(|k| k.as_str()),
                "checksum_valid": !matches!(parsed, Err(FormatError::Checksum) | Err(FormatError::Shape)),
                "hint": parsed.is_ok().then(|| token::hint(value)),
                "error": parsed.err().map(|e| e.to_string()),
            });
            out.value(&v, || match parsed {
                Ok(k) => format!("a well-formed {} token ({}); checksum valid", k.as_str(), token::hint(value)),
                Err(e) => format!("not valid: {e}"),
            });
            if parsed.is_err() {
                bail!(crate::Silent);
            }
            Ok(())
        }
        TokenCommand::Create { remote, collection, label, description, scopes, expires_in_days, expires_at } => {
            Scopes::parse(&scopes).map_err(|e| Usage(e.to_string()))?;
            let expires_at = match (expires_in_days, expires_at) {
                (Some(d), _) => Some(Utc::now() + Duration::days(i64::from(d))),
                (None, at) => at,
            };
            let body = json!({"label": label, "description": description, "scopes": scopes, "expires_at": expires_at});
            let v = remote.client().await?.post(&collection.path("create", None)?, &body).await?;
            let value = revealed(&v)?;
            out.value(&v, || {
                format!(
                    "{value}\n\nThis is the only time the value is shown: store it now.\n{} {} ({})",
                    field(&v, "kind"),
                    field(&v, "id"),
                    field(&v, "hint")
                )
            });
            Ok(())
        }
        TokenCommand::List { remote, collection } => {
            let v = remote.client().await?.get(&collection.path("list", None)?).await?;
            out.value(&v, || output::token_table(&v));
            Ok(())
        }
        TokenCommand::Show { remote, collection, id } => {
            let v = remote.client().await?.get(&collection.path("get", Some(&id))?).await?;
            out.value(&v, || token_details(&v));
            Ok(())
        }
        TokenCommand::Edit { remote, collection, id, label, description, clear_description } => {
            let mut body = serde_json::Map::new();
            if let Some(l) = label {
                body.insert("label".into(), json!(l));
            }
            if let Some(d) = description {
                body.insert("description".into(), json!(d));
            } else if clear_description {
                body.insert("description".into(), Value::Null);
            }
            if body.is_empty() {
                return Err(
                    Usage("nothing to change: give --label, --description or --clear-description".into()).into()
                );
            }
            let v = remote.client().await?.patch(&collection.path("update", Some(&id))?, &Value::Object(body)).await?;
            out.value(&v, || token_details(&v));
            Ok(())
        }
        TokenCommand::Rotate { remote, collection, id } => {
            let v = remote.client().await?.post(&collection.path("rotate", Some(&id))?, &json!({})).await?;
            let value = revealed(&v)?;
            out.value(&v, || {
                format!("{value}\n\nThe old value no longer works. This is the only time the new value is shown.")
            });
            Ok(())
        }
        TokenCommand::Revoke { server, value } => {
            let value = value_arg(&value)?;
            server.client()?.form(&api_path("account_revoke", &[])?, &value, false).await?;
            out.value(&json!({"revoked": true}), || "revoked (if the server knew it, it no longer works)".to_owned());
            Ok(())
        }
        TokenCommand::Delete { remote, collection, id } => {
            remote.client().await?.delete(&collection.path("delete", Some(&id))?, None).await?;
            out.value(&json!({"deleted": id}), || format!("deleted {id}"));
            Ok(())
        }
        TokenCommand::Introspect { remote, value } => {
            let value = value_arg(&value)?;
            let v = remote.client().await?.form(&api_path("account_introspect", &[])?, &value, true).await?;
            out.value(&v, || {
                if v["active"].as_bool() == Some(true) {
                    let exp = v["exp"]
                        .as_i64()
                        .and_then(|s| DateTime::<Utc>::from_timestamp(s, 0))
                        .map_or_else(|| "never".to_owned(), |t| t.to_rfc3339());
                    format!(
                        "active: {} {} of {}; scopes: {}; expires: {exp}",
                        field(&v, "token_type"),
                        field(&v, "jti"),
                        field(&v, "sub"),
                        v["scope"].as_str().filter(|s| !s.is_empty()).unwrap_or("none")
                    )
                } else {
                    "not active (unknown, revoked, expired, or not yours to see)".to_owned()
                }
            });
            Ok(())
        }
        TokenCommand::Policy { remote } => {
            let v = remote.client().await?.get(&api_path("policy_get_user", &[])?).await?;
            out.value(&v, || output::policy_text(&v));
            Ok(())
        }
    }
}
