//! Pipeline files imported from a project's repository, read at its code host through the
//! importing person's linked account (`POST /projects/{project}/pipelines/{name}/import`).

use tessera_core::model::{Pipeline, ScmStatus};
use tessera_core::Caller;

use crate::error::{AuthError, Result};
use crate::scm;
use crate::sign_in::SignIn;

/// Longest path of a file in a repository, and of a branch, tag or commit name.
const MAX_PATH: usize = 1024;
const MAX_REF: usize = 255;

/// What to import: a file of the project's repository, at a branch, tag or commit (the default
/// branch when none).
#[derive(Debug, Clone)]
pub struct ImportRequest {
    /// The file's path in the repository, e.g. `.tessera/pipeline.yml`.
    pub path: String,
    /// A branch, tag or commit.
    pub git_ref: Option<String>,
}

impl ImportRequest {
    /// Refuses a path or ref that could name anything but one file of the repository.
    pub fn check(&self) -> Result<()> {
        let p = &self.path;
        let bad_char = |s: &str| s.chars().any(|c| c.is_control() || c == '\\');
        if p.is_empty() || p.chars().count() > MAX_PATH || p.starts_with('/') || bad_char(p) {
            return Err(AuthError::InvalidRequest(format!(
                "path must be a file's path in the repository (at most {MAX_PATH} characters, not starting with /)"
            )));
        }
        if p.split('/').any(|seg| seg.is_empty() || seg == "." || seg == "..") {
            return Err(AuthError::InvalidRequest("path must not have empty, . or .. parts".into()));
        }
        if let Some(r) = &self.git_ref {
            if r.is_empty()
                || r.len() > MAX_REF
                || r.starts_with('-')
                || r.contains("..")
                || bad_char(r)
                || r.contains(' ')
            {
                return Err(AuthError::InvalidRequest(format!(
                    "ref must be a branch, tag or commit name (at most {MAX_REF} characters)"
                )));
            }
        }
        Ok(())
    }
}

/// A repository URL as a host and the repository's path there (`owner/name`, or a GitLab group
/// path), without `.git` or a web page's suffix.
fn repository_at(url: &str) -> Result<(String, String, String)> {
    let unusable = || {
        AuthError::Core(tessera_core::Error::Conflict(format!(
            "the project's repository URL {url:?} is not an http(s) URL of a repository at a code host; edit the project"
        )))
    };
    let u = url::Url::parse(url).map_err(|_| unusable())?;
    let host = crate::provider::git_host(&u).ok_or_else(unusable)?;
    let path = u.path().trim_matches('/');
    // GitLab's web pages put their own parts after "/-/".
    let path = path.split("/-/").next().unwrap_or_default();
    let path = path.strip_suffix(".git").unwrap_or(path);
    if !matches!(u.scheme(), "https" | "http") || path.split('/').filter(|s| !s.is_empty()).count() < 2 {
        return Err(unusable());
    }
    Ok((u.scheme().to_owned(), host, path.to_owned()))
}

impl SignIn {
    /// Imports `req`'s file from the project's repository as its pipeline `name`, read through
    /// the caller's linked account at the repository's host (its token refreshed first when about
    /// to expire).
    pub async fn import_pipeline(
        &self,
        caller: &Caller,
        project: &str,
        name: &str,
        req: &ImportRequest,
    ) -> Result<Pipeline> {
        req.check()?;
        let (p, linked) = self.authority.pipeline_import_source(caller, project, name).await?;
        let url = p.repository_url.as_deref().ok_or_else(|| {
            tessera_core::Error::Conflict("the project names no repository: set its repository URL first".into())
        })?;
        let (protocol, host, repo) = repository_at(url)?;
        let at_host = self.code_hosts_at(&protocol, &host).await?;
        if at_host.is_empty() {
            return Err(tessera_core::Error::Conflict(format!(
                "no code host of this server is at {host}, where the project's repository is"
            ))
            .into());
        }
        let mut candidates: Vec<_> = linked
            .into_iter()
            .filter_map(|i| at_host.iter().find(|(pr, _)| pr.id() == i.provider).map(|(pr, _)| (i, pr.clone())))
            .collect();
        candidates.sort_by_key(|(i, _)| i.status != ScmStatus::Connected);
        let Some((identity, provider)) = candidates.into_iter().next() else {
            return Err(tessera_core::Error::Conflict(format!(
                "no account at {host} is linked to yours: link one to import from its repositories"
            ))
            .into());
        };
        let token = self.access_token(&provider, &identity).await.map_err(|e| e.at_provider(&identity.provider))?;
        let bytes = match scm::file(&self.http(&provider)?, &provider, token.expose(), &repo, req).await {
            Err(AuthError::Reconnect(why)) => {
                self.authority.record_scm_failure(&identity.id).await?;
                return Err(AuthError::Reconnect(why).at_provider(&identity.provider));
            }
            other => other?,
        };
        let content = String::from_utf8(bytes).map_err(|_| {
            AuthError::InvalidRequest(format!(
                "{} in {repo} is not a text file; a pipeline file is UTF-8 text",
                req.path
            ))
        })?;
        Ok(self.authority.put_pipeline(caller, project, name, content).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repository_urls_name_a_host_and_a_repository() {
        let at = |u: &str| repository_at(u).ok().map(|(s, h, p)| format!("{s} {h} {p}"));
        assert!(matches!(repository_at("http://"), Err(AuthError::Core(tessera_core::Error::Conflict(_)))));
        assert_eq!(at("https://github.com/acme/app.git").as_deref(), Some("https github.com acme/app"));
        assert_eq!(
            at("https://GitLab.example.com:8443/g/sub/app/-/tree/main").as_deref(),
            Some("https gitlab.example.com:8443 g/sub/app")
        );
        assert_eq!(at("https://bitbucket.org/ws/repo/").as_deref(), Some("https bitbucket.org ws/repo"));
        for bad in ["git@github.com:acme/app.git", "ssh://github.com/acme/app", "https://github.com/acme", "not a url"]
        {
            assert!(at(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn only_one_file_of_the_repository_can_be_named() {
        let req = |path: &str, r: Option<&str>| ImportRequest { path: path.into(), git_ref: r.map(str::to_owned) };
        assert!(req(".tessera/pipeline.yml", Some("main")).check().is_ok());
        assert!(req("ci.yml", Some("0123abc")).check().is_ok());
        for bad in [
            req("", None),
            req("/etc/passwd", None),
            req("../x.yml", None),
            req("a//b.yml", None),
            req("a/./b.yml", None),
            req("a\nb", None),
            req("ci.yml", Some("")),
            req("ci.yml", Some("--upload-pack=x")),
            req("ci.yml", Some("main..dev")),
            req("ci.yml", Some("a b")),
        ] {
            assert!(matches!(bad.check(), Err(AuthError::InvalidRequest(_))), "{bad:?}");
        }
    }
}
