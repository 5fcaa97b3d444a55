//! The errors of the token authority, one variant per decision a caller makes.
//!
//! Every error says a sentence for a person (its `Display`) and has one [`ErrorCode`], the stable
//! string clients match on. Which HTTP status answers an error is decided by the server alone.
//! Errors of the store keep sqlx's error for the log; nothing of it reaches a client.

use serde::{Deserialize, Serialize};

use crate::scope::Scope;

/// The stable codes of `{"error": {"code", "message"}}`, shared by the REST API, the command
/// line and the desktop UI (which gets them as a TypeScript type, so it never matches a code by a
/// string literal that could drift).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The request is malformed or breaks a rule (400).
    InvalidRequest,
    /// No valid credential: missing, malformed, unknown, expired or revoked (401).
    Unauthenticated,
    /// The credential is valid but may not do this (403).
    Forbidden,
    /// No such object, or the caller may not know it exists (404).
    NotFound,
    /// The request conflicts with what is stored (409).
    Conflict,
    /// The body is larger than the server accepts (413).
    PayloadTooLarge,
    /// The endpoint does not take that method (405).
    MethodNotAllowed,
    /// The request named a host this server does not answer for (421).
    MisdirectedRequest,
    /// Too many attempts from this address; retry after `Retry-After` (429).
    RateLimited,
    /// The request took too long to arrive (408).
    RequestTimeout,
    /// The server failed; never caused by input, and the details are only in its log (500).
    Internal,
    /// The identity provider refused: declined, or a wrong, used or expired code.
    ProviderDenied,
    /// The identity provider could not be reached or answered something unusable.
    ProviderUnavailable,
    /// The ID token failed a check (signature, issuer, audience, expiry or nonce).
    IdTokenInvalid,
    /// The device sign-in is still waiting for the person: keep polling.
    AuthorizationPending,
    /// The device sign-in asks to poll more slowly.
    SlowDown,
    /// The keyring is locked: unlock it and try again.
    KeyringLocked,
    /// The keyring cannot be reached.
    KeyringUnavailable,
    /// A linked account's code-host token is gone or expired: sign in with the provider again.
    ReconnectRequired,
}

impl ErrorCode {
    /// Every code.
    pub const ALL: [ErrorCode; 19] = [
        ErrorCode::InvalidRequest,
        ErrorCode::Unauthenticated,
        ErrorCode::Forbidden,
        ErrorCode::NotFound,
        ErrorCode::Conflict,
        ErrorCode::PayloadTooLarge,
        ErrorCode::MethodNotAllowed,
        ErrorCode::MisdirectedRequest,
        ErrorCode::RateLimited,
        ErrorCode::RequestTimeout,
        ErrorCode::Internal,
        ErrorCode::ProviderDenied,
        ErrorCode::ProviderUnavailable,
        ErrorCode::IdTokenInvalid,
        ErrorCode::AuthorizationPending,
        ErrorCode::SlowDown,
        ErrorCode::KeyringLocked,
        ErrorCode::KeyringUnavailable,
        ErrorCode::ReconnectRequired,
    ];

