//! Sign-in errors, one variant per decision a caller makes. None of them ever holds a secret:
//! provider answers are summarized, never echoed.

use tessera_core::error::ErrorCode;

/// What went wrong while signing in or using a linked account.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// The request names no configured provider.
    #[error("there is no provider {0:?}")]
    UnknownProvider(String),
    /// The request itself is malformed.
    #[error("{0}")]
    InvalidRequest(String),
    /// The provider refused: the person declined, or the code was wrong, used or expired.
    #[error("the provider refused: {0}")]
    ProviderDenied(String),
    /// The provider could not be reached or answered something unusable.
    #[error("the provider could not be used: {0}")]
    ProviderUnavailable(String),
    /// The ID token failed a check (signature, issuer, audience, expiry or nonce).
    #[error("the ID token was refused: {0}")]
    IdToken(String),
    /// The device flow is still waiting for the person (RFC 8628 `authorization_pending`).
    #[error("waiting for the person to approve the sign-in")]
    AuthorizationPending,
    /// The device flow asks to poll more slowly (RFC 8628 `slow_down`).
    #[error("polling too fast; wait longer between polls")]
    SlowDown,
    /// The keyring is locked: unlock it and try again. Nothing stored was changed.
    #[error("the keyring is locked; unlock it and try again")]
    KeyringLocked,
    /// The keyring cannot be reached (no Secret Service on the session bus). Nothing stored was
    /// changed.
    #[error("the keyring is not available: {0}")]
    KeyringUnavailable(String),
    /// A stored code-host token is gone or expired: sign in with the provider again.
    #[error("the linked account needs a new sign-in: {0}")]
    Reconnect(String),
    /// [`AuthError::Reconnect`] as it leaves a request about one linked account: with the
    /// provider to sign in with again, so a client can offer that sign-in.
    #[error("the linked account at {provider} needs a new sign-in: {why}")]
    ReconnectRequired {
        /// The provider's id.
        provider: String,
        /// Why, in a few words.
        why: String,
    },
    /// The provider's sign-in policy (allowed domains or groups) does not admit this person.
    /// Callers write the audit entry and answer with the reason.
    #[error("{reason}")]
    SignInRefused {
        /// Provider id.
        provider: String,
        /// The provider's account id.
        subject: String,
        /// A sentence for the person.
        reason: String,
    },
    /// The provider configuration is not valid.
    #[error("provider configuration: {0}")]
    Config(String),
    /// A rule of the token authority.
    #[error(transparent)]
    Core(#[from] tessera_core::Error),
}

impl AuthError {
    /// The stable code clients match on.
    pub fn code(&self) -> ErrorCode {
        match self {
            AuthError::UnknownProvider(_) => ErrorCode::NotFound,
            AuthError::InvalidRequest(_) | AuthError::Config(_) => ErrorCode::InvalidRequest,
            AuthError::ProviderDenied(_) => ErrorCode::ProviderDenied,
            AuthError::ProviderUnavailable(_) => ErrorCode::ProviderUnavailable,
            AuthError::IdToken(_) => ErrorCode::IdTokenInvalid,
            AuthError::AuthorizationPending => ErrorCode::AuthorizationPending,
            AuthError::SlowDown => ErrorCode::SlowDown,
            AuthError::KeyringLocked => ErrorCode::KeyringLocked,
            AuthError::KeyringUnavailable(_) => ErrorCode::KeyringUnavailable,
            AuthError::Reconnect(_) | AuthError::ReconnectRequired { .. } => ErrorCode::ReconnectRequired,
            AuthError::SignInRefused { .. } => ErrorCode::Forbidden,
            AuthError::Core(e) => e.code(),
        }
    }

    /// This error as it answers a request about an account at `provider`: a reconnect names
    /// the provider; anything else is unchanged.
    pub fn at_provider(self, provider: &str) -> Self {
        match self {
            AuthError::Reconnect(why) => AuthError::ReconnectRequired { provider: provider.to_owned(), why },
            other => other,
        }
    }

    #[cfg(test)]
    pub(crate) fn provider(e: impl std::fmt::Display) -> Self {
        AuthError::ProviderUnavailable(e.to_string())
    }
}

/// The result type of this crate.
pub type Result<T, E = AuthError> = std::result::Result<T, E>;
