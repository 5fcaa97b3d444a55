//! The errors of the token authority, one variant per decision a caller makes.

/// What went wrong, in terms the REST API and the command line can act on.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The request itself is malformed or breaks a rule (400 `invalid_request`).
    #[error("{0}")]
    InvalidRequest(String),
    /// No valid credential: missing, malformed, unknown, expired or revoked (401).
    #[error("{0}")]
    Unauthenticated(&'static str),
    /// The credential is valid but may not do this (403).
    #[error("{0}")]
    Forbidden(String),
    /// The object does not exist, or the caller may not know that it exists (404).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The request conflicts with what is stored (409).
    #[error("{0}")]
    Conflict(String),
    /// The store or the operating system failed; never caused by input. The text is for logs.
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    /// The stable code clients match on.
    pub fn code(&self) -> &'static str {
        match self {
            Error::InvalidRequest(_) => "invalid_request",
            Error::Unauthenticated(_) => "unauthenticated",
            Error::Forbidden(_) => "forbidden",
            Error::NotFound(_) => "not_found",
            Error::Conflict(_) => "conflict",
            Error::Internal(_) => "internal",
        }
    }

    /// Shorthand for a 400 with a sentence.
    pub fn invalid(msg: impl Into<String>) -> Self {
        Error::InvalidRequest(msg.into())
    }

    /// Shorthand for a 403 with a sentence.
    pub fn forbidden(msg: impl Into<String>) -> Self {
        Error::Forbidden(msg.into())
    }
}

impl From<sqlx::Error> for Error {
    fn from(e: sqlx::Error) -> Self {
        Error::Internal(format!("store: {e}"))
    }
}

impl From<sqlx::migrate::MigrateError> for Error {
    fn from(e: sqlx::migrate::MigrateError) -> Self {
        Error::Internal(format!("store migration: {e}"))
    }
}

/// The result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
