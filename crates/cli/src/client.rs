//! A small client of Tessera's REST API: every request the command line sends goes through it,
//! so each failure reaches the person as one sentence with the exit code of its kind.

use anyhow::{Context, Result};
use reqwest::{Method, Response};
use serde_json::Value;

/// An error answered by the server, in its own words.
#[derive(Debug)]
pub struct ApiFailure {
    pub status: u16,
    pub code: String,
    pub message: String,
    /// The provider to sign in with again, with `reconnect_required`.
    pub provider: Option<String>,
}

impl std::fmt::Display for ApiFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}, HTTP {})", self.message, self.code, self.status)
    }
}

impl std::error::Error for ApiFailure {}

/// The server could not be reached at all (exit code 6).
#[derive(Debug)]
pub struct Unreachable {
    pub base: String,
    pub why: String,
}

impl std::fmt::Display for Unreachable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "cannot reach the Tessera server at {}: {}", self.base, self.why)
    }
}

impl std::error::Error for Unreachable {}

/// No credential to send, or a stored one that no longer works (exit code 3).
#[derive(Debug)]
pub struct NotSignedIn(pub String);

impl std::fmt::Display for NotSignedIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for NotSignedIn {}

/// A client of one server, with the credential it sends (if any).
pub struct Client {
    base: String,
    token: Option<String>,
    http: reqwest::Client,
    /// The stored login the credential came from, named when the server refuses it.
    login: Option<String>,
}

impl Client {
    /// A client of `server` (refused unless https, or http to this computer) sending `token`.
    pub fn new(server: &str, token: Option<String>) -> Result<Self> {
        let base = server_url(server)?;
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(30))
            .build()
            .context("cannot set up the HTTP client")?;
        Ok(Self { base, token, http, login: None })
    }

    /// The same client, its credential from the stored login `name` ("SERVER as ACCOUNT").
    pub fn of_login(mut self, name: String) -> Self {
        self.login = Some(name);
        self
    }

    /// The server's base URL, as parsed.
    pub fn base(&self) -> &str {
        &self.base
    }

    fn request(&self, method: Method, path: &str) -> Result<reqwest::RequestBuilder> {
        let token = self.token.as_deref().ok_or_else(|| {
            NotSignedIn(
                "not signed in: run `tessera login`, or pass --token (or set TESSERA_TOKEN) with a login session or \
                 a token"
                    .to_owned(),
            )
        })?;
        Ok(self.http.request(method, format!("{}{path}", self.base)).bearer_auth(token))
    }

    /// Sends `req` and reads the answer.
    async fn send(&self, req: reqwest::RequestBuilder) -> Result<Value> {
        let res = req.send().await.map_err(|e| self.unreachable(&e))?;
        let answer = read(res).await;
        match (&self.login, &answer) {
            (Some(login), Err(e)) if e.downcast_ref::<ApiFailure>().is_some_and(|f| f.status == 401) => answer
                .with_context(|| {
                    format!("the stored login to {login} no longer works; sign in again with `tessera login`")
                }),
            _ => answer,
        }
    }

    /// A GET with the credential.
    pub async fn get(&self, path: &str) -> Result<Value> {
        self.send(self.request(Method::GET, path)?).await
    }

    /// A POST of JSON with the credential.
    pub async fn post(&self, path: &str, body: &Value) -> Result<Value> {
        self.send(self.request(Method::POST, path)?.json(body)).await
    }

    /// A PUT of JSON with the credential.
    pub async fn put(&self, path: &str, body: &Value) -> Result<Value> {
        self.send(self.request(Method::PUT, path)?.json(body)).await
    }

    /// A PATCH of JSON with the credential.
    pub async fn patch(&self, path: &str, body: &Value) -> Result<Value> {
        self.send(self.request(Method::PATCH, path)?.json(body)).await
    }

    /// A DELETE, with a JSON body when the operation takes one.
    pub async fn delete(&self, path: &str, body: Option<&Value>) -> Result<Value> {
        let mut req = self.request(Method::DELETE, path)?;
        if let Some(b) = body {
            req = req.json(b);
        }
        self.send(req).await
    }

    /// A request that needs no credential (health, the provider list, sign-in, refresh).
    pub async fn public(&self, method: Method, path: &str, body: Option<&Value>) -> Result<Value> {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(b) = body {
            req = req.json(b);
        }
        self.send(req).await
    }

    /// A form post (RFC 7009 revocation, RFC 7662 introspection), with the credential when
    /// `authenticated`.
    pub async fn form(&self, path: &str, value: &str, authenticated: bool) -> Result<Value> {
        let req = if authenticated {
            self.request(Method::POST, path)?
        } else {
            self.http.post(format!("{}{path}", self.base))
        };
        self.send(req.form(&[("token", value)])).await
    }

    fn unreachable(&self, e: &reqwest::Error) -> anyhow::Error {
        let why = if e.is_timeout() {
            "it did not answer in time".to_owned()
        } else if e.is_connect() {
            "nothing answered (is `tessera serve` running there?)".to_owned()
        } else {
            "the connection failed".to_owned()
        };
        Unreachable { base: self.base.clone(), why }.into()
    }
}

/// The server's base URL, parsed: https anywhere, plain http only to this computer (tokens and
/// sessions travel in every request), no user name or password in it.
pub fn server_url(server: &str) -> Result<String> {
    Ok(tessera_auth::urls::base_url("the server URL (--server)", server)?)
}

/// The JSON of a successful answer (`null` when empty), or the server's error as an [`ApiFailure`].
async fn read(res: Response) -> Result<Value> {
    let status = res.status();
    let text = res.text().await.context("the server's answer could not be read")?;
    if status.is_success() {
        if text.is_empty() {
            return Ok(Value::Null);
        }
        return serde_json::from_str(&text).map_err(|_| anyhow::anyhow!("the server's answer is not JSON"));
    }
    let v: Value = serde_json::from_str(&text).unwrap_or_default();
    Err(ApiFailure {
        status: status.as_u16(),
        code: v["error"]["code"].as_str().unwrap_or("error").to_owned(),
        message: v["error"]["message"].as_str().unwrap_or("the server refused the request").to_owned(),
        provider: v["error"]["provider"].as_str().map(str::to_owned),
    }
    .into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_goes_only_to_this_computer() {
        assert_eq!(server_url("https://t.example/").ok().as_deref(), Some("https://t.example"));
        assert_eq!(server_url("http://127.0.0.1:8080").ok().as_deref(), Some("http://127.0.0.1:8080"));
        for bad in ["http://t.example", "http://127.0.0.1:80@t.example", "https://ada:pw@t.example", "t.example"] {
            let e = server_url(bad).err().map(|e| e.to_string()).unwrap_or_default();
            assert!(e.starts_with("the server URL (--server) "), "{bad}: {e}");
        }
        let e = server_url("http://t.example").err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains("must use https"), "{e}");
    }
}
