//! Whether a provider is set up right, said in sentences: OpenID discovery, the issuer, the
//! endpoints, userinfo and scopes; a dry authorization request exactly as a sign-in makes it;
//! the client credentials at the token endpoint; the role mapping; a code host's REST API.
//!
//! Every check asks the provider afresh (nothing cached) through the provider's own HTTP
//! client, so a check sees what a sign-in would: the same time limits, no redirects followed,
//! the same `ca_file`. What a provider answers is summarized and bounded, never echoed whole,
//! and no secret ever appears in a sentence.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use url::Url;

use crate::fetch::{bounded, host_of, why_unreachable};
use crate::provider::{ClaimSource, Provider, ProviderKind};

/// How one check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum CheckStatus {
    /// As it should be.
    Ok,
    /// Sign-in works, but something is missing or doubtful.
    Warning,
    /// Sign-in fails, or does not do what the configuration asks.
    Error,
}

/// What a check looked at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CheckName {
    /// Tessera's own side: the provider's `ca_file`, its client secret in the secret store.
    Setup,
    /// The OpenID discovery document and the signing keys it names.
    Discovery,
    /// The issuer the discovery document names.
    Issuer,
    /// Every endpoint the discovery document names uses https (or http to this computer).
    Endpoints,
    /// The userinfo endpoint.
    Userinfo,
    /// The configured scopes are among those the provider offers.
    Scopes,
    /// The authorization request a sign-in sends the browser with.
    Authorization,
    /// The client id and secret at the token endpoint.
    Client,
    /// What the role mapping needs.
    RoleMapping,
    /// A code host's REST API.
    Api,
}

/// One check: what it looked at, how it came out, and a sentence saying so.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProviderCheck {
    /// What was checked.
    pub check: CheckName,
    /// How it came out.
    pub status: CheckStatus,
    /// One sentence for the person setting the provider up.
    pub detail: String,
}

/// A provider's health: each check in the order a sign-in meets them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProviderHealth {
    /// Provider id.
    pub provider: String,
    /// False when any check is an error.
    pub ok: bool,
    /// The checks.
    pub checks: Vec<ProviderCheck>,
}

impl ProviderHealth {
    fn new(provider: &str, checks: Vec<ProviderCheck>) -> Self {
        let ok = checks.iter().all(|c| c.status != CheckStatus::Error);
        Self { provider: provider.to_owned(), ok, checks }
    }

    /// A report of one failed check, for a provider that cannot even be asked.
    pub fn failed(provider: &str, check: CheckName, detail: String) -> Self {
        Self::new(provider, vec![error(check, detail)])
    }
}

fn ok(check: CheckName, detail: impl Into<String>) -> ProviderCheck {
    ProviderCheck { check, status: CheckStatus::Ok, detail: detail.into() }
}

fn warning(check: CheckName, detail: impl Into<String>) -> ProviderCheck {
    ProviderCheck { check, status: CheckStatus::Warning, detail: detail.into() }
}

fn error(check: CheckName, detail: impl Into<String>) -> ProviderCheck {
    ProviderCheck { check, status: CheckStatus::Error, detail: detail.into() }
}

/// The most of a provider's page or answer that is read.
const PAGE_LIMIT: usize = 64 * 1024;

/// The OAuth endpoints a sign-in uses.
struct Endpoints {
    authorization: String,
    token: Option<String>,
}

/// A code host's endpoints, from the table sign-in uses.
fn code_host_endpoints(p: &Provider) -> Option<Endpoints> {
    let e = crate::oauth::Endpoints::of_code_host(p).ok()?;
    Some(Endpoints { authorization: e.authorization, token: Some(e.token) })
}

