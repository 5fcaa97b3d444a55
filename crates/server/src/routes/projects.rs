//! Projects, runs, pipeline files and secrets.

use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use tessera_core::authority::{NewProject, ProjectPatch};
use tessera_core::model::{Pipeline, Project, Run, SecretInfo};

use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{Auth, Id, Id2, Json};
use crate::AppState;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// This module's routes, their operations named `projects_<handler>`.
pub fn router() -> OpenApiRouter<AppState> {
    let r = OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(get, update, delete))
        .routes(routes!(trigger, runs))
        .routes(routes!(put_pipeline, get_pipeline))
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
