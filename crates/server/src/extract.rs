//! Request extractors that turn every kind of bad input into a clear [`ApiError`].

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use axum::extract::rejection::{FormRejection, JsonRejection};
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::request::Parts;
use axum::http::StatusCode;
use serde::de::DeserializeOwned;
use tessera_core::error::ErrorCode;
use tessera_core::Caller;

use crate::error::ApiError;
use crate::{AppState, ClientAddr, Edge};

/// The address throttles key requests by when the server does not know the client's.
pub const UNKNOWN_CLIENT: IpAddr = IpAddr::V4(Ipv4Addr::UNSPECIFIED);

/// The authenticated caller of a request.
///
/// A presented credential that fails counts against the client address's failed-authentication
/// throttle; an address whose failures are spent gets 429 before its credential is looked at.
pub struct Auth(pub Caller);

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let unauthenticated = ApiError::unauthenticated;
        let header = parts
            .headers
            .get(AUTHORIZATION)
            .ok_or_else(|| unauthenticated("sign in or send a token: Authorization: Bearer <token>"))?;
        let ip = client_ip(parts);
        let failures = Failures::of(parts);
        failures.check(state, ip.as_deref())?;
        let Ok(header) = header.to_str() else {
            return Err(failures.failed(unauthenticated("the Authorization header is not readable text")));
        };
        let Some(bearer) = header
            .split_once(' ')
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
        else {
            return Err(failures.failed(unauthenticated("the Authorization header must be: Bearer <token>")));
        };
        failures.authenticate(state, bearer, ip).await.map(Auth)
    }
}

/// A client address's failed-authentication budget, spent the same way by every route that takes
/// a credential: an address whose failures are spent is refused (429) before its credential is
/// looked at, and each credential that fails counts.
pub(crate) struct Failures<'a> {
    edge: Option<&'a Edge>,
    addr: IpAddr,
}

impl<'a> Failures<'a> {
    /// The budget of the request's client.
    pub(crate) fn of(parts: &'a Parts) -> Self {
        Failures {
            edge: parts.extensions.get::<Arc<Edge>>().map(|e| &**e),
            addr: parts.extensions.get::<ClientAddr>().map_or(UNKNOWN_CLIENT, |c| c.0),
        }
    }

    /// A 429, audited, when the address's failures are spent.
    pub(crate) fn check(&self, state: &AppState, ip: Option<&str>) -> Result<(), ApiError> {
        if let Some(Err(wait)) = self.edge.map(|edge| edge.throttles.check_failures(self.addr)) {
            state.authority.note_failed_authentication(ip, "", "throttled");
            return Err(ApiError::rate_limited(wait));
        }
        Ok(())
    }

    /// `e`, counted as a failed authentication: past the limit, a 429 instead.
    pub(crate) fn failed(&self, e: ApiError) -> ApiError {
        match self.edge.map(|edge| edge.throttles.note_failure(self.addr)) {
            Some(Err(wait)) => ApiError::rate_limited(wait),
            _ => e,
        }
    }

    /// Who `value` (a token or a login session) names; one that does not authenticate counts.
    pub(crate) async fn authenticate(
        &self,
        state: &AppState,
        value: &str,
        ip: Option<String>,
    ) -> Result<Caller, ApiError> {
        match state.authority.authenticate(value, ip).await {
            Ok(caller) => Ok(caller),
            Err(e) if e.code() == ErrorCode::Unauthenticated => Err(self.failed(e.into())),
            Err(e) => Err(e.into()),
        }
    }
}

/// The client's address: the one a trusted proxy named, else the connection's peer, when the
/// server was started with connection info.
pub fn client_ip(parts: &Parts) -> Option<String> {
    if let Some(ClientAddr(ip)) = parts.extensions.get::<ClientAddr>() {
        return Some(ip.to_string());
    }
    parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|ConnectInfo(a)| a.ip().to_string())
}

/// A JSON body whose rejections are sentences in Tessera's error format.
pub struct Json<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        // Every JSON body the API takes is an object; serde would read a struct whose fields all
        // have defaults from `[]` as well, so anything else is refused before it is read.
        let axum::Json(value) =
            axum::Json::<serde_json::Value>::from_request(req, state).await.map_err(json_rejection)?;
        if !value.is_object() {
            return Err(ApiError::invalid("the body must be a JSON object"));
        }
        serde_json::from_value(value).map(Json).map_err(|e| ApiError::invalid(format!("the body does not fit: {e}")))
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
    ApiError::with_code(StatusCode::PAYLOAD_TOO_LARGE, ErrorCode::PayloadTooLarge, "the request body is too large")
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

/// The `N` path parameters naming objects: anything that cannot be an id is a 404 before any
/// lookup.
async fn ids<S: Send + Sync, const N: usize>(parts: &mut Parts, state: &S) -> Result<[String; N], ApiError> {
    let axum::extract::Path(values) = axum::extract::Path::<Vec<String>>::from_request_parts(parts, state)
        .await
        .map_err(|e| ApiError::invalid(format!("the path is not valid: {}", e.body_text())))?;
    if let Some(bad) = values.iter().find(|v| !tessera_core::id::plausible(v)) {
        let shown: String = bad.chars().take(40).collect();
        return Err(ApiError::not_found(format!("nothing is called {shown:?} here")));
    }
    <[String; N]>::try_from(values).map_err(|_| ApiError::not_found("no such path"))
}

/// One id in the path.
pub struct Id(pub String);

impl<S: Send + Sync> FromRequestParts<S> for Id {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let [id] = ids(parts, state).await?;
        Ok(Id(id))
    }
}

/// Two ids in the path: an object and a name inside it.
pub struct Id2(pub (String, String));

impl<S: Send + Sync> FromRequestParts<S> for Id2 {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let [object, name] = ids(parts, state).await?;
        Ok(Id2((object, name)))
    }
}

/// Three ids in the path: an object, one inside it, and a name inside that.
pub struct Id3(pub (String, String, String));

impl<S: Send + Sync> FromRequestParts<S> for Id3 {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let [a, b, c] = ids(parts, state).await?;
        Ok(Id3((a, b, c)))
    }
}
