//! What a run carries and keeps: the ref, commit and variables it was triggered with, the log
//! lines and artifacts its agent posts, and who may read them (`read` on the project).
//!
//! Sizes are capped per request and per run, and every cap is said in the refusal, so an agent
//! that hits one knows what to cut.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{validate_name, validate_text, Access, Authority, Caller};
use crate::error::{Error, Result};
use crate::model::{Artifact, LogLine, Run, RunStatus};
use crate::scope::Scope;

/// What a run is triggered for: all optional.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct RunRequest {
    /// The git ref, such as `refs/heads/main` or `main`.
    #[serde(default, rename = "ref")]
    pub git_ref: Option<String>,
    /// The commit, 7 to 64 hexadecimal digits.
    #[serde(default)]
    pub commit: Option<String>,
    /// Variables for the run: names of letters, digits and `_` (not starting with a digit).
    #[serde(default)]
    pub variables: BTreeMap<String, String>,
}

/// How long a ref may be.
pub const REF_MAX: usize = 255;
/// How many variables a run may carry.
pub const VARIABLES_MAX: usize = 50;
/// How long a variable's value may be, in characters.
pub const VARIABLE_VALUE_MAX: usize = 4096;
/// How many log lines one request may post.
pub const LOG_LINES_PER_REQUEST: usize = 1000;
/// How long one log line may be, in bytes.
pub const LOG_LINE_MAX: usize = 8 * 1024;
/// How much log one run may keep, in bytes.
pub const RUN_LOG_MAX: i64 = 4 * 1024 * 1024;
/// How large one artifact may be, in bytes.
pub const ARTIFACT_MAX: usize = 8 * 1024 * 1024;
/// How much all of one run's artifacts may hold together, in bytes.
pub const RUN_ARTIFACTS_MAX: i64 = 32 * 1024 * 1024;
/// How many log lines one read returns at most.
pub const LOG_PAGE_MAX: i64 = 1000;

/// A ref as the OpenAPI document states it (see [`RunRequest::validated`]).
pub const REF_PATTERN: &str = "^[^\\u0000-\\u0008\\u000B-\\u001F\\u007F-\\u009F\\u061C\\u180E\\u200B-\\u200F\\u202A-\\u202E\\u2060-\\u2064\\u2066-\\u2069\\uFEFF\\s]+$";
/// A commit as the OpenAPI document states it.
pub const COMMIT_PATTERN: &str = "^[0-9A-Fa-f]{7,64}$";

fn mib(n: i64) -> i64 {
    n / (1024 * 1024)
}

/// A variable name: a letter or `_`, then letters, digits and `_`, at most 100 characters.
fn valid_variable_name(name: &str) -> bool {
    let mut chars = name.chars();
    name.len() <= 100
        && chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

impl RunRequest {
    /// The request as it is stored: each field checked, text NFC-normalized.
    pub fn validated(self) -> Result<Self> {
        let git_ref = match self.git_ref {
            Some(r) => {
                let r = validate_text("ref", &r, REF_MAX)?;
                if r.is_empty() || r.contains(char::is_whitespace) {
                    return Err(Error::invalid(format!("the ref must be 1 to {REF_MAX} characters without spaces")));
                }
                Some(r)
            }
            None => None,
        };
        let commit = match self.commit {
            Some(c) if (7..=64).contains(&c.len()) && c.bytes().all(|b| b.is_ascii_hexdigit()) => {
                Some(c.to_ascii_lowercase())
            }
            Some(_) => return Err(Error::invalid("the commit must be 7 to 64 hexadecimal digits")),
            None => None,
        };
        if self.variables.len() > VARIABLES_MAX {
            return Err(Error::invalid(format!("a run may carry at most {VARIABLES_MAX} variables")));
        }
        let mut variables = BTreeMap::new();
        for (name, value) in self.variables {
            if !valid_variable_name(&name) {
                return Err(Error::invalid(format!(
                    "the variable name {:?} must be 1 to 100 letters, digits and '_', not starting with a digit",
                    name.chars().take(40).collect::<String>()
                )));
            }
            let value = validate_text(&format!("value of {name}"), &value, VARIABLE_VALUE_MAX)?;
            variables.insert(name, value);
        }
        Ok(RunRequest { git_ref, commit, variables })
    }
}

/// A page of a run's log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LogPage {
    /// The lines, in order.
    pub lines: Vec<LogLine>,
    /// Pass as `after` to read on; the number of the last line given (or `after` when none).
    pub next_after: i64,
    /// Whether the run is still queued or running, so more lines may come.
    pub open: bool,
}

