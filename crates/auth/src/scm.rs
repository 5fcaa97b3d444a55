//! Code hosts' user and repository APIs: GitHub (and Enterprise), GitLab (and self-managed),
//! Bitbucket Cloud, Gitea and Forgejo, and Azure DevOps (repositories only: its people sign in
//! through Microsoft Entra ID, see [`crate::oidc`]).

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tessera_core::model::Role;

use crate::error::{AuthError, Result};
use crate::provider::{Provider, ProviderKind};

/// Who the code host says the token belongs to.
#[derive(Debug, Clone)]
pub struct ScmUser {
    /// The host's stable account id.
    pub subject: String,
    /// The account's login name.
    pub login: String,
    /// A name to show.
    pub display_name: String,
    /// E-mail, when public.
    pub email: Option<String>,
    /// The whole user object, for role mapping.
    pub raw: Value,
}

/// A repository the user can reach.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Repository {
    /// Short name.
    pub name: String,
    /// Owner and name, e.g. `acme/app`.
    pub full_name: String,
    /// The web page.
    pub web_url: String,
    /// The HTTPS clone URL.
    pub clone_url: Option<String>,
    /// Whether it is private.
    pub private: bool,
    /// Its description.
    pub description: Option<String>,
}

async fn send(http: &reqwest::Client, url: &str, token: &str) -> Result<reqwest::Response> {
    send_accepting(http, url, token, "application/json").await
}

/// A GET with the token, asking for the media type `accept`.
async fn send_accepting(http: &reqwest::Client, url: &str, token: &str, accept: &str) -> Result<reqwest::Response> {
    http.get(url)
        .bearer_auth(token)
        // Azure DevOps answers a token it does not accept with 203 and its sign-in page unless
        // asked for a plain 401; other hosts ignore the header.
        .header("X-TFS-FedAuthRedirect", "Suppress")
        .header(reqwest::header::ACCEPT, accept)
        .header(reqwest::header::USER_AGENT, concat!("tessera/", env!("CARGO_PKG_VERSION")))
        .send()
        .await
        .map_err(|e| AuthError::ProviderUnavailable(crate::fetch::why_unreachable(&e, url)))
}

async fn api_get(http: &reqwest::Client, url: &str, token: &str) -> Result<Value> {
    let res = send(http, url, token).await?;
    match res.status().as_u16() {
        200..=299 => crate::fetch::read_json(res, crate::fetch::API_PAGE_LIMIT, "the code host").await,
        401 => Err(AuthError::Reconnect("the code host no longer accepts the stored token".into())),
        403 | 404 => Err(AuthError::ProviderDenied(format!("the code host refused (HTTP {})", res.status().as_u16()))),
        s => Err(AuthError::ProviderUnavailable(format!("the code host answered HTTP {s}"))),
    }
}

fn text(v: &Value, key: &str) -> Option<String> {
    match v.get(key) {
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    }
}

/// The account behind an access token.
pub async fn user(http: &reqwest::Client, provider: &Provider, token: &str) -> Result<ScmUser> {
    let api = provider.api_url();
    let (url, id_key, login_key, name_key) = match provider.kind() {
        ProviderKind::Github => (format!("{api}/user"), "id", "login", "name"),
        ProviderKind::Gitlab => (format!("{api}/user"), "id", "username", "name"),
        ProviderKind::Bitbucket => (format!("{api}/user"), "uuid", "username", "display_name"),
        ProviderKind::Gitea => (format!("{api}/user"), "id", "login", "full_name"),
        ProviderKind::Oidc | ProviderKind::AzureDevops => {
            return Err(AuthError::InvalidRequest("an OpenID provider says who signed in through its ID token".into()))
        }
    };
    let raw = api_get(http, &url, token).await?;
    let subject =
        text(&raw, id_key).ok_or_else(|| AuthError::ProviderUnavailable("the user object has no id".into()))?;
    let login = text(&raw, login_key).or_else(|| text(&raw, "nickname")).unwrap_or_else(|| subject.clone());
    let email = match provider.kind() {
        // Bitbucket keeps addresses apart from the user: the primary one, if confirmed.
        ProviderKind::Bitbucket => bitbucket_email(http, &api, token).await?,
        // Gitea leaves `email` empty when the person keeps it private: the primary verified
        // address is then in their address list.
        ProviderKind::Gitea => match text(&raw, "email") {
            Some(e) => Some(e),
            None => gitea_email(http, &api, token).await?,
        },
        _ => text(&raw, "email"),
    };
    Ok(ScmUser { display_name: text(&raw, name_key).unwrap_or_else(|| login.clone()), email, subject, login, raw })
}

