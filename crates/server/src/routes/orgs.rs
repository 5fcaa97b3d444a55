//! Organizations and members.

use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use tessera_core::model::{Member, OrgRole, OrgWithRole};

use crate::error::{ApiResult, ErrorBody};
use crate::extract::{Auth, Id, Json};
use crate::AppState;

/// The body of `POST /orgs`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOrg {
    /// Unique name: letters, digits, `.`, `_`, `-`.
    pub name: String,
}

/// The body of `POST /orgs/{org}/members`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberRequest {
    /// The account's id or name.
    pub user: String,
    /// Their role.
    pub role: OrgRole,
}

/// The body of `DELETE /orgs/{org}/members`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberRef {
    /// The account's id or name.
    pub user: String,
}

/// The organizations the caller belongs to.
#[utoipa::path(get, path = "/api/v1/orgs", tag = "orgs",
    responses((status = 200, body = Vec<OrgWithRole>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list(State(s): State<AppState>, Auth(c): Auth) -> ApiResult<axum::Json<Vec<OrgWithRole>>> {
    Ok(axum::Json(s.authority.list_orgs(&c).await?))
}

/// Create an organization; the caller becomes its admin.
#[utoipa::path(post, path = "/api/v1/orgs", tag = "orgs", request_body = NewOrg,
    responses((status = 201, body = OrgWithRole), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create(
    State(s): State<AppState>,
    Auth(c): Auth,
    Json(req): Json<NewOrg>,
) -> ApiResult<(StatusCode, axum::Json<OrgWithRole>)> {
    Ok((StatusCode::CREATED, axum::Json(s.authority.create_org(&c, &req.name).await?)))
}

/// One organization.
#[utoipa::path(get, path = "/api/v1/orgs/{org}", tag = "orgs", params(("org" = String, Path)),
    responses((status = 200, body = OrgWithRole), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn get(State(s): State<AppState>, Auth(c): Auth, Id(org): Id) -> ApiResult<axum::Json<OrgWithRole>> {
    Ok(axum::Json(s.authority.get_org(&c, &org).await?))
}

/// The members of an organization.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/members", tag = "orgs", params(("org" = String, Path)),
    responses((status = 200, body = Vec<Member>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn members(State(s): State<AppState>, Auth(c): Auth, Id(org): Id) -> ApiResult<axum::Json<Vec<Member>>> {
    Ok(axum::Json(s.authority.list_members(&c, &org).await?))
}

/// Add a member or change a member's role; answers with the members.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/members", tag = "orgs", params(("org" = String, Path)),
    request_body = MemberRequest,
    responses((status = 200, body = Vec<Member>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn put_member(
    State(s): State<AppState>,
    Auth(c): Auth,
    Id(org): Id,
    Json(req): Json<MemberRequest>,
) -> ApiResult<axum::Json<Vec<Member>>> {
    Ok(axum::Json(s.authority.put_member(&c, &org, &req.user, req.role).await?))
}

/// Remove a member. The last admin cannot be removed.
#[utoipa::path(delete, path = "/api/v1/orgs/{org}/members", tag = "orgs", params(("org" = String, Path)),
    request_body = MemberRef,
    responses((status = 204), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn remove_member(
    State(s): State<AppState>,
    Auth(c): Auth,
    Id(org): Id,
    Json(req): Json<MemberRef>,
) -> ApiResult<StatusCode> {
    s.authority.remove_member(&c, &org, &req.user).await?;
    Ok(StatusCode::NO_CONTENT)
}