/// Runs every check that fits `p`'s kind through `http` (the provider's own client).
/// `secret_problem` says why the client secret could not be read, when it could not.
pub async fn check(p: &Provider, http: &reqwest::Client, secret_problem: Option<&str>) -> ProviderHealth {
    let mut checks = Vec::new();
    if let Some(why) = secret_problem {
        checks
            .push(error(CheckName::Setup, format!("the client secret could not be read from the secret store: {why}")));
    }
    // Once the endpoints are known the remaining requests do not depend on each other: they run
    // at once, so a provider that does not answer costs one time limit, not three.
    let redirect_uri = loopback_redirect();
    let endpoints = if p.kind().is_openid() { oidc_checks(p, http, &mut checks).await } else { code_host_endpoints(p) };
    let api = async {
        match p.kind() {
            ProviderKind::Oidc => None,
            ProviderKind::AzureDevops => Some(azure_api_check(p, http).await),
            _ => Some(api_check(p, http).await),
        }
    };
    let authorization = async {
        match &endpoints {
            Some(e) => Some(authorization_check(p, http, &e.authorization, &redirect_uri).await),
            None => None,
        }
    };
    let client = async {
        match (endpoints.as_ref().and_then(|e| e.token.as_deref()), secret_problem) {
            (Some(token), None) => Some(client_check(p, http, token, &redirect_uri).await),
            _ => None,
        }
    };
    let (api, authorization, client) = tokio::join!(api, authorization, client);
    checks.extend([api, authorization, client].into_iter().flatten());
    if let Some(c) = role_mapping_check(p, &checks) {
        checks.push(c);
    }
    ProviderHealth::new(p.id(), checks)
}

/// A loopback redirect URI as the desktop app and `tessera login` make one (RFC 8252).
fn loopback_redirect() -> String {
    let port =
        std::net::TcpListener::bind(("127.0.0.1", 0)).and_then(|l| l.local_addr()).map(|a| a.port()).unwrap_or(49_152);
    format!("http://127.0.0.1:{port}/callback")
}

/// Discovery, issuer, endpoints, userinfo and scopes; the endpoints to go on with when
/// discovery worked.
async fn oidc_checks(p: &Provider, http: &reqwest::Client, checks: &mut Vec<ProviderCheck>) -> Option<Endpoints> {
    use openidconnect::core::CoreProviderMetadata;
    use openidconnect::IssuerUrl;

    let issuer = p.oidc_issuer().unwrap_or_default();
    let document = format!("{}/.well-known/openid-configuration", issuer.trim_end_matches('/'));
    let issuer_url = match IssuerUrl::new(issuer.to_owned()) {
        Ok(u) => u,
        Err(_) => {
            checks.push(error(CheckName::Discovery, format!("the issuer {issuer:?} is not a URL")));
            return None;
        }
    };
    let meta = match CoreProviderMetadata::discover_async(issuer_url, http).await {
        Ok(m) => m,
        Err(e) => {
            checks.push(discovery_failure(&e, issuer, &document));
            return None;
        }
    };
    checks.push(ok(
        CheckName::Discovery,
        format!(
            "found the discovery document at {document} and {} signing key(s) at its jwks_uri",
            meta.jwks().keys().len()
        ),
    ));
    checks.push(ok(CheckName::Issuer, format!("the discovery document names issuer {issuer}, as configured")));

    let named = [
        ("authorization_endpoint", Some(meta.authorization_endpoint().as_str())),
        ("token_endpoint", meta.token_endpoint().map(|u| u.as_str())),
        ("userinfo_endpoint", meta.userinfo_endpoint().map(|u| u.as_str())),
        ("jwks_uri", Some(meta.jwks_uri().as_str())),
    ];
    let bad: Vec<String> = named
        .iter()
        .filter_map(|(what, url)| {
            let url = (*url)?;
            crate::urls::web_url(&format!("its {what}"), url).err().map(|e| e.to_string())
        })
        .collect();
    checks.push(match (bad.is_empty(), meta.token_endpoint().is_some()) {
        (true, true) => ok(CheckName::Endpoints, "every endpoint the discovery document names uses https"),
        (true, false) => {
            error(CheckName::Endpoints, "the discovery document names no token_endpoint, which the code exchange needs")
        }
        (false, _) => error(CheckName::Endpoints, format!("the discovery document is refused: {}", bad.join("; "))),
    });

    let from_userinfo = p.config.role_claim_source == Some(ClaimSource::Userinfo);
    checks.push(match meta.userinfo_endpoint() {
        Some(u) => ok(CheckName::Userinfo, format!("the provider has a userinfo endpoint at {}", u.as_str())),
        None if from_userinfo => error(
            CheckName::Userinfo,
            "role_claim_source is userinfo, and the provider has no userinfo endpoint: no one would be made admin",
        ),
        None => warning(
            CheckName::Userinfo,
            "the provider has no userinfo endpoint: claims not in the ID token will be missing",
        ),
    });

    let offered: Option<Vec<&str>> = meta.scopes_supported().map(|s| s.iter().map(|s| s.as_str()).collect());
    let mut wanted = p.scopes();
    if p.kind() == ProviderKind::AzureDevops {
        // Entra ID lists only the OpenID scopes; a resource's scope (`{app id}/.default`) is
        // judged by the authorization check.
        wanted.retain(|s| !s.contains('/'));
    }
    checks.push(scopes_check(&wanted, offered.as_deref()));

    Some(Endpoints {
        authorization: meta.authorization_endpoint().as_str().to_owned(),
        token: meta.token_endpoint().map(|u| u.as_str().to_owned()),
    })
}