async fn bitbucket_email(http: &reqwest::Client, api: &str, token: &str) -> Result<Option<String>> {
    let list = api_get(http, &format!("{api}/user/emails?pagelen=100"), token).await?;
    let values = list.get("values").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    Ok(values
        .iter()
        .find(|e| e.get("is_primary") == Some(&Value::Bool(true)) && e.get("is_confirmed") == Some(&Value::Bool(true)))
        .and_then(|e| text(e, "email")))
}

async fn gitea_email(http: &reqwest::Client, api: &str, token: &str) -> Result<Option<String>> {
    let list = api_get(http, &format!("{api}/user/emails"), token).await?;
    let values = list.as_array().map(Vec::as_slice).unwrap_or_default();
    Ok(values
        .iter()
        .find(|e| e.get("primary") == Some(&Value::Bool(true)) && e.get("verified") == Some(&Value::Bool(true)))
        .and_then(|e| text(e, "email")))
}

/// The role a code host's own records give the person, when the provider maps one: membership
/// of a GitHub organization team (`admin_team`), of a GitLab group at an access level
/// (`admin_group`), or a field of the user object (`role_claim`). Read at each sign-in.
pub async fn role(http: &reqwest::Client, p: &Provider, token: &str, user: &ScmUser) -> Result<Option<Role>> {
    let admin_if = |yes: bool| Some(if yes { Role::Admin } else { Role::Member });
    let api = p.api_url();
    if let (Some(team), ProviderKind::Gitea) = (&p.config.admin_team, p.kind()) {
        return Ok(admin_if(gitea_in_team(http, p, token, team).await?));
    }
    if let Some(team) = &p.config.admin_team {
        let (org, slug) = team.split_once('/').unwrap_or((team, ""));
        let url = format!("{api}/orgs/{org}/teams/{slug}/memberships/{}", path_part(&user.login));
        let m = membership(http, p, &url, token, "team", "read:org for admin_team").await?;
        return Ok(admin_if(m.is_some_and(|m| m.get("state").and_then(Value::as_str) == Some("active"))));
    }
    if let Some(group) = &p.config.admin_group {
        let url = format!("{api}/groups/{}/members/all/{}", path_part(group), path_part(&user.subject));
        let m = membership(http, p, &url, token, "group", "read_api for admin_group").await?;
        let level = m.and_then(|m| m.get("access_level").and_then(Value::as_u64)).unwrap_or(0);
        return Ok(admin_if(level >= u64::from(p.config.admin_access_level.unwrap_or(30))));
    }
    Ok(p.role_from(&user.raw))
}

