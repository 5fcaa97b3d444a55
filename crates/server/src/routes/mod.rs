//! The routes of `/api/v1`, each a thin handler over the token authority.

pub mod account;
pub mod agents;
pub mod orgs;
pub mod policy;
pub mod projects;
pub mod signin;
pub mod tokens;
pub mod users;

use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Router;

use crate::error::ApiError;
use crate::AppState;

/// Where the five token collections live.
pub const TOKEN_COLLECTIONS: [&str; 5] = [
    "/api/v1/user/tokens",
    "/api/v1/user/agent-tokens",
    "/api/v1/orgs/{org}/tokens",
    "/api/v1/orgs/{org}/agent-tokens",
    "/api/v1/projects/{project}/trigger-tokens",
];

/// Every route.
pub fn routes() -> Router<AppState> {
    let mut r = Router::new()
        .route("/api/v1/health", get(account::health))
        .route("/api/v1/openapi.json", get(crate::openapi::serve))
        .route("/api/v1/me", get(account::me))
        .route("/api/v1/providers", get(signin::providers).post(signin::add_provider))
        .route("/api/v1/providers/{id}", axum::routing::delete(signin::delete_provider))
        .route("/api/v1/sessions", post(signin::sign_in))
        .route("/api/v1/sessions/device", post(signin::device))
        .route("/api/v1/user/identities", get(signin::identities).post(signin::link))
        .route("/api/v1/user/identities/{id}", axum::routing::delete(signin::unlink))
        .route("/api/v1/user/scm/{identity}/repos", get(signin::repositories))
        .route("/api/v1/sessions/current", axum::routing::delete(account::end_session))
        .route("/api/v1/tokens/introspect", post(account::introspect))
        .route("/api/v1/tokens/revoke", post(account::revoke))
        .route("/api/v1/admin/audit", get(account::audit))
        .route("/api/v1/admin/users", get(account::users))
        .route("/api/v1/admin/users/{id}", axum::routing::patch(users::update).delete(users::delete))
        .route("/api/v1/agents/{id}", axum::routing::delete(agents::disconnect))
        .route("/api/v1/admin/policy", get(policy::get_instance).put(policy::put_instance))
        .route("/api/v1/user/policy", get(policy::get_user))
        .route("/api/v1/orgs/{org}/policy", get(policy::get_org).put(policy::put_org))
        .route("/api/v1/orgs", get(orgs::list).post(orgs::create))
        .route("/api/v1/orgs/{org}", get(orgs::get))
        .route("/api/v1/orgs/{org}/members", get(orgs::members).post(orgs::put_member).delete(orgs::remove_member))
        // Invitations.
        .route("/api/v1/orgs/{org}/invitations", get(orgs::invitations).post(orgs::invite))
        .route("/api/v1/orgs/{org}/invitations/{id}", axum::routing::delete(orgs::withdraw_invitation))
        .route("/api/v1/user/invitations", get(orgs::my_invitations))
        .route("/api/v1/user/invitations/{id}/accept", post(orgs::accept_invitation))
        .route("/api/v1/user/invitations/{id}/decline", post(orgs::decline_invitation))
        .route("/api/v1/projects", get(projects::list).post(projects::create))
        .route("/api/v1/projects/{project}", get(projects::get).patch(projects::update).delete(projects::delete))
        .route("/api/v1/projects/{project}/runs", get(projects::runs).post(projects::trigger))
        .route("/api/v1/projects/{project}/pipelines/{name}", get(projects::get_pipeline).put(projects::put_pipeline))
        .route(
            "/api/v1/projects/{project}/secrets/{name}",
            get(projects::get_secret).put(projects::put_secret).delete(projects::delete_secret),
        )
        .route("/api/v1/agents", get(agents::list))
        .route("/api/v1/agents/connect", post(agents::connect))
        .route("/api/v1/agents/{id}/heartbeat", post(agents::heartbeat))
        .route("/api/v1/agents/{id}/claim", post(agents::claim));
    for base in TOKEN_COLLECTIONS {
        r = r
            .route(base, get(tokens::list).post(tokens::create))
            .route(&format!("{base}/{{id}}"), get(tokens::get).patch(tokens::update).delete(tokens::delete))
            .route(&format!("{base}/{{id}}/rotate"), post(tokens::rotate));
    }
    r.fallback(not_found).method_not_allowed_fallback(method_not_allowed)
}

async fn not_found() -> ApiError {
    ApiError::not_found("there is no such endpoint; see /api/v1/openapi.json")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "this endpoint does not take that method")
}
