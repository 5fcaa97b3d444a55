//! The few REST API calls the shell makes itself; the UI makes all the others, and takes the
//! answers to its first two that the shell asked for at launch.

use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Deserialize;
use tessera_core::Secret;

use crate::error::{Error, Result};
use crate::session::Session;
use crate::shell::Answer;

/// How long the shell waits for the API.
pub const TIMEOUT: Duration = Duration::from_secs(15);

/// An HTTP client for the API, which gives up after [`TIMEOUT`]. When the TLS backend cannot be
/// set up, that is an error: a client without the timeout would let a stalled server hang the
/// shell, and reqwest's default client would panic on the same failure.
pub fn http_client() -> Result<reqwest::Client> {
    reqwest::Client::builder().timeout(TIMEOUT).build().map_err(|e| Error::HttpClient(format!("{e}.")))
}

/// `GET {base_url}{path}` with `session`: its answer when it succeeded, else none.
pub async fn get_answer(http: &reqwest::Client, session: &Session, path: &str) -> Option<Answer> {
    let res = http.get(format!("{}{path}", session.base_url)).bearer_auth(session.token.expose()).send().await.ok()?;
    if !res.status().is_success() {
        return None;
    }
    let status = res.status().as_u16();
    Some(Answer { status, body: res.text().await.ok()? })
}

#[derive(Deserialize)]
struct ErrorBody {
    error: ErrorFields,
}

#[derive(Deserialize)]
struct ErrorFields {
    code: String,
    message: String,
}

/// The API's `{"error": {code, message}}` as an [`Error::Api`].
async fn api_error(res: reqwest::Response) -> Error {
    let status = res.status();
    match res.json::<ErrorBody>().await {
        Ok(b) => Error::Api { code: b.error.code, message: b.error.message },
        Err(_) => Error::Api {
            code: "unexpected_response".into(),
            message: format!("The server answered {status} in a way Tessera does not understand."),
        },
    }
}

/// The body of a successful answer, or the API's error.
pub async fn read<T: DeserializeOwned>(res: reqwest::Response) -> Result<T> {
    if !res.status().is_success() {
        return Err(api_error(res).await);
    }
    res.json::<T>().await.map_err(|_| Error::Api {
        code: "unexpected_response".into(),
        message: "The server answered in a way Tessera does not understand.".into(),
    })
}

/// `DELETE /api/v1/sessions/current`: ends a login session on the server.
pub async fn end_session(http: &reqwest::Client, base_url: &str, token: &Secret) -> Result<()> {
    let res = http
        .delete(format!("{base_url}/api/v1/sessions/current"))
        .bearer_auth(token.expose())
        .send()
        .await
        .map_err(|_| Error::Unreachable { url: base_url.to_owned() })?;
    if res.status().is_success() {
        return Ok(());
    }
    Err(api_error(res).await)
}

/// A session the API issued with its device's next refresh credential.
#[derive(Deserialize)]
pub struct Renewed {
    token: String,
    expires_at: chrono::DateTime<chrono::Utc>,
    refresh_token: String,
}

impl Renewed {
    /// The session for `base_url`, and the refresh credential to keep for the next renewal.
    pub fn into_parts(self, base_url: &str) -> (crate::session::Session, Secret) {
        let session = crate::session::Session {
            base_url: base_url.to_owned(),
            token: Secret::new(self.token),
            expires_at: self.expires_at,
        };
        (session, Secret::new(self.refresh_token))
    }
}

/// `POST /api/v1/sessions/refresh`: spends `refresh` for a new session and the next credential.
pub async fn refresh(http: &reqwest::Client, base_url: &str, refresh: &Secret) -> Result<Renewed> {
    let res = http
        .post(format!("{base_url}/api/v1/sessions/refresh"))
        .json(&serde_json::json!({ "refresh_token": refresh.expose() }))
        .send()
        .await
        .map_err(|_| Error::Unreachable { url: base_url.to_owned() })?;
    read(res).await
}
