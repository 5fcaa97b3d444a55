//! Agents: connect, heartbeat and claim with an agent token; list with `read`.

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use tessera_core::model::{Agent, AgentStatus, Run};

use crate::error::{ApiResult, ErrorBody};
use crate::extract::{Auth, Id, Json};
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
        .routes(routes!(disconnect));
    crate::openapi::name_operations(r, "agents")
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
