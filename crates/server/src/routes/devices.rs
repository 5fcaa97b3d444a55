//! Staying signed in: renewing a session with a device's refresh credential, the signed-in
//! devices of an account, and an extra one-hour session for calling the API by hand.

use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tessera_core::authority::Me;
use tessera_core::device::Device;

use crate::error::{ApiResult, ErrorBody};
use crate::extract::{Auth, ClientIp, FormOrJson, Id};
use crate::AppState;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// This module's routes, their operations named `devices_<handler>`.
pub fn router() -> OpenApiRouter<AppState> {
    let r = OpenApiRouter::new()
        .routes(routes!(refresh))
        .routes(routes!(devices))
        .routes(routes!(revoke_device))
        .routes(routes!(extra_session));
    crate::openapi::name_operations(r, "devices")
}

/// The body of `POST /sessions/refresh`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshBody {
    /// The device's refresh credential, from its sign-in or its last renewal.
    #[schema(min_length = 1, max_length = 200)]
    pub refresh_token: String,
}

/// A renewed login session, with the device's next refresh credential.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SessionRenewed {
    /// The new session (a JWT): send it as `Authorization: Bearer …`. Lasts one hour.
    pub token: String,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
    /// The refresh credential to keep for the next renewal; the one just sent is spent.
    pub refresh_token: String,
    /// The device renewed.
    pub device: Device,
    /// The account signed in to.
    pub account: Me,
}

/// A one-hour login session outside any device.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ExtraSession {
    /// The session (a JWT): send it as `Authorization: Bearer …`.
    pub token: String,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
}

/// Renew a device's session with its refresh credential: a new one-hour session and the next
/// credential. Each value works once; sending a spent one again signs the device out everywhere.
#[utoipa::path(post, path = "/api/v1/sessions/refresh", tag = "sign-in",
    request_body(content = RefreshBody, content_type = "application/json"),
    responses((status = 200, body = SessionRenewed), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn refresh(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    FormOrJson(body): FormOrJson<RefreshBody>,
) -> ApiResult<axum::Json<SessionRenewed>> {
    let renewed = s.authority.renew_session(body.refresh_token.trim(), ip.as_deref()).await?;
    let token = renewed.session.token.expose().to_owned();
    let account = super::account::me_of(&s, &s.authority.authenticate(&token, ip).await?).await?;
    Ok(axum::Json(SessionRenewed {
        token,
        expires_at: renewed.session.expires_at,
        refresh_token: renewed.device.refresh.expose().to_owned(),
        device: renewed.device.device,
        account,
    }))
}

/// The signed-in devices of the caller's account (a login session only), the one of this
/// session marked `current`.
#[utoipa::path(get, path = "/api/v1/user/devices", tag = "account",
    responses((status = 200, body = Vec<Device>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn devices(State(s): State<AppState>, Auth(c): Auth) -> ApiResult<axum::Json<Vec<Device>>> {
    Ok(axum::Json(s.authority.devices(&c).await?))
}

/// Sign a device out (a login session only): its refresh credential and every session it holds
/// stop working at once.
#[utoipa::path(delete, path = "/api/v1/user/devices/{id}", tag = "account", params(("id" = String, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn revoke_device(State(s): State<AppState>, Auth(c): Auth, Id(id): Id) -> ApiResult<StatusCode> {
    s.authority.revoke_device(&c, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A one-hour login session for calling the API by hand (a login session only). It belongs to no
/// device: signing out does not end it; it ends within the hour.
#[utoipa::path(post, path = "/api/v1/user/sessions", tag = "account",
    responses((status = 201, body = ExtraSession), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn extra_session(
    State(s): State<AppState>,
    Auth(c): Auth,
) -> ApiResult<(StatusCode, axum::Json<ExtraSession>)> {
    let session = s.authority.extra_session(&c).await?;
    let body = ExtraSession { token: session.token.expose().to_owned(), expires_at: session.expires_at };
    Ok((StatusCode::CREATED, axum::Json(body)))
}
