//! How errors leave the API: `{"error": {"code", "message"}}` with the status DESIGN.md gives.
//! A store failure is a 500 whose message says nothing about the inside; the detail goes to the
//! log. No message ever carries a credential: rejection texts are scrubbed of anything that looks
//! like a token or a session before they are sent.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tessera_core::error::ErrorCode;
use tessera_core::Error;

/// The error body.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// An error's code and sentence.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// What went wrong, for clients to act on.
    pub code: ErrorCode,
    /// A sentence for a person.
    pub message: String,
    /// For `reconnect_required` only: the id of the provider to sign in with again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
}

/// An error on its way to the client.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: ErrorCode,
    message: String,
    /// For 429: how long to wait, sent as `Retry-After`.
    retry_after: Option<std::time::Duration>,
    /// For `reconnect_required`: the provider to sign in with again.
    provider: Option<String>,
}

impl ApiError {
    /// An error with an explicit status and code.
    pub fn with_code(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> Self {
        Self { status, code, message: scrub(&message.into()), retry_after: None, provider: None }
    }

    /// A 429 `rate_limited`, to be retried after `wait`.
    pub fn rate_limited(wait: std::time::Duration) -> Self {
        let secs = crate::limits::retry_after_secs(wait);
        let mut e = Self::with_code(
            StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::RateLimited,
            format!("too many attempts from this address; try again in {secs} s"),
        );
        e.retry_after = Some(wait);
        e
    }

    /// A 400 `invalid_request`.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::with_code(StatusCode::BAD_REQUEST, ErrorCode::InvalidRequest, message)
    }

    /// A 404 `not_found`.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::with_code(StatusCode::NOT_FOUND, ErrorCode::NotFound, message)
    }

    /// A 401 `unauthenticated`.
    pub fn unauthenticated(message: impl Into<String>) -> Self {
        Self::with_code(StatusCode::UNAUTHORIZED, ErrorCode::Unauthenticated, message)
    }

    /// The code it will be sent with.
    pub fn code(&self) -> ErrorCode {
        self.code
    }

    /// The status it will be sent with.
    pub fn status(&self) -> StatusCode {
        self.status
    }
}

/// The status each code is sent with: the one place the REST API decides it, for core's errors
/// and sign-in's alike.
pub fn status_of(code: ErrorCode) -> StatusCode {
    use ErrorCode as C;
    match code {
        C::InvalidRequest | C::ProviderDenied | C::AuthorizationPending | C::SlowDown => StatusCode::BAD_REQUEST,
        C::Unauthenticated | C::IdTokenInvalid => StatusCode::UNAUTHORIZED,
        C::Forbidden => StatusCode::FORBIDDEN,
        C::NotFound => StatusCode::NOT_FOUND,
        C::Conflict | C::ReconnectRequired => StatusCode::CONFLICT,
        C::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        C::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
        C::MisdirectedRequest => StatusCode::MISDIRECTED_REQUEST,
        C::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        C::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
        C::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        C::ProviderUnavailable => StatusCode::BAD_GATEWAY,
        C::KeyringLocked | C::KeyringUnavailable => StatusCode::SERVICE_UNAVAILABLE,
    }
}

/// An error from inside (the store, the system): logged whole, sent as a sentence that says
/// nothing about the inside.
fn internal(detail: &dyn std::fmt::Display) -> ApiError {
    tracing::error!(error = %detail, "internal error");
    ApiError::with_code(
        StatusCode::INTERNAL_SERVER_ERROR,
        ErrorCode::Internal,
        "something went wrong on the server; the details are in its log",
    )
}

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        match e.code() {
            ErrorCode::Internal => internal(&e),
            code => Self::with_code(status_of(code), code, e.to_string()),
        }
    }
}

impl From<tessera_auth::AuthError> for ApiError {
    fn from(e: tessera_auth::AuthError) -> Self {
        match e {
            tessera_auth::AuthError::Core(core) => core.into(),
            tessera_auth::AuthError::ReconnectRequired { provider, why } => {
                let mut e = Self::with_code(
                    status_of(ErrorCode::ReconnectRequired),
                    ErrorCode::ReconnectRequired,
                    format!("the linked account at {provider} needs a new sign-in: {why}"),
                );
                e.provider = Some(provider);
                e
            }
            e => match e.code() {
                ErrorCode::Internal => internal(&e),
                code => Self::with_code(status_of(code), code, e.to_string()),
            },
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody { error: ErrorDetail { code: self.code, message: self.message, provider: self.provider } };
        let mut res = (self.status, axum::Json(body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            res.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"tessera\""));
        }
        if let Some(wait) = self.retry_after {
            res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(crate::limits::retry_after_secs(wait)));
        }
        res
    }
}

