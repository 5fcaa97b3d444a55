//! Reading providers' answers: chunk by chunk, stopping as soon as an answer grows past its
//! limit, so a provider (or anything pretending to be one) cannot make the server buffer an
//! answer of any size.

use std::future::Future;
use std::pin::Pin;

use serde_json::Value;
use url::Url;

use crate::error::{AuthError, Result};

/// The most a token endpoint, device endpoint, discovery document or key set may answer.
pub const ANSWER_LIMIT: usize = 1024 * 1024;

/// The most one page of a code host's REST API may answer.
pub const API_PAGE_LIMIT: usize = 8 * 1024 * 1024;

fn too_large(limit: usize) -> AuthError {
    AuthError::ProviderUnavailable(format!("the provider's answer is larger than {} KiB", limit / 1024))
}

/// The body of `res`, refused as soon as it passes `limit` bytes: a declared length over the
/// limit is refused before reading, and a body without one is counted as it arrives.
pub async fn read_limited(mut res: reqwest::Response, limit: usize) -> Result<Vec<u8>> {
    if res.content_length().is_some_and(|n| n > limit as u64) {
        return Err(too_large(limit));
    }
    let mut body = Vec::new();
    while let Some(chunk) = res
        .chunk()
        .await
        .map_err(|e| AuthError::ProviderUnavailable(format!("the provider's answer broke off: {}", e.without_url())))?
    {
        if body.len() + chunk.len() > limit {
            return Err(too_large(limit));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// A JSON answer of at most `limit` bytes.
pub async fn read_json(res: reqwest::Response, limit: usize, what: &str) -> Result<Value> {
    let bytes = read_limited(res, limit).await?;
    serde_json::from_slice(&bytes).map_err(|_| AuthError::ProviderUnavailable(format!("{what} did not answer JSON")))
}

/// Why a request of the OAuth 2.0 and OpenID Connect clients failed before any answer could be
/// read. Never holds a URL's query or a body: reqwest's errors are taken without their URL.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// The request could not be made.
    #[error("{0}")]
    Request(String),
    /// No answer, or one that broke off or grew past its limit.
    #[error("{0}")]
    Answer(String),
}

/// The HTTP client the `oauth2` and `openidconnect` crates send their requests through: the
/// provider's own reqwest client (its timeouts, its CA, no redirects followed), with every
/// answer read under [`ANSWER_LIMIT`].
///
/// GitHub answers token-endpoint errors with status 200 and an `error` member; such an answer
/// is passed on as the 400 RFC 6749 section 5.2 prescribes, so the crates read it as the error
/// it is.
#[derive(Debug, Clone, Copy)]
pub struct Limited<'a>(pub &'a reqwest::Client);

impl<'c> oauth2::AsyncHttpClient<'c> for Limited<'_> {
    type Error = HttpError;
    type Future = Pin<Box<dyn Future<Output = std::result::Result<oauth2::HttpResponse, HttpError>> + Send + 'c>>;

    fn call(&'c self, request: oauth2::HttpRequest) -> Self::Future {
        Box::pin(async move {
            let request: reqwest::Request =
                request.try_into().map_err(|e: reqwest::Error| HttpError::Request(e.without_url().to_string()))?;
            let url = request.url().to_string();
            let res = self.0.execute(request).await.map_err(|e| HttpError::Answer(why_unreachable(&e, &url)))?;
            let mut status = res.status();
            let mut head = http::Response::builder().version(res.version());
            for (name, value) in res.headers() {
                head = head.header(name, value);
            }
            let body = read_limited(res, ANSWER_LIMIT).await.map_err(|e| HttpError::Answer(e.to_string()))?;
            if status == http::StatusCode::OK && is_error_answer(&body) {
                status = http::StatusCode::BAD_REQUEST;
            }
            head.status(status).body(body).map_err(|e| HttpError::Answer(e.to_string()))
        })
    }
}

/// Whether a 200 answer is an RFC 6749 error in disguise: an `error` member and no access token.
fn is_error_answer(body: &[u8]) -> bool {
    serde_json::from_slice::<Value>(body)
        .is_ok_and(|v| v.get("error").is_some_and(Value::is_string) && v.get("access_token").is_none())
}

/// A provider's words, fit for a sentence: one line, no control characters, at most 200
/// characters.
pub(crate) fn bounded(text: &str) -> String {
    let line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut out: String = line.chars().filter(|c| !c.is_control()).take(200).collect();
    if line.chars().count() > 200 {
        out.push('…');
    }
    out
}

/// Where a URL points, for sentences: its host, with the port when the URL names one.
pub(crate) fn host_of(url: &str) -> String {
    match Url::parse(url) {
        Ok(u) => match (u.host_str(), u.port()) {
            (Some(h), Some(p)) => format!("{h}:{p}"),
            (Some(h), None) => h.to_owned(),
            _ => url.to_owned(),
        },
        Err(_) => url.to_owned(),
    }
}