impl Authority {
    /// The run `run` of `project`, after checking the caller may read the project.
    async fn readable_run(&self, caller: &Caller, project: &str, run: &str, action: &str) -> Result<Run> {
        self.guard(caller, action, project, caller.require(Scope::Read)).await?;
        let r = self.project_access(caller, project, Access::Read).await;
        let p = self.guard(caller, action, project, r).await?;
        self.store.run(run).await?.filter(|r| r.project_id == p.id).ok_or(Error::NotFound("run"))
    }

    /// One run of a project.
    pub async fn get_run(&self, caller: &Caller, project: &str, run: &str) -> Result<Run> {
        self.readable_run(caller, project, run, "run.read").await
    }

    /// Up to `limit` (at most [`LOG_PAGE_MAX`]) lines of a run's log after line `after`.
    pub async fn run_log(&self, caller: &Caller, project: &str, run: &str, after: i64, limit: i64) -> Result<LogPage> {
        let r = self.readable_run(caller, project, run, "run.log").await?;
        let lines = self.store.log(&r.id, after.max(0), limit.clamp(1, LOG_PAGE_MAX)).await?;
        let next_after = lines.last().map_or(after.max(0), |l| l.seq);
        Ok(LogPage { lines, next_after, open: matches!(r.status, RunStatus::Queued | RunStatus::Running) })
    }

    /// The artifacts of a run.
    pub async fn run_artifacts(&self, caller: &Caller, project: &str, run: &str) -> Result<Vec<Artifact>> {
        let r = self.readable_run(caller, project, run, "run.artifacts").await?;
        self.store.artifacts(&r.id).await
    }

    /// One artifact of a run, with its content.
    pub async fn run_artifact(
        &self,
        caller: &Caller,
        project: &str,
        run: &str,
        name: &str,
    ) -> Result<(Artifact, Vec<u8>)> {
        let r = self.readable_run(caller, project, run, "run.artifacts").await?;
        self.store.artifact(&r.id, name).await?.ok_or(Error::NotFound("artifact"))
    }

    /// The run `run`, if the agent `agent` (of the caller's agent token's owner) claimed it and
    /// it is still running.
    async fn running_run_of(&self, caller: &Caller, agent: &str, run: &str, action: &str) -> Result<Run> {
        let agent = self.own_agent(caller, agent, action).await?;
        let r = self
            .store
            .run(run)
            .await?
            .filter(|r| r.agent_id.as_deref() == Some(agent.id.as_str()))
            .ok_or(Error::NotFound("run"))?;
        if r.status != RunStatus::Running {
            return Err(Error::Conflict(format!("the run has {}; it takes no more output", r.status.as_str())));
        }
        Ok(r)
    }

    /// Appends lines to the log of a run the agent claimed; returns the run's line count.
    pub async fn append_run_log(&self, caller: &Caller, agent: &str, run: &str, lines: Vec<String>) -> Result<i64> {
        let r = self.running_run_of(caller, agent, run, "run.log.write").await?;
        if lines.is_empty() {
            return Err(Error::invalid("send at least one line"));
        }
        if lines.len() > LOG_LINES_PER_REQUEST {
            return Err(Error::TooLarge(format!(
                "one request may post at most {LOG_LINES_PER_REQUEST} log lines; send the rest in another"
            )));
        }
        for l in &lines {
            if l.len() > LOG_LINE_MAX {
                return Err(Error::TooLarge(format!(
                    "a log line may be at most {} KiB; split longer ones",
                    LOG_LINE_MAX / 1024
                )));
            }
            if l.contains(['\n', '\r', '\0']) {
                return Err(Error::invalid("send each line without line breaks or NUL characters"));
            }
        }
        match self.store.append_log(&r.id, &lines, RUN_LOG_MAX, self.now()).await? {
            Some(last) => Ok(last),
            None => Err(Error::TooLarge(format!(
                "a run's log may hold at most {} MiB, and these lines would pass that; keep the rest as an artifact",
                mib(RUN_LOG_MAX)
            ))),
        }
    }

