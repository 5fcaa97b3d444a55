//! Health, the signed-in account, sessions, introspection, revocation and administration.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use tessera_core::audit::AuditQuery;
use tessera_core::authority::{Introspection, Me};
use tessera_core::model::{AuditPage, User};

use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{Auth, ClientIp, FormOrJson};
use crate::AppState;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// This module's routes, their operations named `account_<handler>`.
pub fn router() -> OpenApiRouter<AppState> {
    let r = OpenApiRouter::new()
        .routes(routes!(health))
        .routes(routes!(me))
        .routes(routes!(end_session))
        .routes(routes!(introspect))
        .routes(routes!(revoke))
        .routes(routes!(audit))
        .routes(routes!(users));
    crate::openapi::name_operations(r, "account")
}

/// The answer of `/health`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Health {
    /// Always `ok` when the server answers.
    pub status: &'static str,
    /// The server's version.
    pub version: &'static str,
}

/// Whether the server is up.
#[utoipa::path(get, path = "/api/v1/health", tag = "meta", responses((status = 200, body = Health)))]
pub async fn health() -> axum::Json<Health> {
    axum::Json(Health { status: "ok", version: env!("CARGO_PKG_VERSION") })
}

/// The account behind a login session or a personal access token.
#[utoipa::path(get, path = "/api/v1/me", tag = "account",
    responses((status = 200, body = Me), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn me(State(s): State<AppState>, Auth(c): Auth) -> ApiResult<axum::Json<Me>> {
    Ok(axum::Json(me_of(&s, &c).await?))
}

/// `GET /me`'s answer for `caller`, with each identity's provider kind; sign-in and renewal
/// answers carry the same.
pub(crate) async fn me_of(s: &AppState, caller: &tessera_core::Caller) -> ApiResult<Me> {
    let mut me = s.authority.me(caller).await?;
    if let Some(si) = &s.sign_in {
        me.identities = si.with_kinds(me.identities).await;
    }
    Ok(me)
}

/// End the login session used for this request.
#[utoipa::path(delete, path = "/api/v1/sessions/current", tag = "account",
    responses((status = 204), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn end_session(State(s): State<AppState>, Auth(c): Auth) -> ApiResult<StatusCode> {
    s.authority.end_session(&c).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The body of introspection and revocation requests.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct TokenParam {
    /// The token or session value.
    #[schema(min_length = 1, max_length = 8192, pattern = "\\S")]
    pub token: String,
    /// Ignored: Tessera knows every value's type from its shape.
    #[serde(default)]
    pub token_type_hint: Option<String>,
}

impl TokenParam {
    fn value(&self) -> ApiResult<&str> {
        let v = self.token.trim();
        if v.is_empty() || v.len() > 8192 {
            return Err(ApiError::invalid("the token parameter must hold a token or session value"));
        }
        Ok(v)
    }
}

/// RFC 7662 introspection: what a value is and whether it works now. Needs a login session or a
/// token with `token:admin`; only values the caller owns or administers come back active.
#[utoipa::path(post, path = "/api/v1/tokens/introspect", tag = "tokens",
    request_body(content = TokenParam, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, body = Introspection), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn introspect(
    State(s): State<AppState>,
    Auth(c): Auth,
    FormOrJson(p): FormOrJson<TokenParam>,
) -> ApiResult<axum::Json<Introspection>> {
    Ok(axum::Json(s.authority.introspect(&c, p.value()?).await?))
}

/// RFC 7009 revocation: anyone holding a value can revoke it. Always 200 for a well-formed
/// request, whether the value was known or not.
#[utoipa::path(post, path = "/api/v1/tokens/revoke", tag = "tokens",
    request_body(content = TokenParam, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200), (status = 400, body = ErrorBody)))]
pub async fn revoke(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    FormOrJson(p): FormOrJson<TokenParam>,
) -> ApiResult<StatusCode> {
    s.authority.revoke(p.value()?, ip.as_deref()).await?;
    Ok(StatusCode::OK)
}

/// One page of the audit log, newest first, filtered by exact actor, action, outcome and target
/// and by time; pass `next_cursor` back as `cursor` for the next page. Instance administrators'
/// login sessions only.
#[utoipa::path(get, path = "/api/v1/admin/audit", tag = "admin", params(AuditQuery),
    responses((status = 200, body = AuditPage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn audit(
    State(s): State<AppState>,
    Auth(c): Auth,
    q: Result<Query<AuditQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<axum::Json<AuditPage>> {
    let Query(q) = q.map_err(|e| ApiError::invalid(format!("the query is not valid: {}", e.body_text())))?;
    Ok(axum::Json(s.authority.audit_log(&c, q).await?))
}

/// Every account. Instance administrators' login sessions only.
#[utoipa::path(get, path = "/api/v1/admin/users", tag = "admin",
    responses((status = 200, body = Vec<User>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn users(State(s): State<AppState>, Auth(c): Auth) -> ApiResult<axum::Json<Vec<User>>> {
    Ok(axum::Json(s.authority.list_users(&c).await?))
}