/// Why a request did not get an answer, as a sentence naming the host.
pub fn why_unreachable(e: &(dyn std::error::Error + 'static), url: &str) -> String {
    let host = host_of(url);
    let mut chain = Vec::new();
    let mut timeout = false;
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if let Some(re) = err.downcast_ref::<reqwest::Error>() {
            timeout |= re.is_timeout();
            chain.push(re.without_url_text());
        } else {
            chain.push(err.to_string());
        }
        cur = err.source();
    }
    let all = chain.join(": ").to_ascii_lowercase();
    let deepest = chain.last().map(|s| bounded(s)).unwrap_or_default();
    if all.contains("certificate") || all.contains("unknownissuer") || all.contains("tls handshake") {
        format!(
            "{host} presents a certificate Tessera does not trust ({deepest}); if the provider uses a private \
             certificate authority, set ca_file to that authority's PEM file"
        )
    } else if timeout {
        format!("{host} did not answer in time; check the URL and that the provider is reachable from this server")
    } else if all.contains("connection refused") {
        format!("{host} refused the connection (nothing listens there); check the URL and that the provider is running")
    } else if all.contains("dns error") || all.contains("failed to lookup") || all.contains("name or service not known")
    {
        format!("{host} could not be found (DNS); check the host name in the URL")
    } else {
        format!("{host} could not be reached ({deepest})")
    }
}

trait WithoutUrl {
    fn without_url_text(&self) -> String;
}

impl WithoutUrl for reqwest::Error {
    /// reqwest's own text names the whole URL, query included; the host is named separately.
    fn without_url_text(&self) -> String {
        let mut s = self.to_string();
        if let Some(u) = self.url() {
            s = s.replace(&format!(" ({u})"), "").replace(u.as_str(), "the URL");
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    /// A server that answers every request with an endless chunked body, counting the bytes it
    /// managed to send.
    async fn endless() -> Result<(String, Arc<AtomicUsize>)> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.map_err(AuthError::provider)?;
        let base = format!("http://{}", listener.local_addr().map_err(AuthError::provider)?);
        let sent = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&sent);
        tokio::spawn(async move {
            while let Ok((mut conn, _)) = listener.accept().await {
                let counter = Arc::clone(&counter);
                tokio::spawn(async move {
                    let mut head = [0u8; 4096];
                    let _ = conn.read(&mut head).await;
                    let _ = conn
                        .write_all(
                            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n",
                        )
                        .await;
                    let chunk = format!("{:x}\r\n{}\r\n", 64 * 1024, " ".repeat(64 * 1024));
                    while conn.write_all(chunk.as_bytes()).await.is_ok() {
                        counter.fetch_add(64 * 1024, Ordering::SeqCst);
                    }
                });
            }
        });
        Ok((base, sent))
    }

    #[tokio::test]
    async fn an_endless_answer_is_cut_off_at_the_limit() -> Result<()> {
        let (base, sent) = endless().await?;
        let res =
            reqwest::get(format!("{base}/.well-known/openid-configuration")).await.map_err(AuthError::provider)?;
        let started = std::time::Instant::now();
        let e = read_json(res, ANSWER_LIMIT, "the issuer").await;
        assert!(matches!(&e, Err(AuthError::ProviderUnavailable(m)) if m.contains("larger than 1024 KiB")), "{e:?}");
        assert!(started.elapsed() < std::time::Duration::from_secs(10));
        // The server keeps writing into socket buffers for a moment; far less than it would have
        // written had the whole answer been buffered first (it never ends).
        assert!(sent.load(Ordering::SeqCst) < 64 * ANSWER_LIMIT, "{} bytes", sent.load(Ordering::SeqCst));
        Ok(())
    }

    /// A server on 127.0.0.1 that answers its first request with `answer` as written, then keeps
    /// the connection open for `hold_secs`; returns its base URL.
    async fn answer_once(answer: &'static [u8], hold_secs: u64) -> Result<String> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.map_err(AuthError::provider)?;
        let base = format!("http://{}", listener.local_addr().map_err(AuthError::provider)?);
        tokio::spawn(async move {
            if let Ok((mut conn, _)) = listener.accept().await {
                let mut head = [0u8; 4096];
                let _ = conn.read(&mut head).await;
                let _ = conn.write_all(answer).await;
                tokio::time::sleep(std::time::Duration::from_secs(hold_secs)).await;
            }
        });
        Ok(base)
    }

    #[tokio::test]
    async fn a_declared_length_over_the_limit_is_refused_before_reading() -> Result<()> {
        // Held open: a reader that waited for the whole body would hang.
        let base = answer_once(b"HTTP/1.1 200 OK\r\ncontent-length: 99999999\r\n\r\n{}", 30).await?;
        let res = reqwest::get(base).await.map_err(AuthError::provider)?;
        let e = tokio::time::timeout(std::time::Duration::from_secs(5), read_limited(res, ANSWER_LIMIT))
            .await
            .map_err(AuthError::provider)?;
        assert!(matches!(e, Err(AuthError::ProviderUnavailable(_))));
        Ok(())
    }

    #[tokio::test]
    async fn answers_within_the_limit_are_read_whole() -> Result<()> {
        let base = answer_once(b"HTTP/1.1 200 OK\r\nconnection: close\r\n\r\n{\"a\": 1}", 0).await?;
        let res = reqwest::get(base).await.map_err(AuthError::provider)?;
        assert_eq!(read_json(res, 16, "x").await?, serde_json::json!({"a": 1}));
        Ok(())
    }
}
