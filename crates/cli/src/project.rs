//! `tessera project|run|secret|pipeline …`: projects and what belongs to them, as a client of
//! the REST API. Secret values and pipeline files are read from standard input or a file, never
//! from the command line, where other users of the computer could see them.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Subcommand;
use serde_json::{json, Value};

use crate::output::{details, field, rows, table, Out, Usage};
use crate::{api_path, Remote};

/// `tessera project …`.
#[derive(Debug, Subcommand)]
pub enum ProjectCommand {
    /// The projects you can see.
    List {
        #[command(flatten)]
        remote: Remote,
    },
    /// Create a project, yours or an organization's.
    Create {
        #[command(flatten)]
        remote: Remote,
        /// Its name, unique per owner: letters, digits, `.`, `_`, `-`.
        name: String,
        /// The owning organization's id (a personal project when absent).
        #[arg(long)]
        org: Option<String>,
        /// Where its repository lives (https://, http://, ssh:// or git@).
        #[arg(long)]
        repository_url: Option<String>,
    },
    /// Show one project.
    Show {
        #[command(flatten)]
        remote: Remote,
        /// The project's id.
        project: String,
    },
    /// Rename a project or change its repository URL.
    Edit {
        #[command(flatten)]
        remote: Remote,
        /// The project's id.
        project: String,
        /// A new name.
        #[arg(long)]
        name: Option<String>,
        /// A new repository URL.
        #[arg(long, conflicts_with = "clear_repository_url")]
        repository_url: Option<String>,
        /// Remove the repository URL.
        #[arg(long)]
        clear_repository_url: bool,
    },
    /// Delete a project with its runs, pipelines, secrets and trigger tokens.
    Delete {
        #[command(flatten)]
        remote: Remote,
        /// The project's id.
        project: String,
    },
}

/// `tessera run …`.
#[derive(Debug, Subcommand)]
pub enum RunCommand {
    /// Queue a run of a project (a trigger token of it, or a credential with the trigger scope).
    Trigger {
        #[command(flatten)]
        remote: Remote,
        /// The project's id.
        project: String,
    },
    /// A project's runs, newest first.
    List {
        #[command(flatten)]
        remote: Remote,
        /// The project's id.
        project: String,
    },
}

/// `tessera secret …`.
#[derive(Debug, Subcommand)]
pub enum SecretCommand {
    /// Set a project secret; the value is read from standard input (or --from-file) and can
    /// never be read back.
    Set {
        #[command(flatten)]
        remote: Remote,
        /// The project's id.
        project: String,
        /// The secret's name.
        name: String,
        /// Read the value from this file instead of standard input.
        #[arg(long)]
        from_file: Option<PathBuf>,
    },
    /// Whether a secret is set, and when it was last written (never its value).
    Show {
        #[command(flatten)]
        remote: Remote,
        /// The project's id.
        project: String,
        /// The secret's name.
        name: String,
    },
    /// Delete a project secret.
    Delete {
        #[command(flatten)]
        remote: Remote,
        /// The project's id.
        project: String,
        /// The secret's name.
        name: String,
    },
}

/// `tessera pipeline …`.
#[derive(Debug, Subcommand)]
pub enum PipelineCommand {
    /// Write a pipeline file of a project from --file or standard input.
    Set {
        #[command(flatten)]
        remote: Remote,
        /// The project's id.
        project: String,
        /// The file's name in the project.
        name: String,
        /// Read the content from this file instead of standard input.
        #[arg(long)]
        file: Option<PathBuf>,
    },
    /// Import a pipeline file from the project's repository, read at its code host through your
    /// linked account there.
    Import {
        #[command(flatten)]
        remote: Remote,
        /// The project's id.
        project: String,
        /// The file's name in the project.
        name: String,
        /// The file's path in the repository, e.g. .tessera/pipeline.yml.
        #[arg(long)]
        path: String,
        /// A branch, tag or commit (default: the repository's default branch).
        #[arg(long = "ref")]
        git_ref: Option<String>,
    },
    /// Print a pipeline file of a project.
    Show {
        #[command(flatten)]
        remote: Remote,
        /// The project's id.
        project: String,
        /// The file's name in the project.
        name: String,
    },
}

/// The content of `file`, or of standard input.
fn content(file: Option<&PathBuf>) -> Result<String> {
    match file {
        Some(f) => std::fs::read_to_string(f).with_context(|| format!("cannot read {}", f.display())),
        None => crate::read_stdin(),
    }
}

fn owner(p: &Value) -> String {
    format!("{} {}", field(&p["owner"], "kind"), field(&p["owner"], "id"))
}

fn project_details(p: &Value) -> String {
    let mut v = p.clone();
    v["owner_text"] = json!(owner(p));
    details(
        &v,
        &[
            ("ID", "id"),
            ("Name", "name"),
            ("Owner", "owner_text"),
            ("Repository", "repository_url"),
            ("Created", "created_at"),
        ],
    )
}

