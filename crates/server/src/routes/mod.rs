//! The routes of `/api/v1`, each a thin handler over the token authority. Every module gives
//! its routes as an [`OpenApiRouter`], so the OpenAPI document is made from the same list the
//! server routes by (see [`crate::openapi`]).

pub mod account;
pub mod agents;
pub mod attention;
pub mod devices;
pub mod git;
pub mod hooks;
pub mod orgs;
pub mod policy;
pub mod projects;
pub mod providers;
pub mod signin;
pub mod tokens;
pub mod users;

use axum::http::StatusCode;
use tessera_core::error::ErrorCode;
use utoipa_axum::router::OpenApiRouter;

use crate::error::ApiError;
use crate::AppState;

/// Every documented route, with its part of the document.
pub fn api() -> OpenApiRouter<AppState> {
    let mut r = OpenApiRouter::new()
        .merge(account::router())
        .merge(signin::router())
        .merge(devices::router())
        .merge(git::router())
        .merge(attention::router())
        .merge(providers::router())
        .merge(users::router())
        .merge(policy::router())
        .merge(orgs::router())
        .merge(projects::router())
        .merge(agents::router());
    for kind in tokens::CollectionKind::ALL {
        r = r.nest(kind.path(), tokens::router(kind));
    }
    r
}

/// The answer to a path no route has.
pub async fn not_found() -> ApiError {
    ApiError::not_found("there is no such endpoint; see /api/v1/openapi.json")
}

/// The answer to a method a route does not take.
pub async fn method_not_allowed() -> ApiError {
    ApiError::with_code(
        StatusCode::METHOD_NOT_ALLOWED,
        ErrorCode::MethodNotAllowed,
        "this endpoint does not take that method",
    )
}
