//! `tessera login`: a token from standard input, or the browser flow (RFC 8252 with PKCE, a
//! loopback redirect) or the device flow (RFC 8628) against a Tessera server's providers; either
//! way the login is kept in the OS keyring (see `logins`).

use std::time::Duration;

use anyhow::{bail, Context, Result};
use chrono::Utc;
use serde_json::{json, Value};
use tessera_auth::flow::{authorization_url, AuthRequest, CodeGrant, Loopback};
use tessera_auth::ProviderInfo;
use tessera_core::Secret;

use crate::client::{server_url, ApiFailure, Client};
use crate::logins::{Kind, Login, Logins};
use crate::output::{Out, Usage};

/// How long the browser flow waits for the redirect.
const WAIT: Duration = Duration::from_secs(300);

/// `tessera login`: a token read from standard input (`--with-token`) or a sign-in through one of
/// the server's providers, kept as a stored login.
pub async fn run(args: LoginArgs, out: &Out) -> Result<()> {
    let base = match &args.server {
        Some(s) => server_url(s)?,
        None => {
            crate::logins::Logins::open()?.index.current.unwrap_or_else(|| crate::logins::DEFAULT_SERVER.to_owned())
        }
    };
    match (&args.provider, args.with_token) {
        (None, true) => with_token(&base, out).await,
        (Some(provider), false) => with_provider(&base, provider, &args, out).await,
        (Some(_), true) => Err(Usage("--with-token and --provider are two ways to sign in: pick one".into()).into()),
        (None, false) => Err(Usage(
            "say how to sign in: --provider ID (see the server's providers), or --with-token with a token on \
             standard input"
                .into(),
        )
        .into()),
    }
}

/// The arguments of `tessera login`.
#[derive(Debug, clap::Args)]
pub struct LoginArgs {
    /// The server's URL (default: the current server, else http://127.0.0.1:7878).
    #[arg(long, env = "TESSERA_SERVER")]
    pub server: Option<String>,
    /// Sign in with this provider of the server (see `GET /api/v1/providers`).
    #[arg(long)]
    pub provider: Option<String>,
    /// Use the device flow: type a code on any device instead of a browser on this one.
    #[arg(long, requires = "provider")]
    pub device: bool,
    /// Do not try to open a browser; only print the URL.
    #[arg(long, requires = "provider")]
    pub no_browser: bool,
    /// The name the server lists this sign-in's device under (default: this computer's name).
    #[arg(long, requires = "provider")]
    pub device_name: Option<String>,
    /// Read a token (a personal access token) from standard input and keep it.
    #[arg(long)]
    pub with_token: bool,
}

/// `--with-token`: the token is checked at the server (`/me` names its account) before it is kept.
async fn with_token(base: &str, out: &Out) -> Result<()> {
    let value = Secret::new(crate::read_stdin()?.trim().to_owned());
    if value.expose().is_empty() {
        return Err(Usage("--with-token reads the token from standard input, and it was empty".into()).into());
    }
    if tessera_core::token::parse(value.expose()).is_err() {
        return Err(Usage(
            "--with-token takes a Tessera token (tsr_…) with a valid checksum; to sign in as a person, use \
             --provider"
                .into(),
        )
        .into());
    }
    let me = Client::new(base, Some(value.expose().to_owned()))?.get(&crate::api_path("account_me", &[])?).await?;
    let account = me["name"].as_str().context("the server's /me names no account")?.to_owned();
    let login = Login {
        server: base.to_owned(),
        account: account.clone(),
        account_id: me["id"].as_str().unwrap_or_default().to_owned(),
        kind: Kind::Token,
        active: true,
        device_id: None,
        session_expires_at: None,
        added_at: Utc::now(),
    };
    replacing(&login).await?.add(login, &value, None).await?;
    let hint = tessera_core::token::hint(value.expose());
    out.value(&json!({"server": base, "account": account, "kind": "token", "hint": hint}), || {
        format!(
            "signed in to {base} as {account} with the token {hint}; it is kept in {}",
            tessera_platform::keyring::NAME
        )
    });
    Ok(())
}

