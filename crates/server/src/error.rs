//! How errors leave the API: `{"error": {"code", "message"}}` with the status DESIGN.md gives.
//! A store failure is a 500 whose message says nothing about the inside; the detail goes to the
//! log. No message ever carries a credential: rejection texts are scrubbed of anything that looks
//! like a token or a session before they are sent.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
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
    /// `invalid_request`, `unauthenticated`, `forbidden`, `not_found`, `conflict`,
    /// `payload_too_large`, `method_not_allowed`, `misdirected_request`, `rate_limited`,
    /// `request_timeout` or `internal`.
    pub code: String,
    /// A sentence for a person.
    pub message: String,
}

/// An error on its way to the client.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    /// For 429: how long to wait, sent as `Retry-After`.
    retry_after: Option<std::time::Duration>,
}

impl ApiError {
    /// An error with an explicit status and code.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self { status, code, message: scrub(&message.into()), retry_after: None }
    }

    /// A 429 `rate_limited`, to be retried after `wait`.
    pub fn rate_limited(wait: std::time::Duration) -> Self {
        let secs = crate::limits::retry_after_secs(wait);
        let mut e = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            format!("too many attempts from this address; try again in {secs} s"),
        );
        e.retry_after = Some(wait);
        e
    }

    /// A 400 `invalid_request`.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", message)
    }

    /// A 404 `not_found`.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    /// The status it will be sent with.
    pub fn status(&self) -> StatusCode {
        self.status
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        let status = match &e {
            Error::InvalidRequest(_) => StatusCode::BAD_REQUEST,
            Error::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            Error::Forbidden(_) => StatusCode::FORBIDDEN,
            Error::NotFound(_) => StatusCode::NOT_FOUND,
            Error::Conflict(_) => StatusCode::CONFLICT,
            Error::Internal(detail) => {
                tracing::error!(%detail, "internal error");
                return Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "something went wrong on the server; the details are in its log",
                );
            }
        };
        Self::new(status, e.code(), e.to_string())
    }
}

impl From<tessera_auth::AuthError> for ApiError {
    fn from(e: tessera_auth::AuthError) -> Self {
        use tessera_auth::AuthError as A;
        let status = match &e {
            A::Core(_) => {
                let A::Core(core) = e else { return Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "") };
                return core.into();
            }
            A::UnknownProvider(_) => StatusCode::NOT_FOUND,
            A::InvalidRequest(_) | A::Config(_) | A::ProviderDenied(_) => StatusCode::BAD_REQUEST,
            A::AuthorizationPending | A::SlowDown => StatusCode::BAD_REQUEST,
            A::IdToken(_) => StatusCode::UNAUTHORIZED,
            A::ProviderUnavailable(_) => StatusCode::BAD_GATEWAY,
            A::KeyringLocked | A::KeyringUnavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            A::Reconnect(_) => StatusCode::CONFLICT,
            A::SignInRefused { .. } => StatusCode::FORBIDDEN,
        };
        Self::new(status, e.code(), e.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody { error: ErrorDetail { code: self.code.to_owned(), message: self.message } };
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
