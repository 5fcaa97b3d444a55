//! `tessera login`: the browser flow (RFC 8252 with PKCE, a loopback redirect) or the device flow
//! (RFC 8628) against a Tessera server's providers, printing the login session.

use std::time::Duration;

use anyhow::{bail, Context, Result};
use serde_json::{json, Value};
use tessera_auth::flow::{authorization_url, AuthRequest, CodeGrant, Loopback};
use tessera_auth::ProviderInfo;

use crate::client::{read, server_url, ApiFailure};
use crate::output::Out;

/// How long the browser flow waits for the redirect.
const WAIT: Duration = Duration::from_secs(300);

pub async fn run(server: &str, provider: &str, device: bool, no_browser: bool, out: &Out) -> Result<()> {
    let base = &server_url(server)?;
    let http = reqwest::Client::builder().timeout(Duration::from_secs(30)).build()?;
    let unreachable = || format!("cannot reach the Tessera server at {base}");
    let providers: Vec<ProviderInfo> = serde_json::from_value(
        read(
            http.get(format!("{base}{}", crate::api_path("signin_providers", &[])?))
                .send()
                .await
                .with_context(unreachable)?,
        )
        .await?,
    )
    .context("the server's provider list is not readable")?;
    let Some(info) = providers.into_iter().find(|p| p.id == provider) else {
        bail!("the server has no provider {provider:?}; see {base}/api/v1/providers");
    };
    let session = if device {
        device_flow(&http, base, &info).await?
    } else {
        browser_flow(&http, base, &info, no_browser).await?
    };
    let token = session["token"].as_str().context("the server signed in without sending the session")?;
    out.value(&session, || token.to_owned());
    Ok(())
}

async fn browser_flow(http: &reqwest::Client, base: &str, info: &ProviderInfo, no_browser: bool) -> Result<Value> {
    let req = AuthRequest::new()?;
    let loopback = Loopback::bind().await?;
    let redirect_uri = loopback.redirect_uri().to_owned();
    let url = authorization_url(info, &redirect_uri, &req)?;
    eprintln!("Sign in with {} in your browser. If it does not open, visit:\n{url}", info.name);
    if !no_browser {
        open_browser(&url);
    }
    let code = loopback.wait(&req.state, WAIT).await?;
    let grant = CodeGrant {
        provider: &info.id,
        code: code.expose(),
        code_verifier: req.code_verifier.expose(),
        redirect_uri: &redirect_uri,
        nonce: &req.nonce,
        device_name: None,
    };
    let res = http.post(format!("{base}{}", crate::api_path("signin_sign_in", &[])?)).json(&grant).send().await?;
    read(res).await
}

async fn device_flow(http: &reqwest::Client, base: &str, info: &ProviderInfo) -> Result<Value> {
    if !info.device {
        bail!("{} does not offer the device flow; sign in with the browser instead", info.name);
    }
    let endpoint = format!("{base}{}", crate::api_path("signin_device", &[])?);
    let start = read(http.post(&endpoint).json(&json!({"provider": info.id})).send().await?).await?;
    let device_code = start["device_code"].as_str().context("the server did not start a device sign-in")?.to_owned();
    // RFC 8628 makes both required: without them nobody could approve the sign-in being polled for.
    let uri = start["verification_uri_complete"]
        .as_str()
        .or(start["verification_uri"].as_str())
        .context("the server's device sign-in names no address to approve it at")?;
    let user_code = start["user_code"].as_str().context("the server's device sign-in has no code to enter")?;
    eprintln!("To sign in, visit {uri} and enter the code {user_code}");
    let mut interval = start["interval"].as_u64().unwrap_or(5).max(1);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(start["expires_in"].as_u64().unwrap_or(900));
    loop {
        tokio::time::sleep(Duration::from_secs(interval)).await;
        if tokio::time::Instant::now() > deadline {
            bail!("the device code expired before the sign-in was approved");
        }
        let body = json!({"provider": info.id, "device_code": device_code});
        match read(http.post(&endpoint).json(&body).send().await?).await {
            Ok(session) => return Ok(session),
            Err(e) => match e.downcast_ref::<ApiFailure>().map(|f| f.code.as_str()) {
                Some("authorization_pending") => {}
                Some("slow_down") => interval += 5,
                _ => return Err(e),
            },
        }
    }
}

/// Opens the person's browser when there is a desktop to open it on (the platform layer decides
/// how on each OS); failures are fine, the URL is printed anyway.
fn open_browser(url: &str) {
    if let Err(e) = tessera_platform::browser::open(url) {
        tracing::debug!("no browser opened: {e}");
    }
}
