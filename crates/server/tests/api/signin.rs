//! Sign-in against real peers: the `oidc-provider` package over HTTPS with a test CA, and local
//! servers speaking GitHub's and GitLab's documented OAuth and REST endpoints (tests/idp), with
//! code-host tokens in a real gnome-keyring on a private D-Bus session
//! (tests/keyring/with-keyring.sh, which `make test` runs this suite under).

use std::io::{BufRead, BufReader};
use std::process::{ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use chrono::Utc;
use serde_json::{json, Value};
use tessera_auth::flow::{authorization_url, AuthRequest, Loopback};
use tessera_auth::oidc::OidcCache;
use tessera_auth::{AuthError, KeyringStore, MemoryStore, ProviderInfo};

use tessera_core::store::SealedStore;

use crate::at_rest::store_holds;
use crate::harness::Server;

pub(crate) struct Idp {
    pub(crate) ready: Value,
    _stdin: Mutex<ChildStdin>,
    _child: Mutex<std::process::Child>,
    _dir: tempfile::TempDir,
}

/// The local identity providers shared by the suite, started once; they exit when this process
/// does (their stdin closes). Tests that change a provider for everyone use [`private_idp`].
pub(crate) fn idp() -> &'static Idp {
    static IDP: OnceLock<Idp> = OnceLock::new();
    IDP.get_or_init(private_idp)
}

