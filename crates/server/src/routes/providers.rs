//! Instance admins' view of one provider: its configuration, replacing it, and checking that it
//! works. Listing, adding and removing are with sign-in (`routes/signin.rs`).

use axum::extract::State;
use tessera_auth::admin::ProviderDetail;
use tessera_auth::health::ProviderHealth;
use tessera_auth::ProviderConfig;

use crate::error::{ApiResult, ErrorBody};
use crate::extract::{Auth, Id, Json};
use crate::AppState;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// This module's routes, their operations named `providers_<handler>`.
pub fn router() -> OpenApiRouter<AppState> {
    let r = OpenApiRouter::new().routes(routes!(show, update)).routes(routes!(test));
    crate::openapi::name_operations(r, "providers")
}

/// Instance admins: a provider's configuration, where it is configured, and whether a client
/// secret is kept for it (never the secret).
#[utoipa::path(get, path = "/api/v1/providers/{id}", tag = "sign-in", params(("id" = String, Path)),
    responses((status = 200, body = ProviderDetail), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 503, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn show(State(s): State<AppState>, Auth(c): Auth, Id(id): Id) -> ApiResult<axum::Json<ProviderDetail>> {
    Ok(axum::Json(s.sign_in()?.provider_detail(&c, &id).await?))
}

/// Instance admins: replace the configuration of a provider configured through the API. Its
/// `id` must be the path's; a missing or empty `client_secret` keeps the stored secret. A
/// provider from providers.toml answers 409: change it in the file.
#[utoipa::path(put, path = "/api/v1/providers/{id}", tag = "sign-in", params(("id" = String, Path)),
    request_body = ProviderConfig,
    responses((status = 200, body = ProviderDetail), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 503, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn update(
    State(s): State<AppState>,
    Auth(c): Auth,
    Id(id): Id,
    Json(config): Json<ProviderConfig>,
) -> ApiResult<axum::Json<ProviderDetail>> {
    Ok(axum::Json(s.sign_in()?.update_provider(&c, &id, config).await?))
}

/// Instance admins: check a provider now — discovery, the issuer, endpoints, userinfo and
/// scopes (OpenID Connect), a dry authorization request as a sign-in makes it, the client id
/// and secret at the token endpoint, the role mapping, a code host's API — each check with a
/// sentence. `ok` is false when any check is an error.
#[utoipa::path(post, path = "/api/v1/providers/{id}/test", tag = "sign-in", params(("id" = String, Path)),
    responses((status = 200, body = ProviderHealth), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn test(State(s): State<AppState>, Auth(c): Auth, Id(id): Id) -> ApiResult<axum::Json<ProviderHealth>> {
    Ok(axum::Json(s.sign_in()?.test_provider(&c, &id).await?))
}
