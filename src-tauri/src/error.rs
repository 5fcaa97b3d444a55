//! The shell's errors. Each crosses the IPC boundary as `{code, message}`, like the API's: the UI
//! matches on `code` and shows `message`, a sentence, as it is.

use serde::ser::SerializeStruct;

/// What went wrong in a shell command, one variant per thing the UI does differently.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The token authority refused or failed (local mode, in process).
    #[error("{}", core_sentence(.0))]
    Core(#[from] tessera_core::Error),
    /// Signing in through a provider, or the keyring behind local mode, failed.
    #[error("{}", sentence(&.0.to_string()))]
    Auth(tessera_auth::AuthError),
    /// The API answered with an error.
    #[error("{message}")]
    Api {
        /// The API's error code.
        code: String,
        /// The API's sentence.
        message: String,
    },
    /// The server did not answer.
    #[error("Tessera could not reach the server at {url}. Check the address in Preferences and your network.")]
    Unreachable {
        /// Where it tried.
        url: String,
    },
    /// The embedded server could not start.
    #[error("Tessera could not start its local server: {0}")]
    LocalServer(String),
    /// The HTTP client could not be made (its TLS backend failed).
    #[error("Tessera could not prepare its connections to the server: {0}")]
    HttpClient(String),
    /// "Use locally" while Preferences point at a team server.
    #[error("Tessera is set to use the team server at {0}. Choose the local server in Preferences to use it locally.")]
    TeamMode(String),
    /// Preferences that break a rule.
    #[error("{0}")]
    InvalidPreferences(String),
    /// The preferences file could not be read or written.
    #[error("Tessera could not save its preferences: {0}")]
    PreferencesStore(String),
    /// The system clipboard failed.
    #[error("Tessera could not use the clipboard.")]
    Clipboard,
    /// The system browser could not be opened.
    #[error("Tessera could not open your web browser. Set BROWSER, or make a browser your desktop's default.")]
    Browser,
    /// The person cancelled a browser sign-in.
    #[error("Sign-in was cancelled.")]
    Cancelled,
    /// Linking an account needs a signed-in session.
    #[error("Sign in first, then link another account.")]
    NotSignedIn,
    /// A command's argument breaks its rules.
    #[error("Tessera could not use what the window sent: {0}")]
    InvalidArgument(String),
}

/// The shell's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// The stable code the UI matches on.
    pub fn code(&self) -> &str {
        match self {
            Error::Core(e) => e.code().as_str(),
            Error::Auth(e) => e.code().as_str(),
            Error::Api { code, .. } => code,
            Error::Unreachable { .. } => "unreachable",
            Error::LocalServer(_) => "local_server",
            Error::HttpClient(_) => "http_client",
            Error::TeamMode(_) => "team_mode",
            Error::InvalidPreferences(_) => "invalid_preferences",
            Error::PreferencesStore(_) => "preferences_store",
            Error::Clipboard => "clipboard",
            Error::Browser => "browser",
            Error::Cancelled => "cancelled",
            Error::NotSignedIn => "unauthenticated",
            Error::InvalidArgument(_) => "invalid_argument",
        }
    }
}

impl From<tessera_auth::AuthError> for Error {
    fn from(e: tessera_auth::AuthError) -> Self {
        match e {
            tessera_auth::AuthError::Core(core) => Error::Core(core),
            other => Error::Auth(other),
        }
    }
}

/// A sentence for the person; internal details stay in the log.
fn core_sentence(e: &tessera_core::Error) -> String {
    if e.is_internal() {
        return "Tessera could not read or write its data. The details are in its log.".to_owned();
    }
    sentence(&e.to_string())
}

/// Core's messages are clauses ("user not found"); the UI shows sentences.
fn sentence(clause: &str) -> String {
    let mut chars = clause.chars();
    let Some(first) = chars.next() else { return String::new() };
    let mut s: String = first.to_uppercase().chain(chars).collect();
    if !s.ends_with('.') {
        s.push('.');
    }
    s
}

impl serde::Serialize for Error {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        match self {
            Error::Core(e) if e.is_internal() => tracing::error!(error = %e, "internal error in a shell command"),
            _ => {}
        }
        let mut s = serializer.serialize_struct("Error", 2)?;
        s.serialize_field("code", self.code())?;
        s.serialize_field("message", &self.to_string())?;
        s.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crosses_the_boundary_as_code_and_sentence() {
        let v = serde_json::to_value(Error::Cancelled).unwrap_or_default();
        assert_eq!(v, serde_json::json!({"code": "cancelled", "message": "Sign-in was cancelled."}));

        let v = serde_json::to_value(Error::from(tessera_core::Error::NotFound("user"))).unwrap_or_default();
        assert_eq!(v, serde_json::json!({"code": "not_found", "message": "User not found."}));
    }

    #[test]
    fn internal_details_stay_out_of_the_message() {
        let e = Error::from(tessera_core::Error::Internal("store: disk I/O error at /home/ada/x.db".into()));
        let v = serde_json::to_value(&e).unwrap_or_default();
        assert_eq!(v["code"], "internal");
        let message = v["message"].as_str().unwrap_or_default();
        assert!(!message.contains("/home/ada"), "{message}");
        assert!(message.ends_with('.'), "{message}");
    }
}
