//! One set of handlers for the five token collections: personal access tokens, personal agent
//! tokens, organization tokens, organization agent tokens and trigger tokens. [`router`] is
//! nested once per collection with its [`CollectionKind`], so the rules for each live in one
//! place in core and the document describes every collection from the same annotations.

use std::collections::HashMap;

use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use serde::Serialize;
use tessera_core::authority::{Collection, NewToken, TokenPatch};
use tessera_core::model::Token;
use utoipa::openapi::path::{ParameterBuilder, ParameterIn};
use utoipa::openapi::Required;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

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
    /// Trigger tokens only: the webhook secret beside it, for code-host webhooks (GitHub's
    /// `X-Hub-Signature-256`, GitLab's `X-Gitlab-Token`). Shown once, with the value; absent on a
    /// server without a sealing key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhook_secret: Option<String>,
}

/// Which of the five token collections a router serves; each is the same handlers nested under
/// its own path, with the kind passed to them as a request extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CollectionKind {
    /// `/user/tokens`: the caller's personal access tokens.
    Pats,
    /// `/user/agent-tokens`: the caller's personal agent tokens.
    UserAgentTokens,
    /// `/orgs/{org}/tokens`.
    OrgTokens,
    /// `/orgs/{org}/agent-tokens`.
    OrgAgentTokens,
    /// `/projects/{project}/trigger-tokens`.
    TriggerTokens,
}

impl CollectionKind {
    /// Every collection.
    pub const ALL: [CollectionKind; 5] = [
        CollectionKind::Pats,
        CollectionKind::UserAgentTokens,
        CollectionKind::OrgTokens,
        CollectionKind::OrgAgentTokens,
        CollectionKind::TriggerTokens,
    ];

    /// Where the collection is mounted.
    pub fn path(self) -> &'static str {
        match self {
            CollectionKind::Pats => "/api/v1/user/tokens",
            CollectionKind::UserAgentTokens => "/api/v1/user/agent-tokens",
            CollectionKind::OrgTokens => "/api/v1/orgs/{org}/tokens",
            CollectionKind::OrgAgentTokens => "/api/v1/orgs/{org}/agent-tokens",
            CollectionKind::TriggerTokens => "/api/v1/projects/{project}/trigger-tokens",
        }
    }

    /// The path parameter naming the collection's parent, if it has one.
    fn parent(self) -> Option<&'static str> {
        match self {
            CollectionKind::Pats | CollectionKind::UserAgentTokens => None,
            CollectionKind::OrgTokens | CollectionKind::OrgAgentTokens => Some("org"),
            CollectionKind::TriggerTokens => Some("project"),
        }
    }

    /// What the collection's operations are called in the document: `tokens_list_<name>`.
    fn name(self) -> &'static str {
        match self {
            CollectionKind::Pats => "pats",
            CollectionKind::UserAgentTokens => "user_agent_tokens",
            CollectionKind::OrgTokens => "org_tokens",
            CollectionKind::OrgAgentTokens => "org_agent_tokens",
            CollectionKind::TriggerTokens => "trigger_tokens",
        }
    }

    /// The collection's tag in the document.
    fn title(self) -> &'static str {
        match self {
            CollectionKind::Pats => "personal access tokens",
            CollectionKind::UserAgentTokens => "personal agent tokens",
            CollectionKind::OrgTokens => "organization tokens",
            CollectionKind::OrgAgentTokens => "organization agent tokens",
            CollectionKind::TriggerTokens => "trigger tokens",
        }
    }
}

/// The token handlers for one collection, to be nested at [`CollectionKind::path`]. The
/// document's operations get the collection's parent parameter (its schema, like every path
/// parameter's, comes from `openapi::finish`) and ids of their own.
pub fn router(kind: CollectionKind) -> OpenApiRouter<AppState> {
    let mut r = OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(get, update, delete))
        .routes(routes!(rotate))
        .layer(axum::Extension(kind));
    let parent = kind.parent().map(|name| {
        ParameterBuilder::new()
            .name(name)
            .parameter_in(ParameterIn::Path)
            .required(Required::True)
            .description(Some(format!("The {name}'s id.")))
            .build()
    });
    for item in r.get_openapi_mut().paths.paths.values_mut() {
        for op in crate::openapi::operations(item) {
            op.operation_id = op.operation_id.take().map(|id| format!("tokens_{id}_{}", kind.name()));
            op.tags = Some(vec![kind.title().to_owned()]);
            if let Some(p) = &parent {
                op.parameters.get_or_insert_with(Vec::new).insert(0, p.clone());
            }
        }
    }
    r
}