type Discovery = openidconnect::DiscoveryError<openidconnect::HttpClientError<reqwest::Error>>;

/// What a failed discovery means for the person who configured the issuer.
fn discovery_failure(e: &Discovery, issuer: &str, document: &str) -> ProviderCheck {
    use openidconnect::{DiscoveryError as D, HttpClientError as H};
    match e {
        D::Request(H::Reqwest(re)) => error(
            CheckName::Discovery,
            format!("the issuer cannot be reached: {}", why_unreachable(re.as_ref(), document)),
        ),
        D::Request(other) => {
            error(CheckName::Discovery, format!("the issuer could not be asked: {}", bounded(&other.to_string())))
        }
        D::Response(status, _, what) if what.contains(".well-known/openid-configuration") => {
            let s = status.as_u16();
            let detail = match s {
                404 => format!(
                    "{document} answers 404 Not Found: the issuer URL looks wrong. It is the provider's URL before \
                     /.well-known/openid-configuration (for Keycloak, https://HOST/realms/REALM)"
                ),
                300..=399 => format!(
                    "{document} answers a redirect (HTTP {s}) instead of the document, and Tessera follows none: set \
                     issuer to exactly the URL the provider names itself by"
                ),
                200 => format!("{document} does not answer JSON ({})", bounded(what)),
                _ => format!("{document} answers HTTP {s} instead of the discovery document"),
            };
            error(CheckName::Discovery, detail)
        }
        D::Response(status, _, what) => error(
            CheckName::Discovery,
            format!(
                "the provider's signing keys (the discovery document's jwks_uri) could not be read: HTTP {} ({})",
                status.as_u16(),
                bounded(what)
            ),
        ),
        D::Parse(p) => error(
            CheckName::Discovery,
            format!(
                "the discovery document at {document}, or the key set it names, is not what OpenID Connect \
                 describes: {} ({})",
                bounded(&p.path().to_string()),
                bounded(&p.inner().to_string())
            ),
        ),
        D::Validation(why) => error(
            CheckName::Issuer,
            format!(
                "the discovery document names another issuer than {issuer} ({}); set issuer to exactly the one the \
                 provider names, trailing slash and all",
                bounded(why)
            ),
        ),
        D::UrlParse(_) => {
            error(CheckName::Discovery, format!("the issuer {issuer:?} cannot be extended to {document}"))
        }
        D::Other(why) => error(CheckName::Discovery, format!("discovery failed: {}", bounded(why))),
        _ => error(CheckName::Discovery, format!("discovery failed: {}", bounded(&e.to_string()))),
    }
}

/// The configured scopes against those the provider lists, when it lists them.
fn scopes_check(wanted: &[String], offered: Option<&[&str]>) -> ProviderCheck {
    let Some(offered) = offered else {
        return ok(
            CheckName::Scopes,
            "the provider does not list the scopes it offers; the authorization check shows whether it accepts them",
        );
    };
    let missing: Vec<&str> = wanted.iter().map(String::as_str).filter(|w| !offered.contains(w)).collect();
    if missing.is_empty() {
        return ok(CheckName::Scopes, format!("the provider offers every scope asked for ({})", wanted.join(" ")));
    }
    let mut listed: Vec<&str> = offered.iter().copied().take(20).collect();
    if offered.len() > 20 {
        listed.push("…");
    }
    error(
        CheckName::Scopes,
        format!(
            "the provider does not offer the scope{} {} (it offers {}); remove {} from scopes or enable {} at the provider",
            if missing.len() == 1 { "" } else { "s" },
            missing.join(", "),
            bounded(&listed.join(" ")),
            if missing.len() == 1 { "it" } else { "them" },
            if missing.len() == 1 { "it" } else { "them" },
        ),
    )
}

