//! One set of handlers for the five token collections: personal access tokens, personal agent
//! tokens, organization tokens, organization agent tokens and trigger tokens. The collection is
//! read from the matched route, so the rules for each live in one place in core.
//!
//! The OpenAPI document describes these handlers once, under `/api/v1/user/tokens`, and
//! [`crate::openapi`] repeats the description for the other four collections.

use std::collections::HashMap;

use axum::extract::{FromRequestParts, MatchedPath, Path, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use serde::Serialize;
use tessera_core::authority::{Collection, NewToken, TokenPatch};
use tessera_core::model::Token;

use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{Auth, Json};
use crate::AppState;

/// A token together with its value: the only response that ever carries a value.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct IssuedToken {
    /// The token.
    #[serde(flatten)]
    pub token: Token,
    /// The value. Shown once: store it now.
    #[serde(rename = "token")]
    pub value: String,
}

/// The collection a request is about, and the token id in its path if any.
pub struct Coll {
    coll: Collection,
    id: Option<String>,
}

impl FromRequestParts<AppState> for Coll {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let route = parts.extensions.get::<MatchedPath>().map(|m| m.as_str().to_owned()).unwrap_or_default();
        let Path(mut params) = Path::<HashMap<String, String>>::from_request_parts(parts, state)
            .await
            .map_err(|e| ApiError::invalid(format!("the path is not valid: {}", e.body_text())))?;
        let mut param = |name: &str| -> Result<String, ApiError> {
            let v = params.remove(name).unwrap_or_default();
            if tessera_core::id::plausible(&v) {
                Ok(v)
            } else {
                Err(ApiError::not_found(format!("{name} not found")))
            }
        };
        let coll = if route.starts_with("/api/v1/user/tokens") {
            Collection::Pats
        } else if route.starts_with("/api/v1/user/agent-tokens") {
            Collection::UserAgentTokens
        } else if route.starts_with("/api/v1/orgs/{org}/tokens") {
            Collection::OrgTokens(param("org")?)
        } else if route.starts_with("/api/v1/orgs/{org}/agent-tokens") {
            Collection::OrgAgentTokens(param("org")?)
        } else if route.starts_with("/api/v1/projects/{project}/trigger-tokens") {
            Collection::TriggerTokens(param("project")?)
        } else {
            return Err(ApiError::not_found("no such token collection"));
        };
        let id = if route.contains("{id}") { Some(param("id")?) } else { None };
        Ok(Coll { coll, id })
    }
}

impl Coll {
    fn id(&self) -> &str {
        self.id.as_deref().unwrap_or_default()
    }
}

/// List tokens, newest first.
#[utoipa::path(get, path = "/api/v1/user/tokens", tag = "tokens",
    responses((status = 200, body = Vec<Token>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list(State(s): State<AppState>, Auth(c): Auth, coll: Coll) -> ApiResult<axum::Json<Vec<Token>>> {
    Ok(axum::Json(s.authority.list_tokens(&c, &coll.coll).await?))
}

/// Create a token. The response holds its value, once.
#[utoipa::path(post, path = "/api/v1/user/tokens", tag = "tokens", request_body = NewToken,
    responses((status = 201, body = IssuedToken), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create(
    State(s): State<AppState>,
    Auth(c): Auth,
    coll: Coll,
    Json(req): Json<NewToken>,
) -> ApiResult<(StatusCode, axum::Json<IssuedToken>)> {
    let (token, value) = s.authority.create_token(&c, &coll.coll, req).await?;
    Ok((StatusCode::CREATED, axum::Json(IssuedToken { token, value: value.expose().to_owned() })))
}

/// One token.
#[utoipa::path(get, path = "/api/v1/user/tokens/{id}", tag = "tokens", params(("id" = String, Path)),
    responses((status = 200, body = Token), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn get(State(s): State<AppState>, Auth(c): Auth, coll: Coll) -> ApiResult<axum::Json<Token>> {
    Ok(axum::Json(s.authority.get_token(&c, &coll.coll, coll.id()).await?))
}

/// Change a token's label or description.
#[utoipa::path(patch, path = "/api/v1/user/tokens/{id}", tag = "tokens", params(("id" = String, Path)),
    request_body = TokenPatch,
    responses((status = 200, body = Token), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn update(
    State(s): State<AppState>,
    Auth(c): Auth,
    coll: Coll,
    Json(patch): Json<TokenPatch>,
) -> ApiResult<axum::Json<Token>> {
    Ok(axum::Json(s.authority.update_token(&c, &coll.coll, coll.id(), patch).await?))
}

/// Give a token a new value; the old value stops working at once.
#[utoipa::path(post, path = "/api/v1/user/tokens/{id}/rotate", tag = "tokens", params(("id" = String, Path)),
    responses((status = 200, body = IssuedToken), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn rotate(State(s): State<AppState>, Auth(c): Auth, coll: Coll) -> ApiResult<axum::Json<IssuedToken>> {
    let (token, value) = s.authority.rotate_token(&c, &coll.coll, coll.id()).await?;
    Ok(axum::Json(IssuedToken { token, value: value.expose().to_owned() }))
}

/// Delete a token.
#[utoipa::path(delete, path = "/api/v1/user/tokens/{id}", tag = "tokens", params(("id" = String, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn delete(State(s): State<AppState>, Auth(c): Auth, coll: Coll) -> ApiResult<StatusCode> {
    s.authority.delete_token(&c, &coll.coll, coll.id()).await?;
    Ok(StatusCode::NO_CONTENT)
}
