//! `tessera admin provider …`: the identity providers of this instance, listed and checked
//! offline on the store, with the same checks as the API's `POST /providers/{id}/test`.

use anyhow::{anyhow, bail, Result};
use clap::Subcommand;
use tessera_auth::health::{CheckStatus, ProviderHealth};
use tessera_auth::local::KeyPlace;
use tessera_auth::{ProviderInfo, SignIn};

use crate::output::Out;
use crate::StoreArg;

/// The provider commands.
#[derive(Debug, Subcommand)]
pub enum ProviderCommand {
    /// List the providers: id, kind, name, where each is configured, and why one cannot be used.
    List {
        #[command(flatten)]
        store: StoreArg,
    },
    /// Check a provider now: discovery, a dry sign-in request, the client id and secret at the
    /// token endpoint, the role mapping. Exits 1 when any check is an error.
    Test {
        #[command(flatten)]
        store: StoreArg,
        /// The provider's id.
        id: String,
    },
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
        ProviderCommand::List { store } => {
            let list = sign_in(&store, key).await?.providers().await;
            out.value(&list, || {
                if list.is_empty() {
                    "no providers are configured".to_owned()
                } else {
                    list.iter().map(list_line).collect::<Vec<_>>().join("\n")
                }
            });
            Ok(())
        }
        ProviderCommand::Test { store, id } => {
            let report = sign_in(&store, key).await?.check_provider(&id).await?;
            out.value(&report, || report_text(&report));
            if !report.ok {
                bail!(crate::Silent);
            }
            Ok(())
        }
    }
}