/// A code host's REST API answers at all.
async fn api_check(p: &Provider, http: &reqwest::Client) -> ProviderCheck {
    // Gitea answers its API root with 404; its version endpoint answers anyone.
    let url = if p.kind() == ProviderKind::Gitea { format!("{}/version", p.api_url()) } else { p.api_url() };
    let res = http
        .get(&url)
        .header(reqwest::header::ACCEPT, "application/json")
        .header(reqwest::header::USER_AGENT, concat!("tessera/", env!("CARGO_PKG_VERSION")))
        .send()
        .await;
    match res {
        Ok(r) => ok(CheckName::Api, format!("the REST API at {url} answers (HTTP {})", r.status().as_u16())),
        Err(e) => error(CheckName::Api, format!("the REST API cannot be reached: {}", why_unreachable(&e, &url))),
    }
}

/// Each configured Azure DevOps organization answers at its connection-data endpoint, which
/// Azure DevOps serves without a token.
async fn azure_api_check(p: &Provider, http: &reqwest::Client) -> ProviderCheck {
    let base = p.api_url();
    let mut missing = Vec::new();
    for org in &p.config.organizations {
        let url = format!("{base}/{org}/_apis/connectionData");
        let res = http
            .get(&url)
            .header(reqwest::header::ACCEPT, "application/json")
            .header("X-TFS-FedAuthRedirect", "Suppress")
            .header(reqwest::header::USER_AGENT, concat!("tessera/", env!("CARGO_PKG_VERSION")))
            .send()
            .await;
        match res {
            Ok(r) if r.status().as_u16() == 404 => missing.push(org.as_str()),
            Ok(_) => {}
            Err(e) => {
                return error(CheckName::Api, format!("Azure DevOps cannot be reached: {}", why_unreachable(&e, &url)))
            }
        }
    }
    if missing.is_empty() {
        ok(
            CheckName::Api,
            format!("Azure DevOps at {base} knows the organization(s) {}", p.config.organizations.join(", ")),
        )
    } else {
        error(
            CheckName::Api,
            format!("Azure DevOps at {base} has no organization named {}: check organizations", missing.join(", ")),
        )
    }
}

/// Sends the authorization request exactly as a sign-in builds it and reads where the
/// provider would send the browser.
async fn authorization_check(
    p: &Provider,
    http: &reqwest::Client,
    endpoint: &str,
    redirect_uri: &str,
) -> ProviderCheck {
    let mut url = match crate::urls::web_url("the authorization endpoint", endpoint) {
        Ok(u) => u,
        Err(e) => return error(CheckName::Authorization, e.to_string()),
    };
    let (challenge, _verifier) = openidconnect::PkceCodeChallenge::new_random_sha256();
    let state = openidconnect::CsrfToken::new_random();
    {
        let mut q = url.query_pairs_mut();
        q.append_pair("response_type", "code")
            .append_pair("client_id", &p.config.client_id)
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("scope", &p.scopes().join(" "))
            .append_pair("state", state.secret())
            .append_pair("code_challenge", challenge.as_str())
            .append_pair("code_challenge_method", "S256");
        if p.kind().is_openid() {
            q.append_pair("nonce", openidconnect::Nonce::new_random().secret());
        }
    }
    let res = match http.get(url.clone()).send().await {
        Ok(r) => r,
        Err(e) => {
            return error(
                CheckName::Authorization,
                format!("the authorization endpoint cannot be reached: {}", why_unreachable(&e, endpoint)),
            )
        }
    };
    let status = res.status().as_u16();
    let location =
        res.headers().get(reqwest::header::LOCATION).and_then(|l| l.to_str().ok()).and_then(|l| url.join(l).ok());
    let text = res
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("text/plain") || t.starts_with("application/json"));
    let body = match crate::fetch::read_limited(res, PAGE_LIMIT).await {
        Ok(b) => String::from_utf8_lossy(&b).into_owned(),
        Err(_) => String::new(),
    };
    classify_authorization(p, redirect_uri, status, location.as_ref(), &body, text)
}

