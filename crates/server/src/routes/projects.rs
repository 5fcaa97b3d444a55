//! Projects, runs, pipeline files and secrets.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use tessera_core::authority::{Delivery, LogPage, NewProject, ProjectPatch, RunRequest};
use tessera_core::error::ErrorCode;
use tessera_core::model::{Artifact, Pipeline, Project, Run, SecretInfo};
use tessera_core::Caller;

use super::hooks;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{client_ip, Auth, Failures, Id, Id2, Id3, Json};
use crate::{AppState, Edge};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// This module's routes, their operations named `projects_<handler>`.
pub fn router() -> OpenApiRouter<AppState> {
    let r = OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(get, update, delete))
        .routes(routes!(trigger, runs))
        .routes(routes!(trigger_hook))
        .routes(routes!(get_run))
        .routes(routes!(run_log))
        .routes(routes!(run_artifacts))
        .routes(routes!(run_artifact))
        .routes(routes!(put_pipeline, get_pipeline))
        .routes(routes!(import_pipeline))
        .routes(routes!(get_secret, put_secret, delete_secret));
    crate::openapi::name_operations(r, "projects")
}

/// The body of `PUT …/pipelines/{name}`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PipelineBody {
    /// The file's content (up to 256 KiB).
    #[schema(max_length = 262144)]
    pub content: String,
}

/// The body of `POST …/pipelines/{name}/import`: which file of the project's repository.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportBody {
    /// The file's path in the repository, e.g. `.tessera/pipeline.yml`.
    #[schema(min_length = 1, max_length = 1024)]
    pub path: String,
    /// A branch, tag or commit (default: the repository's default branch).
    #[serde(rename = "ref")]
    #[schema(min_length = 1, max_length = 255)]
    pub git_ref: Option<String>,
}

/// The body of `PUT …/secrets/{name}`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SecretBody {
    /// The value (up to 64 KiB); it can never be read back.
    #[schema(max_length = 65536)]
    pub value: String,
}

