//! Reading providers' answers: chunk by chunk, stopping as soon as an answer grows past its
//! limit, so a provider (or anything pretending to be one) cannot make the server buffer an
//! answer of any size.

use serde_json::Value;

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