/// What the provider's answer to the authorization request means.
fn classify_authorization(
    p: &Provider,
    redirect_uri: &str,
    status: u16,
    location: Option<&Url>,
    body: &str,
    plain: bool,
) -> ProviderCheck {
    let client_id = &p.config.client_id;
    let allowed = "http://127.0.0.1:PORT/callback (any port, RFC 8252)";
    if (300..400).contains(&status) {
        let Some(to) = location else {
            return warning(
                CheckName::Authorization,
                format!("the provider answered a redirect (HTTP {status}) to nowhere"),
            );
        };
        let back = to.as_str().split(['?', '#']).next() == Some(redirect_uri);
        if !back {
            return ok(
                CheckName::Authorization,
                format!(
                    "the provider accepts client id {client_id} and the loopback redirect URI, and sends people to \
                     its sign-in page at {}",
                    host_of(to.as_str())
                ),
            );
        }
        let q: std::collections::HashMap<String, String> = to.query_pairs().into_owned().collect();
        let description = q.get("error_description").map(|d| bounded(d)).unwrap_or_default();
        let said = if description.is_empty() { String::new() } else { format!(" (it says: {description})") };
        return match q.get("error").map(String::as_str) {
            None => ok(
                CheckName::Authorization,
                format!("the provider accepts client id {client_id} and sends the browser straight back with a code"),
            ),
            Some("invalid_client" | "unauthorized_client") => error(
                CheckName::Authorization,
                format!("the provider does not know client id {client_id}, or does not let it sign people in{said}"),
            ),
            Some("invalid_scope") => error(
                CheckName::Authorization,
                format!(
                    "the provider refuses a scope Tessera asks for ({}){said}; remove it from scopes or enable it at \
                     the provider",
                    p.scopes().join(" ")
                ),
            ),
            Some(code) => error(
                CheckName::Authorization,
                format!("the provider refuses the sign-in request with {}{said}", bounded(code)),
            ),
        };
    }
    let lower = body.to_ascii_lowercase();
    let says = |words: &[&str]| words.iter().any(|w| lower.contains(w));
    let unknown_client =
        says(&["invalid_client", "unauthorized_client", "unknown client", "client not found", "unknown_client"]);
    let bad_redirect = says(&["invalid_redirect_uri", "redirect_uri_mismatch", "invalid parameter: redirect_uri"]);
    let quoted = if plain {
        let said = serde_json::from_str::<Value>(body)
            .ok()
            .and_then(|v| {
                v.get("error_description").or_else(|| v.get("error")).and_then(Value::as_str).map(str::to_owned)
            })
            .unwrap_or_else(|| body.to_owned());
        let said = bounded(&said);
        if said.is_empty() {
            String::new()
        } else {
            format!(" (it says: {said})")
        }
    } else {
        String::new()
    };
    if (200..300).contains(&status) {
        if unknown_client || bad_redirect {
            return error(
                CheckName::Authorization,
                format!(
                    "the provider shows an error page for the sign-in request{quoted}: check client id {client_id} and \
                     that it allows the redirect URI {allowed}"
                ),
            );
        }
        return ok(
            CheckName::Authorization,
            format!("the provider accepts client id {client_id} and shows its sign-in page"),
        );
    }
    if (400..500).contains(&status) {
        let why = match (unknown_client, bad_redirect) {
            (true, _) => format!("it does not know client id {client_id}"),
            (false, true) => format!("it does not allow the redirect URI: let client {client_id} use {allowed}"),
            (false, false) => format!(
                "check that client id {client_id} is right and that the provider allows the redirect URI {allowed}"
            ),
        };
        return error(
            CheckName::Authorization,
            format!("the provider refuses the sign-in request with HTTP {status}{quoted}: {why}"),
        );
    }
    error(CheckName::Authorization, format!("the provider answers the sign-in request with HTTP {status}{quoted}"))
}

/// Presents the client id (and secret) at the token endpoint with a made-up code: refusing the
/// code means the client was accepted.
async fn client_check(p: &Provider, http: &reqwest::Client, endpoint: &str, redirect_uri: &str) -> ProviderCheck {
    if let Err(e) = crate::urls::web_url("the token endpoint", endpoint) {
        return error(CheckName::Client, e.to_string());
    }
    let (_, verifier) = openidconnect::PkceCodeChallenge::new_random_sha256();
    let code = format!("tessera-provider-test-{}", openidconnect::CsrfToken::new_random().secret());
    let mut form = vec![
        ("grant_type", "authorization_code".to_owned()),
        ("code", code),
        ("redirect_uri", redirect_uri.to_owned()),
        ("code_verifier", verifier.secret().to_owned()),
        ("client_id", p.config.client_id.clone()),
    ];
    if let Some(secret) = &p.client_secret {
        form.push(("client_secret", secret.expose().to_owned()));
    }
    let res = http.post(endpoint).header(reqwest::header::ACCEPT, "application/json").form(&form).send().await;
    let res = match res {
        Ok(r) => r,
        Err(e) => {
            return error(
                CheckName::Client,
                format!("the token endpoint cannot be reached: {}", why_unreachable(&e, endpoint)),
            )
        }
    };
    let status = res.status().as_u16();
    let body = crate::fetch::read_limited(res, PAGE_LIMIT).await.unwrap_or_default();
    let mut answer = serde_json::from_slice::<Value>(&body).ok().or_else(|| {
        serde_urlencoded::from_bytes::<Vec<(String, String)>>(&body)
            .ok()
            .map(|pairs| Value::Object(pairs.into_iter().map(|(k, v)| (k, Value::String(v))).collect()))
    });
    // Gitea and Forgejo refuse a code they do not know with `unauthorized_client` (and a client
    // they do not know with `invalid_client`): there it is the code's refusal.
    if let (ProviderKind::Gitea, Some(Value::Object(a))) = (p.kind(), answer.as_mut()) {
        if a.get("error").and_then(Value::as_str) == Some("unauthorized_client") {
            a.insert("error".into(), Value::String("invalid_grant".into()));
        }
    }
    classify_token_answer(&p.config.client_id, p.client_secret.is_some(), status, answer.as_ref())
}