/// Whether the person is in a Gitea/Forgejo organization team (`org/Team Name`, matched without
/// regard to case, as Gitea matches them), from the teams their token may list.
async fn gitea_in_team(http: &reqwest::Client, p: &Provider, token: &str, team: &str) -> Result<bool> {
    let (org, name) = team.split_once('/').unwrap_or((team, ""));
    let api = p.api_url();
    // Gitea pages at 50 at most by default; four pages cover anyone's teams in practice.
    for page in 1..=4 {
        let url = format!("{api}/user/teams?limit=50&page={page}");
        let res = send(http, &url, token).await?;
        let list = match res.status().as_u16() {
            200 => crate::fetch::read_json(res, crate::fetch::API_PAGE_LIMIT, &p.name()).await?,
            401 => return Err(AuthError::Reconnect("the code host no longer accepts the token".into())),
            403 => {
                return Err(AuthError::ProviderDenied(format!(
                    "{} did not let Tessera read team membership; the provider's scopes must include \
                     read:organization for admin_team",
                    p.name()
                )))
            }
            s => return Err(AuthError::ProviderUnavailable(format!("team membership answered HTTP {s}"))),
        };
        let items =
            list.as_array().ok_or_else(|| AuthError::ProviderUnavailable("the team list is not a list".into()))?;
        let is_it = |t: &Value| {
            let org_name = t.pointer("/organization/name").or_else(|| t.pointer("/organization/username"));
            org_name.and_then(Value::as_str).is_some_and(|o| o.eq_ignore_ascii_case(org))
                && t.get("name").and_then(Value::as_str).is_some_and(|n| n.eq_ignore_ascii_case(name))
        };
        if items.iter().any(is_it) {
            return Ok(true);
        }
        if items.len() < 50 {
            break;
        }
    }
    Ok(false)
}

/// A membership record from the code host: `None` when the person is not a member (404). A
/// refusal (403) names the scope the mapping needs.
async fn membership(
    http: &reqwest::Client,
    p: &Provider,
    url: &str,
    token: &str,
    what: &str,
    scope_needed: &str,
) -> Result<Option<Value>> {
    let res = send(http, url, token).await?;
    match res.status().as_u16() {
        200 => Ok(Some(crate::fetch::read_json(res, crate::fetch::ANSWER_LIMIT, &p.name()).await?)),
        404 => Ok(None),
        401 => Err(AuthError::Reconnect("the code host no longer accepts the token".into())),
        403 => Err(AuthError::ProviderDenied(format!(
            "{} did not let Tessera read {what} membership; the provider's scopes must include {scope_needed}",
            p.name()
        ))),
        s => Err(AuthError::ProviderUnavailable(format!("{what} membership answered HTTP {s}"))),
    }
}

/// One path segment, percent-encoded (a GitLab group's full path keeps its slashes as `%2F`).
fn path_part(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>().replace('+', "%20")
}

/// Deletes a GitHub token through GitHub's own API (GitHub has no RFC 7009 endpoint).
pub async fn github_delete_token(http: &reqwest::Client, p: &Provider, token: &str) -> Result<()> {
    let secret = p.client_secret.as_ref().map(|s| s.expose().to_owned());
    let url = format!("{}/applications/{}/token", p.api_url(), path_part(&p.config.client_id));
    let res = http
        .delete(url)
        .basic_auth(&p.config.client_id, secret)
        .header(reqwest::header::ACCEPT, "application/vnd.github+json")
        .header(reqwest::header::USER_AGENT, concat!("tessera/", env!("CARGO_PKG_VERSION")))
        .json(&serde_json::json!({"access_token": token}))
        .send()
        .await
        .map_err(|e| AuthError::ProviderUnavailable(e.without_url().to_string()))?;
    match res.status().as_u16() {
        204 | 404 => Ok(()),
        s => Err(AuthError::ProviderUnavailable(format!("token deletion answered HTTP {s}"))),
    }
}

/// The repositories the user is a member of (the first hundred).
pub async fn repositories(http: &reqwest::Client, provider: &Provider, token: &str) -> Result<Vec<Repository>> {
    let api = provider.api_url();
    let list = match provider.kind() {
        ProviderKind::Gitea => gitea_repositories(http, &api, token).await?,
        ProviderKind::AzureDevops => return azure_repositories(http, provider, token).await,
        ProviderKind::Github => api_get(http, &format!("{api}/user/repos?per_page=100&sort=updated"), token).await?,
        ProviderKind::Gitlab => {
            api_get(http, &format!("{api}/projects?membership=true&per_page=100&order_by=last_activity_at"), token)
                .await?
        }
        ProviderKind::Bitbucket => {
            api_get(http, &format!("{api}/repositories?role=member&pagelen=100"), token).await?["values"].take()
        }
        ProviderKind::Oidc => return Err(AuthError::InvalidRequest("an OpenID provider has no repositories".into())),
    };
    let items =
        list.as_array().ok_or_else(|| AuthError::ProviderUnavailable("the repository list is not a list".into()))?;
    Ok(items.iter().filter_map(|r| repository(provider.kind(), r)).collect())
}

