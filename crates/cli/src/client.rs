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
        let base = server.trim_end_matches('/').to_owned();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            anyhow::bail!("the server URL must start with http:// or https://");
        }
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
            .post(format!("{}/api/v1/tokens/revoke", self.base))
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
