//! Signing in, and linking another account, through a provider in the system browser (RFC 8252
//! with PKCE, RFC 7636). The browser only ever sees the authorization URL; the provider redirects
//! to a loopback listener here, and the code, the PKCE verifier and the nonce go from here
//! straight to the API, which does the code exchange because it holds the client secrets.

use std::future::Future;
use std::time::Duration;

use tessera_auth::flow::{authorization_url, AuthRequest, CodeGrant, Loopback};
use tessera_auth::ProviderInfo;
use tessera_core::Secret;

use crate::api;
use crate::error::{Error, Result};
use crate::session::Session;

/// How long the shell waits for the browser to come back.
pub const WAIT: Duration = Duration::from_secs(300);

/// Opens a URL in the person's browser (never in a webview).
pub trait Browser: Send + Sync {
    /// Opens `url`.
    fn open(&self, url: &str) -> Result<()>;
}

/// What came back from the browser, ready for the API.
pub struct Grant {
    provider: String,
    code: Secret,
    code_verifier: Secret,
    redirect_uri: String,
    nonce: String,
}

impl std::fmt::Debug for Grant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Grant").field("provider", &self.provider).finish_non_exhaustive()
    }
}

impl Grant {
    fn body<'a>(&'a self, device_name: Option<&'a str>) -> CodeGrant<'a> {
        CodeGrant {
            provider: &self.provider,
            code: self.code.expose(),
            code_verifier: self.code_verifier.expose(),
            redirect_uri: &self.redirect_uri,
            nonce: &self.nonce,
            device_name,
        }
    }
}

/// The provider `provider_id` as the API describes it.
async fn provider(http: &reqwest::Client, base_url: &str, provider_id: &str) -> Result<ProviderInfo> {
    let res = http
        .get(format!("{base_url}/api/v1/providers"))
        .send()
        .await
        .map_err(|_| Error::Unreachable { url: base_url.to_owned() })?;
    let providers: Vec<ProviderInfo> = api::read(res).await?;
    providers.into_iter().find(|p| p.id == provider_id).ok_or_else(|| Error::Api {
        code: "not_found".into(),
        message: "The server no longer offers that sign-in. Reopen Tessera to see the current list.".into(),
    })
}

/// Sends the browser to the provider and waits for its redirect, until `cancelled` completes.
pub async fn authorize(
    http: &reqwest::Client,
    base_url: &str,
    provider_id: &str,
    browser: &dyn Browser,
    cancelled: impl Future<Output = ()>,
) -> Result<Grant> {
    let info = provider(http, base_url, provider_id).await?;
    let request = AuthRequest::new()?;
    let loopback = Loopback::bind().await?;
    let redirect_uri = loopback.redirect_uri().to_owned();
    browser.open(&authorization_url(&info, &redirect_uri, &request)?)?;
    let code = tokio::select! {
        code = loopback.wait(&request.state, WAIT) => code?,
        () = cancelled => return Err(Error::Cancelled),
    };
    Ok(Grant { provider: info.id, code, code_verifier: request.code_verifier, redirect_uri, nonce: request.nonce })
}

/// `POST /api/v1/sessions`: the grant for a login session on a new device named `device_name`,
/// and that device's refresh credential.
pub async fn exchange(
    http: &reqwest::Client,
    base_url: &str,
    grant: &Grant,
    device_name: &str,
) -> Result<(Session, Secret)> {
    let res = http
        .post(format!("{base_url}/api/v1/sessions"))
        .json(&grant.body(Some(device_name)))
        .send()
        .await
        .map_err(|_| Error::Unreachable { url: base_url.to_owned() })?;
    let issued: api::Renewed = api::read(res).await?;
    Ok(issued.into_parts(base_url))
}

/// `POST /api/v1/user/identities`: links the grant's account to the signed-in one.
pub async fn link(http: &reqwest::Client, session: &Session, grant: &Grant) -> Result<()> {
    let res = http
        .post(format!("{}/api/v1/user/identities", session.base_url))
        .bearer_auth(session.token.expose())
        .json(&grant.body(None))
        .send()
        .await
        .map_err(|_| Error::Unreachable { url: session.base_url.clone() })?;
    let _: serde_json::Value = api::read(res).await?;
    Ok(())
}

/// The person's browser: `$BROWSER` when set (the usual way to name one on Linux), else what the
/// desktop opens https links with.
pub struct SystemBrowser<R: tauri::Runtime>(pub tauri::AppHandle<R>);

impl<R: tauri::Runtime> Browser for SystemBrowser<R> {
    fn open(&self, url: &str) -> Result<()> {
        let failed = || Error::Browser;
        if let Some(cmd) = std::env::var("BROWSER").ok().filter(|b| !b.trim().is_empty()) {
            let (program, args) = browser_command(&cmd, url);
            std::process::Command::new(program)
                .args(args)
                .stdin(std::process::Stdio::null())
                .spawn()
                .map_err(|_| failed())?;
            return Ok(());
        }
        use tauri_plugin_opener::OpenerExt;
        self.0.opener().open_url(url, None::<&str>).map_err(|_| failed())
    }
}

/// `$BROWSER` may list several commands (`a:b`), and a command may say where the URL goes (`%s`).
fn browser_command(var: &str, url: &str) -> (String, Vec<String>) {
    let first = var.split(':').next().unwrap_or(var);
    let mut words = first.split_whitespace().map(str::to_owned);
    let program = words.next().unwrap_or_default();
    let mut args: Vec<String> = words.collect();
    if args.iter().any(|a| a.contains("%s")) {
        args = args.into_iter().map(|a| a.replace("%s", url)).collect();
    } else {
        args.push(url.to_owned());
    }
    (program, args)
}

