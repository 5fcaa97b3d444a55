//! The client half of the browser sign-in (RFC 8252 with PKCE, RFC 7636): making the request,
//! the authorization URL, and the loopback listener that receives the redirect.
//!
//! The command line and the desktop shell both use this; the code exchange itself happens on the
//! server, which holds the client secrets.

use std::time::Duration;

use oauth2::basic::BasicClient;
use oauth2::{AuthUrl, ClientId, CsrfToken, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope};
use serde::Serialize;
use tessera_core::Secret;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::error::{AuthError, Result};
use crate::provider::ProviderInfo;

/// One sign-in attempt's secrets: the PKCE verifier (RFC 7636), `state` and `nonce`, made by the
/// `oauth2` and `openidconnect` crates from a cryptographically secure generator.
#[derive(Debug)]
pub struct AuthRequest {
    /// Sent back by the provider with the code; must match.
    pub state: String,
    /// Put into the ID token by an OpenID provider; checked by the server.
    pub nonce: String,
    /// The PKCE verifier, sent only to the server with the code.
    pub code_verifier: Secret,
    challenge: PkceCodeChallenge,
}

impl AuthRequest {
    /// A fresh request: a 64-byte PKCE verifier (86 characters), 32-byte state and nonce.
    pub fn new() -> Result<Self> {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256_len(64);
        Ok(Self {
            state: CsrfToken::new_random_len(32).secret().clone(),
            nonce: openidconnect::Nonce::new_random_len(32).secret().clone(),
            code_verifier: Secret::new(verifier.secret().clone()),
            challenge,
        })
    }

    /// The S256 challenge of the verifier.
    pub fn code_challenge(&self) -> String {
        self.challenge.as_str().to_owned()
    }
}

/// `BASE64URL(SHA256(verifier))`, as RFC 7636 says, for checking a verifier against the
/// challenge of its request; empty for a verifier of a length RFC 7636 does not allow.
pub fn challenge(verifier: &str) -> String {
    if !(43..=128).contains(&verifier.len()) {
        return String::new();
    }
    PkceCodeChallenge::from_code_verifier_sha256(&PkceCodeVerifier::new(verifier.to_owned())).as_str().to_owned()
}

/// The URL to open in the system browser: the provider's authorization endpoint with the
/// request's parameters, as `oauth2` writes them.
pub fn authorization_url(info: &ProviderInfo, redirect_uri: &str, req: &AuthRequest) -> Result<String> {
    let endpoint = info.authorization_endpoint.as_deref().ok_or_else(|| {
        AuthError::ProviderUnavailable(info.error.clone().unwrap_or_else(|| "no authorization endpoint".into()))
    })?;
    // The browser goes wherever this says: whatever the server or a discovery document claims,
    // only https (or http to this computer) is opened, never a URL carrying credentials.
    let url = crate::urls::web_url("the provider's authorization endpoint", endpoint)
        .map_err(|e| AuthError::ProviderUnavailable(e.to_string()))?;
    let redirect = RedirectUrl::new(redirect_uri.to_owned())
        .map_err(|_| AuthError::InvalidRequest("the redirect URI is not a URL".into()))?;
    let client = BasicClient::new(ClientId::new(info.client_id.clone()))
        .set_auth_uri(AuthUrl::from_url(url))
        .set_redirect_uri(redirect);
    let state = req.state.clone();
    let mut request = client
        .authorize_url(move || CsrfToken::new(state))
        .add_scopes(info.scopes.iter().cloned().map(Scope::new))
        .set_pkce_challenge(req.challenge.clone());
    if info.nonce {
        request = request.add_extra_param("nonce", req.nonce.clone());
    }
    Ok(request.url().0.into())
}

/// What the client hands to `POST /api/v1/sessions` (and `POST /api/v1/user/identities`).
#[derive(Debug, Serialize)]
pub struct CodeGrant<'a> {
    /// Provider id.
    pub provider: &'a str,
    /// The authorization code.
    pub code: &'a str,
    /// The PKCE verifier.
    pub code_verifier: &'a str,
    /// The redirect URI the code was sent to.
    pub redirect_uri: &'a str,
    /// The nonce of the request.
    pub nonce: &'a str,
    /// What is signing in, as the account's list of devices will name it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_name: Option<&'a str>,
}

/// A listener on `http://127.0.0.1:<port>/callback`, waiting for the provider's redirect.
pub struct Loopback {
    listener: TcpListener,
    redirect_uri: String,
}

