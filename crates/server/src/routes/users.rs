//! Instance administration of accounts: change the local role, disable, enable, delete.

use axum::extract::State;
use axum::http::StatusCode;
use tessera_core::authority::{AdminActor, UserPatch};
use tessera_core::model::User;

use crate::error::{ApiResult, ErrorBody};
use crate::extract::{Auth, Id, Json};
use crate::AppState;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// This module's routes, their operations named `users_<handler>`.
pub fn router() -> OpenApiRouter<AppState> {
    let r = OpenApiRouter::new().routes(routes!(update, delete));
    crate::openapi::name_operations(r, "users")
}

/// Change an account's local role or disable / re-enable it. Instance administrators' login
/// sessions only; the last enabled admin cannot be demoted or disabled.
#[utoipa::path(patch, path = "/api/v1/admin/users/{id}", tag = "admin", params(("id" = String, Path)),
    request_body = UserPatch,
    responses((status = 200, body = User), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn update(
    State(s): State<AppState>,
    Auth(c): Auth,
    Id(id): Id,
    Json(patch): Json<UserPatch>,
) -> ApiResult<axum::Json<User>> {
    Ok(axum::Json(s.authority.update_user(AdminActor::Caller(&c), &id, &patch).await?))
}

/// Delete an account with everything only it owns: tokens, sessions, linked identities (and
/// their stored code-host tokens), memberships and personal projects. The audit log keeps its
/// entries. Instance administrators' login sessions only; never the last enabled admin.
#[utoipa::path(delete, path = "/api/v1/admin/users/{id}", tag = "admin", params(("id" = String, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn delete(State(s): State<AppState>, Auth(c): Auth, Id(id): Id) -> ApiResult<StatusCode> {
    let identities = s.authority.identities_before_delete(AdminActor::Caller(&c), &id).await?;
    s.authority.delete_user(AdminActor::Caller(&c), &id).await?;
    if let Some(si) = &s.sign_in {
        si.forget_tokens(&identities).await;
    }
    Ok(StatusCode::NO_CONTENT)
}