/// A stand-in API with one provider, and a browser that plays the person at that provider.
#[cfg(test)]
pub(crate) mod fake {
    use std::sync::{Arc, Mutex};

    use axum::extract::State;
    use axum::http::{HeaderMap, StatusCode};
    use axum::routing::{get, post};
    use axum::Json;
    use serde_json::{json, Value};

    use super::*;

    /// What the browser was sent, and what the API received.
    #[derive(Default)]
    pub struct Seen {
        pub url: Mutex<Option<String>>,
        pub verifier: Mutex<Option<String>>,
        pub device_name: Mutex<Option<String>>,
    }

    fn query(url: &str, key: &str) -> String {
        reqwest::Url::parse(url)
            .ok()
            .and_then(|u| u.query_pairs().find(|(k, _)| k == key).map(|(_, v)| v.into_owned()))
            .unwrap_or_default()
    }

    async fn providers() -> Json<Value> {
        Json(json!([{
            "id": "idp", "kind": "oidc", "name": "Test IdP", "logo": null, "client_id": "tessera",
            "authorization_endpoint": "https://idp.example/authorize", "scopes": ["openid"],
            "code_challenge_method": "S256", "nonce": true, "device": false, "error": null, "source": "file"
        }]))
    }

    fn refuse(message: &str) -> (StatusCode, Json<Value>) {
        (StatusCode::BAD_REQUEST, Json(json!({"error": {"code": "invalid_request", "message": message}})))
    }

    /// Checks the grant against the authorization request the browser was sent, as a real
    /// provider and server would.
    fn check(seen: &Seen, body: &Value) -> Result<(), (StatusCode, Json<Value>)> {
        let url = seen.url.lock().unwrap().clone().unwrap_or_default();
        let verifier = body["code_verifier"].as_str().unwrap_or_default();
        *seen.verifier.lock().unwrap() = Some(verifier.to_owned());
        if body["code"] != "the-code" || body["provider"] != "idp" {
            return Err(refuse("wrong code"));
        }
        if tessera_auth::flow::challenge(verifier) != query(&url, "code_challenge") {
            return Err(refuse("PKCE verifier does not match"));
        }
        if body["nonce"] != query(&url, "nonce").as_str()
            || body["redirect_uri"] != query(&url, "redirect_uri").as_str()
        {
            return Err(refuse("nonce or redirect does not match"));
        }
        Ok(())
    }

    async fn sessions(State(seen): State<Arc<Seen>>, Json(body): Json<Value>) -> (StatusCode, Json<Value>) {
        if let Err(e) = check(&seen, &body) {
            return e;
        }
        let expires_at = chrono::Utc::now() + chrono::Duration::hours(1);
        *seen.device_name.lock().unwrap() = body["device_name"].as_str().map(str::to_owned);
        let answer =
            json!({"token": "jwt.from.idp", "expires_at": expires_at, "refresh_token": "tsr_rfr_first", "account": {}});
        (StatusCode::CREATED, Json(answer))
    }

    async fn identities(
        State(seen): State<Arc<Seen>>,
        headers: HeaderMap,
        Json(body): Json<Value>,
    ) -> (StatusCode, Json<Value>) {
        if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some("Bearer jwt.from.idp") {
            return (StatusCode::UNAUTHORIZED, Json(json!({"error": {"code": "unauthenticated", "message": "no"}})));
        }
        if let Err(e) = check(&seen, &body) {
            return e;
        }
        (StatusCode::CREATED, Json(json!({"id": "idn_1", "provider": "idp"})))
    }

    /// Serves the stand-in API on 127.0.0.1 and returns its base URL.
    pub async fn api(seen: Arc<Seen>) -> String {
        let app = axum::Router::new()
            .route("/api/v1/providers", get(providers))
            .route("/api/v1/sessions", post(sessions))
            .route("/api/v1/user/identities", post(identities))
            .with_state(seen);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        base
    }

    /// How the person at the provider answers.
    #[derive(Clone, Copy)]
    pub enum Person {
        Approves,
        /// Approves, but strangers on the computer reach the loopback listener first.
        ApprovesAfterStrangers,
        Declines,
        WalksAway,
    }

    /// A browser that records the URL and redirects back as `Person` decides.
    pub struct FakeBrowser {
        pub seen: Arc<Seen>,
        pub person: Person,
    }

    impl Browser for FakeBrowser {
        fn open(&self, url: &str) -> Result<()> {
            *self.seen.url.lock().unwrap() = Some(url.to_owned());
            let (redirect, state) = (query(url, "redirect_uri"), query(url, "state"));
            let answer = match self.person {
                Person::Approves => format!("{redirect}?code=the-code&state={state}"),
                Person::ApprovesAfterStrangers => {
                    let strays = ["error=access_denied&state=guessed", "error=access_denied", "code=forged&state=x"]
                        .map(|q| format!("{redirect}?{q}"));
                    let real = format!("{redirect}?code=the-code&state={state}");
                    tokio::spawn(async move {
                        for stray in strays {
                            let res = reqwest::get(stray).await.unwrap();
                            assert_eq!(res.status().as_u16(), 400);
                        }
                        reqwest::get(real).await
                    });
                    return Ok(());
                }
                Person::Declines => format!("{redirect}?error=access_denied&state={state}"),
                Person::WalksAway => return Ok(()),
            };
            tokio::spawn(async move { reqwest::get(answer).await });
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_browser_variable_is_read_like_xdg_open_does() {
        assert_eq!(browser_command("firefox", "https://x"), ("firefox".into(), vec!["https://x".into()]));
        assert_eq!(
            browser_command("chromium --incognito %s:firefox", "https://x"),
            ("chromium".into(), vec!["--incognito".into(), "https://x".into()])
        );
    }
}
