//! Organizations and members.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use tessera_core::authority::MemberChange;
use tessera_core::model::{Invitation, Member, OrgRole, OrgWithRole};

use crate::error::{ApiResult, ErrorBody};
use crate::extract::{Auth, Id, Id2, Json};
use crate::AppState;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// This module's routes, their operations named `orgs_<handler>`.
pub fn router() -> OpenApiRouter<AppState> {
    let r = OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(get))
        .routes(routes!(members, put_member, remove_member))
        .routes(routes!(invitations, invite))
        .routes(routes!(withdraw_invitation))
        .routes(routes!(my_invitations))
        .routes(routes!(accept_invitation))
        .routes(routes!(decline_invitation));
    crate::openapi::name_operations(r, "orgs")
}

/// The body of `POST /orgs`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOrg {
    /// Unique name: letters, digits, `.`, `_`, `-`.
    #[schema(min_length = 1, max_length = 64, pattern = "^[A-Za-z0-9_-][A-Za-z0-9_.-]*$")]
    pub name: String,
}

/// The body of `POST /orgs/{org}/members`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberRequest {
    /// The account's id or name.
    #[schema(min_length = 1, max_length = 128, pattern = "\\S")]
    pub user: String,
    /// Their role.
    pub role: OrgRole,
}

/// The body of `DELETE /orgs/{org}/members`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberRef {
    /// The account's id or name.
    #[schema(min_length = 1, max_length = 128, pattern = "\\S")]
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

/// Change a member's role (200, the members), or invite someone who is not a member (202, the
/// invitation): membership needs the invitee's consent. A name no account has is answered exactly
/// like one that exists.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/members", tag = "orgs", params(("org" = String, Path)),
    request_body = MemberRequest,
    responses((status = 200, body = Vec<Member>), (status = 202, body = Invitation), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn put_member(
    State(s): State<AppState>,
    Auth(c): Auth,
    Id(org): Id,
    Json(req): Json<MemberRequest>,
) -> ApiResult<Response> {
    Ok(match s.authority.put_member(&c, &org, &req.user, req.role).await? {
        MemberChange::Updated(members) => axum::Json(members).into_response(),
        MemberChange::Invited(inv) => (StatusCode::ACCEPTED, axum::Json(inv)).into_response(),
    })
}

/// An organization's pending invitations (its admins).
#[utoipa::path(get, path = "/api/v1/orgs/{org}/invitations", tag = "orgs", params(("org" = String, Path)),
    responses((status = 200, body = Vec<Invitation>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn invitations(
    State(s): State<AppState>,
    Auth(c): Auth,
    Id(org): Id,
) -> ApiResult<axum::Json<Vec<Invitation>>> {
    Ok(axum::Json(s.authority.org_invitations(&c, &org).await?))
}

/// Invite someone to an organization. A name no account has is answered exactly like one that
/// exists (its invitation can never be accepted); inviting a member is a conflict.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/invitations", tag = "orgs", params(("org" = String, Path)),
    request_body = MemberRequest,
    responses((status = 201, body = Invitation), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn invite(
    State(s): State<AppState>,
    Auth(c): Auth,
    Id(org): Id,
    Json(req): Json<MemberRequest>,
) -> ApiResult<(StatusCode, axum::Json<Invitation>)> {
    Ok((StatusCode::CREATED, axum::Json(s.authority.invite(&c, &org, &req.user, req.role).await?)))
}

/// Withdraw an invitation (the organization's admins).
#[utoipa::path(delete, path = "/api/v1/orgs/{org}/invitations/{id}", tag = "orgs",
    params(("org" = String, Path), ("id" = String, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn withdraw_invitation(
    State(s): State<AppState>,
    Auth(c): Auth,
    Id2((org, id)): Id2,
) -> ApiResult<StatusCode> {
    s.authority.withdraw_invitation(&c, &org, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The invitations waiting for the caller.
#[utoipa::path(get, path = "/api/v1/user/invitations", tag = "orgs",
    responses((status = 200, body = Vec<Invitation>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn my_invitations(State(s): State<AppState>, Auth(c): Auth) -> ApiResult<axum::Json<Vec<Invitation>>> {
    Ok(axum::Json(s.authority.my_invitations(&c).await?))
}

/// Accept an invitation: the caller joins the organization. Answers with it and the caller's role.
#[utoipa::path(post, path = "/api/v1/user/invitations/{id}/accept", tag = "orgs", params(("id" = String, Path)),
    responses((status = 200, body = OrgWithRole), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn accept_invitation(
    State(s): State<AppState>,
    Auth(c): Auth,
    Id(id): Id,
) -> ApiResult<axum::Json<OrgWithRole>> {
    Ok(axum::Json(s.authority.accept_invitation(&c, &id).await?))
}

/// Decline an invitation.
#[utoipa::path(post, path = "/api/v1/user/invitations/{id}/decline", tag = "orgs", params(("id" = String, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn decline_invitation(State(s): State<AppState>, Auth(c): Auth, Id(id): Id) -> ApiResult<StatusCode> {
    s.authority.decline_invitation(&c, &id).await?;
    Ok(StatusCode::NO_CONTENT)
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