/// Runs a project command.
pub async fn project(cmd: ProjectCommand, out: &Out) -> Result<()> {
    match cmd {
        ProjectCommand::List { remote } => {
            let v = remote.client().await?.get(&api_path("projects_list", &[])?).await?;
            out.value(&v, || {
                let list: Vec<[String; 4]> = v
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|p| [field(p, "id"), field(p, "name"), owner(p), field(p, "repository_url")])
                    .collect();
                table(["ID", "NAME", "OWNER", "REPOSITORY"], &list, "no projects")
            });
            Ok(())
        }
        ProjectCommand::Create { remote, name, org, repository_url } => {
            let body = json!({"name": name, "org": org, "repository_url": repository_url});
            let v = remote.client().await?.post(&api_path("projects_create", &[])?, &body).await?;
            out.value(&v, || format!("created project {} ({})", field(&v, "name"), field(&v, "id")));
            Ok(())
        }
        ProjectCommand::Show { remote, project } => {
            let v = remote.client().await?.get(&api_path("projects_get", &[("project", &project)])?).await?;
            out.value(&v, || project_details(&v));
            Ok(())
        }
        ProjectCommand::Edit { remote, project, name, repository_url, clear_repository_url } => {
            let mut body = serde_json::Map::new();
            if let Some(n) = name {
                body.insert("name".into(), json!(n));
            }
            if let Some(u) = repository_url {
                body.insert("repository_url".into(), json!(u));
            } else if clear_repository_url {
                body.insert("repository_url".into(), Value::Null);
            }
            if body.is_empty() {
                return Err(
                    Usage("nothing to change: give --name, --repository-url or --clear-repository-url".into()).into()
                );
            }
            let v = remote
                .client()
                .await?
                .patch(&api_path("projects_update", &[("project", &project)])?, &Value::Object(body))
                .await?;
            out.value(&v, || project_details(&v));
            Ok(())
        }
        ProjectCommand::Delete { remote, project } => {
            remote.client().await?.delete(&api_path("projects_delete", &[("project", &project)])?, None).await?;
            out.value(&json!({"deleted": project}), || format!("deleted project {project}"));
            Ok(())
        }
    }
}

/// Runs a run command.
pub async fn run(cmd: RunCommand, out: &Out) -> Result<()> {
    match cmd {
        RunCommand::Trigger { remote, project } => {
            let v = remote
                .client()
                .await?
                .post(&api_path("projects_trigger", &[("project", &project)])?, &json!({}))
                .await?;
            out.value(&v, || format!("run {} {}", field(&v, "id"), field(&v, "status")));
            Ok(())
        }
        RunCommand::List { remote, project } => {
            let v = remote.client().await?.get(&api_path("projects_runs", &[("project", &project)])?).await?;
            out.value(&v, || {
                table(
                    ["ID", "STATUS", "CREATED", "TRIGGERED BY", "AGENT"],
                    &rows(&v, ["id", "status", "created_at", "triggered_by", "agent_id"]),
                    "no runs",
                )
            });
            Ok(())
        }
    }
}

/// Runs a secret command.
pub async fn secret(cmd: SecretCommand, out: &Out) -> Result<()> {
    match cmd {
        SecretCommand::Set { remote, project, name, from_file } => {
            let value = tessera_core::Secret::new(content(from_file.as_ref())?);
            let path = api_path("projects_put_secret", &[("project", &project), ("name", &name)])?;
            let v = remote.client().await?.put(&path, &json!({"value": value.expose()})).await?;
            out.value(&v, || format!("secret {} of project {} is set", field(&v, "name"), field(&v, "project_id")));
            Ok(())
        }
        SecretCommand::Show { remote, project, name } => {
            let path = api_path("projects_get_secret", &[("project", &project), ("name", &name)])?;
            let v = remote.client().await?.get(&path).await?;
            out.value(&v, || details(&v, &[("Name", "name"), ("Project", "project_id"), ("Updated", "updated_at")]));
            Ok(())
        }
        SecretCommand::Delete { remote, project, name } => {
            let path = api_path("projects_delete_secret", &[("project", &project), ("name", &name)])?;
            remote.client().await?.delete(&path, None).await?;
            out.value(&json!({"deleted": name}), || format!("deleted secret {name}"));
            Ok(())
        }
    }
}

/// Runs a pipeline command.
pub async fn pipeline(cmd: PipelineCommand, out: &Out) -> Result<()> {
    match cmd {
        PipelineCommand::Set { remote, project, name, file } => {
            let body = json!({"content": content(file.as_ref())?});
            let path = api_path("projects_put_pipeline", &[("project", &project), ("name", &name)])?;
            let v = remote.client().await?.put(&path, &body).await?;
            out.value(&v, || format!("wrote pipeline {} of project {}", field(&v, "name"), field(&v, "project_id")));
            Ok(())
        }
        PipelineCommand::Import { remote, project, name, path, git_ref } => {
            let mut body = json!({"path": path});
            if let Some(r) = git_ref {
                body["ref"] = json!(r);
            }
            let at = api_path("projects_import_pipeline", &[("project", &project), ("name", &name)])?;
            let v = remote.client().await?.post(&at, &body).await?;
            out.value(&v, || {
                format!("imported {path} as pipeline {} of project {}", field(&v, "name"), field(&v, "project_id"))
            });
            Ok(())
        }
        PipelineCommand::Show { remote, project, name } => {
            let path = api_path("projects_get_pipeline", &[("project", &project), ("name", &name)])?;
            let v = remote.client().await?.get(&path).await?;
            out.value(&v, || v["content"].as_str().unwrap_or_default().trim_end_matches('\n').to_owned());
            Ok(())
        }
    }
}
