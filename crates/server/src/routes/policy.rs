//! Token policies: the instance's (instance admins) and each organization's (its admins).

use axum::extract::State;
use tessera_core::authority::{OrgPolicy, TokenPolicy};

use crate::error::{ApiResult, ErrorBody};
use crate::extract::{Auth, Id, Json};
use crate::AppState;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// This module's routes, their operations named `policy_<handler>`.
pub fn router() -> OpenApiRouter<AppState> {
    let r = OpenApiRouter::new()
        .routes(routes!(get_instance, put_instance))
        .routes(routes!(get_user))
        .routes(routes!(get_org, put_org));
    crate::openapi::name_operations(r, "policy")
}

/// The instance's token policy. Instance administrators' login sessions only.
#[utoipa::path(get, path = "/api/v1/admin/policy", tag = "admin",
    responses((status = 200, body = TokenPolicy), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_instance(State(s): State<AppState>, Auth(c): Auth) -> ApiResult<axum::Json<TokenPolicy>> {
    Ok(axum::Json(s.authority.instance_policy(&c).await?))
}

/// Set the instance's token policy: the longest personal access tokens may live and whether
/// they need an expiry; organizations' policies can only be stricter.
#[utoipa::path(put, path = "/api/v1/admin/policy", tag = "admin", request_body = TokenPolicy,
    responses((status = 200, body = TokenPolicy), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn put_instance(
    State(s): State<AppState>,
    Auth(c): Auth,
    Json(p): Json<TokenPolicy>,
) -> ApiResult<axum::Json<TokenPolicy>> {
    Ok(axum::Json(s.authority.set_instance_policy(&c, p).await?))
}

/// The token policy in force for the caller's personal access tokens (the instance's).
#[utoipa::path(get, path = "/api/v1/user/policy", tag = "tokens",
    responses((status = 200, body = TokenPolicy), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_user(State(s): State<AppState>, Auth(c): Auth) -> ApiResult<axum::Json<TokenPolicy>> {
    Ok(axum::Json(s.authority.user_policy(&c).await?))
}

/// An organization's token policy, the instance's, and the one in force. Organization admins.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/policy", tag = "orgs", params(("org" = String, Path)),
    responses((status = 200, body = OrgPolicy), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_org(State(s): State<AppState>, Auth(c): Auth, Id(org): Id) -> ApiResult<axum::Json<OrgPolicy>> {
    Ok(axum::Json(s.authority.org_policy(&c, &org).await?))
}

/// Set an organization's token policy; one looser than the instance's is refused.
#[utoipa::path(put, path = "/api/v1/orgs/{org}/policy", tag = "orgs", params(("org" = String, Path)),
    request_body = TokenPolicy,
    responses((status = 200, body = OrgPolicy), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn put_org(
    State(s): State<AppState>,
    Auth(c): Auth,
    Id(org): Id,
    Json(p): Json<TokenPolicy>,
) -> ApiResult<axum::Json<OrgPolicy>> {
    Ok(axum::Json(s.authority.set_org_policy(&c, &org, p).await?))
}