/// The largest file read from a repository: more than a pipeline file may be, so the size rule
/// itself refuses one a little too large, in its own words.
const FILE_LIMIT: usize = 1024 * 1024;

/// `base` with `segments` appended, each percent-encoded as one path segment.
fn with_segments<'a>(base: &str, segments: impl IntoIterator<Item = &'a str>) -> Result<url::Url> {
    let mut u = url::Url::parse(base).map_err(|e| AuthError::Config(format!("the code host's API URL: {e}")))?;
    u.path_segments_mut()
        .map_err(|()| AuthError::Config("the code host's API URL cannot take a path".into()))?
        .pop_if_empty()
        .extend(segments);
    Ok(u)
}

/// One file of repository `repo` (`owner/name`, or a GitLab project's full path) at `req`'s ref
/// (the default branch when none), through the host's REST API.
pub async fn file(
    http: &reqwest::Client,
    provider: &Provider,
    token: &str,
    repo: &str,
    req: &crate::import::ImportRequest,
) -> Result<Vec<u8>> {
    let api = provider.api_url();
    let path = req.path.split('/');
    let mut url = match provider.kind() {
        ProviderKind::Github => {
            with_segments(&api, ["repos"].into_iter().chain(repo.split('/')).chain(["contents"]).chain(path))?
        }
        ProviderKind::Gitlab => {
            with_segments(&api, ["projects", repo, "repository", "files", req.path.as_str(), "raw"])?
        }
        ProviderKind::Bitbucket => {
            let branch = match &req.git_ref {
                Some(r) => r.clone(),
                None => {
                    let about = with_segments(&api, ["repositories"].into_iter().chain(repo.split('/')))?;
                    let v = api_get(http, about.as_str(), token).await?;
                    v["mainbranch"]["name"]
                        .as_str()
                        .ok_or_else(|| AuthError::ProviderUnavailable("the repository names no main branch".into()))?
                        .to_owned()
                }
            };
            let src = ["repositories"].into_iter().chain(repo.split('/')).chain(["src", branch.as_str()]).chain(path);
            with_segments(&api, src)?
        }
        ProviderKind::Gitea => {
            with_segments(&api, ["repos"].into_iter().chain(repo.split('/')).chain(["raw"]).chain(path))?
        }
        ProviderKind::AzureDevops => {
            return Err(AuthError::InvalidRequest(
                "pipeline files cannot be imported from Azure DevOps repositories yet; set the file with PUT instead"
                    .into(),
            ))
        }
        ProviderKind::Oidc => return Err(AuthError::InvalidRequest("an OpenID provider has no repositories".into())),
    };
    if provider.kind() != ProviderKind::Bitbucket {
        if let Some(r) = &req.git_ref {
            url.query_pairs_mut().append_pair("ref", r);
        }
    }
    // GitHub answers the file itself with its raw media type; the others always do.
    let res = send_accepting(http, url.as_str(), token, "application/vnd.github.raw+json").await?;
    match res.status().as_u16() {
        200 => {
            if res.content_length().is_some_and(|n| n > FILE_LIMIT as u64) {
                return Err(AuthError::InvalidRequest(format!("{} is larger than a pipeline file may be", req.path)));
            }
            crate::fetch::read_limited(res, FILE_LIMIT).await
        }
        401 => Err(AuthError::Reconnect("the code host no longer accepts the stored token".into())),
        403 => Err(AuthError::ProviderDenied(format!(
            "the code host refused to show {} (HTTP 403): the linked account may not read that repository",
            req.path
        ))),
        404 => Err(tessera_core::Error::NotFound("pipeline file in the repository").into()),
        s => Err(AuthError::ProviderUnavailable(format!("the code host answered HTTP {s}"))),
    }
}