/// `--provider`: the browser or device flow; the server answers with a session and a refresh
/// credential, which is kept.
async fn with_provider(base: &str, provider: &str, args: &LoginArgs, out: &Out) -> Result<()> {
    let client = Client::new(base, None)?;
    let info = self::provider(&client, provider).await?;
    let device_name = args.device_name.clone().unwrap_or_else(default_device_name);
    let session = if args.device {
        device_flow(&client, &info, &device_name).await?
    } else {
        browser_flow(&client, &info, args.no_browser, &device_name).await?
    };
    let token = session["token"].as_str().context("the server signed in without sending the session")?;
    let Some(refresh) = session["refresh_token"].as_str() else {
        anyhow::bail!(
            "the server signed in without a refresh credential, so the sign-in cannot be kept; update the server"
        );
    };
    let account = session["account"]["name"].as_str().context("the server's sign-in names no account")?.to_owned();
    let expires_at = session["expires_at"].as_str().and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok());
    let login = Login {
        server: base.to_owned(),
        account: account.clone(),
        account_id: session["account"]["id"].as_str().unwrap_or_default().to_owned(),
        kind: Kind::Session,
        active: true,
        device_id: session["device"]["id"].as_str().map(str::to_owned),
        session_expires_at: expires_at.map(|t| t.with_timezone(&Utc)),
        added_at: Utc::now(),
    };
    replacing(&login).await?.add(login, &Secret::new(refresh.to_owned()), Some(&Secret::new(token.to_owned()))).await?;
    let device = session["device"]["name"].as_str().unwrap_or(&device_name).to_owned();
    out.value(&json!({"server": base, "account": account, "kind": "session", "device": session["device"]}), || {
        format!("signed in to {base} as {account} with {}; this computer is listed as {device:?}", info.name)
    });
    Ok(())
}

/// The stored logins, after ending at its server an earlier provider sign-in of the same account
/// that `login` replaces, so it does not stay signed in there unseen.
async fn replacing(login: &Login) -> Result<Logins> {
    let mut logins = Logins::open()?;
    let earlier = logins.matching(Some(&login.server), Some(&login.account));
    if let Some(old) = earlier.iter().find(|l| l.kind == Kind::Session) {
        if let Some(note) = crate::auth::end_session(&mut logins, old).await {
            eprintln!("warning: the earlier sign-in as {} could not be ended: {note}", old.account);
        }
    }
    Ok(logins)
}

/// This computer's name, for the server's list of signed-in devices.
fn default_device_name() -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .ok()
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty());
    match host {
        Some(h) => format!("tessera command line on {h}"),
        None => "tessera command line".to_owned(),
    }
}

async fn browser_flow(client: &Client, info: &ProviderInfo, no_browser: bool, device_name: &str) -> Result<Value> {
    let body = code_grant(info, no_browser, Some(device_name)).await?;
    client.public(reqwest::Method::POST, &crate::api_path("signin_sign_in", &[])?, Some(&body)).await
}

/// The browser part of a sign-in or a link: the provider's code, with what the server needs to
/// redeem it, as the body of `POST /sessions` or `POST /user/identities`.
async fn code_grant(info: &ProviderInfo, no_browser: bool, device_name: Option<&str>) -> Result<Value> {
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
        device_name,
    };
    Ok(serde_json::to_value(&grant)?)
}

/// The server's provider `id`, from its public list.
async fn provider(client: &Client, id: &str) -> Result<ProviderInfo> {
    let providers: Vec<ProviderInfo> = serde_json::from_value(
        client.public(reqwest::Method::GET, &crate::api_path("signin_providers", &[])?, None).await?,
    )
    .context("the server's provider list is not readable")?;
    providers.into_iter().find(|p| p.id == id).ok_or_else(|| {
        Usage(format!("the server has no provider {id:?}; see {}/api/v1/providers", client.base())).into()
    })
}

/// `tessera identity link`: signs in at the provider in the browser and links that account to
/// the signed-in one; answers with the new identity.
pub async fn link(client: &Client, provider_id: &str, no_browser: bool) -> Result<Value> {
    let info = provider(client, provider_id).await?;
    let body = code_grant(&info, no_browser, None).await?;
    client.post(&crate::api_path("signin_link", &[])?, &body).await
}

async fn device_flow(client: &Client, info: &ProviderInfo, device_name: &str) -> Result<Value> {
    if !info.device {
        bail!("{} does not offer the device flow; sign in with the browser instead", info.name);
    }
    let endpoint = crate::api_path("signin_device", &[])?;
    let endpoint = endpoint.as_str();
    let post = |body: Value| async move { client.public(reqwest::Method::POST, endpoint, Some(&body)).await };
    let start = post(json!({"provider": info.id})).await?;
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
        let body = json!({"provider": info.id, "device_code": device_code, "device_name": device_name});
        match post(body).await {
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
