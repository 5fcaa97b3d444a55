//! Code-host tokens for git: what `tessera git-credential` asks (git's credential helper
//! protocol), and the hosts `tessera auth setup-git` configures.

use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tessera_auth::git::GitQuery;
use tessera_core::model::ScmStatus;

use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{Auth, Json};
use crate::AppState;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// This module's routes, their operations named `git_<handler>`.
pub fn router() -> OpenApiRouter<AppState> {
    let r = OpenApiRouter::new().routes(routes!(hosts)).routes(routes!(credential)).routes(routes!(reject));
    crate::openapi::name_operations(r, "git")
}

/// The protocols git sends code-host tokens over.
#[derive(Debug, Clone, Copy, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum GitProtocol {
    /// HTTPS.
    Https,
    /// Plain HTTP, for a host configured so.
    Http,
}

impl GitProtocol {
    fn as_str(self) -> &'static str {
        match self {
            GitProtocol::Https => "https",
            GitProtocol::Http => "http",
        }
    }
}

/// What git asks about: the `protocol`, `host` and `username` lines of its credential request.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CredentialQuery {
    /// `https` (or `http`).
    pub protocol: GitProtocol,
    /// The host, with `:port` when it is not the default.
    #[schema(min_length = 1, max_length = 255, pattern = r"^[^\x00-\x1f\x7f-\x9f]+$")]
    pub host: String,
    /// The user name in the remote's URL, when it has one: picks among several linked accounts
    /// at one host.
    #[schema(min_length = 1, max_length = 255, pattern = r"^[^\x00-\x1f\x7f-\x9f]+$")]
    pub username: Option<String>,
    /// The repository path, when git sends it (`credential.useHttpPath`); accepted, not needed
    /// to answer: a linked account's token is for every repository it reaches.
    #[schema(max_length = 4096)]
    pub path: Option<String>,
}

impl CredentialQuery {
    fn query(self) -> ApiResult<GitQuery> {
        check_path(self.path.as_deref())?;
        Ok(GitQuery { protocol: self.protocol.as_str().to_owned(), host: self.host, username: self.username })
    }
}

/// Longest repository path and password a body may carry.
const MAX_PATH: usize = 4096;

/// The path git may send is not needed, but a body is held to its documented limit all the same.
fn check_path(path: Option<&str>) -> ApiResult<()> {
    match path {
        Some(p) if p.chars().count() > MAX_PATH => {
            Err(ApiError::invalid(format!("path must be at most {MAX_PATH} characters")))
        }
        _ => Ok(()),
    }
}

/// The body of `POST /user/git/credential/reject`: what git sent and the host refused.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RejectBody {
    /// `https` (or `http`).
    pub protocol: GitProtocol,
    /// The host, with `:port` when it is not the default.
    #[schema(min_length = 1, max_length = 255, pattern = r"^[^\x00-\x1f\x7f-\x9f]+$")]
    pub host: String,
    /// The user name git sent.
    #[schema(min_length = 1, max_length = 255, pattern = r"^[^\x00-\x1f\x7f-\x9f]+$")]
    pub username: Option<String>,
    /// The repository path, when git sends it; accepted, not needed.
    #[schema(max_length = 4096)]
    pub path: Option<String>,
    /// The password the host refused.
    #[schema(min_length = 1, max_length = 4096)]
    pub password: String,
}

/// A credential for git: the linked account's code-host token and the user name its host expects.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct GitCredentialAnswer {
    /// The user name to send: `x-access-token` (GitHub), `oauth2` (GitLab), `x-token-auth`
    /// (Bitbucket).
    pub username: String,
    /// The code-host access token, refreshed first when it was about to expire.
    pub password: String,
    /// When the token expires, if it does.
    pub expires_at: Option<DateTime<Utc>>,
    /// The provider's id.
    pub provider: String,
    /// The linked identity whose token it is.
    pub identity: String,
    /// The account's name at the host.
    pub account: String,
}

/// A code host git can use through Tessera.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct GitHostEntry {
    /// The provider's id.
    pub provider: String,
    /// The provider's name.
    pub provider_name: String,
    /// The host's base URL, which its repository URLs start with.
    pub url: String,
    /// The host as git names it (with `:port` when not the default).
    pub host: String,
    /// The linked identity.
    pub identity: String,
    /// The account's name at the host.
    pub account: String,
    /// Whether its token is usable.
    pub status: ScmStatus,
}

/// The code hosts the caller has linked accounts at, with the URL git reaches each by.
#[utoipa::path(get, path = "/api/v1/user/git/hosts", tag = "git",
    responses((status = 200, body = Vec<GitHostEntry>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 503, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn hosts(State(s): State<AppState>, Auth(c): Auth) -> ApiResult<axum::Json<Vec<GitHostEntry>>> {
    let list = s.sign_in()?.git_hosts(&c).await?;
    Ok(axum::Json(
        list.into_iter()
            .map(|h| GitHostEntry {
                provider: h.provider,
                provider_name: h.provider_name,
                url: h.remote.url,
                host: h.remote.host,
                identity: h.identity,
                account: h.account,
                status: h.status,
            })
            .collect(),
    ))
}

/// A credential for git at a code host (a login session only): the caller's linked account there,
/// its token refreshed first when about to expire. 404 when no account is linked at that host;
/// 409 `reconnect_required` when it must be signed in to again. Audited.
#[utoipa::path(post, path = "/api/v1/user/git/credential", tag = "git",
    request_body(content = CredentialQuery, content_type = "application/json"),
    responses((status = 200, body = GitCredentialAnswer), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 502, body = ErrorBody), (status = 503, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn credential(
    State(s): State<AppState>,
    Auth(c): Auth,
    Json(body): Json<CredentialQuery>,
) -> ApiResult<axum::Json<GitCredentialAnswer>> {
    let answer = s.sign_in()?.git_credential(&c, &body.query()?).await?;
    Ok(axum::Json(GitCredentialAnswer {
        username: answer.username,
        password: answer.password.expose().to_owned(),
        expires_at: answer.expires_at,
        provider: answer.provider,
        identity: answer.identity,
        account: answer.account,
    }))
}

/// Git says a code host refused a credential (a login session only). When it is the linked
/// account's current token and the host no longer accepts it, the link is marked for reconnecting
/// and the answer is 409 `reconnect_required`; otherwise 204 and nothing changes.
#[utoipa::path(post, path = "/api/v1/user/git/credential/reject", tag = "git",
    request_body(content = RejectBody, content_type = "application/json"),
    responses((status = 204), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 502, body = ErrorBody),
        (status = 503, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn reject(State(s): State<AppState>, Auth(c): Auth, Json(body): Json<RejectBody>) -> ApiResult<StatusCode> {
    check_path(body.path.as_deref())?;
    if body.password.is_empty() || body.password.chars().count() > MAX_PATH {
        return Err(ApiError::invalid(format!("password must be 1 to {MAX_PATH} characters")));
    }
    let q = GitQuery { protocol: body.protocol.as_str().to_owned(), host: body.host, username: body.username };
    s.sign_in()?.git_reject(&c, &q, &body.password).await?;
    Ok(StatusCode::NO_CONTENT)
}
