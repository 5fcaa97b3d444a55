//! What needs the signed-in person's attention: expiring and expired tokens, and linked code-host
//! accounts to reconnect.

use axum::extract::State;
use tessera_core::authority::Attention;

use crate::error::{ApiResult, ErrorBody};
use crate::extract::Auth;
use crate::AppState;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// This module's routes, their operations named `attention_<handler>`.
pub fn router() -> OpenApiRouter<AppState> {
    crate::openapi::name_operations(OpenApiRouter::new().routes(routes!(attention)), "attention")
}

/// Tokens of the caller (personal, and of organizations they administer) that expire within
/// seven days or have expired and are still listed, and linked code-host accounts whose token
/// must be renewed by signing in with them again; soonest first.
#[utoipa::path(get, path = "/api/v1/user/attention", tag = "account",
    responses((status = 200, body = Vec<Attention>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn attention(State(s): State<AppState>, Auth(c): Auth) -> ApiResult<axum::Json<Vec<Attention>>> {
    Ok(axum::Json(match &s.sign_in {
        Some(si) => si.attention(&c).await?,
        None => s.authority.attention(&c, |_| false).await?,
    }))
}
