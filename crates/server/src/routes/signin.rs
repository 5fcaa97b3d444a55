//! Providers, signing in (browser and device flows), linked accounts and code-host repositories.

use axum::extract::State;
use axum::http::header::AUTHORIZATION;
use axum::http::{HeaderMap, StatusCode};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tessera_auth::oauth::DeviceAuthorization;
use tessera_auth::scm::Repository;
use tessera_auth::{CodeLogin, ProviderConfig, ProviderInfo};
use tessera_core::authority::{Me, SignedIn};
use tessera_core::device::Device;
use tessera_core::model::Identity;

use crate::error::{ApiResult, ErrorBody};
use crate::extract::{Auth, ClientIp, Id, Json};
use crate::AppState;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// This module's routes, their operations named `signin_<handler>`.
pub fn router() -> OpenApiRouter<AppState> {
    let r = OpenApiRouter::new()
        .routes(routes!(providers, add_provider))
        .routes(routes!(delete_provider))
        .routes(routes!(sign_in))
        .routes(routes!(device))
        .routes(routes!(identities, link))
        .routes(routes!(unlink))
        .routes(routes!(repositories));
    crate::openapi::name_operations(r, "signin")
}

/// A new login session.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SessionIssued {
    /// The session (a JWT): send it as `Authorization: Bearer …`. Lasts one hour.
    pub token: String,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
    /// The refresh credential of the device this sign-in made: keep it in the OS keyring and
    /// renew with it at `POST /api/v1/sessions/refresh`. Shown in this answer only.
    pub refresh_token: String,
    /// The device this sign-in made.
    pub device: Device,
    /// The account signed in to.
    pub account: Me,
    /// Whether the account was made by this sign-in.
    pub created: bool,
}

async fn issued(s: &AppState, done: SignedIn) -> ApiResult<(StatusCode, axum::Json<SessionIssued>)> {
    let token = done.session.token.expose().to_owned();
    let account = super::account::me_of(s, &s.authority.authenticate(&token, None).await?).await?;
    let body = SessionIssued {
        token,
        expires_at: done.session.expires_at,
        refresh_token: done.device.refresh.expose().to_owned(),
        device: done.device.device,
        account,
        created: done.created,
    };
    Ok((StatusCode::CREATED, axum::Json(body)))
}

/// The body of `POST /sessions/device`: without `device_code` it starts a device sign-in, with
/// it it polls once.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeviceBody {
    /// Provider id.
    #[schema(pattern = "^[a-z0-9_-]{1,40}$")]
    pub provider: String,
    /// The device code from the start answer, when polling.
    #[serde(default)]
    #[schema(min_length = 1, max_length = 2048)]
    pub device_code: Option<String>,
    /// What is signing in, as Account's list of devices will name it.
    #[serde(default)]
    #[schema(max_length = 200)]
    pub device_name: Option<String>,
}

/// The providers a client can sign in with, and what it needs to start. Never a secret.
/// `error` says only "unavailable" unless the caller is an instance admin.
#[utoipa::path(get, path = "/api/v1/providers", tag = "sign-in",
    responses((status = 200, body = Vec<ProviderInfo>)))]
pub async fn providers(State(s): State<AppState>, headers: HeaderMap) -> axum::Json<Vec<ProviderInfo>> {
    let Some(si) = &s.sign_in else { return axum::Json(Vec::new()) };
    // Anyone may list providers; only instance admins see why one cannot be used. A missing or
    // bad credential is simply the anonymous view.
    let bearer = headers
        .get(AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, v)| v.trim());
    let admin = match bearer {
        Some(token) => s.authority.authenticate(token, None).await.is_ok_and(|c| s.authority.is_instance_admin(&c)),
        None => false,
    };
    axum::Json(if admin { si.providers().await } else { si.public_providers().await })
}