/// A set of identity providers for one test alone.
pub(crate) fn private_idp() -> Idp {
    {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/idp");
        assert!(
            root.join("node_modules/oidc-provider").exists(),
            "tests/idp is not installed: run `npm ci` in tests/idp (make test does)"
        );
        let dir = tempfile::tempdir().unwrap();
        let mut child = Command::new("node")
            .arg(root.join("start.mjs"))
            .args(["--dir", dir.path().to_str().unwrap(), "--exit-with-stdin"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("node runs tests/idp/start.mjs");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let ready: Value = serde_json::from_str(&line).expect("start.mjs prints its ready line");
        let stdin = child.stdin.take().unwrap();
        Idp { ready, _stdin: Mutex::new(stdin), _child: Mutex::new(child), _dir: dir }
    }
}

pub(crate) fn providers_toml() -> String {
    providers_toml_for(idp())
}

pub(crate) fn providers_toml_for(idp: &Idp) -> String {
    let r = &idp.ready;
    let s = |a: &str, b: &str| r[a][b].as_str().unwrap().to_owned();
    format!(
        r#"
[[provider]]
id = "kc"
kind = "oidc"
name = "Company SSO"
issuer = "{issuer}"
client_id = "tessera"
scopes = ["openid", "profile", "email", "groups", "offline_access"]
role_claim = "groups"
admin_value = "tessera-admins"
ca_file = "{ca}"

[[provider]]
id = "gh"
kind = "github"
base_url = "{gh}"
client_id = "{gh_id}"
client_secret = "{gh_secret}"
ca_file = "{ca}"

[[provider]]
id = "gl"
kind = "gitlab"
base_url = "{gl}"
client_id = "{gl_id}"
client_secret = "{gl_secret}"
ca_file = "{ca}"

[[provider]]
id = "thin"
kind = "oidc"
name = "Thin SSO"
issuer = "{thin}"
client_id = "tessera"
scopes = ["openid", "profile", "email", "groups", "offline_access"]
role_claim = "groups"
admin_value = "tessera-admins"
ca_file = "{ca}"

[[provider]]
id = "keycloak"
kind = "oidc"
name = "Keycloak"
issuer = "{keycloak}"
client_id = "tessera"
scopes = ["openid", "profile", "email", "offline_access"]
role_claim = "realm_access.roles"
role_claim_source = "access_token"
admin_value = "tessera-admins"
ca_file = "{ca}"

[[provider]]
id = "ghteam"
kind = "github"
name = "GitHub (teams)"
base_url = "{gh}"
client_id = "{gh_id}"
client_secret = "{gh_secret}"
scopes = ["read:user", "user:email", "repo", "read:org"]
admin_team = "acme/platform-admins"
ca_file = "{ca}"

[[provider]]
id = "glgroup"
kind = "gitlab"
name = "GitLab (groups)"
base_url = "{gl}"
client_id = "{gl_id}"
client_secret = "{gl_secret}"
admin_group = "acme/admins"
admin_access_level = 40
ca_file = "{ca}"

[[provider]]
id = "bb"
kind = "bitbucket"
base_url = "{bb}"
api_url = "{bb_api}"
client_id = "{bb_id}"
client_secret = "{bb_secret}"
ca_file = "{ca}"
"#,
        issuer = s("oidc", "issuer"),
        thin = s("oidc_thin", "issuer"),
        keycloak = s("oidc_keycloak", "issuer"),
        ca = r["ca_file"].as_str().unwrap(),
        gh = s("github", "base_url"),
        gh_id = s("github", "client_id"),
        gh_secret = s("github", "client_secret"),
        gl = s("gitlab", "base_url"),
        gl_id = s("gitlab", "client_id"),
        gl_secret = s("gitlab", "client_secret"),
        bb = s("bitbucket", "base_url"),
        bb_api = s("bitbucket", "api_url"),
        bb_id = s("bitbucket", "client_id"),
        bb_secret = s("bitbucket", "client_secret"),
    )
}

/// A real keyring, with a namespace of its own so tests running at once do not meet.
pub(crate) fn keyring() -> Arc<KeyringStore> {
    assert_eq!(
        std::env::var("TESSERA_TEST_KEYRING").as_deref(),
        Ok("1"),
        "the sign-in tests need a real keyring: run them under tests/keyring/with-keyring.sh (make test does)"
    );
    let ns = format!("test-{}", tessera_core::id::random_base62(10).unwrap());
    Arc::new(KeyringStore::connect(&ns).expect("the private keyring answers"))
}

pub(crate) async fn start() -> (Server, Arc<tessera_auth::SignIn>, Arc<KeyringStore>) {
    let kr = keyring();
    let (s, si) = Server::start_with_sign_in(&providers_toml(), kr.clone()).await;
    (s, si, kr)
}

pub(crate) async fn control(path: &str, body: Value) -> Value {
    control_of(idp(), path, body).await
}

pub(crate) async fn control_of(idp: &Idp, path: &str, body: Value) -> Value {
    let url = format!("{}{path}", idp.ready["control"].as_str().unwrap());
    reqwest::Client::new().post(url).json(&body).send().await.unwrap().json().await.unwrap_or(Value::Null)
}

async fn stats() -> Value {
    let url = format!("{}/stats", idp().ready["control"].as_str().unwrap());
    reqwest::get(url).await.unwrap().json().await.unwrap()
}

/// A browser with a cookie jar that trusts the test CA and does not follow redirects.
fn browser() -> reqwest::Client {
    browser_for(idp())
}

/// A browser that trusts the test CA of `idp`.
fn browser_for(idp: &Idp) -> reqwest::Client {
    let ca = std::fs::read(idp.ready["ca_file"].as_str().unwrap()).unwrap();
    reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(&ca).unwrap())
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// A code grant as the desktop app or `tessera login` sends it.
pub(crate) struct Grant {
    pub(crate) body: Value,
}

async fn provider_info(s: &Server, id: &str) -> ProviderInfo {
    let list: Vec<ProviderInfo> =
        s.http.get(format!("{}/api/v1/providers", s.base)).send().await.unwrap().json().await.unwrap();
    list.into_iter().find(|p| p.id == id).unwrap()
}

/// Goes through the provider's pages as a person would, without a browser: the code-host
/// stand-ins sign in whoever `login` names; the OpenID provider shows its login and consent
/// forms, which are filled in.
async fn drive(b: &reqwest::Client, url: &str, login: &str, callback: &str) -> String {
    let mut next = url.to_owned();
    for _ in 0..12 {
        if next.starts_with(callback) {
            return next;
        }
        let res = b.get(&next).send().await.unwrap();
        let here = res.url().clone();
        let status = res.status().as_u16();
        let location = res.headers().get("location").map(|l| l.to_str().unwrap().to_owned());
        let page = res.text().await.unwrap();
        next = match location {
            Some(l) => here.join(&l).unwrap().to_string(),
            // Under an issuer with a path (Entra's `/{tenant}/v2.0`) the pages are beneath it.
            None if here.path().contains("/interaction/") => {
                let form: Vec<(&str, &str)> = if page.contains("value=\"login\"") {
                    vec![("prompt", "login"), ("login", login), ("password", "x")]
                } else {
                    vec![("prompt", "consent")]
                };
                let res = b.post(here.clone()).form(&form).send().await.unwrap();
                let l = res
                    .headers()
                    .get("location")
                    .expect("the form answers with a redirect")
                    .to_str()
                    .unwrap()
                    .to_owned();
                here.join(&l).unwrap().to_string()
            }
            None => panic!("stuck at {here} ({status}): {page:.300}"),
        };
    }
    panic!("too many redirects from {url}")
}

/// Runs the browser half of a sign-in: returns the grant the client would post.
pub(crate) async fn browser_sign_in(s: &Server, provider: &str, login: &str) -> Grant {
    browser_sign_in_at(s, provider, login, idp()).await
}

/// [`browser_sign_in`] with a browser that trusts the CA of `at`.
pub(crate) async fn browser_sign_in_at(s: &Server, provider: &str, login: &str, at: &Idp) -> Grant {
    let info = provider_info(s, provider).await;
    let req = AuthRequest::new().unwrap();
    let lb = Loopback::bind().await.unwrap();
    let redirect_uri = lb.redirect_uri().to_owned();
    let mut url = authorization_url(&info, &redirect_uri, &req).unwrap();
    // The code-host stand-ins sign in whoever `login` names; OpenID providers show forms.
    if !info.kind.is_openid() {
        url.push_str(&format!("&login={login}"));
    }
    let state = req.state.clone();
    let waiting = tokio::spawn(lb.wait_owned(state));
    let callback = drive(&browser_for(at), &url, login, &redirect_uri).await;
    let page = reqwest::get(&callback).await.unwrap();
    assert_eq!(page.status().as_u16(), 200, "the loopback listener thanks the browser");
    let code = waiting.await.unwrap().unwrap();
    Grant {
        body: json!({
            "provider": provider,
            "code": code.expose(),
            "code_verifier": req.code_verifier.expose(),
            "redirect_uri": redirect_uri,
            "nonce": req.nonce,
        }),
    }
}

pub(crate) async fn sign_in(s: &Server, provider: &str, login: &str) -> Value {
    sign_in_at(s, provider, login, idp()).await
}

/// [`sign_in`] through the providers of `at`.
pub(crate) async fn sign_in_at(s: &Server, provider: &str, login: &str, at: &Idp) -> Value {
    let g = browser_sign_in_at(s, provider, login, at).await;
    s.call(reqwest::Method::POST, "/api/v1/sessions", None, Some(g.body)).await.expect(201)
}

/// Exchanges a grant's code at an OpenID provider directly, as the public client, for the
/// provider's own token answer.
pub(crate) async fn redeem_at_provider(issuer: &str, g: &Grant) -> Value {
    let b = browser();
    let disc: Value =
        b.get(format!("{issuer}/.well-known/openid-configuration")).send().await.unwrap().json().await.unwrap();
    b.post(disc["token_endpoint"].as_str().unwrap())
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", g.body["code"].as_str().unwrap()),
            ("redirect_uri", g.body["redirect_uri"].as_str().unwrap()),
            ("code_verifier", g.body["code_verifier"].as_str().unwrap()),
            ("client_id", "tessera"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// The claims of a JWT, read without any check (for looking at what a provider put there).
pub(crate) fn jwt_claims(jwt: &str) -> Value {
    use base64::Engine;
    let part = jwt.split('.').nth(1).unwrap();
    serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

/// What a provider's token endpoint answers the public client `tessera` presenting `refresh`:
/// how a test sees whether a refresh token is still good.
pub(crate) async fn refresh_grant(b: &reqwest::Client, token_endpoint: &str, refresh: &str) -> Value {
    let form = [("grant_type", "refresh_token"), ("refresh_token", refresh), ("client_id", "tessera")];
    b.post(token_endpoint).form(&form).send().await.unwrap().json().await.unwrap()
}

pub(crate) fn token_of(session: &Value) -> String {
    session["token"].as_str().unwrap().to_owned()
}

pub(crate) fn secret_tool_lookup(kr: &KeyringStore, key: &str) -> Option<String> {
    let out = Command::new("secret-tool")
        .args(["lookup", "service", tessera_auth::secret_store::SERVICE, "username", &kr.user_name(key)])
        .output()
        .expect("secret-tool runs");
    out.status.success().then(|| String::from_utf8(out.stdout).unwrap()).filter(|v| !v.is_empty())
}

#[tokio::test]
async fn oidc_sign_in_maps_the_role_both_ways() {
    let (s, _, _) = start().await;
    control("/groups", json!({"login": "ops", "groups": ["staff", "tessera-admins"]})).await;
    let started = Instant::now();
    let first = sign_in(&s, "kc", "ops").await;
    eprintln!(
        "figure: a full browser-flow sign-in with the local OpenID provider took {} ms",
        started.elapsed().as_millis()
    );
    assert_eq!(first["account"]["role"], "admin");
    assert_eq!(first["created"], true);
    let admin = token_of(&first);
    s.get("/api/v1/admin/users", &admin).await.expect(200);

    control("/groups", json!({"login": "ops", "groups": ["staff"]})).await;
    let second = sign_in(&s, "kc", "ops").await;
    assert_eq!(second["created"], false);
    assert_eq!(second["account"]["id"], first["account"]["id"], "the same person lands in the same account");
    assert_eq!(second["account"]["role"], "member");
    // The session issued while admin is refused at once: the role is looked up per request.
    s.get("/api/v1/admin/users", &admin).await.expect_error(403, "forbidden");

    control("/groups", json!({"login": "ops", "groups": ["tessera-admins"]})).await;
    assert_eq!(sign_in(&s, "kc", "ops").await["account"]["role"], "admin");
}

#[tokio::test]
async fn id_tokens_failing_any_check_are_refused() {
    let (s, _, _) = start().await;
    // A wrong nonce at the API.
    let mut g = browser_sign_in(&s, "kc", "nonce-user").await;
    g.body["nonce"] = json!("not-the-nonce-of-this-request");
    s.call(reqwest::Method::POST, "/api/v1/sessions", None, Some(g.body)).await.expect_error(401, "id_token_invalid");

    // Then every other check, on a real ID token from the provider.
    let r = &idp().ready;
    let issuer = r["oidc"]["issuer"].as_str().unwrap();
    let b = browser();
    let g = browser_sign_in(&s, "kc", "checks").await;
    let tokens = redeem_at_provider(issuer, &g).await;
    let id_token = tokens["id_token"].as_str().expect("an ID token");
    let nonce = g.body["nonce"].as_str().unwrap();
    let cache = OidcCache::default();
    let d = cache.discovery(&b, issuer).await.unwrap();
    let now = Utc::now();
    let claims = cache.verify_id_token(&b, &d, "tessera", id_token, Some(nonce), now).await.unwrap();
    assert_eq!(claims["sub"], "checks");
    let refused = |r: Result<Value, AuthError>| matches!(r, Err(AuthError::IdToken(_)));
    assert!(refused(cache.verify_id_token(&b, &d, "another-client", id_token, Some(nonce), now).await), "audience");
    assert!(refused(cache.verify_id_token(&b, &d, "tessera", id_token, Some("other"), now).await), "nonce");
    let later = now + chrono::Duration::hours(3);
    assert!(refused(cache.verify_id_token(&b, &d, "tessera", id_token, Some(nonce), later).await), "expiry");
    // A server whose clock is ten minutes behind sees a token issued in its future.
    let earlier = now - chrono::Duration::minutes(10);
    let e = cache.verify_id_token(&b, &d, "tessera", id_token, Some(nonce), earlier).await;
    assert!(matches!(&e, Err(AuthError::IdToken(m)) if m.contains("issued in the future")), "iat: {e:?}");
    let slightly = now - chrono::Duration::seconds(30);
    assert!(cache.verify_id_token(&b, &d, "tessera", id_token, Some(nonce), slightly).await.is_ok(), "leeway");
    let mut parts: Vec<String> = id_token.split('.').map(str::to_owned).collect();
    let sig = parts[2].clone();
    parts[2] = format!("{}{}", if sig.starts_with('A') { "B" } else { "A" }, &sig[1..]);
    assert!(refused(cache.verify_id_token(&b, &d, "tessera", &parts.join("."), Some(nonce), now).await), "signature");
    let none = format!("eyJhbGciOiJub25lIn0.{}.", id_token.split('.').nth(1).unwrap());
    assert!(refused(cache.verify_id_token(&b, &d, "tessera", &none, Some(nonce), now).await), "alg none");
    let mut other_issuer = (*d).clone();
    other_issuer.metadata =
        other_issuer.metadata.set_issuer(openidconnect::IssuerUrl::new("https://127.0.0.1:1".into()).unwrap());
    assert!(refused(cache.verify_id_token(&b, &other_issuer, "tessera", id_token, Some(nonce), now).await), "issuer");
}

#[tokio::test]
async fn tokens_are_refreshed_before_expiry_and_revoked_on_unlink() {
    let (s, si, kr) = start().await;
    let session = sign_in(&s, "kc", "refresher").await;
    let me = token_of(&session);
    let ids = s.get("/api/v1/user/identities", &me).await.expect(200);
    let kc = ids[0].clone();
    assert_eq!(kc["provider_kind"], "oidc");
    assert_eq!(kc["status"], "connected");
    let key = format!("scm/kc/{}", kc["subject"].as_str().unwrap());
    let before = secret_tool_lookup(&kr, &key).expect("the token is in the keyring");
    let before_refreshes = stats().await["oidc"].to_string();

    // 120-second access tokens are due within the refresh window at once.
    let report = si.refresh_due().await.unwrap();
    assert_eq!(report.refreshed, 1, "{report:?}");
    let after = secret_tool_lookup(&kr, &key).unwrap();
    assert_ne!(before, after, "the keyring holds the new tokens");
    let old: Value = serde_json::from_str(&before).unwrap();
    let new: Value = serde_json::from_str(&after).unwrap();
    assert_ne!(old["refresh_token"], new["refresh_token"], "the rotated refresh token was kept");
    assert_ne!(stats().await["oidc"].to_string(), before_refreshes);
    assert_eq!(s.get("/api/v1/user/identities", &me).await.expect(200)[0]["status"], "connected");

    // Unlinking (after linking another way in) revokes at the provider: the refresh token dies.
    let gh = browser_sign_in(&s, "gh", "refresher-gh").await;
    s.post("/api/v1/user/identities", &me, gh.body).await.expect(201);
    s.delete(&format!("/api/v1/user/identities/{}", kc["id"].as_str().unwrap()), &me).await.expect(204);
    assert_eq!(secret_tool_lookup(&kr, &key), None, "unlinking deletes the stored tokens");
    let issuer = idp().ready["oidc"]["issuer"].as_str().unwrap();
    let disc: Value =
        browser().get(format!("{issuer}/.well-known/openid-configuration")).send().await.unwrap().json().await.unwrap();
    let reuse =
        refresh_grant(&browser(), disc["token_endpoint"].as_str().unwrap(), new["refresh_token"].as_str().unwrap())
            .await;
    assert_eq!(reuse["error"], "invalid_grant", "the provider revoked it: {reuse}");
}

#[tokio::test]
async fn code_hosts_link_into_one_account_with_conflicts_unlink_rules_and_repositories() {
    let (s, _, kr) = start().await;
    let alice = sign_in(&s, "gh", "alice").await;
    let a = token_of(&alice);
    let linked = s.post("/api/v1/user/identities", &a, browser_sign_in(&s, "gl", "alice").await.body).await.expect(201);
    assert_eq!(linked["provider_kind"], "gitlab");
    let via_gitlab = sign_in(&s, "gl", "alice").await;
    assert_eq!(via_gitlab["account"]["id"], alice["account"]["id"], "either identity signs in to the same account");
    let mut kinds: Vec<&str> = via_gitlab["account"]["identities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["provider_kind"].as_str().unwrap())
        .collect();
    // Both were linked at the same instant of the test clock: compare as a set.
    kinds.sort_unstable();
    assert_eq!(kinds, vec!["github", "gitlab"], "the account shows both, with their kinds");

    // Someone else cannot take an identity that is linked already; nothing is stored for them.
    let bob = token_of(&sign_in(&s, "gh", "bob").await);
    let r = s.post("/api/v1/user/identities", &bob, browser_sign_in(&s, "gl", "alice").await.body).await;
    let msg = r.expect_error(409, "conflict");
    assert!(msg["error"]["message"].as_str().unwrap().contains("already linked"));

    let ids = s.get("/api/v1/user/identities", &a).await.expect(200);
    assert_eq!(ids.as_array().unwrap().len(), 2);
    assert!(ids.as_array().unwrap().iter().all(|i| i["status"] == "connected" && i["expires_at"].is_string()));
    let gh = ids.as_array().unwrap().iter().find(|i| i["provider"] == "gh").unwrap().clone();
    let gl = ids.as_array().unwrap().iter().find(|i| i["provider"] == "gl").unwrap().clone();

    // Tokens are in the keyring and nowhere in the store.
    let stored = secret_tool_lookup(&kr, &format!("scm/gh/{}", gh["subject"].as_str().unwrap())).unwrap();
    let access: Value = serde_json::from_str(&stored).unwrap();
    let access = access["access_token"].as_str().unwrap();
    assert!(access.starts_with("ghu_"));
    assert!(!store_holds(&s, access).await, "the store never holds a code-host token");

    // Repositories through the stored token, with a session or a PAT with read.
    let repos = s.get(&format!("/api/v1/user/scm/{}/repos", gh["id"].as_str().unwrap()), &a).await.expect(200);
    assert!(!repos.as_array().unwrap().is_empty());
    let pat = s.pat(&a, &["read", "repo:write"]).await;
    let repos_gl = s.get(&format!("/api/v1/user/scm/{}/repos", gl["id"].as_str().unwrap()), &pat).await.expect(200);
    let first = repos_gl[0].clone();
    assert!(first["full_name"].as_str().unwrap().contains('/'));
    let trigger_only = s.pat(&a, &["trigger"]).await;
    s.get(&format!("/api/v1/user/scm/{}/repos", gh["id"].as_str().unwrap()), &trigger_only)
        .await
        .expect_error(403, "forbidden");
    s.get(&format!("/api/v1/user/scm/{}/repos", gh["id"].as_str().unwrap()), &bob).await.expect_error(404, "not_found");
    // A project made from one.
    let url = first["clone_url"].as_str().unwrap();
    let p = s.post("/api/v1/projects", &pat, json!({"name": first["name"], "repository_url": url})).await.expect(201);
    assert_eq!(p["repository_url"], url);

    // Unlink rules: a PAT cannot; the session can, but not the last one.
    s.delete(&format!("/api/v1/user/identities/{}", gl["id"].as_str().unwrap()), &pat)
        .await
        .expect_error(403, "forbidden");
    s.delete(&format!("/api/v1/user/identities/{}", gl["id"].as_str().unwrap()), &a).await.expect(204);
    s.delete(&format!("/api/v1/user/identities/{}", gh["id"].as_str().unwrap()), &a)
        .await
        .expect_error(409, "conflict");
    assert!(
        secret_tool_lookup(&kr, &format!("scm/gh/{}", gh["subject"].as_str().unwrap())).is_some(),
        "the last one keeps its token"
    );
}

#[tokio::test]
async fn expiry_and_refresh_of_code_host_tokens() {
    // This test makes the host refuse every token it issued: it gets hosts of its own.
    let own = private_idp();
    let (s, si) = Server::start_with_sign_in(&providers_toml_for(&own), keyring()).await;
    let a = token_of(&sign_in_at(&s, "gl", "carol", &own).await);
    let gl = s.get("/api/v1/user/identities", &a).await.expect(200)[0].clone();
    let repos = format!("/api/v1/user/scm/{}/repos", gl["id"].as_str().unwrap());
    s.get(&repos, &a).await.expect(200);
    // GitLab tokens last two hours: not due yet.
    assert_eq!(si.refresh_due().await.unwrap().refreshed, 0);
    // Within five minutes of expiry the refresher renews it, and the listing still works.
    s.clock.advance(chrono::Duration::minutes(116));
    assert_eq!(si.refresh_due().await.unwrap().refreshed, 1);
    // The one-hour Tessera session has expired meanwhile; the code-host token has not.
    let a = s.session("carol").await;
    s.get(&repos, &a).await.expect(200);
    let after = s.get("/api/v1/user/identities", &a).await.expect(200)[0].clone();
    assert_ne!(after["expires_at"], gl["expires_at"], "a new expiry after the refresh");
    // A token used in its last half minute is refreshed first, without waiting for the refresher.
    s.clock.advance(chrono::Duration::minutes(120) - chrono::Duration::seconds(20));
    let a = s.session("carol").await;
    s.get(&repos, &a).await.expect(200);
    let again = s.get("/api/v1/user/identities", &a).await.expect(200)[0].clone();
    assert_ne!(again["expires_at"], after["expires_at"], "refreshed on use");

    // When the host stops accepting the token, the account shows expired and asks to reconnect.
    control_of(&own, "/revoke-all", json!({"provider": "gitlab"})).await;
    let e = s.get(&repos, &a).await.expect_error(409, "reconnect_required");
    assert_eq!(e["error"]["provider"], "gl", "the answer names the provider to sign in with again: {e}");
    assert_eq!(s.get("/api/v1/user/identities", &a).await.expect(200)[0]["status"], "expired");
    // Signing in again reconnects it.
    sign_in_at(&s, "gl", "carol", &own).await;
    assert_eq!(s.get("/api/v1/user/identities", &a).await.expect(200)[0]["status"], "connected");
    s.get(&repos, &a).await.expect(200);
}

#[tokio::test]
async fn the_device_flow_waits_slows_down_and_signs_in() {
    let (s, _, _) = start().await;
    for (provider, host) in [("gh", "github"), ("gl", "gitlab")] {
        let start = s
            .call(reqwest::Method::POST, "/api/v1/sessions/device", None, Some(json!({"provider": provider})))
            .await
            .expect(200);
        let poll = json!({"provider": provider, "device_code": start["device_code"]});
        let first = s.call(reqwest::Method::POST, "/api/v1/sessions/device", None, Some(poll.clone())).await;
        first.expect_error(400, "authorization_pending");
        let fast = s.call(reqwest::Method::POST, "/api/v1/sessions/device", None, Some(poll.clone())).await;
        fast.expect_error(400, "slow_down");
        control(
            "/device/approve",
            json!({"provider": host, "user_code": start["user_code"], "login": format!("dev-{host}")}),
        )
        .await;
        let mut done = None;
        for _ in 0..20 {
            tokio::time::sleep(Duration::from_millis(500)).await;
            let r = s.call(reqwest::Method::POST, "/api/v1/sessions/device", None, Some(poll.clone())).await;
            if r.status.as_u16() == 201 {
                done = Some(r.body);
                break;
            }
            assert!(matches!(r.code(), "authorization_pending" | "slow_down"), "{}", r.body);
        }
        let session = done.expect("the approved device sign-in completes");
        s.get("/api/v1/me", &token_of(&session)).await.expect(200);
    }
    let r =
        s.call(reqwest::Method::POST, "/api/v1/sessions/device", None, Some(json!({"provider": "kc-missing"}))).await;
    r.expect_error(404, "not_found");
}

#[tokio::test]
async fn bad_callbacks_and_requests_get_clear_errors() {
    let (s, _, _) = start().await;
    let post = |body: Value| s.call(reqwest::Method::POST, "/api/v1/sessions", None, Some(body));
    // A replayed code.
    let g = browser_sign_in(&s, "gh", "dave").await;
    post(g.body.clone()).await.expect(201);
    post(g.body.clone()).await.expect_error(400, "provider_denied");
    // An unknown provider, a redirect that is not loopback, a short verifier, no nonce for OIDC.
    let mut bad = g.body.clone();
    bad["provider"] = json!("nope");
    post(bad).await.expect_error(404, "not_found");
    let mut bad = g.body.clone();
    bad["redirect_uri"] = json!("https://evil.example/callback");
    post(bad).await.expect_error(400, "invalid_request");
    let mut bad = g.body.clone();
    bad["code_verifier"] = json!("short");
    post(bad).await.expect_error(400, "invalid_request");
    let mut bad = g.body.clone();
    bad["provider"] = json!("kc");
    bad["nonce"] = Value::Null;
    post(bad).await.expect_error(400, "invalid_request");
    post(json!({"provider": "gh"})).await.expect_error(400, "invalid_request");

    // The loopback listener: declined, forged state, no code.
    let info = provider_info(&s, "gh").await;
    let req = AuthRequest::new().unwrap();
    let lb = Loopback::bind().await.unwrap();
    let uri = lb.redirect_uri().to_owned();
    let waiting = tokio::spawn(lb.wait_owned(req.state.clone()));
    let url = format!("{}&login=deny", authorization_url(&info, &uri, &req).unwrap());
    let back = drive(&browser(), &url, "deny", &uri).await;
    assert_eq!(reqwest::get(&back).await.unwrap().status().as_u16(), 400);
    assert!(matches!(waiting.await.unwrap(), Err(AuthError::ProviderDenied(_))));

    // A forged state is answered and ignored; the real redirect without a code ends the wait.
    let lb = Loopback::bind().await.unwrap();
    let uri = lb.redirect_uri().to_owned();
    let waiting = tokio::spawn(lb.wait_owned("STATE".to_owned()));
    assert_eq!(reqwest::get(format!("{uri}?code=abc&state=forged")).await.unwrap().status().as_u16(), 400);
    assert!(!waiting.is_finished());
    reqwest::get(format!("{uri}?state=STATE")).await.unwrap();
    assert!(matches!(waiting.await.unwrap(), Err(AuthError::InvalidRequest(_))));
}

#[tokio::test]
async fn providers_are_listed_without_secrets_and_managed_by_admins() {
    let (s, _, kr) = start().await;
    let list = s.call(reqwest::Method::GET, "/api/v1/providers", None, None).await.expect(200);
    let text = list.to_string();
    for id in ["kc", "gh", "gl"] {
        assert!(list.as_array().unwrap().iter().any(|p| p["id"] == id));
    }
    let gh_secret = idp().ready["github"]["client_secret"].as_str().unwrap();
    assert!(!text.contains(gh_secret), "no client secret is ever listed");
    let kc = list.as_array().unwrap().iter().find(|p| p["id"] == "kc").unwrap();
    assert!(kc["authorization_endpoint"].as_str().unwrap().starts_with("https://127.0.0.1"));
    assert_eq!(kc["nonce"], true);

    let root = s.user("root", true).await;
    let member = s.user("member", false).await;
    let r = &idp().ready;
    let new = json!({"id": "gl2", "kind": "gitlab", "name": "GitLab (staging)", "base_url": r["gitlab"]["base_url"],
        "client_id": r["gitlab"]["client_id"], "client_secret": r["gitlab"]["client_secret"], "ca_file": r["ca_file"]});
    let secret = r["gitlab"]["client_secret"].as_str().unwrap();
    s.post("/api/v1/providers", &member, new.clone()).await.expect_error(403, "forbidden");
    let pat = s.pat(&root, &["read", "org:admin", "token:admin"]).await;
    s.post("/api/v1/providers", &pat, new.clone()).await.expect_error(403, "forbidden");
    let made = s.post("/api/v1/providers", &root, new.clone()).await.expect(201);
    assert!(!made.to_string().contains(secret));
    assert_eq!(secret_tool_lookup(&kr, "provider/gl2/client_secret").as_deref(), Some(secret));
    assert!(!store_holds(&s, secret).await);
    s.post("/api/v1/providers", &root, new).await.expect_error(409, "conflict");
    s.post("/api/v1/providers", &root, json!({"id": "x", "kind": "oidc", "client_id": "c"}))
        .await
        .expect_error(400, "invalid_request");
    // The new provider works for sign-in at once.
    sign_in(&s, "gl2", "erin").await;
    s.delete("/api/v1/providers/gh", &root).await.expect_error(409, "conflict");
    s.delete("/api/v1/providers/gl2", &root).await.expect(204);
    assert_eq!(secret_tool_lookup(&kr, "provider/gl2/client_secret"), None);
}

#[tokio::test]
async fn a_locked_keyring_fails_clearly_and_loses_nothing() {
    let store = Arc::new(MemoryStore::default());
    let (s, si) = Server::start_with_sign_in(&providers_toml(), store.clone()).await;
    let a = token_of(&sign_in(&s, "gh", "frank").await);
    let id = s.get("/api/v1/user/identities", &a).await.expect(200)[0]["id"].as_str().unwrap().to_owned();
    s.post("/api/v1/user/identities", &a, browser_sign_in(&s, "gl", "frank").await.body).await.expect(201);
    let keys_before = store.keys();

    store.set_locked(true);
    let g = browser_sign_in(&s, "gh", "frank").await;
    s.call(reqwest::Method::POST, "/api/v1/sessions", None, Some(g.body)).await.expect_error(503, "keyring_locked");
    s.get(&format!("/api/v1/user/scm/{id}/repos"), &a).await.expect_error(503, "keyring_locked");
    s.delete(&format!("/api/v1/user/identities/{id}"), &a).await.expect_error(503, "keyring_locked");
    s.clock.advance(chrono::Duration::hours(8));
    let report = si.refresh_due().await.unwrap();
    assert!(report.deferred >= 1 && report.refreshed == 0, "{report:?}");

    store.set_locked(false);
    let a = s.session("frank").await;
    let mut after = store.keys();
    let mut before = keys_before;
    after.sort();
    before.sort();
    assert_eq!(after, before, "nothing was deleted while the keyring was locked");
    let ids = s.get("/api/v1/user/identities", &a).await.expect(200);
    assert_eq!(ids.as_array().unwrap().len(), 2, "both identities are still linked");
    s.get(&format!("/api/v1/user/scm/{id}/repos"), &a).await.expect(200);
}

#[tokio::test]
async fn team_mode_seals_code_host_tokens_in_the_database() {
    use tessera_auth::sealed::{SealedStore, SealingKey};
    let key = SealingKey::generate().unwrap();
    let (s, _) = Server::start_with_sign_in_over(&providers_toml(), move |store| {
        Arc::new(SealedStore::new(store, &key, Arc::new(tessera_core::clock::SystemClock)))
    })
    .await;
    let a = token_of(&sign_in(&s, "gh", "grace").await);
    let gh = s.get("/api/v1/user/identities", &a).await.expect(200)[0].clone();
    let repos = format!("/api/v1/user/scm/{}/repos", gh["id"].as_str().unwrap());
    s.get(&repos, &a).await.expect(200);
    let name = format!("scm/gh/{}", gh["subject"].as_str().unwrap());
    let (nonce, ciphertext) = s.store.sealed(&name).await.unwrap().expect("a sealed entry for the token");
    assert_eq!(nonce.len(), 24);
    // Nothing readable: no GitHub token prefix anywhere in the database.
    assert!(!store_holds(&s, "ghu_").await && !store_holds(&s, "ghr_").await, "no plain-text code-host token");
    // A database whose sealed entry was tampered with fails clearly and the entry stays.
    let mut damaged = ciphertext.clone();
    damaged[0] ^= 1;
    s.store.put_sealed(&name, &nonce, &damaged, Utc::now()).await.unwrap();
    s.get(&repos, &a).await.expect_error(503, "keyring_unavailable");
    assert_eq!(s.store.sealed(&name).await.unwrap().map(|v| v.1), Some(damaged));
}

#[tokio::test]
async fn a_session_role_follows_its_providers_assertion_and_unlinking_drops_it() {
    let (s, _, _) = start().await;
    control("/groups", json!({"login": "lead", "groups": ["tessera-admins"]})).await;
    let via_kc = sign_in(&s, "kc", "lead").await;
    assert_eq!(via_kc["account"]["role"], "admin");
    let first = token_of(&via_kc);
    s.get("/api/v1/admin/users", &first).await.expect(200);
    let me = s.get("/api/v1/me", &first).await.expect(200);
    assert_eq!((me["role"].as_str(), me["local_role"].as_str()), (Some("admin"), Some("member")));

    // A second provider without a role mapping: its sessions carry the local role only.
    s.post("/api/v1/user/identities", &first, browser_sign_in(&s, "gh", "lead").await.body).await.expect(201);
    let via_gh = sign_in(&s, "gh", "lead").await;
    assert_eq!(via_gh["account"]["id"], via_kc["account"]["id"], "one account");
    assert_eq!(via_gh["account"]["role"], "member");
    let gh = token_of(&via_gh);
    s.get("/api/v1/admin/users", &gh).await.expect_error(403, "forbidden");
    s.get("/api/v1/admin/users", &first).await.expect(200);

    // The provider stops asserting admin: its next session and the older one are members at once.
    control("/groups", json!({"login": "lead", "groups": ["staff"]})).await;
    assert_eq!(sign_in(&s, "kc", "lead").await["account"]["role"], "member");
    s.get("/api/v1/admin/users", &first).await.expect_error(403, "forbidden");

    // Asserted again, then unlinked: what the identity asserted is gone for all its sessions.
    control("/groups", json!({"login": "lead", "groups": ["tessera-admins"]})).await;
    let latest = token_of(&sign_in(&s, "kc", "lead").await);
    s.get("/api/v1/admin/users", &latest).await.expect(200);
    s.get("/api/v1/admin/users", &first).await.expect(200);
    let ids = s.get("/api/v1/user/identities", &gh).await.expect(200);
    let kc = ids.as_array().unwrap().iter().find(|i| i["provider"] == "kc").unwrap()["id"].as_str().unwrap().to_owned();
    s.delete(&format!("/api/v1/user/identities/{kc}"), &gh).await.expect(204);
    s.get("/api/v1/admin/users", &latest).await.expect_error(403, "forbidden");
    s.get("/api/v1/admin/users", &first).await.expect_error(403, "forbidden");
    assert_eq!(s.get("/api/v1/me", &latest).await.expect(200)["role"], "member");
}

#[tokio::test]
async fn a_provider_id_re_pointed_at_another_issuer_reaches_none_of_the_first_ones_accounts() {
    let (s, _, _) = start().await;
    let other = private_idp();
    let root = s.user("root", true).await;
    let config = |at: &Idp| {
        json!({"id": "sso", "kind": "oidc", "name": "SSO", "issuer": at.ready["oidc"]["issuer"],
            "client_id": "tessera", "ca_file": at.ready["ca_file"], "scopes": ["openid", "profile", "email"]})
    };
    assert_ne!(idp().ready["oidc"]["issuer"], other.ready["oidc"]["issuer"]);
    s.post("/api/v1/providers", &root, config(idp())).await.expect(201);
    let grant = browser_sign_in_at(&s, "sso", "carol", idp()).await;
    let victim = s.call(reqwest::Method::POST, "/api/v1/sessions", None, Some(grant.body)).await.expect(201);
    let victim_token = token_of(&victim);
    let pat = s.pat(&victim_token, &["read"]).await;

    // The same provider id, now at another issuer, where someone has the same subject.
    s.delete("/api/v1/providers/sso", &root).await.expect(204);
    s.post("/api/v1/providers", &root, config(&other)).await.expect(201);
    let grant = browser_sign_in_at(&s, "sso", "carol", &other).await;
    let stranger = s.call(reqwest::Method::POST, "/api/v1/sessions", None, Some(grant.body)).await.expect(201);
    assert_eq!(
        stranger["account"]["identities"][0]["subject"], victim["account"]["identities"][0]["subject"],
        "the same subject at both issuers"
    );
    assert_eq!(stranger["created"], true, "a new account, not the first issuer's");
    assert_ne!(stranger["account"]["id"], victim["account"]["id"]);
    let theirs = s.get("/api/v1/me", &token_of(&stranger)).await.expect(200);
    assert_ne!(theirs["id"], victim["account"]["id"]);
    assert_eq!(
        s.get("/api/v1/user/tokens", &token_of(&stranger)).await.expect(200),
        json!([]),
        "none of the victim's tokens"
    );
    // The first account is untouched and still works.
    assert_eq!(s.get("/api/v1/me", &victim_token).await.expect(200)["identities"].as_array().unwrap().len(), 1);
    s.get("/api/v1/projects", &pat).await.expect(200);
}