impl Loopback {
    /// Listens on a port the OS chooses.
    pub async fn bind() -> Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| AuthError::InvalidRequest(format!("cannot listen on 127.0.0.1: {e}")))?;
        let port = listener.local_addr().map_err(|e| AuthError::InvalidRequest(e.to_string()))?.port();
        Ok(Self { listener, redirect_uri: format!("http://127.0.0.1:{port}/callback") })
    }

    /// The redirect URI to put in the authorization request.
    pub fn redirect_uri(&self) -> &str {
        &self.redirect_uri
    }

    /// Waits (at most `timeout`) for the provider's redirect and returns its code.
    ///
    /// Anyone on this computer can send requests to the port, so the first request does not end
    /// the wait: a request whose `state` is not this sign-in's (a stray or forged redirect, with
    /// or without `error=`) is answered with a short page and ignored, as are requests for
    /// anything but `/callback` (a browser's favicon). Only the redirect carrying the right
    /// `state` ends it, with its code or its error. Connections are served side by side, so one
    /// that sends nothing cannot hold up the real redirect.
    pub async fn wait(self, expected_state: &str, timeout: Duration) -> Result<Secret> {
        tokio::time::timeout(timeout, self.accept_callback(expected_state))
            .await
            .map_err(|_| AuthError::InvalidRequest("the sign-in took too long; start again".into()))?
    }

    /// [`Loopback::wait`] with an owned state and a five-minute limit, for spawning.
    pub async fn wait_owned(self, expected_state: String) -> Result<Secret> {
        self.wait(&expected_state, Duration::from_secs(300)).await
    }

    async fn accept_callback(&self, expected_state: &str) -> Result<Secret> {
        let mut conns = tokio::task::JoinSet::new();
        loop {
            tokio::select! {
                accepted = self.listener.accept(), if conns.len() < MAX_CONNECTIONS => match accepted {
                    Ok((conn, _)) => {
                        conns.spawn(serve_one(conn, expected_state.to_owned()));
                    }
                    // Out of file descriptors and the like: wait a little rather than spin.
                    Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
                },
                Some(done) = conns.join_next() => {
                    if let Ok(Some(outcome)) = done {
                        return outcome;
                    }
                }
            }
        }
    }
}

/// How many connections the listener serves at once; more wait in the OS backlog.
const MAX_CONNECTIONS: usize = 16;

/// How long one connection may take to send its request line and headers.
const READ_WITHIN: Duration = Duration::from_secs(5);

/// Serves one connection: `None` when it was not this sign-in's redirect (keep waiting), else the
/// redirect's outcome.
async fn serve_one(mut conn: tokio::net::TcpStream, expected_state: String) -> Option<Result<Secret>> {
    let mut buf = vec![0u8; 8192];
    let mut len = 0;
    let read_head = async {
        while len < buf.len() {
            match conn.read(&mut buf[len..]).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    len += n;
                    if buf[..len].windows(4).any(|w| w == b"\r\n\r\n") {
                        break;
                    }
                }
            }
        }
    };
    if tokio::time::timeout(READ_WITHIN, read_head).await.is_err() {
        respond(&mut conn, 400, "That was not a sign-in redirect.").await;
        return None;
    }
    let Some(url) = parse_callback(&buf[..len]) else {
        respond(&mut conn, 400, "That was not a sign-in redirect.").await;
        return None;
    };
    if url.path() != "/callback" {
        respond(&mut conn, 404, "Not found.").await;
        return None;
    }
    let state = url.query_pairs().find(|(n, _)| n == "state").map(|(_, v)| v.into_owned());
    if !state.is_some_and(|s| same_secret(&s, &expected_state)) {
        respond(&mut conn, 400, "This is not the sign-in Tessera is waiting for. Return to Tessera to continue.").await;
        return None;
    }
    let outcome = read_callback(&url, &expected_state);
    let page = match &outcome {
        Ok(_) => "Signed in. You can close this window and return to Tessera.",
        Err(_) => "The sign-in did not complete. Return to Tessera to see why.",
    };
    respond(&mut conn, if outcome.is_ok() { 200 } else { 400 }, page).await;
    Some(outcome)
}

/// Compares two secrets in time that depends only on their lengths.
fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Reads the provider's redirect: `state` first (a redirect for another sign-in says nothing
/// about this one, not even an error), then `error`, then `code`.
pub fn read_callback(url: &url::Url, expected_state: &str) -> Result<Secret> {
    let get = |k: &str| url.query_pairs().find(|(n, _)| n == k).map(|(_, v)| v.into_owned());
    if !get("state").is_some_and(|s| same_secret(&s, expected_state)) {
        return Err(AuthError::InvalidRequest(
            "the redirect's state does not match this sign-in; it may be forged or from an older attempt".into(),
        ));
    }
    if let Some(error) = get("error") {
        let why = match error.as_str() {
            "access_denied" => "the sign-in was declined at the provider".to_owned(),
            other => format!("the provider answered {:?}", other.chars().take(64).collect::<String>()),
        };
        return Err(AuthError::ProviderDenied(why));
    }
    let code = get("code").filter(|c| !c.is_empty() && c.len() <= 4096);
    code.map(Secret::new).ok_or_else(|| AuthError::InvalidRequest("the redirect carries no code".into()))
}

