//! Request extractors that turn every kind of bad input into a clear [`ApiError`].

use std::net::SocketAddr;

use axum::extract::rejection::{FormRejection, JsonRejection};
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::request::Parts;
use axum::http::StatusCode;
use serde::de::DeserializeOwned;
use tessera_core::Caller;

use crate::error::ApiError;
use crate::AppState;

/// The authenticated caller of a request.
pub struct Auth(pub Caller);

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let unauthenticated = |m: &str| ApiError::new(StatusCode::UNAUTHORIZED, "unauthenticated", m);
        let header = parts
            .headers
            .get(AUTHORIZATION)
            .ok_or_else(|| unauthenticated("sign in or send a token: Authorization: Bearer <token>"))?;
        let header = header.to_str().map_err(|_| unauthenticated("the Authorization header is not readable text"))?;
        let bearer = header
            .split_once(' ')
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
            .ok_or_else(|| unauthenticated("the Authorization header must be: Bearer <token>"))?;
        let caller = state.authority.authenticate(bearer, client_ip(parts)).await?;
        Ok(Auth(caller))
    }
}

/// The client's address, when the server was started with connection info.
pub fn client_ip(parts: &Parts) -> Option<String> {
    parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|ConnectInfo(a)| a.ip().to_string())
}

/// A JSON body whose rejections are sentences in Tessera's error format.
pub struct Json<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(Json(v)),
            Err(e) => Err(json_rejection(e)),
        }
    }
}

fn json_rejection(e: JsonRejection) -> ApiError {
    match e {
        JsonRejection::MissingJsonContentType(_) => {
            ApiError::invalid("send the body as JSON with Content-Type: application/json")
        }
        JsonRejection::JsonSyntaxError(e) => {
            ApiError::invalid(format!("the body is not valid JSON: {}", e.body_text()))
        }
        JsonRejection::JsonDataError(e) => ApiError::invalid(format!("the body does not fit: {}", e.body_text())),
        JsonRejection::BytesRejection(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => too_large(),
        other => ApiError::invalid(format!("the body could not be read: {}", other.body_text())),
    }
}

fn too_large() -> ApiError {
    ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", "the request body is too large")
}

/// A body that is either `application/x-www-form-urlencoded` (as RFC 7662 and RFC 7009 say) or
/// JSON.
pub struct FormOrJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for FormOrJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let is_json = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("application/json"));
        if is_json {
            return Json::<T>::from_request(req, state).await.map(|Json(v)| FormOrJson(v));
        }
        match axum::Form::<T>::from_request(req, state).await {
            Ok(axum::Form(v)) => Ok(FormOrJson(v)),
            Err(FormRejection::BytesRejection(e)) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => Err(too_large()),
            Err(e) => Err(ApiError::invalid(format!(
                "send token=<value> as application/x-www-form-urlencoded or JSON: {}",
                e.body_text()
            ))),
        }
    }
}

/// The client's address, when known.
pub struct ClientIp(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(client_ip(parts)))
    }
}

/// Path parameters naming objects: anything that cannot be an id is a 404 before any lookup.
async fn ids<S: Send + Sync>(parts: &mut Parts, state: &S, n: usize) -> Result<Vec<String>, ApiError> {
    let axum::extract::Path(values) = axum::extract::Path::<Vec<String>>::from_request_parts(parts, state)
        .await
        .map_err(|e| ApiError::invalid(format!("the path is not valid: {}", e.body_text())))?;
    if values.len() != n {
        return Err(ApiError::not_found("no such path"));
    }
    if let Some(bad) = values.iter().find(|v| !tessera_core::id::plausible(v)) {
        let shown: String = bad.chars().take(40).collect();
        return Err(ApiError::not_found(format!("nothing is called {shown:?} here")));
    }
    Ok(values)
}

/// One id in the path.
pub struct Id(pub String);

impl<S: Send + Sync> FromRequestParts<S> for Id {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let mut v = ids(parts, state, 1).await?;
        Ok(Id(v.pop().unwrap_or_default()))
    }
}

/// Two ids in the path: an object and a name inside it.
pub struct Id2(pub (String, String));

impl<S: Send + Sync> FromRequestParts<S> for Id2 {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let mut v = ids(parts, state, 2).await?.into_iter();
        Ok(Id2((v.next().unwrap_or_default(), v.next().unwrap_or_default())))
    }
}