/// What the token endpoint's answer to a made-up code says about the client credentials.
fn classify_token_answer(client_id: &str, has_secret: bool, status: u16, answer: Option<&Value>) -> ProviderCheck {
    let field = |k: &str| answer.and_then(|a| a.get(k)).and_then(Value::as_str).map(bounded);
    let code = field("error");
    let said = field("error_description").map(|d| format!(" (it says: {d})")).unwrap_or_default();
    let refused = || {
        if has_secret {
            error(
                CheckName::Client,
                format!(
                    "the token endpoint does not accept client id {client_id} with the configured secret{said}: the \
                     client secret is wrong or missing, or belongs to another client"
                ),
            )
        } else {
            error(
                CheckName::Client,
                format!(
                    "the token endpoint refuses client id {client_id} without a secret{said}: the client id is wrong, \
                     or the client secret is wrong or missing"
                ),
            )
        }
    };
    match code.as_deref() {
        Some("invalid_grant" | "bad_verification_code") => ok(
            CheckName::Client,
            if has_secret {
                format!("the token endpoint accepts client id {client_id} and its secret (it refused only a made-up code)")
            } else {
                format!("the token endpoint accepts client id {client_id} as a public client (it refused only a made-up code)")
            },
        ),
        Some("invalid_client" | "unauthorized_client" | "incorrect_client_credentials") => refused(),
        Some(other) => warning(
            CheckName::Client,
            format!("the token endpoint answered {other}{said} to a made-up code, so the client could not be confirmed"),
        ),
        None if status == 401 => refused(),
        None if (200..300).contains(&status) => warning(
            CheckName::Client,
            "the token endpoint answered a made-up code without an error, so the client could not be confirmed",
        ),
        None => warning(
            CheckName::Client,
            format!("the token endpoint answered HTTP {status} without an OAuth error, so the client could not be confirmed"),
        ),
    }
}