    /// The code as it is sent.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidRequest => "invalid_request",
            ErrorCode::Unauthenticated => "unauthenticated",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::NotFound => "not_found",
            ErrorCode::Conflict => "conflict",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::MethodNotAllowed => "method_not_allowed",
            ErrorCode::MisdirectedRequest => "misdirected_request",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::RequestTimeout => "request_timeout",
            ErrorCode::Internal => "internal",
            ErrorCode::ProviderDenied => "provider_denied",
            ErrorCode::ProviderUnavailable => "provider_unavailable",
            ErrorCode::IdTokenInvalid => "id_token_invalid",
            ErrorCode::AuthorizationPending => "authorization_pending",
            ErrorCode::SlowDown => "slow_down",
            ErrorCode::KeyringLocked => "keyring_locked",
            ErrorCode::KeyringUnavailable => "keyring_unavailable",
            ErrorCode::ReconnectRequired => "reconnect_required",
        }
    }

    /// The code sent as `s`, if it is one.
    pub fn from_name(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What went wrong, in terms the REST API and the command line can act on.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The request itself is malformed or breaks a rule.
    #[error("{0}")]
    InvalidRequest(String),
    /// No valid credential (missing, malformed, a bad checksum, an unknown session); the
    /// variants below name the cases a client can tell the person about.
    #[error("{0}")]
    Unauthenticated(&'static str),
    /// No token has this value (or it was deleted).
    #[error("the token is not known")]
    TokenUnknown,
    /// The token was revoked.
    #[error("the token was revoked")]
    TokenRevoked,
    /// The token is past its expiry.
    #[error("the token has expired")]
    TokenExpired,
    /// The login session was ended (signed out, or revoked).
    #[error("the session was ended; sign in again")]
    SessionEnded,
    /// The login session is past its expiry.
    #[error("the session has expired; sign in again")]
    SessionExpired,
    /// The account behind the credential is disabled: every session and token of it fails.
    #[error("the account is disabled; ask an instance administrator")]
    AccountDisabled,
    /// The credential is valid but lacks the scope this needs.
    #[error("this token lacks the {0} scope")]
    ScopeMissing(Scope),
    /// The credential is valid but may not do this, for the reason given.
    #[error("{0}")]
    Forbidden(String),
    /// The object does not exist, or the caller may not know that it exists.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A name (an account's, an organization's, a project's within its owner, a provider's id)
    /// is taken: the sentence says which. Choosing another one succeeds.
    #[error("{0}")]
    NameTaken(String),
    /// The identity at the provider is already linked to a Tessera account.
    #[error("this account at the provider is already linked to a Tessera account")]
    AlreadyLinked,
    /// The request conflicts with what is stored, for the reason given.
    #[error("{0}")]
    Conflict(String),
    /// What was sent is over a size limit; the sentence names the limit.
    #[error("{0}")]
    TooLarge(String),
    /// The store failed; never caused by input. Its error is kept whole for the log (and said in
    /// this error's text, which only the log and the operator's command line ever show).
    #[error("the store failed: {0}")]
    Store(sqlx::Error),
    /// A read of the embedded store on the request path failed; kept whole for the log, like
    /// [`Error::Store`].
    #[error("the store failed: {0}")]
    Sqlite(rusqlite::Error),
    /// The store's schema could not be brought up to date.
    #[error("the store's schema could not be brought up to date: {0}")]
    Migration(sqlx::migrate::MigrateError),
    /// The store holds a value this version does not know, in the named column: written by a
    /// newer version, or damaged. Never read as a default.
    #[error("the store holds {value:?} in {column}, which this version does not know")]
    UnknownStoredValue {
        /// The column (or the alias it was read under).
        column: String,
        /// What it holds.
        value: String,
    },
    /// Something else outside the request failed (the operating system, a key that does not
    /// open). The text is for logs.
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    /// The stable code clients match on.
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::InvalidRequest(_) => ErrorCode::InvalidRequest,
            Error::Unauthenticated(_)
            | Error::TokenUnknown
            | Error::TokenRevoked
            | Error::TokenExpired
            | Error::SessionEnded
            | Error::SessionExpired
            | Error::AccountDisabled => ErrorCode::Unauthenticated,
            Error::ScopeMissing(_) | Error::Forbidden(_) => ErrorCode::Forbidden,
            Error::NotFound(_) => ErrorCode::NotFound,
            Error::NameTaken(_) | Error::AlreadyLinked | Error::Conflict(_) => ErrorCode::Conflict,
            Error::TooLarge(_) => ErrorCode::PayloadTooLarge,
            Error::Store(_)
            | Error::Sqlite(_)
            | Error::Migration(_)
            | Error::UnknownStoredValue { .. }
            | Error::Internal(_) => ErrorCode::Internal,
        }
    }

    /// Whether this is a failure inside (the store, the system) rather than an answer about the
    /// request: its text is for the log, never for a client.
    pub fn is_internal(&self) -> bool {
        self.code() == ErrorCode::Internal
    }

    /// Shorthand for a malformed request, with a sentence.
    pub fn invalid(msg: impl Into<String>) -> Self {
        Error::InvalidRequest(msg.into())
    }

    /// Shorthand for a refusal, with a sentence.
    pub fn forbidden(msg: impl Into<String>) -> Self {
        Error::Forbidden(msg.into())
    }
}

impl From<sqlx::Error> for Error {
    fn from(e: sqlx::Error) -> Self {
        Error::Store(e)
    }
}

impl From<sqlx::migrate::MigrateError> for Error {
    fn from(e: sqlx::migrate::MigrateError) -> Self {
        Error::Migration(e)
    }
}

/// The result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_is_sent_as_its_snake_case_name_and_reads_back() {
        for code in ErrorCode::ALL {
            let sent = serde_json::to_value(code).ok();
            assert_eq!(sent, Some(serde_json::Value::String(code.as_str().to_owned())));
            assert_eq!(ErrorCode::from_name(code.as_str()), Some(code));
            assert_eq!(serde_json::from_value::<ErrorCode>(serde_json::json!(code.as_str())).ok(), Some(code));
        }
        assert_eq!(ErrorCode::from_name("Internal"), None);
    }

    #[test]
    fn each_error_says_a_sentence_and_keeps_the_messages_clients_saw() {
        assert_eq!(Error::TokenExpired.to_string(), "the token has expired");
        assert_eq!(Error::ScopeMissing(Scope::TokenAdmin).to_string(), "this token lacks the token:admin scope");
        assert_eq!(Error::NotFound("project").to_string(), "project not found");
        assert_eq!(Error::AccountDisabled.code(), ErrorCode::Unauthenticated);
        let store = Error::from(sqlx::Error::PoolTimedOut);
        assert!(store.is_internal());
        assert!(matches!(store, Error::Store(sqlx::Error::PoolTimedOut)), "the store's error is kept for the log");
        let odd = Error::UnknownStoredValue { column: "role".into(), value: "root".into() };
        assert_eq!(odd.to_string(), "the store holds \"root\" in role, which this version does not know");
        assert!(odd.is_internal());
    }
}
