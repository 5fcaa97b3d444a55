//! A small client of Tessera's REST API for the token commands.

use anyhow::{Context, Result};
use reqwest::{Method, Response};
use serde_json::Value;

/// An error answered by the server, in its own words.
#[derive(Debug)]
pub struct ApiFailure {
    pub status: u16,
    pub code: String,
    pub message: String,
}

impl std::fmt::Display for ApiFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}, HTTP {})", self.message, self.code, self.status)
    }
}

impl std::error::Error for ApiFailure {}

pub struct Client {
    base: String,
    token: Option<String>,
    http: reqwest::Client,
}

impl Client {
    pub fn new(server: &str, token: Option<String>) -> Result<Self> {
        let base = server_url(server)?;
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(30))
            .build()
            .context("cannot set up the HTTP client")?;
        Ok(Self { base, token, http })
    }

    fn request(&self, method: Method, path: &str) -> Result<reqwest::RequestBuilder> {
        let token = self.token.as_deref().context(
            "no credential: pass --token or set TESSERA_TOKEN (a login session from `tessera admin session NAME`, or a token)",
        )?;
        Ok(self.http.request(method, format!("{}{path}", self.base)).bearer_auth(token))
    }

    pub async fn get(&self, path: &str) -> Result<Value> {
        read(self.request(Method::GET, path)?.send().await.with_context(|| self.unreachable())?).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Result<Value> {
        read(self.request(Method::POST, path)?.json(body).send().await.with_context(|| self.unreachable())?).await
    }

    pub async fn revoke(&self, value: &str) -> Result<()> {
        let res = self
            .http
            .post(format!("{}{}", self.base, crate::api_path("account_revoke", &[])?))
            .form(&[("token", value)])
            .send()
            .await
            .with_context(|| self.unreachable())?;
        read(res).await.map(|_| ())
    }

    fn unreachable(&self) -> String {
        format!("cannot reach the Tessera server at {}", self.base)
    }
}

/// The server's base URL, parsed: https anywhere, plain http only to this computer (tokens and
/// sessions travel in every request), no user name or password in it.
pub fn server_url(server: &str) -> Result<String> {
    Ok(tessera_auth::urls::base_url("the server URL (--server)", server)?)
}

pub async fn read(res: Response) -> Result<Value> {
    let status = res.status();
    let text = res.text().await.context("the server's answer could not be read")?;
    if status.is_success() {
        if text.is_empty() {
            return Ok(Value::Null);
        }
        return serde_json::from_str(&text).context("the server's answer is not JSON");
    }
    let v: Value = serde_json::from_str(&text).unwrap_or_default();
    Err(ApiFailure {
        status: status.as_u16(),
        code: v["error"]["code"].as_str().unwrap_or("error").to_owned(),
        message: v["error"]["message"].as_str().unwrap_or("the server refused the request").to_owned(),
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