/// What the role mapping needs: scopes for code hosts' APIs, the provider's keys for access
/// tokens. None when no role mapping is configured.
fn role_mapping_check(p: &Provider, done: &[ProviderCheck]) -> Option<ProviderCheck> {
    let c = &p.config;
    let scopes = p.scopes();
    let has = |s: &str| scopes.iter().any(|x| x == s);
    if let (Some(team), ProviderKind::Gitea) = (&c.admin_team, p.kind()) {
        return Some(if has("read:organization") || has("write:organization") {
            ok(
                CheckName::RoleMapping,
                format!("members of the team {team} are admin; read:organization lets Tessera read that"),
            )
        } else {
            error(
                CheckName::RoleMapping,
                format!(
                    "admin_team reads membership of {team} through Gitea's API, which needs the read:organization \
                     scope: add read:organization to scopes"
                ),
            )
        });
    }
    if let Some(team) = &c.admin_team {
        return Some(if has("read:org") {
            ok(CheckName::RoleMapping, format!("members of the team {team} are admin; read:org lets Tessera read that"))
        } else {
            error(
                CheckName::RoleMapping,
                format!(
                    "admin_team reads membership of {team} through GitHub's API, which needs the read:org scope: add \
                     read:org to scopes"
                ),
            )
        });
    }
    if let Some(group) = &c.admin_group {
        return Some(if has("read_api") || has("api") {
            let level = c.admin_access_level.unwrap_or(30);
            ok(CheckName::RoleMapping, format!("members of {group} with access level {level} or more are admin"))
        } else {
            error(
                CheckName::RoleMapping,
                format!(
                    "admin_group reads membership of {group} through GitLab's API, which needs the read_api (or api) \
                     scope: add read_api to scopes"
                ),
            )
        });
    }
    let (claim, value) = (c.role_claim.as_deref()?, c.admin_value.as_deref().unwrap_or(""));
    let discovered = done.iter().any(|d| d.check == CheckName::Discovery && d.status == CheckStatus::Ok);
    Some(match c.role_claim_source {
        Some(ClaimSource::AccessToken) if !discovered => error(
            CheckName::RoleMapping,
            "role_claim_source access_token needs the provider's signing keys (JWKS) from discovery, which failed",
        ),
        Some(ClaimSource::AccessToken) => ok(
            CheckName::RoleMapping,
            format!(
                "{value:?} in claim {claim} of the access token means admin; the access token is checked with the \
                 provider's signing keys"
            ),
        ),
        Some(ClaimSource::Userinfo) => {
            ok(CheckName::RoleMapping, format!("{value:?} in claim {claim} of the userinfo answer means admin"))
        }
        Some(ClaimSource::IdToken) => {
            ok(CheckName::RoleMapping, format!("{value:?} in claim {claim} of the ID token means admin"))
        }
        None => ok(
            CheckName::RoleMapping,
            format!("{value:?} in claim {claim} (of the ID token, else the userinfo answer) means admin"),
        ),
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::provider::parse_file;

    fn provider(extra: &str) -> Provider {
        let text = format!("[[provider]]\nid = \"p\"\nclient_id = \"cid\"\n{extra}");
        parse_file(&text).unwrap().pop().unwrap()
    }

    fn gh() -> Provider {
        provider("kind = \"github\"\nbase_url = \"https://git.example\"")
    }

    const BACK: &str = "http://127.0.0.1:5000/callback";

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn redirects_back_with_an_error_name_the_problem() {
        let p = gh();
        let c = classify_authorization(
            &p,
            BACK,
            302,
            Some(&url(&format!("{BACK}?error=invalid_client&state=x"))),
            "",
            false,
        );
        assert_eq!(c.status, CheckStatus::Error);
        assert!(c.detail.contains("does not know client id cid"), "{}", c.detail);
        let c = classify_authorization(
            &p,
            BACK,
            303,
            Some(&url(&format!("{BACK}?error=invalid_scope&error_description=scope%20x%20is%20unknown"))),
            "",
            false,
        );
        assert_eq!(c.status, CheckStatus::Error);
        assert!(c.detail.contains("scope x is unknown") && c.detail.contains("repo"), "{}", c.detail);
        let long = "a".repeat(5000);
        let c = classify_authorization(
            &p,
            BACK,
            302,
            Some(&url(&format!("{BACK}?error=weird&error_description={long}"))),
            "",
            false,
        );
        assert!(c.status == CheckStatus::Error && c.detail.len() < 400, "provider text is bounded: {}", c.detail.len());
        let c = classify_authorization(&p, BACK, 302, Some(&url(&format!("{BACK}?code=abc&state=x"))), "", false);
        assert_eq!(c.status, CheckStatus::Ok);
    }

    #[test]
    fn a_login_page_is_ok_and_a_refusal_page_says_what_to_check() {
        let p = gh();
        let login = classify_authorization(&p, BACK, 302, Some(&url("https://idp.example/interaction/abc")), "", false);
        assert_eq!(login.status, CheckStatus::Ok, "{}", login.detail);
        assert!(login.detail.contains("idp.example"));
        assert_eq!(classify_authorization(&p, BACK, 200, None, "<form>sign in</form>", false).status, CheckStatus::Ok);
        let page = classify_authorization(&p, BACK, 400, None, "<h1>oops</h1><p>invalid_client</p>", false);
        assert_eq!(page.status, CheckStatus::Error);
        assert!(
            page.detail.contains("does not know client id cid") && !page.detail.contains("<h1>"),
            "{}",
            page.detail
        );
        let text = classify_authorization(&p, BACK, 404, None, "Unknown client_id.", true);
        assert!(
            text.detail.contains("it says: Unknown client_id.") && text.detail.contains("client id cid"),
            "{}",
            text.detail
        );
        let redirect = classify_authorization(&p, BACK, 400, None, "Invalid parameter: redirect_uri", false);
        assert!(redirect.detail.contains("does not allow the redirect URI"), "{}", redirect.detail);
        let other = classify_authorization(&p, BACK, 400, None, "", false);
        assert!(
            other.detail.contains("client id cid is right") && other.detail.contains("redirect URI"),
            "{}",
            other.detail
        );
        let error_page = classify_authorization(&p, BACK, 200, None, "AADSTS: error=unauthorized_client", false);
        assert_eq!(error_page.status, CheckStatus::Error);
    }

    #[test]
    fn token_answers_to_a_made_up_code_judge_the_client() {
        let accepted = classify_token_answer("cid", true, 400, Some(&json!({"error": "invalid_grant"})));
        assert_eq!(accepted.status, CheckStatus::Ok);
        let github = classify_token_answer("cid", true, 200, Some(&json!({"error": "bad_verification_code"})));
        assert_eq!(github.status, CheckStatus::Ok);
        for (status, answer) in [
            (401, Some(json!({"error": "invalid_client"}))),
            (200, Some(json!({"error": "incorrect_client_credentials"}))),
            (400, Some(json!({"error": "unauthorized_client"}))),
            (401, None),
        ] {
            let c = classify_token_answer("cid", true, status, answer.as_ref());
            assert_eq!(c.status, CheckStatus::Error, "{answer:?}");
            assert!(c.detail.contains("client secret is wrong or missing"), "{}", c.detail);
        }
        let public = classify_token_answer("cid", false, 401, Some(&json!({"error": "invalid_client"})));
        assert!(public.detail.contains("without a secret"), "{}", public.detail);
        let odd = classify_token_answer("cid", true, 500, None);
        assert_eq!(odd.status, CheckStatus::Warning);
    }

    #[test]
    fn scopes_the_provider_does_not_offer_are_named() {
        let wanted = vec!["openid".to_owned(), "groups".to_owned(), "offline_access".to_owned()];
        let c = scopes_check(&wanted, Some(&["openid", "offline_access", "email"]));
        assert_eq!(c.status, CheckStatus::Error);
        assert!(c.detail.contains("scope groups (it offers openid offline_access email)"), "{}", c.detail);
        assert_eq!(scopes_check(&wanted, Some(&["openid", "groups", "offline_access"])).status, CheckStatus::Ok);
        assert_eq!(scopes_check(&wanted, None).status, CheckStatus::Ok);
    }

    #[test]
    fn role_mappings_need_their_scopes() {
        let team = provider("kind = \"github\"\nadmin_team = \"acme/admins\"");
        let c = role_mapping_check(&team, &[]);
        assert!(c.as_ref().is_some_and(|c| c.status == CheckStatus::Error && c.detail.contains("read:org")), "{c:?}");
        let team = provider("kind = \"github\"\nadmin_team = \"acme/admins\"\nscopes = [\"read:user\", \"read:org\"]");
        assert_eq!(role_mapping_check(&team, &[]).map(|c| c.status), Some(CheckStatus::Ok));
        let group = provider("kind = \"gitlab\"\nadmin_group = \"acme/admins\"\nscopes = [\"read_user\"]");
        assert_eq!(role_mapping_check(&group, &[]).map(|c| c.status), Some(CheckStatus::Error));
        let group = provider("kind = \"gitlab\"\nadmin_group = \"acme/admins\"");
        assert_eq!(role_mapping_check(&group, &[]).map(|c| c.status), Some(CheckStatus::Ok), "read_api is a default");
        let access = provider(
            "kind = \"oidc\"\nissuer = \"https://i.example\"\nrole_claim = \"roles\"\nadmin_value = \"a\"\nrole_claim_source = \"access_token\"",
        );
        assert_eq!(role_mapping_check(&access, &[]).map(|c| c.status), Some(CheckStatus::Error));
        let discovered = [ok(CheckName::Discovery, "")];
        assert_eq!(role_mapping_check(&access, &discovered).map(|c| c.status), Some(CheckStatus::Ok));
        assert_eq!(role_mapping_check(&gh(), &[]), None);
    }

    #[tokio::test]
    async fn a_closed_port_is_a_refused_connection_named_by_host() {
        let port =
            std::net::TcpListener::bind(("127.0.0.1", 0)).and_then(|l| l.local_addr()).map(|a| a.port()).unwrap_or(1);
        let target = format!("http://127.0.0.1:{port}/x?client_secret=s3cret");
        let e = reqwest::get(&target).await.err();
        let why = e.map(|e| why_unreachable(&e, &target)).unwrap_or_default();
        assert!(why.contains(&format!("127.0.0.1:{port} refused the connection")), "{why}");
        assert!(!why.contains("s3cret"), "{why}");
    }
}
