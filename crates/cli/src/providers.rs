//! `tessera admin provider …`: the identity providers of this instance — listed, shown, added,
//! replaced, deleted and checked through the API by an instance admin, or listed and checked
//! offline on the store (`--offline` or `--db`), with the same checks as the API's
//! `POST /providers/{id}/test`.

use std::path::PathBuf;

use anyhow::{anyhow, bail, Context, Result};
use clap::Subcommand;
use serde_json::{json, Value};
use tessera_auth::health::{CheckStatus, ProviderHealth};
use tessera_auth::local::KeyPlace;
use tessera_auth::{ProviderInfo, SignIn};

use crate::output::{field, rows, table, Out};
use crate::users::Place;
use crate::{api_path, Remote, StoreArg};

/// The provider commands.
#[derive(Debug, Subcommand)]
pub enum ProviderCommand {
    /// List the providers: id, kind, name, where each is configured, and why one cannot be used.
    List {
        #[command(flatten)]
        place: Place,
    },
    /// Check a provider now: discovery, a dry sign-in request, the client id and secret at the
    /// token endpoint, the role mapping. Exits 1 when any check is an error.
    Test {
        #[command(flatten)]
        place: Place,
        /// The provider's id.
        id: String,
    },
    /// Show a provider's configuration (whether it has a client secret, never the secret).
    Show {
        #[command(flatten)]
        remote: Remote,
        /// The provider's id.
        id: String,
    },
    /// Add a provider from a JSON file holding its configuration (the keys of providers.toml).
    Add {
        #[command(flatten)]
        remote: Remote,
        /// The JSON file.
        #[arg(long)]
        file: PathBuf,
    },
    /// Replace a provider's configuration from a JSON file; without client_secret the stored
    /// one stays.
    Update {
        #[command(flatten)]
        remote: Remote,
        /// The provider's id.
        id: String,
        /// The JSON file.
        #[arg(long)]
        file: PathBuf,
    },
    /// Delete a provider added through the API (those in providers.toml are changed there).
    Delete {
        #[command(flatten)]
        remote: Remote,
        /// The provider's id.
        id: String,
    },
}

fn config_file(file: &PathBuf) -> Result<Value> {
    let text = std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    serde_json::from_str(&text).map_err(|e| {
        crate::output::Usage(format!("{} is not a JSON object of a provider's configuration: {e}", file.display()))
            .into()
    })
}

/// Runs a provider command through the server's API.
async fn online(cmd: ProviderCommand, out: &Out) -> Result<()> {
    match cmd {
        ProviderCommand::List { place } => {
            let client = place.remote.client().await?;
            let v = client.public(reqwest::Method::GET, &api_path("signin_providers", &[])?, None).await?;
            out.value(&v, || {
                table(
                    ["ID", "KIND", "NAME", "SOURCE", "PROBLEM"],
                    &rows(&v, ["id", "kind", "name", "source", "error"]),
                    "no providers are configured",
                )
            });
            Ok(())
        }
        ProviderCommand::Test { place, id } => {
            let v = place.remote.client().await?.post(&api_path("providers_test", &[("id", &id)])?, &json!({})).await?;
            let report: ProviderHealth =
                serde_json::from_value(v.clone()).context("the server's report is not readable")?;
            out.value(&v, || report_text(&report));
            if !report.ok {
                bail!(crate::Silent);
            }
            Ok(())
        }
        ProviderCommand::Show { remote, id } => {
            let v = remote.client().await?.get(&api_path("providers_show", &[("id", &id)])?).await?;
            out.value(&v, || {
                let c = &v["config"];
                format!(
                    "{}\nsource: {}\nclient secret: {}",
                    crate::output::details(
                        c,
                        &[
                            ("ID", "id"),
                            ("Kind", "kind"),
                            ("Name", "name"),
                            ("Issuer", "issuer"),
                            ("Base URL", "base_url"),
                            ("Client id", "client_id"),
                            ("Scopes", "scopes")
                        ]
                    ),
                    field(&v, "source"),
                    if v["has_client_secret"] == true { "stored" } else { "none" }
                )
            });
            Ok(())
        }
        ProviderCommand::Add { remote, file } => {
            let body = config_file(&file)?;
            let v = remote.client().await?.post(&api_path("signin_add_provider", &[])?, &body).await?;
            out.value(&v, || format!("added provider {}", field(&v, "id")));
            Ok(())
        }
        ProviderCommand::Update { remote, id, file } => {
            let body = config_file(&file)?;
            let v = remote.client().await?.put(&api_path("providers_update", &[("id", &id)])?, &body).await?;
            out.value(&v, || format!("updated provider {id}"));
            Ok(())
        }
        ProviderCommand::Delete { remote, id } => {
            remote.client().await?.delete(&api_path("signin_delete_provider", &[("id", &id)])?, None).await?;
            out.value(&json!({"deleted": id}), || format!("deleted provider {id}"));
            Ok(())
        }
    }
}

async fn sign_in(store: &StoreArg, key: KeyPlace) -> Result<std::sync::Arc<SignIn>> {
    let (_, sign_in) = crate::open(store.db.as_deref(), key).await?;
    sign_in.ok_or_else(|| {
        anyhow!(
            "providers cannot be used here: there is no keyring to keep their client secrets and code-host tokens in \
             (start a Secret Service, such as gnome-keyring)"
        )
    })
}

fn list_line(p: &ProviderInfo) -> String {
    let source = serde_json::to_value(p.source).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
    let mut line = format!("{}\t{}\t{}\t{source}", p.id, p.kind.as_str(), p.name);
    if let Some(e) = &p.error {
        line.push_str(&format!("\t{e}"));
    }
    line
}

fn status_word(s: CheckStatus) -> &'static str {
    match s {
        CheckStatus::Ok => "ok",
        CheckStatus::Warning => "warning",
        CheckStatus::Error => "error",
    }
}

/// The report as text: one check a line, its status, what it looked at, its sentence.
fn report_text(r: &ProviderHealth) -> String {
    let mut lines: Vec<String> = r
        .checks
        .iter()
        .map(|c| {
            let name =
                serde_json::to_value(c.check).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
            format!("{:<8}{:<14}{}", status_word(c.status), name, c.detail)
        })
        .collect();
    lines.push(if r.ok {
        format!("provider {} is set up right", r.provider)
    } else {
        format!("provider {} needs attention: see the errors above", r.provider)
    });
    lines.join("\n")
}

/// Runs one provider command.
pub async fn run(cmd: ProviderCommand, key: KeyPlace, out: &Out) -> Result<()> {
    match cmd {
        ProviderCommand::List { place } if place.is_offline() => {
            let list = sign_in(&place.store, key).await?.providers().await;
            out.value(&list, || {
                if list.is_empty() {
                    "no providers are configured".to_owned()
                } else {
                    list.iter().map(list_line).collect::<Vec<_>>().join("\n")
                }
            });
            Ok(())
        }
        ProviderCommand::Test { place, id } if place.is_offline() => {
            let report = sign_in(&place.store, key).await?.check_provider(&id).await?;
            out.value(&report, || report_text(&report));
            if !report.ok {
                bail!(crate::Silent);
            }
            Ok(())
        }
        other => online(other, out).await,
    }
}