/// Gitea's repository list, two pages of fifty (its usual most per page).
async fn gitea_repositories(http: &reqwest::Client, api: &str, token: &str) -> Result<Value> {
    let mut all = Vec::new();
    for page in 1..=2 {
        let list = api_get(http, &format!("{api}/user/repos?limit=50&page={page}"), token).await?;
        let Value::Array(items) = list else {
            return Err(AuthError::ProviderUnavailable("the repository list is not a list".into()));
        };
        let last = items.len() < 50;
        all.extend(items);
        if last {
            break;
        }
    }
    Ok(Value::Array(all))
}

/// The Git repositories of each configured Azure DevOps organization, the first hundred in all.
/// An organization the person is not a member of is left out; when they are a member of none,
/// the listing is refused with a sentence naming them.
async fn azure_repositories(http: &reqwest::Client, p: &Provider, token: &str) -> Result<Vec<Repository>> {
    let base = p.api_url();
    let mut out = Vec::new();
    let mut not_member = Vec::new();
    for org in &p.config.organizations {
        let url = format!("{base}/{}/_apis/git/repositories?api-version=7.1", path_part(org));
        let res = send(http, &url, token).await?;
        let status = res.status().as_u16();
        let list = match status {
            200 => crate::fetch::read_json(res, crate::fetch::API_PAGE_LIMIT, "Azure DevOps").await?,
            // 401 means two things at Azure DevOps: a token it does not take, or a person it
            // knows who is not a member of the organization (TF400813 naming the user).
            401 if azure_names_the_user(res).await => {
                not_member.push(org.as_str());
                continue;
            }
            401 => return Err(AuthError::Reconnect("Azure DevOps no longer accepts the stored token".into())),
            // What Azure DevOps answers a token it does not accept when the header asking for a
            // 401 is lost on the way (a proxy): its sign-in page.
            203 => return Err(AuthError::Reconnect("Azure DevOps no longer accepts the stored token".into())),
            403 | 404 => {
                return Err(AuthError::ProviderDenied(format!(
                    "Azure DevOps has no organization {org} that this account may read (HTTP {status})"
                )))
            }
            s => return Err(AuthError::ProviderUnavailable(format!("Azure DevOps answered HTTP {s}"))),
        };
        let items = list
            .get("value")
            .and_then(Value::as_array)
            .ok_or_else(|| AuthError::ProviderUnavailable("Azure DevOps' repository list has no value list".into()))?;
        out.extend(items.iter().filter_map(|r| azure_repository(org, r)));
        if out.len() >= 100 {
            out.truncate(100);
            break;
        }
    }
    if !not_member.is_empty() && not_member.len() == p.config.organizations.len() {
        return Err(AuthError::ProviderDenied(format!(
            "this Azure DevOps account is not a member of {}; ask an administrator there to add it",
            not_member.join(" or ")
        )));
    }
    if !not_member.is_empty() {
        tracing::info!(provider = %p.id(), organizations = %not_member.join(", "), "not a member: left out of the listing");
    }
    Ok(out)
}

/// Whether a 401 from Azure DevOps names the signed-in user (TF400813 "The user '…' is not
/// authorized"), which a member-less but valid token gets, rather than an anonymous refusal.
async fn azure_names_the_user(res: reqwest::Response) -> bool {
    let Ok(body) = crate::fetch::read_limited(res, crate::fetch::ANSWER_LIMIT).await else {
        return false;
    };
    serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| v.get("message").and_then(Value::as_str).map(|m| m.starts_with("TF400813: The user '")))
        .unwrap_or(false)
}