/// The projects the caller can see.
#[utoipa::path(get, path = "/api/v1/projects", tag = "projects",
    responses((status = 200, body = Vec<Project>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list(State(s): State<AppState>, Auth(c): Auth) -> ApiResult<axum::Json<Vec<Project>>> {
    Ok(axum::Json(s.authority.list_projects(&c).await?))
}

/// Create a project, personal or in an organization the caller administers.
#[utoipa::path(post, path = "/api/v1/projects", tag = "projects", request_body = NewProject,
    responses((status = 201, body = Project), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create(
    State(s): State<AppState>,
    Auth(c): Auth,
    Json(req): Json<NewProject>,
) -> ApiResult<(StatusCode, axum::Json<Project>)> {
    Ok((StatusCode::CREATED, axum::Json(s.authority.create_project(&c, req).await?)))
}

/// One project.
#[utoipa::path(get, path = "/api/v1/projects/{project}", tag = "projects", params(("project" = String, Path)),
    responses((status = 200, body = Project), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn get(State(s): State<AppState>, Auth(c): Auth, Id(p): Id) -> ApiResult<axum::Json<Project>> {
    Ok(axum::Json(s.authority.get_project(&c, &p).await?))
}

/// Change a project's settings.
#[utoipa::path(patch, path = "/api/v1/projects/{project}", tag = "projects", params(("project" = String, Path)),
    request_body = ProjectPatch,
    responses((status = 200, body = Project), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn update(
    State(s): State<AppState>,
    Auth(c): Auth,
    Id(p): Id,
    Json(patch): Json<ProjectPatch>,
) -> ApiResult<axum::Json<Project>> {
    Ok(axum::Json(s.authority.update_project(&c, &p, patch).await?))
}

/// Delete a project with its runs, pipelines, secrets and trigger tokens: its owner, an admin
/// of its organization, or an instance administrator.
#[utoipa::path(delete, path = "/api/v1/projects/{project}", tag = "projects", params(("project" = String, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn delete(State(s): State<AppState>, Auth(c): Auth, Id(p): Id) -> ApiResult<StatusCode> {
    s.authority.delete_project(&c, &p).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Trigger a run: a trigger token of this project, or a credential with the `trigger` scope.
#[utoipa::path(post, path = "/api/v1/projects/{project}/runs", tag = "projects", params(("project" = String, Path)),
    responses((status = 202, body = Run), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 429, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn trigger(
    State(s): State<AppState>,
    axum::Extension(edge): axum::Extension<std::sync::Arc<crate::Edge>>,
    Auth(c): Auth,
    Id(p): Id,
) -> ApiResult<(StatusCode, axum::Json<Run>)> {
    if c.token_kind() == Some(tessera_core::TokenKind::Trigger) {
        edge.throttles.trigger(&c.actor()).map_err(ApiError::rate_limited)?;
    }
    Ok((StatusCode::ACCEPTED, axum::Json(s.authority.trigger_run(&c, &p).await?)))
}

/// The newest runs of a project.
#[utoipa::path(get, path = "/api/v1/projects/{project}/runs", tag = "projects", params(("project" = String, Path)),
    responses((status = 200, body = Vec<Run>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn runs(State(s): State<AppState>, Auth(c): Auth, Id(p): Id) -> ApiResult<axum::Json<Vec<Run>>> {
    Ok(axum::Json(s.authority.list_runs(&c, &p).await?))
}

/// Write a pipeline file.
#[utoipa::path(put, path = "/api/v1/projects/{project}/pipelines/{name}", tag = "projects",
    params(("project" = String, Path), ("name" = String, Path)), request_body = PipelineBody,
    responses((status = 200, body = Pipeline), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn put_pipeline(
    State(s): State<AppState>,
    Auth(c): Auth,
    Id2((p, name)): Id2,
    Json(body): Json<PipelineBody>,
) -> ApiResult<axum::Json<Pipeline>> {
    Ok(axum::Json(s.authority.put_pipeline(&c, &p, &name, body.content).await?))
}

/// Import a pipeline file from the project's repository (`pipeline:write`), read at its code host
/// through the caller's linked account there (a login session or a personal access token). 409
/// when no account at that host is linked, or `reconnect_required` when it must be signed in to
/// again.
#[utoipa::path(post, path = "/api/v1/projects/{project}/pipelines/{name}/import", tag = "projects",
    params(("project" = String, Path), ("name" = String, Path)), request_body = ImportBody,
    responses((status = 200, body = Pipeline), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 502, body = ErrorBody), (status = 503, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn import_pipeline(
    State(s): State<AppState>,
    Auth(c): Auth,
    Id2((p, name)): Id2,
    Json(body): Json<ImportBody>,
) -> ApiResult<axum::Json<Pipeline>> {
    let req = tessera_auth::import::ImportRequest { path: body.path, git_ref: body.git_ref };
    Ok(axum::Json(s.sign_in()?.import_pipeline(&c, &p, &name, &req).await?))
}

/// Read a pipeline file.
#[utoipa::path(get, path = "/api/v1/projects/{project}/pipelines/{name}", tag = "projects",
    params(("project" = String, Path), ("name" = String, Path)),
    responses((status = 200, body = Pipeline), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_pipeline(
    State(s): State<AppState>,
    Auth(c): Auth,
    Id2((p, name)): Id2,
) -> ApiResult<axum::Json<Pipeline>> {
    Ok(axum::Json(s.authority.get_pipeline(&c, &p, &name).await?))
}

/// A secret's metadata; the value is write-only.
#[utoipa::path(get, path = "/api/v1/projects/{project}/secrets/{name}", tag = "projects",
    params(("project" = String, Path), ("name" = String, Path)),
    responses((status = 200, body = SecretInfo), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_secret(
    State(s): State<AppState>,
    Auth(c): Auth,
    Id2((p, name)): Id2,
) -> ApiResult<axum::Json<SecretInfo>> {
    Ok(axum::Json(s.authority.get_secret(&c, &p, &name).await?))
}

/// Write a secret's value.
#[utoipa::path(put, path = "/api/v1/projects/{project}/secrets/{name}", tag = "projects",
    params(("project" = String, Path), ("name" = String, Path)), request_body = SecretBody,
    responses((status = 200, body = SecretInfo), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn put_secret(
    State(s): State<AppState>,
    Auth(c): Auth,
    Id2((p, name)): Id2,
    Json(body): Json<SecretBody>,
) -> ApiResult<axum::Json<SecretInfo>> {
    Ok(axum::Json(s.authority.put_secret(&c, &p, &name, &body.value).await?))
}

/// Delete a secret.
#[utoipa::path(delete, path = "/api/v1/projects/{project}/secrets/{name}", tag = "projects",
    params(("project" = String, Path), ("name" = String, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn delete_secret(State(s): State<AppState>, Auth(c): Auth, Id2((p, name)): Id2) -> ApiResult<StatusCode> {
    s.authority.delete_secret(&c, &p, &name).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The body of `POST …/trigger` (JSON; the same fields may come as a form or in the query, with
/// variables as `variables[NAME]=value`, as GitLab's trigger API takes them).
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TriggerBody {
    /// The trigger token, for clients that cannot send `Authorization: Bearer`.
    #[serde(default)]
    #[schema(min_length = 1, max_length = 8192, pattern = "\\S")]
    pub token: Option<String>,
    /// The git ref to run, such as `refs/heads/main`.
    #[serde(default, rename = "ref")]
    #[schema(
        min_length = 1,
        max_length = 255,
        pattern = "^[^\\u0000-\\u0008\\u000B-\\u001F\\u007F-\\u009F\\u061C\\u180E\\u200B-\\u200F\\u202A-\\u202E\\u2060-\\u2064\\u2066-\\u2069\\uFEFF\\s]+$"
    )]
    pub git_ref: Option<String>,
    /// The commit to run, 7 to 64 hexadecimal digits.
    #[serde(default)]
    #[schema(pattern = "^[0-9A-Fa-f]{7,64}$")]
    pub commit: Option<String>,
    /// Variables for the run (at most 50): names of letters, digits and `_`, not starting with a
    /// digit; values up to 4,096 characters.
    #[serde(default)]
    pub variables: BTreeMap<String, String>,
}

impl TriggerBody {
    fn set(&mut self, key: &str, value: String) -> ApiResult<()> {
        let slot = match key {
            "token" => &mut self.token,
            "ref" => &mut self.git_ref,
            "commit" => &mut self.commit,
            _ => match key.strip_prefix("variables[").and_then(|k| k.strip_suffix(']')) {
                Some(name) => {
                    self.variables.insert(name.to_owned(), value);
                    return Ok(());
                }
                None => {
                    let shown: String = key.chars().take(40).collect();
                    return Err(ApiError::invalid(format!(
                        "unknown field {shown:?}: send token, ref, commit and variables[NAME]"
                    )));
                }
            },
        };
        if slot.replace(value).is_some() {
            return Err(ApiError::invalid(format!("the field {key} was sent twice")));
        }
        Ok(())
    }

    /// Adds the fields of a form or a query string.
    fn add_form(&mut self, form: &[u8]) -> ApiResult<()> {
        for (k, v) in url::form_urlencoded::parse(form) {
            self.set(&k, v.into_owned())?;
        }
        Ok(())
    }

    fn request(self) -> RunRequest {
        RunRequest { git_ref: self.git_ref, commit: self.commit, variables: self.variables }
    }
}

fn header_text<'a>(headers: &'a HeaderMap, name: &str) -> ApiResult<Option<&'a str>> {
    headers
        .get(name)
        .map(|v| v.to_str().map_err(|_| ApiError::unauthenticated(format!("the {name} header is not readable text"))))
        .transpose()
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("application/json"))
}

/// The password of an `Authorization: Basic` header, if that is its scheme; an error when it is
/// Basic but unreadable.
fn basic_password(authorization: Option<&str>) -> Option<ApiResult<String>> {
    let (scheme, value) = authorization?.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let unreadable = || ApiError::unauthenticated("the Authorization header's Basic credentials are not readable");
    let decoded = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, value.trim()).ok();
    let pair = decoded.and_then(|d| String::from_utf8(d).ok());
    Some(match pair.as_deref().and_then(|p| p.split_once(':')) {
        Some((_, password)) if !password.trim().is_empty() => Ok(password.trim().to_owned()),
        _ => Err(unreadable()),
    })
}

/// Trigger a run with a trigger token (or a credential with the `trigger` scope) sent as a
/// bearer header, as a `token` field of the query, a form or JSON, as the password of Basic
/// credentials (Azure DevOps service hooks), or through a code-host webhook signed with the
/// trigger token's webhook secret: GitHub's `X-Hub-Signature-256`, Gitea's and Forgejo's
/// `X-Gitea-Signature`, Bitbucket's `X-Hub-Signature` (each an HMAC-SHA256 of the body), or
/// GitLab's `X-Gitlab-Token` (the secret itself). A push names the run's ref and commit; a
/// GitHub `ping` answers 204. Failed attempts count against the client's failed-authentication
/// throttle.
#[utoipa::path(post, path = "/api/v1/projects/{project}/trigger", tag = "projects",
    params(("project" = String, Path),
        ("token" = Option<String>, Query, description = "The trigger token, GitLab's trigger style."),
        ("X-Hub-Signature-256" = Option<String>, Header, description = "GitHub: sha256=<HMAC-SHA256 of the body, hex>."),
        ("X-Gitlab-Token" = Option<String>, Header, description = "GitLab: the trigger token's webhook secret."),
        ("X-Gitea-Signature" = Option<String>, Header, description = "Gitea and Forgejo (also X-Forgejo-Signature): <HMAC-SHA256 of the body, hex>."),
        ("X-Hub-Signature" = Option<String>, Header, description = "Bitbucket Cloud: sha256=<HMAC-SHA256 of the body, hex>."),
        ("X-GitHub-Event" = Option<String>, Header, description = "GitHub: the event; `ping` triggers nothing.")),
    request_body(content = TriggerBody, content_type = "application/json"),
    responses((status = 202, body = Run), (status = 204, description = "A GitHub ping, verified; no run."),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 429, body = ErrorBody)),
    security(("bearer" = []), ()))]
pub async fn trigger_hook(
    State(s): State<AppState>,
    axum::Extension(edge): axum::Extension<Arc<Edge>>,
    parts: axum::http::request::Parts,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Response> {
    let mut parts = parts;
    let Id(p) = <Id as axum::extract::FromRequestParts<AppState>>::from_request_parts(&mut parts, &s).await?;
    let body = body.map_err(|e| match e.status() {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::with_code(
            StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::PayloadTooLarge,
            format!("a trigger's body may be at most {} KiB", crate::BODY_LIMIT / 1024),
        ),
        _ => ApiError::invalid(format!("the body could not be read: {}", e.body_text())),
    })?;
    let ip = client_ip(&parts);
    let failures = Failures::of(&parts);
    failures.check(&s, ip.as_deref())?;
    let headers = &parts.headers;
    let text = |name: &str| header_text(headers, name).map_err(|e| failures.failed(e));
    // Who signed the body, by the header each host signs with. GitHub sends its SHA-1
    // `X-Hub-Signature` too, beside the SHA-256 one read first; Bitbucket sends only the latter
    // name, with a SHA-256.
    let signed = match (text("x-hub-signature-256")?, text("x-gitea-signature")?.or(text("x-forgejo-signature")?)) {
        (Some(sig), _) | (None, Some(sig)) => Some((sig, hooks::Host::GitHub)),
        (None, None) => match text("x-hub-signature")? {
            Some(sig) if sig.trim_start().starts_with("sha256=") => Some((sig, hooks::Host::Bitbucket)),
            Some(_) => {
                return Err(failures.failed(ApiError::unauthenticated(
                    "the webhook's X-Hub-Signature must be sha256=<HMAC-SHA256 of the body>",
                )))
            }
            None => None,
        },
    };
    let (caller, req): (Caller, RunRequest) = if let Some((signature, host)) = signed {
        let caller = s
            .authority
            .webhook_caller(&p, Delivery::Signed { signature, body: &body }, ip.clone())
            .await
            .map_err(|e| failures.failed(e.into()))?;
        if text("x-github-event")?.is_some_and(|e| e.eq_ignore_ascii_case("ping")) {
            return Ok(StatusCode::NO_CONTENT.into_response());
        }
        (caller, hooks::pushed(host, &body, is_json(headers))?)
    } else if let Some(token) = text("x-gitlab-token")? {
        let caller = s
            .authority
            .webhook_caller(&p, Delivery::GitLab { token }, ip.clone())
            .await
            .map_err(|e| failures.failed(e.into()))?;
        (caller, hooks::pushed(hooks::Host::GitLab, &body, is_json(headers))?)
    } else if let Some(password) = basic_password(text("authorization")?) {
        // Azure DevOps service hooks send the trigger token as the Basic password.
        let password = password.map_err(|e| failures.failed(e))?;
        let caller = failures.authenticate(&s, &password, ip.clone()).await?;
        let req = if hooks::is_azure_devops(&body) {
            hooks::pushed(hooks::Host::AzureDevOps, &body, true)?
        } else {
            RunRequest { git_ref: None, commit: None, variables: BTreeMap::new() }
        };
        (caller, req)
    } else {
        let mut fields = TriggerBody::default();
        if let Some(q) = parts.uri.query() {
            fields.add_form(q.as_bytes())?;
        }
        // An empty body says nothing, whatever its content type claims.
        if is_json(headers) && !body.trim_ascii().is_empty() {
            let json: TriggerBody =
                serde_json::from_slice(&body).map_err(|e| ApiError::invalid(format!("the body does not fit: {e}")))?;
            for (k, v) in [("token", json.token), ("ref", json.git_ref), ("commit", json.commit)] {
                if let Some(v) = v {
                    fields.set(k, v)?;
                }
            }
            for (k, v) in json.variables {
                fields.set(&format!("variables[{k}]"), v)?;
            }
        } else if !body.is_empty() {
            fields.add_form(&body)?;
        }
        let bearer = match (text("authorization")?, fields.token.take())
        {
            (Some(_), Some(_)) => {
                return Err(ApiError::invalid("send the token once: in the Authorization header or as token, not both"))
            }
            (Some(h), None) => h
                .split_once(' ')
                .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
                .map(|(_, v)| v.trim().to_owned())
                .filter(|v| !v.is_empty())
                .ok_or_else(|| failures.failed(ApiError::unauthenticated("the Authorization header must be: Bearer <token>")))?,
            (None, Some(t)) => t.trim().to_owned(),
            (None, None) => {
                return Err(ApiError::unauthenticated(
                    "send the trigger token as Authorization: Bearer <token> or as token=<token>, or sign a webhook with its secret",
                ))
            }
        };
        let caller = failures.authenticate(&s, &bearer, ip.clone()).await?;
        (caller, fields.request())
    };
    if caller.token_kind() == Some(tessera_core::TokenKind::Trigger) {
        edge.throttles.trigger(&caller.actor()).map_err(ApiError::rate_limited)?;
    }
    let run = s.authority.trigger_run_for(&caller, &p, req).await?;
    Ok((StatusCode::ACCEPTED, axum::Json(run)).into_response())
}

/// One run of a project: its ref, commit, variables and status (`read`).
#[utoipa::path(get, path = "/api/v1/projects/{project}/runs/{run}", tag = "projects",
    params(("project" = String, Path), ("run" = String, Path)),
    responses((status = 200, body = Run), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_run(State(s): State<AppState>, Auth(c): Auth, Id2((p, run)): Id2) -> ApiResult<axum::Json<Run>> {
    Ok(axum::Json(s.authority.get_run(&c, &p, &run).await?))
}

/// Which part of a run's log to read.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LogQuery {
    /// Read the lines after this line number (0, the default, reads from the start).
    #[param(minimum = 0)]
    #[serde(default)]
    pub after: i32,
    /// At most this many lines (1 to 1,000; 1,000 by default).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u16>,
}

/// A run's log, in order, a page at a time (`read`).
#[utoipa::path(get, path = "/api/v1/projects/{project}/runs/{run}/log", tag = "projects",
    params(("project" = String, Path), ("run" = String, Path), LogQuery),
    responses((status = 200, body = LogPage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn run_log(
    State(s): State<AppState>,
    Auth(c): Auth,
    Id2((p, run)): Id2,
    q: Result<axum::extract::Query<LogQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<axum::Json<LogPage>> {
    let axum::extract::Query(q) =
        q.map_err(|e| ApiError::invalid(format!("the query is not valid: {}", e.body_text())))?;
    if q.after < 0 {
        return Err(ApiError::invalid("after must be 0 or a line number"));
    }
    let limit = match q.limit {
        Some(l) if !(1..=1000).contains(&l) => return Err(ApiError::invalid("limit must be 1 to 1000")),
        Some(l) => i64::from(l),
        None => tessera_core::authority::LOG_PAGE_MAX,
    };
    Ok(axum::Json(s.authority.run_log(&c, &p, &run, i64::from(q.after), limit).await?))
}

/// The artifacts a run's agent kept (`read`).
#[utoipa::path(get, path = "/api/v1/projects/{project}/runs/{run}/artifacts", tag = "projects",
    params(("project" = String, Path), ("run" = String, Path)),
    responses((status = 200, body = Vec<Artifact>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn run_artifacts(
    State(s): State<AppState>,
    Auth(c): Auth,
    Id2((p, run)): Id2,
) -> ApiResult<axum::Json<Vec<Artifact>>> {
    Ok(axum::Json(s.authority.run_artifacts(&c, &p, &run).await?))
}

/// One artifact's content, as it was uploaded (`read`).
#[utoipa::path(get, path = "/api/v1/projects/{project}/runs/{run}/artifacts/{name}", tag = "projects",
    params(("project" = String, Path), ("run" = String, Path), ("name" = String, Path)),
    responses((status = 200, content_type = "application/octet-stream", body = Vec<u8>),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn run_artifact(State(s): State<AppState>, Auth(c): Auth, Id3((p, run, name)): Id3) -> ApiResult<Response> {
    let (a, content) = s.authority.run_artifact(&c, &p, &run, &name).await?;
    let disposition = format!("attachment; filename=\"{}\"", a.name);
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::HeaderName::from_static("x-content-sha256"), a.sha256),
        ],
        content,
    )
        .into_response())
}