async fn respond(conn: &mut tokio::net::TcpStream, status: u16, text: &str) {
    let reason = match status {
        200 => "OK",
        404 => "Not Found",
        _ => "Bad Request",
    };
    let body = format!(
        "<!doctype html><meta charset=utf-8><title>Tessera</title>\
         <body style=\"font-family:system-ui;margin:4rem;text-align:center\"><h1>Tessera</h1><p>{text}</p>"
    );
    let head = format!(
        "HTTP/1.1 {status} {reason}\r\ncontent-type: text/html; charset=utf-8\r\ncontent-length: {}\r\n\
         cache-control: no-store\r\nconnection: close\r\n\r\n",
        body.len()
    );
    let _ = conn.write_all(head.as_bytes()).await;
    let _ = conn.write_all(body.as_bytes()).await;
    let _ = conn.shutdown().await;
}

/// The target of the request line at the start of `head` (the bytes a browser sent to the
/// loopback listener), as a URL on the listener; `None` when it cannot be one.
pub fn parse_callback(head: &[u8]) -> Option<url::Url> {
    let head = String::from_utf8_lossy(head);
    let target = head.lines().next().and_then(|l| l.split(' ').nth(1)).unwrap_or("");
    url::Url::parse(&format!("http://127.0.0.1{target}")).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_carry_an_s256_challenge_of_their_verifier() -> Result<()> {
        use base64::Engine;
        use sha2::Digest;
        let req = AuthRequest::new()?;
        let v = req.code_verifier.expose();
        assert_eq!(v.len(), 86);
        assert!(v.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_".contains(&b)));
        let expected = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(v.as_bytes()));
        assert_eq!(req.code_challenge(), expected);
        assert_ne!(AuthRequest::new()?.state, req.state);
        assert_eq!(
            challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            "RFC 7636 appendix B"
        );
        assert_eq!(challenge("short"), "", "no panic on a verifier of the wrong length");
        Ok(())
    }

    #[test]
    fn callbacks_are_checked_in_order() -> Result<()> {
        let u = |q: &str| url::Url::parse(&format!("http://127.0.0.1:1/callback?{q}")).map_err(AuthError::provider);
        assert!(matches!(read_callback(&u("error=access_denied&state=s")?, "s"), Err(AuthError::ProviderDenied(_))));
        assert!(matches!(read_callback(&u("error=access_denied&state=x")?, "s"), Err(AuthError::InvalidRequest(_))));
        assert!(matches!(read_callback(&u("error=access_denied")?, "s"), Err(AuthError::InvalidRequest(_))));
        assert!(matches!(read_callback(&u("code=c&state=other")?, "s"), Err(AuthError::InvalidRequest(_))));
        assert!(matches!(read_callback(&u("state=s")?, "s"), Err(AuthError::InvalidRequest(_))));
        assert_eq!(read_callback(&u("code=abc&state=s")?, "s")?.expose(), "abc");
        Ok(())
    }

    #[test]
    fn only_https_or_loopback_authorization_urls_are_opened() -> Result<()> {
        let info = |endpoint: &str| ProviderInfo {
            id: "p".into(),
            kind: crate::ProviderKind::Oidc,
            name: "P".into(),
            logo: None,
            client_id: "c".into(),
            authorization_endpoint: Some(endpoint.into()),
            scopes: vec!["openid".into()],
            code_challenge_method: "S256".into(),
            nonce: true,
            device: false,
            error: None,
            source: crate::provider::Source::File,
        };
        let req = AuthRequest::new()?;
        let cb = "http://127.0.0.1:9/callback";
        for good in ["https://idp.example/authorize", "http://127.0.0.1:8080/auth", "http://localhost:1/a?x=1"] {
            assert!(authorization_url(&info(good), cb, &req).is_ok(), "{good}");
        }
        for bad in [
            "http://idp.example/authorize",
            "http://127.0.0.1:80@evil.example/authorize",
            "https://ada:pw@idp.example/authorize",
            "javascript:alert(1)",
            "file:///etc/passwd",
            "data:text/html,hi",
        ] {
            assert!(matches!(authorization_url(&info(bad), cb, &req), Err(AuthError::ProviderUnavailable(_))), "{bad}");
        }
        Ok(())
    }

    #[tokio::test]
    async fn the_loopback_listener_takes_the_redirect() -> Result<()> {
        let lb = Loopback::bind().await?;
        let uri = lb.redirect_uri().to_owned();
        let waiter = tokio::spawn(lb.wait("st", Duration::from_secs(10)));
        let client = reqwest::Client::new();
        let favicon = client.get(uri.replace("/callback", "/favicon.ico")).send().await.map_err(AuthError::provider)?;
        assert_eq!(favicon.status().as_u16(), 404);
        let res = client.get(format!("{uri}?code=the-code&state=st")).send().await.map_err(AuthError::provider)?;
        assert_eq!(res.status().as_u16(), 200);
        let code = waiter.await.map_err(AuthError::provider)??;
        assert_eq!(code.expose(), "the-code");
        Ok(())
    }

    #[tokio::test]
    async fn stray_requests_do_not_end_the_wait() -> Result<()> {
        let lb = Loopback::bind().await?;
        let uri = lb.redirect_uri().to_owned();
        let waiter = tokio::spawn(lb.wait("the-state", Duration::from_secs(20)));
        // A connection that sends nothing does not hold up the others.
        let addr = uri.trim_start_matches("http://").trim_end_matches("/callback").to_owned();
        let _silent = tokio::net::TcpStream::connect(&addr).await.map_err(AuthError::provider)?;
        let client = reqwest::Client::new();
        for stray in [
            "error=access_denied&state=guessed",
            "error=access_denied",
            "error=server_error&state=the-stat",
            "code=forged&state=other",
            "code=forged",
            "state=the-state-but-longer&code=x",
        ] {
            let res = client.get(format!("{uri}?{stray}")).send().await.map_err(AuthError::provider)?;
            assert_eq!(res.status().as_u16(), 400, "{stray}");
            let page = res.text().await.map_err(AuthError::provider)?;
            assert!(page.contains("not the sign-in Tessera is waiting for"), "{stray}: {page}");
            assert!(!waiter.is_finished(), "a stray request ended the wait: {stray}");
        }
        let res =
            client.get(format!("{uri}?code=the-code&state=the-state")).send().await.map_err(AuthError::provider)?;
        assert_eq!(res.status().as_u16(), 200);
        assert_eq!(waiter.await.map_err(AuthError::provider)??.expose(), "the-code");
        Ok(())
    }

    #[tokio::test]
    async fn the_real_redirect_still_ends_the_wait_with_its_error() -> Result<()> {
        let lb = Loopback::bind().await?;
        let uri = lb.redirect_uri().to_owned();
        let waiter = tokio::spawn(lb.wait("s", Duration::from_secs(20)));
        let client = reqwest::Client::new();
        client.get(format!("{uri}?code=x&state=t")).send().await.map_err(AuthError::provider)?;
        let res = client.get(format!("{uri}?error=access_denied&state=s")).send().await.map_err(AuthError::provider)?;
        assert_eq!(res.status().as_u16(), 400);
        assert!(matches!(waiter.await.map_err(AuthError::provider)?, Err(AuthError::ProviderDenied(_))));
        Ok(())
    }

    #[test]
    fn a_provider_error_is_shown_short_and_escaped() -> Result<()> {
        // Found by the callback_query fuzz target: control characters in `error` come back
        // escaped (up to 10 characters each), so the sentence is longer than its input but
        // bounded, and carries no control character to a terminal.
        let query = format!("error=%F5aG{}cce&state=s", "%19".repeat(300));
        let url = url::Url::parse(&format!("http://127.0.0.1:1/callback?{query}")).map_err(AuthError::provider)?;
        let Err(AuthError::ProviderDenied(why)) = read_callback(&url, "s") else {
            return Err(AuthError::InvalidRequest("an error redirect was not refused".into()));
        };
        assert!(!why.chars().any(char::is_control), "{why:?}");
        assert!(why.chars().count() <= 64 * 10 + 100, "{why:?}");
        Ok(())
    }

    #[test]
    fn the_request_line_gives_the_callback_url() -> Result<()> {
        let url = parse_callback(b"GET /callback?code=c&state=s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            .ok_or_else(|| AuthError::InvalidRequest("no URL".into()))?;
        assert_eq!((url.path(), url.query()), ("/callback", Some("code=c&state=s")));
        assert_eq!(read_callback(&url, "s")?.expose(), "c");
        // Anything that is not a request for /callback is not read as a redirect.
        for head in [&b""[..], b"\xff\xfe\r\n", b"GET / HTTP/1.1\r\n", b"GET /favicon.ico HTTP/1.1\r\n"] {
            assert!(parse_callback(head).is_none_or(|u| u.path() != "/callback"), "{head:?}");
        }
        Ok(())
    }
}
