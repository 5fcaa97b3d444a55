//! Projects, their runs, pipeline files and secrets.

use serde::{Deserialize, Serialize};

use super::runs::RunRequest;
use super::{validate_name, validate_text, Access, Authority, Caller, Credential};
use crate::audit::Outcome;
use crate::error::{Error, Result};
use crate::id::new_id;
use crate::model::{Identity, Owner, Pipeline, Project, Run, RunStatus, SecretInfo};
use crate::patch::Patch;
use crate::scope::Scope;
use crate::token::TokenKind;

/// What a caller asks for when creating a project.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewProject {
    /// Name, unique per owner: letters, digits, `.`, `_` and `-`.
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 100, pattern = "^[A-Za-z0-9_-][A-Za-z0-9_.-]*$")
    )]
    pub name: String,
    /// The owning organization's id; absent or `null` for a personal project.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 100, pattern = "^[A-Za-z0-9_-][A-Za-z0-9_.-]*$")
    )]
    pub org: Option<String>,
    /// Where the repository lives: an `https://`, `http://`, `ssh://` or `git@` address.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(
            max_length = 2048,
            pattern = "^(https?://|ssh://|git@)[^\\u0000-\\u0008\\u000B-\\u001F\\u007F-\\u009F\\u061C\\u180E\\u200B-\\u200F\\u202A-\\u202E\\u2060-\\u2064\\u2066-\\u2069\\uFEFF\\s]*$"
        )
    )]
    pub repository_url: Option<String>,
}

/// What a caller may change on a project.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ProjectPatch {
    /// A new name; it cannot be removed.
    #[serde(default, skip_serializing_if = "Patch::is_keep")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, min_length = 1, max_length = 100, pattern = "^[A-Za-z0-9_-][A-Za-z0-9_.-]*$"))]
    pub name: Patch<String>,
    /// A new repository URL; `null` removes it.
    #[serde(default, skip_serializing_if = "Patch::is_keep")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, max_length = 2048, pattern = "^(https?://|ssh://|git@)[^\\u0000-\\u0008\\u000B-\\u001F\\u007F-\\u009F\\u061C\\u180E\\u200B-\\u200F\\u202A-\\u202E\\u2060-\\u2064\\u2066-\\u2069\\uFEFF\\s]*$"))]
    pub repository_url: Patch<String>,
}

const PIPELINE_MAX: usize = 256 * 1024;
const SECRET_MAX: usize = 64 * 1024;
const RUNS_LISTED: i64 = 100;

fn validate_repository_url(url: &str) -> Result<()> {
    validate_text("repository URL", url, 2048)?;
    let ok = ["https://", "http://", "ssh://", "git@"].iter().any(|p| url.starts_with(p))
        && !url.contains(char::is_whitespace);
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(
            "the repository URL must start with https://, http://, ssh:// or git@ and contain no spaces",
        ))
    }
}

impl Authority {
    /// Creates a project owned by the caller, or by the organization named in `req.org`.
    pub async fn create_project(&self, caller: &Caller, req: NewProject) -> Result<Project> {
        validate_name("project name", &req.name, 100)?;
        if let Some(u) = &req.repository_url {
            validate_repository_url(u)?;
        }
        self.guard(caller, "project.create", &req.name, caller.require(Scope::RepoWrite)).await?;
        let owner = match (&req.org, caller.acting_org()) {
            (Some(org), _) => {
                self.org_access(caller, org, true).await?;
                Owner::org(org)
            }
            (None, Some(own)) => Owner::org(own),
            (None, None) => Owner::user(&caller.acting_user()?.id),
        };
        let now = self.now();
        let p =
            Project { id: new_id("prj")?, name: req.name, owner, repository_url: req.repository_url, created_at: now };
        self.store.insert_project(&p).await?;
        self.audit(&caller.actor(), "project.create", &p.id, Outcome::Ok, caller.ip.as_deref(), &p.name, now).await;
        Ok(p)
    }

    /// The projects the caller can see.
    pub async fn list_projects(&self, caller: &Caller) -> Result<Vec<Project>> {
        self.guard(caller, "project.list", "", caller.require(Scope::Read)).await?;
        let owners = self.visible_owners(caller).await?;
        self.store.projects_of(&owners).await
    }