/// Instance admins: configure a provider. Its client secret goes to the secret store.
#[utoipa::path(post, path = "/api/v1/providers", tag = "sign-in",
    request_body = ProviderConfig,
    responses((status = 201, body = ProviderInfo), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn add_provider(
    State(s): State<AppState>,
    Auth(c): Auth,
    Json(config): Json<ProviderConfig>,
) -> ApiResult<(StatusCode, axum::Json<ProviderInfo>)> {
    Ok((StatusCode::CREATED, axum::Json(s.sign_in()?.add_provider(&c, config).await?)))
}

/// Instance admins: remove a provider configured through the API.
#[utoipa::path(delete, path = "/api/v1/providers/{id}", tag = "sign-in", params(("id" = String, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn delete_provider(State(s): State<AppState>, Auth(c): Auth, Id(id): Id) -> ApiResult<StatusCode> {
    s.sign_in()?.delete_provider(&c, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Sign in with a code from the browser flow (RFC 8252 with PKCE).
#[utoipa::path(post, path = "/api/v1/sessions", tag = "sign-in", request_body = CodeLogin,
    responses((status = 201, body = SessionIssued), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 429, body = ErrorBody), (status = 502, body = ErrorBody),
        (status = 503, body = ErrorBody)))]
pub async fn sign_in(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    Json(req): Json<CodeLogin>,
) -> ApiResult<(StatusCode, axum::Json<SessionIssued>)> {
    let done = s.sign_in()?.sign_in(&req, ip.as_deref()).await?;
    issued(&s, done).await
}

/// Start (no `device_code`) or poll (with it) a device sign-in (RFC 8628). While the person has
/// not approved yet, polling answers 400 `authorization_pending` (or `slow_down`).
#[utoipa::path(post, path = "/api/v1/sessions/device", tag = "sign-in", request_body = DeviceBody,
    responses((status = 200, body = DeviceAuthorization, description = "A device sign-in started: show `user_code` and `verification_uri`, then poll with `device_code`."),
        (status = 201, body = SessionIssued), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 429, body = ErrorBody), (status = 502, body = ErrorBody)))]
pub async fn device(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    Json(req): Json<DeviceBody>,
) -> ApiResult<axum::response::Response> {
    use axum::response::IntoResponse;
    let si = s.sign_in()?;
    match req.device_code {
        None => {
            let started: DeviceAuthorization = si.device_start(&req.provider).await?;
            Ok(axum::Json(started).into_response())
        }
        Some(code) => {
            let done = si.device_poll(&req.provider, &code, req.device_name.as_deref(), ip.as_deref()).await?;
            Ok(issued(&s, done).await?.into_response())
        }
    }
}

/// The signed-in account's linked identities, with each code-host token's status.
#[utoipa::path(get, path = "/api/v1/user/identities", tag = "sign-in",
    responses((status = 200, body = Vec<Identity>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn identities(State(s): State<AppState>, Auth(c): Auth) -> ApiResult<axum::Json<Vec<Identity>>> {
    match &s.sign_in {
        Some(si) => Ok(axum::Json(si.identities(&c).await?)),
        None => Ok(axum::Json(s.authority.identities(&c).await?)),
    }
}

/// Link another provider account to the signed-in account (a login session only).
#[utoipa::path(post, path = "/api/v1/user/identities", tag = "sign-in", request_body = CodeLogin,
    responses((status = 201, body = Identity), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 502, body = ErrorBody), (status = 503, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn link(
    State(s): State<AppState>,
    Auth(c): Auth,
    Json(req): Json<CodeLogin>,
) -> ApiResult<(StatusCode, axum::Json<Identity>)> {
    Ok((StatusCode::CREATED, axum::Json(s.sign_in()?.link(&c, &req).await?)))
}

/// Unlink an identity and delete its stored tokens. The last sign-in identity stays.
#[utoipa::path(delete, path = "/api/v1/user/identities/{id}", tag = "sign-in", params(("id" = String, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 503, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn unlink(State(s): State<AppState>, Auth(c): Auth, Id(id): Id) -> ApiResult<StatusCode> {
    s.sign_in()?.unlink(&c, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Repositories at a linked code host, through the stored token (a session or `read`).
#[utoipa::path(get, path = "/api/v1/user/scm/{identity}/repos", tag = "sign-in", params(("identity" = String, Path)),
    responses((status = 200, body = Vec<Repository>),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 502, body = ErrorBody), (status = 503, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn repositories(
    State(s): State<AppState>,
    Auth(c): Auth,
    Id(identity): Id,
) -> ApiResult<axum::Json<Vec<Repository>>> {
    Ok(axum::Json(s.sign_in()?.repositories(&c, &identity).await?))
}