/// The result type of handlers.
pub type ApiResult<T> = Result<T, ApiError>;

/// Replaces anything shaped like a Tessera token or a JWT with a placeholder, and bounds the
/// length, so that an error echoing its input never echoes a credential.
pub fn scrub(message: &str) -> String {
    let mut out = String::with_capacity(message.len().min(600));
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        if word.contains("tsr_") || (word.starts_with("eyJ") && word.matches('.').count() >= 1) || word.len() > 40 {
            out.push_str("<redacted>");
        } else {
            out.push_str(word);
        }
        word.clear();
    };
    for c in message.chars() {
        if c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '+' | '/' | '=') {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    if out.chars().count() > 500 {
        out = out.chars().take(500).collect::<String>() + "…";
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn body(e: ApiError) -> (StatusCode, String) {
        let res = e.into_response();
        let status = res.status();
        let bytes = axum::body::to_bytes(res.into_body(), 4096).await.unwrap();
        (status, String::from_utf8_lossy(&bytes).into_owned())
    }

    #[tokio::test]
    async fn the_wire_format_is_code_and_message() {
        let (status, text) = body(Error::TokenExpired.into()).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(text, r#"{"error":{"code":"unauthenticated","message":"the token has expired"}}"#);
        let (status, text) = body(Error::ScopeMissing(tessera_core::Scope::Read).into()).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(text, r#"{"error":{"code":"forbidden","message":"this token lacks the read scope"}}"#);
        let (status, text) =
            body(ApiError::with_code(StatusCode::METHOD_NOT_ALLOWED, ErrorCode::MethodNotAllowed, "no")).await;
        assert_eq!(
            (status, text.as_str()),
            (StatusCode::METHOD_NOT_ALLOWED, r#"{"error":{"code":"method_not_allowed","message":"no"}}"#)
        );
    }

    #[test]
    fn the_error_schema_lists_every_code() {
        use utoipa::ToSchema;
        let mut schemas = Vec::new();
        ErrorBody::schemas(&mut schemas);
        let schemas: serde_json::Map<String, serde_json::Value> =
            schemas.into_iter().map(|(name, s)| (name, serde_json::to_value(s).unwrap())).collect();
        let expected: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(schemas.get("ErrorCode").map(|s| &s["enum"]), Some(&serde_json::json!(expected)));
        let detail = serde_json::to_value(<ErrorDetail as utoipa::PartialSchema>::schema()).unwrap();
        assert_eq!(detail["properties"]["code"]["$ref"], "#/components/schemas/ErrorCode");
    }

    #[tokio::test]
    async fn failures_inside_say_nothing_of_the_inside() {
        let inside = [
            Error::Store(sqlx::Error::Protocol("disk I/O error at /srv/tessera/tessera.db".into())),
            Error::UnknownStoredValue { column: "role".into(), value: "root".into() },
            Error::Internal("cannot open /srv/tessera/key".into()),
        ];
        for e in inside {
            let (status, text) = body(e.into()).await;
            assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
            assert!(text.contains(r#""code":"internal""#), "{text}");
            assert!(!text.contains("/srv") && !text.contains("root"), "{text}");
        }
    }

    #[test]
    fn scrub_removes_credentials_and_keeps_sentences() {
        let msg = "invalid type: string \"tsr_pat_0123456789abcdefghijABCDEFGHIJ123456\", expected a sequence";
        let s = scrub(msg);
        assert!(!s.contains("tsr_pat_0123"), "{s}");
        assert!(s.contains("expected a sequence"));
        let jwt = "bad eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ1In0.c2ln here";
        assert!(!scrub(jwt).contains("eyJ"));
        assert_eq!(scrub("missing field `label` at line 1 column 2"), "missing field `label` at line 1 column 2");
    }
}