    /// One project.
    pub async fn get_project(&self, caller: &Caller, id: &str) -> Result<Project> {
        self.guard(caller, "project.read", id, caller.require(Scope::Read)).await?;
        let r = self.project_access(caller, id, Access::Read).await;
        self.guard(caller, "project.read", id, r).await
    }

    /// Changes a project's settings.
    pub async fn update_project(&self, caller: &Caller, id: &str, patch: ProjectPatch) -> Result<Project> {
        let name = patch.name.required("project name")?;
        if let Some(n) = &name {
            validate_name("project name", n, 100)?;
        }
        if let Patch::Set(u) = &patch.repository_url {
            validate_repository_url(u)?;
        }
        self.guard(caller, "project.update", id, caller.require(Scope::RepoWrite)).await?;
        let r = self.project_access(caller, id, Access::Admin).await;
        let mut p = self.guard(caller, "project.update", id, r).await?;
        if let Some(n) = name {
            p.name = n;
        }
        p.repository_url = patch.repository_url.apply(p.repository_url.take());
        self.store.update_project(&p).await?;
        self.audit(&caller.actor(), "project.update", &p.id, Outcome::Ok, caller.ip.as_deref(), "", self.now()).await;
        Ok(p)
    }

    /// Queues a run: with a trigger token of this project, or with the `trigger` scope and
    /// access to the project.
    pub async fn trigger_run(&self, caller: &Caller, project: &str) -> Result<Run> {
        self.trigger_run_for(caller, project, RunRequest::default()).await
    }

    /// Queues a run for a ref, a commit and variables, with the rights of
    /// [`Authority::trigger_run`].
    pub async fn trigger_run_for(&self, caller: &Caller, project: &str, req: RunRequest) -> Result<Run> {
        let req = req.validated()?;
        let allowed = match &caller.credential {
            Credential::Token { token, .. } if token.kind == TokenKind::Trigger => {
                if token.owner.id == project {
                    self.store.project(project).await?.ok_or(Error::NotFound("project")).map(|_| ())
                } else {
                    Err(Error::forbidden("this trigger token belongs to another project"))
                }
            }
            _ => match caller.require(Scope::Trigger) {
                Ok(()) => self.project_access(caller, project, Access::Work).await.map(|_| ()),
                Err(e) => Err(e),
            },
        };
        self.guard(caller, "run.trigger", project, allowed).await?;
        let now = self.now();
        let run = Run {
            id: new_id("run")?,
            project_id: project.to_owned(),
            status: RunStatus::Queued,
            created_at: now,
            triggered_by: match &caller.credential {
                Credential::Token { token, .. } => Some(token.id.clone()),
                Credential::Session { user, .. } => Some(user.id.clone()),
            },
            agent_id: None,
            git_ref: req.git_ref,
            commit: req.commit,
            variables: req.variables,
            log_lines: 0,
        };
        self.store.insert_run(&run).await?;
        Ok(run)
    }

    /// The newest runs of a project.
    pub async fn list_runs(&self, caller: &Caller, project: &str) -> Result<Vec<Run>> {
        self.guard(caller, "run.list", project, caller.require(Scope::Read)).await?;
        let r = self.project_access(caller, project, Access::Read).await;
        let p = self.guard(caller, "run.list", project, r).await?;
        self.store.runs(&p.id, RUNS_LISTED).await
    }

    /// Writes a pipeline file.
    pub async fn put_pipeline(&self, caller: &Caller, project: &str, name: &str, content: String) -> Result<Pipeline> {
        validate_name("pipeline name", name, 100)?;
        if content.len() > PIPELINE_MAX {
            return Err(Error::invalid(format!("a pipeline file may be at most {} KiB", PIPELINE_MAX / 1024)));
        }
        self.guard(caller, "pipeline.write", project, caller.require(Scope::PipelineWrite)).await?;
        let r = self.project_access(caller, project, Access::Work).await;
        let p = self.guard(caller, "pipeline.write", project, r).await?;
        let pipeline = Pipeline { name: name.to_owned(), project_id: p.id, content, updated_at: self.now() };
        self.store.put_pipeline(&pipeline).await?;
        Ok(pipeline)
    }

