//! Agents: connect, heartbeat and claim with an agent token; list with `read`.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use tessera_core::authority::{artifact_too_large, ARTIFACT_MAX};
use tessera_core::model::{Agent, AgentStatus, Artifact, Run, RunStatus};

use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{Auth, Id, Id2, Id3, Json};
use crate::AppState;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// This module's routes, their operations named `agents_<handler>`.
pub fn router() -> OpenApiRouter<AppState> {
    let r = OpenApiRouter::new()
        .routes(routes!(connect))
        .routes(routes!(heartbeat))
        .routes(routes!(claim))
        .routes(routes!(list))
        .routes(routes!(disconnect))
        .routes(routes!(post_log))
        .routes(routes!(finish));
    // An artifact's body may be larger than any other request's; one byte over the limit is
    // read so that the refusal can say the limit.
    let uploads = OpenApiRouter::new().routes(routes!(put_artifact)).layer(DefaultBodyLimit::max(ARTIFACT_MAX + 1));
    crate::openapi::name_operations(r.merge(uploads), "agents")
}

/// The body of `POST /agents/{id}/runs/{run}/log`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LogBody {
    /// The lines, in order, each without its line ending (1 to 1,000 per request, each up to
    /// 8 KiB; a run keeps up to 4 MiB of log).
    #[schema(min_items = 1, max_items = 1000)]
    pub lines: Vec<String>,
}

/// The answer of `POST /agents/{id}/runs/{run}/log`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LogWritten {
    /// How many lines the run's log holds now.
    pub log_lines: i64,
}

/// How a run ended.
#[derive(Debug, Clone, Copy, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum RunOutcome {
    /// It did what it should.
    Succeeded,
    /// It did not.
    Failed,
}

/// The body of `POST /agents/{id}/runs/{run}/finish`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FinishBody {
    /// How the run ended.
    pub status: RunOutcome,
}

/// Append lines to the log of a run this agent claimed. Over a limit: 413, naming it.
#[utoipa::path(post, path = "/api/v1/agents/{id}/runs/{run}/log", tag = "agents",
    params(("id" = String, Path), ("run" = String, Path)), request_body = LogBody,
    responses((status = 200, body = LogWritten), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 413, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn post_log(
    State(s): State<AppState>,
    Auth(c): Auth,
    Id2((agent, run)): Id2,
    Json(body): Json<LogBody>,
) -> ApiResult<axum::Json<LogWritten>> {
    Ok(axum::Json(LogWritten { log_lines: s.authority.append_run_log(&c, &agent, &run, body.lines).await? }))
}

/// Keep a file of a run this agent claimed (the raw body, up to 8 MiB; a run's artifacts
/// hold up to 32 MiB together). Each name is kept once. Over a limit: 413, naming it.
#[utoipa::path(put, path = "/api/v1/agents/{id}/runs/{run}/artifacts/{name}", tag = "agents",
    params(("id" = String, Path), ("run" = String, Path), ("name" = String, Path)),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 201, body = Artifact), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 413, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn put_artifact(
    State(s): State<AppState>,
    Auth(c): Auth,
    Id3((agent, run, name)): Id3,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<(StatusCode, axum::Json<Artifact>)> {
    let body = body.map_err(|e| match e.status() {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::from(artifact_too_large()),
        _ => ApiError::invalid(format!("the body could not be read: {}", e.body_text())),
    })?;
    let a = s.authority.put_run_artifact(&c, &agent, &run, &name, &body).await?;
    Ok((StatusCode::CREATED, axum::Json(a)))
}

/// End a run this agent claimed.
#[utoipa::path(post, path = "/api/v1/agents/{id}/runs/{run}/finish", tag = "agents",
    params(("id" = String, Path), ("run" = String, Path)), request_body = FinishBody,
    responses((status = 200, body = Run), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn finish(
    State(s): State<AppState>,
    Auth(c): Auth,
    Id2((agent, run)): Id2,
    Json(body): Json<FinishBody>,
) -> ApiResult<axum::Json<Run>> {
    let status = match body.status {
        RunOutcome::Succeeded => RunStatus::Succeeded,
        RunOutcome::Failed => RunStatus::Failed,
    };
    Ok(axum::Json(s.authority.finish_run(&c, &agent, &run, status).await?))
}

/// The body of `POST /agents/connect`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConnectBody {
    /// The agent's name: letters, digits, `.`, `_`, `-`.
    #[schema(min_length = 1, max_length = 100, pattern = "^[A-Za-z0-9_-][A-Za-z0-9_.-]*$")]
    pub name: String,
}

/// The answer of `POST /agents/connect`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Connected {
    /// The new agent's id, for heartbeat and claim.
    pub agent_id: String,
    /// The agent.
    pub agent: Agent,
}

/// The body of `POST /agents/{id}/heartbeat`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HeartbeatBody {
    /// What the agent is doing.
    pub status: AgentStatus,
}

/// The answer of `POST /agents/{id}/claim`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Claimed {
    /// The run now assigned to the agent, or null when none is queued.
    pub run: Option<Run>,
}

/// Connect an agent with an agent token.
#[utoipa::path(post, path = "/api/v1/agents/connect", tag = "agents", request_body = ConnectBody,
    responses((status = 201, body = Connected), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn connect(
    State(s): State<AppState>,
    Auth(c): Auth,
    Json(body): Json<ConnectBody>,
) -> ApiResult<(StatusCode, axum::Json<Connected>)> {
    let agent = s.authority.connect_agent(&c, &body.name).await?;
    Ok((StatusCode::CREATED, axum::Json(Connected { agent_id: agent.id.clone(), agent })))
}

/// Report an agent's status.
#[utoipa::path(post, path = "/api/v1/agents/{id}/heartbeat", tag = "agents", params(("id" = String, Path)),
    request_body = HeartbeatBody,
    responses((status = 200, body = Agent), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn heartbeat(
    State(s): State<AppState>,
    Auth(c): Auth,
    Id(id): Id,
    Json(body): Json<HeartbeatBody>,
) -> ApiResult<axum::Json<Agent>> {
    Ok(axum::Json(s.authority.heartbeat(&c, &id, body.status).await?))
}

/// Claim the oldest queued run of the agent owner's projects.
#[utoipa::path(post, path = "/api/v1/agents/{id}/claim", tag = "agents", params(("id" = String, Path)),
    responses((status = 200, body = Claimed), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn claim(State(s): State<AppState>, Auth(c): Auth, Id(id): Id) -> ApiResult<axum::Json<Claimed>> {
    Ok(axum::Json(Claimed { run: s.authority.claim(&c, &id).await? }))
}

/// The agents of the caller and the caller's organizations; every agent for an instance admin.
#[utoipa::path(get, path = "/api/v1/agents", tag = "agents",
    responses((status = 200, body = Vec<Agent>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list(State(s): State<AppState>, Auth(c): Auth) -> ApiResult<axum::Json<Vec<Agent>>> {
    Ok(axum::Json(s.authority.list_agents(&c).await?))
}

/// Disconnect an agent (its token stays): its owner, an admin of its organization, or an
/// instance administrator.
#[utoipa::path(delete, path = "/api/v1/agents/{id}", tag = "agents", params(("id" = String, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn disconnect(State(s): State<AppState>, Auth(c): Auth, Id(id): Id) -> ApiResult<StatusCode> {
    s.authority.disconnect_agent(&c, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