    /// Keeps an artifact of a run the agent claimed.
    pub async fn put_run_artifact(
        &self,
        caller: &Caller,
        agent: &str,
        run: &str,
        name: &str,
        content: &[u8],
    ) -> Result<Artifact> {
        let r = self.running_run_of(caller, agent, run, "run.artifact.write").await?;
        validate_name("artifact name", name, 100)?;
        if content.len() > ARTIFACT_MAX {
            return Err(artifact_too_large());
        }
        let a = Artifact {
            name: name.to_owned(),
            size: i64::try_from(content.len()).map_err(|_| artifact_too_large())?,
            sha256: hex(&Sha256::digest(content)),
            created_at: self.now(),
        };
        if !self.store.put_artifact(&r.id, &a, content, RUN_ARTIFACTS_MAX).await? {
            return Err(Error::TooLarge(format!(
                "a run's artifacts may hold at most {} MiB together, and this one would pass that",
                mib(RUN_ARTIFACTS_MAX)
            )));
        }
        Ok(a)
    }

    /// Ends a run the agent claimed, as `status` (succeeded or failed).
    pub async fn finish_run(&self, caller: &Caller, agent: &str, run: &str, status: RunStatus) -> Result<Run> {
        let mut r = self.running_run_of(caller, agent, run, "run.finish").await?;
        if !matches!(status, RunStatus::Succeeded | RunStatus::Failed) {
            return Err(Error::invalid("a run finishes as succeeded or failed"));
        }
        if !self.store.finish_run(&r.id, status).await? {
            return Err(Error::Conflict("the run finished meanwhile".into()));
        }
        r.status = status;
        Ok(r)
    }
}

/// The refusal of an artifact over [`ARTIFACT_MAX`].
pub fn artifact_too_large() -> Error {
    Error::TooLarge(format!("an artifact may be at most {} MiB", ARTIFACT_MAX / (1024 * 1024)))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_requests_are_checked_field_by_field() {
        let ok = RunRequest {
            git_ref: Some("refs/heads/main".into()),
            commit: Some("ABCDEF1".into()),
            variables: [("DEPLOY_ENV".to_owned(), "staging".to_owned())].into(),
        }
        .validated()
        .unwrap_or_default();
        assert_eq!(ok.commit.as_deref(), Some("abcdef1"));
        assert_eq!(ok.git_ref.as_deref(), Some("refs/heads/main"));
        let bad = |r: RunRequest| r.validated().err().map(|e| e.to_string()).unwrap_or_default();
        assert!(
            bad(RunRequest { git_ref: Some("main branch".into()), ..Default::default() }).contains("without spaces")
        );
        assert!(bad(RunRequest { git_ref: Some(String::new()), ..Default::default() }).contains("1 to 255"));
        assert!(bad(RunRequest { commit: Some("xyz1234".into()), ..Default::default() }).contains("hexadecimal"));
        let var = |k: &str| RunRequest { variables: [(k.to_owned(), "v".to_owned())].into(), ..Default::default() };
        assert!(bad(var("1ST")).contains("variable name"));
        assert!(bad(var("A-B")).contains("variable name"));
        assert!(bad(var("")).contains("variable name"));
        assert!(var("_ok_1").validated().is_ok());
        let many = RunRequest {
            variables: (0..=VARIABLES_MAX).map(|i| (format!("V{i}"), String::new())).collect(),
            ..Default::default()
        };
        assert!(bad(many).contains("at most 50 variables"));
    }
}