fn azure_repository(org: &str, r: &Value) -> Option<Repository> {
    if r.get("isDisabled") == Some(&Value::Bool(true)) {
        return None;
    }
    let name = text(r, "name")?;
    let project = r.pointer("/project/name").and_then(Value::as_str)?;
    Some(Repository {
        full_name: format!("{org}/{project}/{name}"),
        web_url: text(r, "webUrl")?,
        clone_url: text(r, "remoteUrl"),
        private: r.pointer("/project/visibility").and_then(Value::as_str) != Some("public"),
        description: r.pointer("/project/description").and_then(Value::as_str).map(str::to_owned),
        name,
    })
}

fn repository(kind: ProviderKind, r: &Value) -> Option<Repository> {
    Some(match kind {
        ProviderKind::Github | ProviderKind::Gitea => Repository {
            name: text(r, "name")?,
            full_name: text(r, "full_name")?,
            web_url: text(r, "html_url")?,
            clone_url: text(r, "clone_url"),
            private: r.get("private").and_then(Value::as_bool).unwrap_or(false),
            description: text(r, "description"),
        },
        ProviderKind::Gitlab => Repository {
            name: text(r, "name")?,
            full_name: text(r, "path_with_namespace")?,
            web_url: text(r, "web_url")?,
            clone_url: text(r, "http_url_to_repo"),
            private: text(r, "visibility").is_some_and(|v| v != "public"),
            description: text(r, "description"),
        },
        ProviderKind::Bitbucket => Repository {
            name: text(r, "name")?,
            full_name: text(r, "full_name")?,
            web_url: r.pointer("/links/html/href").and_then(Value::as_str)?.to_owned(),
            clone_url: r.pointer("/links/clone").and_then(Value::as_array).and_then(|c| {
                c.iter().find(|l| l["name"] == "https").and_then(|l| l["href"].as_str()).map(str::to_owned)
            }),
            private: r.get("is_private").and_then(Value::as_bool).unwrap_or(true),
            description: text(r, "description"),
        },
        ProviderKind::Oidc | ProviderKind::AzureDevops => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn repositories_are_read_from_each_hosts_shape() {
        let gh = json!({"name": "app", "full_name": "acme/app", "html_url": "https://github.com/acme/app", "clone_url": "https://github.com/acme/app.git", "private": true});
        assert_eq!(
            repository(ProviderKind::Github, &gh).map(|r| (r.full_name, r.private)),
            Some(("acme/app".into(), true))
        );
        let gl = json!({"name": "app", "path_with_namespace": "acme/app", "web_url": "https://gitlab.com/acme/app", "visibility": "public"});
        assert_eq!(repository(ProviderKind::Gitlab, &gl).map(|r| r.private), Some(false));
        let bb = json!({"name": "app", "full_name": "acme/app", "is_private": false, "links": {"html": {"href": "https://bitbucket.org/acme/app"}, "clone": [{"name": "ssh", "href": "git@x"}, {"name": "https", "href": "https://bitbucket.org/acme/app.git"}]}});
        assert_eq!(
            repository(ProviderKind::Bitbucket, &bb).and_then(|r| r.clone_url),
            Some("https://bitbucket.org/acme/app.git".into())
        );
        assert_eq!(repository(ProviderKind::Github, &json!({"name": 1})), None, "incomplete objects are skipped");
        let gitea = json!({"name": "app", "full_name": "acme/app", "html_url": "https://git.example/acme/app", "clone_url": "https://git.example/acme/app.git", "private": false});
        assert_eq!(
            repository(ProviderKind::Gitea, &gitea).map(|r| r.web_url),
            Some("https://git.example/acme/app".into())
        );
        let ado = json!({"name": "app", "project": {"name": "Web", "visibility": "private"}, "webUrl": "https://dev.azure.com/acme/Web/_git/app", "remoteUrl": "https://acme@dev.azure.com/acme/Web/_git/app"});
        let r = azure_repository("acme", &ado);
        assert_eq!(r.as_ref().map(|r| (r.full_name.as_str(), r.private)), Some(("acme/Web/app", true)));
        let mut disabled = ado.clone();
        disabled["isDisabled"] = json!(true);
        assert_eq!(azure_repository("acme", &disabled), None, "a disabled repository cannot be cloned");
    }
}