    /// Where pipeline `name` may be imported from (`pipeline:write` on the project): the project,
    /// with its repository, and the linked accounts of the person importing, whose code-host token
    /// reads the file. A person's credential only: an organization token has no linked accounts.
    pub async fn pipeline_import_source(
        &self,
        caller: &Caller,
        project: &str,
        name: &str,
    ) -> Result<(Project, Vec<Identity>)> {
        validate_name("pipeline name", name, 100)?;
        self.guard(caller, "pipeline.import", project, caller.require(Scope::PipelineWrite)).await?;
        let r = self.project_access(caller, project, Access::Work).await;
        let p = self.guard(caller, "pipeline.import", project, r).await?;
        let r = caller.acting_user().cloned();
        let user = self.guard(caller, "pipeline.import", project, r).await?;
        Ok((p, self.identities_now(&user.id).await?))
    }

    /// Reads a pipeline file.
    pub async fn get_pipeline(&self, caller: &Caller, project: &str, name: &str) -> Result<Pipeline> {
        self.guard(caller, "pipeline.read", project, caller.require(Scope::Read)).await?;
        let r = self.project_access(caller, project, Access::Read).await;
        let p = self.guard(caller, "pipeline.read", project, r).await?;
        self.store.pipeline(&p.id, name).await?.ok_or(Error::NotFound("pipeline"))
    }

    /// Writes a secret's value; it can never be read back through the API.
    pub async fn put_secret(&self, caller: &Caller, project: &str, name: &str, value: &str) -> Result<SecretInfo> {
        validate_name("secret name", name, 100)?;
        if value.len() > SECRET_MAX {
            return Err(Error::invalid(format!("a secret may be at most {} KiB", SECRET_MAX / 1024)));
        }
        self.guard(caller, "secret.write", project, caller.require(Scope::SecretWrite)).await?;
        let r = self.project_access(caller, project, Access::Work).await;
        let p = self.guard(caller, "secret.write", project, r).await?;
        let now = self.now();
        // Sealed under its own name, so a value copied to another project or name does not open.
        let sealer = self.sealer.as_ref().ok_or_else(|| {
            Error::Conflict(
                "this server keeps no project secrets: it has no sealing key (team mode: set TESSERA_SECRET_KEY_FILE)"
                    .into(),
            )
        })?;
        let sealed = sealer.seal(&crate::seal::secret_entry(&p.id, name), value.as_bytes())?;
        self.store.put_secret(&p.id, name, &sealed, now).await?;
        self.audit(
            &caller.actor(),
            "secret.write",
            &format!("{}/{name}", p.id),
            Outcome::Ok,
            caller.ip.as_deref(),
            "",
            now,
        )
        .await;
        Ok(SecretInfo { name: name.to_owned(), project_id: p.id, updated_at: now })
    }

    /// A secret's metadata.
    pub async fn get_secret(&self, caller: &Caller, project: &str, name: &str) -> Result<SecretInfo> {
        self.guard(caller, "secret.read", project, caller.require(Scope::Read)).await?;
        let r = self.project_access(caller, project, Access::Read).await;
        let p = self.guard(caller, "secret.read", project, r).await?;
        self.store.secret_info(&p.id, name).await?.ok_or(Error::NotFound("secret"))
    }

    /// Deletes a secret.
    pub async fn delete_secret(&self, caller: &Caller, project: &str, name: &str) -> Result<()> {
        self.guard(caller, "secret.delete", project, caller.require(Scope::SecretWrite)).await?;
        let r = self.project_access(caller, project, Access::Work).await;
        let p = self.guard(caller, "secret.delete", project, r).await?;
        if !self.store.delete_secret(&p.id, name).await? {
            return Err(Error::NotFound("secret"));
        }
        self.audit(
            &caller.actor(),
            "secret.delete",
            &format!("{}/{name}", p.id),
            Outcome::Ok,
            caller.ip.as_deref(),
            "",
            self.now(),
        )
        .await;
        Ok(())
    }
}