/// The collection a request is about, and the token id in its path if any.
pub struct Coll {
    coll: Collection,
    id: Option<String>,
}

impl FromRequestParts<AppState> for Coll {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let kind = parts
            .extensions
            .get::<CollectionKind>()
            .copied()
            .ok_or_else(|| ApiError::not_found("no such token collection"))?;
        let Path(mut params) = Path::<HashMap<String, String>>::from_request_parts(parts, state)
            .await
            .map_err(|e| ApiError::invalid(format!("the path is not valid: {}", e.body_text())))?;
        let mut param = |name: &str| -> Result<Option<String>, ApiError> {
            match params.remove(name) {
                Some(v) if tessera_core::id::plausible(&v) => Ok(Some(v)),
                Some(_) => Err(ApiError::not_found(format!("{name} not found"))),
                None => Ok(None),
            }
        };
        let parent = match kind.parent() {
            Some(name) => param(name)?.ok_or_else(|| ApiError::not_found(format!("{name} not found")))?,
            None => String::new(),
        };
        let coll = match kind {
            CollectionKind::Pats => Collection::Pats,
            CollectionKind::UserAgentTokens => Collection::UserAgentTokens,
            CollectionKind::OrgTokens => Collection::OrgTokens(parent),
            CollectionKind::OrgAgentTokens => Collection::OrgAgentTokens(parent),
            CollectionKind::TriggerTokens => Collection::TriggerTokens(parent),
        };
        Ok(Coll { coll, id: param("id")? })
    }
}

impl Coll {
    fn id(&self) -> &str {
        self.id.as_deref().unwrap_or_default()
    }
}

/// List tokens, newest first.
#[utoipa::path(get, path = "/", tag = "tokens",
    responses((status = 200, body = Vec<Token>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list(State(s): State<AppState>, Auth(c): Auth, coll: Coll) -> ApiResult<axum::Json<Vec<Token>>> {
    Ok(axum::Json(s.authority.list_tokens(&c, &coll.coll).await?))
}

/// Create a token. The response holds its value, once.
#[utoipa::path(post, path = "/", tag = "tokens", request_body = NewToken,
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
    let hook = s.authority.issue_webhook_secret(&c, &coll.coll, &token.id).await?;
    let webhook_secret = hook.map(|h| h.expose().to_owned());
    Ok((StatusCode::CREATED, axum::Json(IssuedToken { token, value: value.expose().to_owned(), webhook_secret })))
}

/// One token.
#[utoipa::path(get, path = "/{id}", tag = "tokens", params(("id" = String, Path)),
    responses((status = 200, body = Token), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn get(State(s): State<AppState>, Auth(c): Auth, coll: Coll) -> ApiResult<axum::Json<Token>> {
    Ok(axum::Json(s.authority.get_token(&c, &coll.coll, coll.id()).await?))
}

/// Change a token's label or description.
#[utoipa::path(patch, path = "/{id}", tag = "tokens", params(("id" = String, Path)),
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
#[utoipa::path(post, path = "/{id}/rotate", tag = "tokens", params(("id" = String, Path)),
    responses((status = 200, body = IssuedToken), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn rotate(State(s): State<AppState>, Auth(c): Auth, coll: Coll) -> ApiResult<axum::Json<IssuedToken>> {
    let (token, value) = s.authority.rotate_token(&c, &coll.coll, coll.id()).await?;
    // A rotation replaces the webhook secret too: whoever held the old pair holds nothing.
    let hook = s.authority.issue_webhook_secret(&c, &coll.coll, &token.id).await?;
    let webhook_secret = hook.map(|h| h.expose().to_owned());
    Ok(axum::Json(IssuedToken { token, value: value.expose().to_owned(), webhook_secret }))
}

/// Delete a token.
#[utoipa::path(delete, path = "/{id}", tag = "tokens", params(("id" = String, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn delete(State(s): State<AppState>, Auth(c): Auth, coll: Coll) -> ApiResult<StatusCode> {
    s.authority.delete_token(&c, &coll.coll, coll.id()).await?;
    Ok(StatusCode::NO_CONTENT)
}
