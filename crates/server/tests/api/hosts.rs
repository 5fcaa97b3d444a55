//! More code hosts against real local stand-ins (tests/idp): Gitea/Forgejo (OAuth 2 with PKCE,
//! `/api/v1`, rotating refresh tokens, organization teams) and Azure DevOps (sign-in through an
//! Entra-shaped OpenID provider under `/{tenant}/v2.0`, repositories from the Azure DevOps REST
//! API with the Entra access token). Each: sign-in, linking, refresh of an expiring token,
//! repositories, unlinking, and what a person reads when the host answers garbage or stops
//! taking the token.

use std::sync::Arc;

use serde_json::{json, Value};
use tessera_auth::{KeyringStore, SecretStore};

use crate::at_rest::store_holds;
use crate::harness::Server;
use crate::signin::{browser_sign_in_at, control_of, idp, keyring, private_idp, sign_in_at, token_of, Idp};

/// The sign-in suite's providers plus this module's: Gitea plain, with a team mapping (and the
/// scope it needs), with a team mapping without that scope; Azure DevOps with an app-role
/// mapping.
fn providers_toml(at: &Idp) -> String {
    let r = &at.ready;
    let s = |a: &str, b: &str| r[a][b].as_str().unwrap().to_owned();
    format!(
        r#"{base}
[[provider]]
id = "gt"
kind = "gitea"
name = "Forgejo"
base_url = "{gitea}"
client_id = "{gitea_id}"
client_secret = "{gitea_secret}"
ca_file = "{ca}"

[[provider]]
id = "gtteam"
kind = "gitea"
base_url = "{gitea}"
client_id = "{gitea_id}"
client_secret = "{gitea_secret}"
scopes = ["read:user", "read:repository", "read:organization"]
admin_team = "acme/Owners"
ca_file = "{ca}"

[[provider]]
id = "gtnoorg"
kind = "gitea"
base_url = "{gitea}"
client_id = "{gitea_id}"
client_secret = "{gitea_secret}"
admin_team = "acme/Owners"
ca_file = "{ca}"

[[provider]]
id = "ado"
kind = "azure_devops"
issuer = "{entra}"
base_url = "{devops}"
client_id = "{entra_client}"
organizations = ["acme", "acme-labs"]
role_claim = "roles"
admin_value = "Tessera.Admin"
ca_file = "{ca}"
"#,
        base = crate::signin::providers_toml_for(at),
        gitea = s("gitea", "base_url"),
        gitea_id = s("gitea", "client_id"),
        gitea_secret = s("gitea", "client_secret"),
        entra = s("azure_devops", "issuer"),
        entra_client = s("azure_devops", "client_id"),
        devops = s("azure_devops", "devops_url"),
        ca = r["ca_file"].as_str().unwrap(),
    )
}

async fn start_at(at: &Idp) -> (Server, Arc<tessera_auth::SignIn>, Arc<KeyringStore>) {
    let kr = keyring();
    let (s, si) = Server::start_with_sign_in(&providers_toml(at), kr.clone()).await;
    (s, si, kr)
}

/// A client that trusts the test CA, for talking to the hosts directly.
fn client(at: &Idp) -> reqwest::Client {
    let ca = std::fs::read(at.ready["ca_file"].as_str().unwrap()).unwrap();
    reqwest::Client::builder().add_root_certificate(reqwest::Certificate::from_pem(&ca).unwrap()).build().unwrap()
}

async fn stats(at: &Idp) -> Value {
    reqwest::get(format!("{}/stats", at.ready["control"].as_str().unwrap())).await.unwrap().json().await.unwrap()
}

/// The identity of `provider` among the caller's linked accounts.
async fn identity(s: &Server, auth: &str, provider: &str) -> Value {
    let ids = s.get("/api/v1/user/identities", auth).await.expect(200);
    ids.as_array().unwrap().iter().find(|i| i["provider"] == provider).unwrap_or_else(|| panic!("{ids}")).clone()
}

/// The stored tokens of a linked account, read from the keyring.
async fn stored(kr: &KeyringStore, provider: &str, subject: &str) -> Option<Value> {
    let secret = kr.get(&format!("scm/{provider}/{subject}")).await.unwrap()?;
    Some(serde_json::from_str(secret.expose()).unwrap())
}

fn names(repos: &Value) -> Vec<String> {
    repos.as_array().unwrap().iter().map(|r| r["full_name"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn gitea_signs_in_links_lists_repositories_and_refreshes_with_rotation() {
    let at = idp();
    let (s, si, kr) = start_at(at).await;
    let started = std::time::Instant::now();
    let first = sign_in_at(&s, "gt", "gitte", at).await;
    let sign_in_ms = started.elapsed().as_millis();
    assert_eq!(first["created"], true);
    let t = token_of(&first);
    let gt = identity(&s, &t, "gt").await;
    assert_eq!(gt["provider_kind"], "gitea");
    assert_eq!(gt["email"], "gitte@example.test", "{gt}");
    assert_eq!(gt["display_name"], "Gitte Gitea", "Gitea's full_name: {gt}");
    assert_eq!(gt["status"], "connected");
    assert!(gt["expires_at"].is_string(), "Gitea's tokens expire: {gt}");

    // The token is in the keyring and nowhere in the store.
    let subject = gt["subject"].as_str().unwrap().to_owned();
    let before = stored(&kr, "gt", &subject).await.expect("the token is in the keyring");
    assert!(!store_holds(&s, before["access_token"].as_str().unwrap()).await);

    // Repositories from /api/v1/user/repos.
    let repos_path = format!("/api/v1/user/scm/{}/repos", gt["id"].as_str().unwrap());
    let started = std::time::Instant::now();
    let repos = s.get(&repos_path, &t).await.expect(200);
    let repos_ms = started.elapsed().as_millis();
    assert!(names(&repos).contains(&"gitte/hello-world".to_owned()), "{repos}");
    let private = repos.as_array().unwrap().iter().find(|r| r["name"] == "secret-project").unwrap();
    assert_eq!(private["private"], true);
    let base = at.ready["gitea"]["base_url"].as_str().unwrap();
    assert_eq!(private["clone_url"], format!("{base}/gitte/secret-project.git"));
    // More than one page of fifty.
    control_of(at, "/repos", json!({"provider": "gitea", "login": "gitte", "count": 70})).await;
    assert_eq!(s.get(&repos_path, &t).await.expect(200).as_array().unwrap().len(), 70);

    // Linking GitHub into the Gitea account, and back in through either.
    let linked = s.post("/api/v1/user/identities", &t, browser_sign_in_at(&s, "gh", "gitte-gh", at).await.body).await;
    assert_eq!(linked.expect(201)["provider_kind"], "github");
    assert_eq!(sign_in_at(&s, "gh", "gitte-gh", at).await["account"]["id"], first["account"]["id"]);
    // And a Gitea identity linked into a GitHub account.
    let gh_first = sign_in_at(&s, "gh", "hanna", at).await;
    let h = token_of(&gh_first);
    let linked = s.post("/api/v1/user/identities", &h, browser_sign_in_at(&s, "gt", "hanna", at).await.body).await;
    assert_eq!(linked.expect(201)["provider_kind"], "gitea");
    assert_eq!(sign_in_at(&s, "gt", "hanna", at).await["account"]["id"], gh_first["account"]["id"]);

    // Gitea tokens last an hour: within five minutes of expiry the refresher renews them, and
    // Gitea's answer carries a new refresh token that replaces the old one.
    let refreshes = stats(at).await["gitea"]["refresh_token"].as_u64().unwrap_or(0);
    assert_eq!(si.refresh_due().await.unwrap().refreshed, 0);
    s.clock.advance(chrono::Duration::minutes(56));
    let report = si.refresh_due().await.unwrap();
    assert_eq!(report.refreshed, 2, "gitte's and hanna's: {report:?}");
    assert!(stats(at).await["gitea"]["refresh_token"].as_u64().unwrap() >= refreshes + 2);
    let after = stored(&kr, "gt", &subject).await.unwrap();
    assert_ne!(after["access_token"], before["access_token"]);
    assert_ne!(after["refresh_token"], before["refresh_token"], "the rotated refresh token is kept");
    let t = s.session(first["account"]["name"].as_str().unwrap()).await;
    s.get(&repos_path, &t).await.expect(200);
    let refreshed = identity(&s, &t, "gt").await;
    assert_ne!(refreshed["expires_at"], gt["expires_at"]);
    // The old refresh token is spent at Gitea.
    let old = client(at)
        .post(format!("{base}/login/oauth/access_token"))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", before["refresh_token"].as_str().unwrap()),
            ("client_id", at.ready["gitea"]["client_id"].as_str().unwrap()),
            ("client_secret", at.ready["gitea"]["client_secret"].as_str().unwrap()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(old.status().as_u16(), 400);

    // A token used in its last half minute is refreshed first.
    s.clock.advance(chrono::Duration::minutes(60) - chrono::Duration::seconds(20));
    let t = s.session(first["account"]["name"].as_str().unwrap()).await;
    s.get(&repos_path, &t).await.expect(200);
    assert_ne!(identity(&s, &t, "gt").await["expires_at"], refreshed["expires_at"], "refreshed on use");
    eprintln!(
        "figure: hosts gitea: sign-in yes ({sign_in_ms} ms, browser flow included) | link yes | refresh yes (rotating) | repositories yes ({repos_ms} ms)"
    );
}

#[tokio::test]
async fn gitea_private_addresses_and_team_roles() {
    let at = idp();
    let (s, _, _) = start_at(at).await;
    // An address kept private: `email` is empty, the primary verified one is in /user/emails.
    control_of(at, "/private-email", json!({"login": "pia", "private": true})).await;
    let pia = sign_in_at(&s, "gt", "pia", at).await;
    let gt = identity(&s, &token_of(&pia), "gt").await;
    assert_eq!(gt["email"], "pia@example.test", "the primary verified address, not the old one: {gt}");

    // Admin by organization team membership, read at each sign-in.
    let team = |admin: bool| {
        let teams = if admin { json!(["acme/owners", "acme/web"]) } else { json!(["acme/web"]) };
        json!({"provider": "gitea", "login": "otto", "teams": teams})
    };
    control_of(at, "/teams", team(true)).await;
    let first = sign_in_at(&s, "gtteam", "otto", at).await;
    assert_eq!(first["account"]["role"], "admin", "{first}");
    let admin = token_of(&first);
    s.get("/api/v1/admin/users", &admin).await.expect(200);
    control_of(at, "/teams", team(false)).await;
    let second = sign_in_at(&s, "gtteam", "otto", at).await;
    assert_eq!(second["account"]["role"], "member");
    s.get("/api/v1/admin/users", &admin).await.expect_error(403, "forbidden");

    // Without read:organization Gitea refuses to list teams; the sign-in says which scope.
    let g = browser_sign_in_at(&s, "gtnoorg", "otto", at).await;
    let e = s.call(reqwest::Method::POST, "/api/v1/sessions", None, Some(g.body)).await;
    let e = e.expect_error(400, "provider_denied");
    assert!(e["error"]["message"].as_str().unwrap().contains("read:organization"), "{e}");
}

#[tokio::test]
async fn gitea_garbage_and_refusals_read_as_sentences_and_unlinking_forgets_the_token() {
    // This test makes the host misbehave for everyone: it gets hosts of its own.
    let own = private_idp();
    let (s, _, kr) = start_at(&own).await;
    let first = sign_in_at(&s, "gt", "gus", &own).await;
    let t = token_of(&first);
    let gt = identity(&s, &t, "gt").await;
    let repos = format!("/api/v1/user/scm/{}/repos", gt["id"].as_str().unwrap());
    s.get(&repos, &t).await.expect(200);
    let misbehave = |mode: Value| control_of(&own, "/misbehave", json!({"provider": "gitea", "mode": mode}));

    // An HTML page where JSON belongs: a sentence, not a 500, and the link stays connected.
    misbehave(json!("garbage")).await;
    let e = s.get(&repos, &t).await.expect_error(502, "provider_unavailable");
    let msg = e["error"]["message"].as_str().unwrap();
    assert!(msg.contains("did not answer JSON"), "{msg}");
    assert!(!msg.contains("<html"), "the page is not echoed: {msg}");
    assert_eq!(identity(&s, &t, "gt").await["status"], "connected");

    // The token endpoint answering HTML: the sign-in fails with a sentence.
    misbehave(json!("token_garbage")).await;
    let g = browser_sign_in_at(&s, "gt", "gus", &own).await;
    let e = s.call(reqwest::Method::POST, "/api/v1/sessions", None, Some(g.body)).await;
    let e = e.expect_error(502, "provider_unavailable");
    assert!(e["error"]["message"].as_str().unwrap().contains("token endpoint"), "{e}");

    // 401 from the API: the link must be reconnected, and the answer names the provider.
    misbehave(json!("unauthorized")).await;
    let e = s.get(&repos, &t).await.expect_error(409, "reconnect_required");
    assert_eq!(e["error"]["provider"], "gt", "{e}");
    assert_eq!(identity(&s, &t, "gt").await["status"], "expired");
    misbehave(Value::Null).await;
    s.get(&repos, &t).await.expect_error(409, "reconnect_required");
    // Signing in again reconnects it.
    sign_in_at(&s, "gt", "gus", &own).await;
    assert_eq!(identity(&s, &t, "gt").await["status"], "connected");
    s.get(&repos, &t).await.expect(200);

    // Revoked at the host (the person withdrew the grant in Gitea's settings): the same, and
    // Attention offers the reconnect.
    control_of(&own, "/revoke-all", json!({"provider": "gitea"})).await;
    s.get(&repos, &t).await.expect_error(409, "reconnect_required");
    let items = s.get("/api/v1/user/attention", &t).await.expect(200);
    assert_eq!(
        (items[0]["kind"].as_str(), items[0]["provider"].as_str()),
        (Some("link_reconnect"), Some("gt")),
        "{items}"
    );
    sign_in_at(&s, "gt", "gus", &own).await;

    // A refresh token Gitea refuses (its `unauthorized_client`) means reconnect, not a client
    // misconfiguration: the refresher counts it expired and the link says so.
    let subject = gt["subject"].as_str().unwrap();
    let mut tokens = stored(&kr, "gt", subject).await.unwrap();
    tokens["refresh_token"] = json!("eyJhbGciOiJIUzI1NiJ9.spent.spent");
    kr.set(&format!("scm/gt/{subject}"), &tessera_core::Secret::new(tokens.to_string())).await.unwrap();
    s.clock.advance(chrono::Duration::minutes(60) - chrono::Duration::seconds(15));
    let t = s.session(first["account"]["name"].as_str().unwrap()).await;
    let e = s.get(&repos, &t).await.expect_error(409, "reconnect_required");
    assert!(e["error"]["message"].as_str().unwrap().contains("not accepted"), "{e}");
    assert_eq!(identity(&s, &t, "gt").await["status"], "expired");
    sign_in_at(&s, "gt", "gus", &own).await;

    // Unlinking (after linking another way in) deletes the stored token. Gitea has no endpoint
    // through which a client withdraws its own grant, so nothing is asked of the host.
    s.post("/api/v1/user/identities", &t, browser_sign_in_at(&s, "gh", "gus-gh", &own).await.body).await.expect(201);
    assert!(stored(&kr, "gt", subject).await.is_some());
    s.delete(&format!("/api/v1/user/identities/{}", gt["id"].as_str().unwrap()), &t).await.expect(204);
    assert!(stored(&kr, "gt", subject).await.is_none(), "unlinking deletes the stored tokens");
    s.get(&repos, &t).await.expect_error(404, "not_found");
}

#[tokio::test]
async fn azure_devops_signs_in_through_entra_and_lists_repositories_of_its_organizations() {
    let at = idp();
    let (s, si, kr) = start_at(at).await;
    // The role from Entra app roles in the ID token.
    control_of(at, "/groups", json!({"login": "ada", "groups": ["Tessera.Admin"]})).await;
    let started = std::time::Instant::now();
    let first = sign_in_at(&s, "ado", "ada", at).await;
    let sign_in_ms = started.elapsed().as_millis();
    assert_eq!(first["account"]["role"], "admin", "{first}");
    let t = token_of(&first);
    s.get("/api/v1/admin/users", &t).await.expect(200);
    let ado = identity(&s, &t, "ado").await;
    assert_eq!(ado["provider_kind"], "azure_devops");
    assert_eq!(ado["email"], "ada@example.test", "{ado}");
    assert_eq!(ado["display_name"], "ada");
    assert_eq!(ado["status"], "connected");
    control_of(at, "/groups", json!({"login": "ada", "groups": []})).await;
    assert_eq!(sign_in_at(&s, "ado", "ada", at).await["account"]["role"], "member");
    s.get("/api/v1/admin/users", &t).await.expect_error(403, "forbidden");

    // Repositories of both configured organizations, through the Entra access token.
    let repos_path = format!("/api/v1/user/scm/{}/repos", ado["id"].as_str().unwrap());
    let started = std::time::Instant::now();
    let repos = s.get(&repos_path, &t).await.expect(200);
    let repos_ms = started.elapsed().as_millis();
    let mut got = names(&repos);
    got.sort();
    assert_eq!(
        got,
        vec![
            "acme-labs/Open/tessera-pipelines",
            "acme-labs/Platform/hello-world",
            "acme-labs/Platform/secret-project",
            "acme/Open/tessera-pipelines",
            "acme/Platform/hello-world",
            "acme/Platform/secret-project",
        ],
        "a disabled repository is left out"
    );
    let open = repos.as_array().unwrap().iter().find(|r| r["full_name"] == "acme/Open/tessera-pipelines").unwrap();
    assert_eq!(open["private"], false);
    let devops = at.ready["azure_devops"]["devops_url"].as_str().unwrap();
    assert!(open["web_url"].as_str().unwrap().starts_with(&format!("{devops}/acme/Open/_git/")), "{open}");
    assert!(open["clone_url"].as_str().unwrap().contains("/_git/tessera-pipelines"), "{open}");

    // The stored token is the Entra access token for Azure DevOps (its audience), kept in the
    // keyring only.
    let subject = ado["subject"].as_str().unwrap().to_owned();
    let before = stored(&kr, "ado", &subject).await.unwrap();
    let claims = crate::signin::jwt_claims(before["access_token"].as_str().unwrap());
    assert_eq!(claims["aud"], tessera_auth::provider::AZURE_DEVOPS_RESOURCE, "{claims}");
    assert!(!store_holds(&s, before["access_token"].as_str().unwrap()).await);

    // Git at the DevOps host gets that token, with a user name (Azure DevOps takes any).
    let devops_host = devops.strip_prefix("https://").unwrap();
    let git =
        s.post("/api/v1/user/git/credential", &t, json!({"protocol": "https", "host": devops_host})).await.expect(200);
    assert_eq!((git["username"].as_str(), git["provider"].as_str()), (Some("tessera"), Some("ado")));
    assert_eq!(git["password"], before["access_token"]);
    // The real git clones from the DevOps host with that answer, as `tessera git-credential` gives it.
    let home = tempfile::tempdir().unwrap();
    let clone = std::process::Command::new("git")
        .current_dir(home.path())
        .env("HOME", home.path())
        .env("GIT_CONFIG_GLOBAL", home.path().join("gitconfig"))
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_SSL_CAINFO", at.ready["ca_file"].as_str().unwrap())
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("TESSERA_TEST_GIT_USER", git["username"].as_str().unwrap())
        .env("TESSERA_TEST_GIT_TOKEN", git["password"].as_str().unwrap())
        .args(["-c", r#"credential.helper=!f() { echo "username=$TESSERA_TEST_GIT_USER"; echo "password=$TESSERA_TEST_GIT_TOKEN"; }; f"#])
        .args(["clone", "--quiet", &format!("{devops}/acme/Platform/_git/hello-world"), "work"])
        .output()
        .unwrap();
    assert!(clone.status.success(), "git clone: {}", String::from_utf8_lossy(&clone.stderr));
    assert_eq!(std::fs::read_to_string(home.path().join("work/README.md")).unwrap(), "# hello-world\n");

    // Linking: GitHub into the Azure DevOps account, and Azure DevOps into a GitHub one.
    let gh = browser_sign_in_at(&s, "gh", "ada-gh", at).await;
    s.post("/api/v1/user/identities", &t, gh.body).await.expect(201);
    assert_eq!(sign_in_at(&s, "gh", "ada-gh", at).await["account"]["id"], first["account"]["id"]);
    let other = sign_in_at(&s, "gh", "bert", at).await;
    let b = token_of(&other);
    let linked = s.post("/api/v1/user/identities", &b, browser_sign_in_at(&s, "ado", "bert", at).await.body).await;
    assert_eq!(linked.expect(201)["provider_kind"], "azure_devops");
    assert_eq!(sign_in_at(&s, "ado", "bert", at).await["account"]["id"], other["account"]["id"]);

    // Entra's access tokens here last two minutes: due at once. The refresh rotates the refresh
    // token, and the new access token works at Azure DevOps.
    let report = si.refresh_due().await.unwrap();
    assert!(report.refreshed >= 2, "ada's and bert's: {report:?}");
    let after = stored(&kr, "ado", &subject).await.unwrap();
    assert_ne!(after["access_token"], before["access_token"]);
    assert_ne!(after["refresh_token"], before["refresh_token"], "the rotated refresh token is kept");
    s.get(&repos_path, &t).await.expect(200);
    let issuer = at.ready["azure_devops"]["issuer"].as_str().unwrap();
    let disc: Value = client(at)
        .get(format!("{issuer}/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(disc.get("revocation_endpoint").is_none(), "Entra ID has no RFC 7009 endpoint: {disc}");
    let reuse = crate::signin::refresh_grant(
        &client(at),
        disc["token_endpoint"].as_str().unwrap(),
        before["refresh_token"].as_str().unwrap(),
    )
    .await;
    assert_eq!(reuse["error"], "invalid_grant", "the old refresh token is spent: {reuse}");

    // ID tokens are checked as for any OpenID provider: a wrong nonce is refused.
    let mut g = browser_sign_in_at(&s, "ado", "ada", at).await;
    g.body["nonce"] = json!("not-the-nonce-of-this-request");
    s.call(reqwest::Method::POST, "/api/v1/sessions", None, Some(g.body)).await.expect_error(401, "id_token_invalid");
    eprintln!(
        "figure: hosts azure devops: sign-in yes (Entra, {sign_in_ms} ms, browser flow included) | link yes | refresh yes (rotating) | repositories yes ({repos_ms} ms, two organizations)"
    );
}

#[tokio::test]
async fn azure_devops_refusals_and_garbage_read_as_sentences_and_unlinking_forgets_the_token() {
    let own = private_idp();
    let (s, _, kr) = start_at(&own).await;
    let first = sign_in_at(&s, "ado", "cleo", &own).await;
    let t = token_of(&first);
    let ado = identity(&s, &t, "ado").await;
    let repos = format!("/api/v1/user/scm/{}/repos", ado["id"].as_str().unwrap());
    s.get(&repos, &t).await.expect(200);
    let misbehave = |mode: Value| control_of(&own, "/misbehave", json!({"provider": "azure_devops", "mode": mode}));

    misbehave(json!("garbage")).await;
    let e = s.get(&repos, &t).await.expect_error(502, "provider_unavailable");
    assert!(e["error"]["message"].as_str().unwrap().contains("did not answer JSON"), "{e}");
    assert_eq!(identity(&s, &t, "ado").await["status"], "connected");

    misbehave(json!("unauthorized")).await;
    let e = s.get(&repos, &t).await.expect_error(409, "reconnect_required");
    assert_eq!(e["error"]["provider"], "ado", "{e}");
    assert_eq!(identity(&s, &t, "ado").await["status"], "expired");
    misbehave(Value::Null).await;
    sign_in_at(&s, "ado", "cleo", &own).await;
    assert_eq!(identity(&s, &t, "ado").await["status"], "connected");
    s.get(&repos, &t).await.expect(200);

    // Azure DevOps answers 401 also to a valid token of someone who is not a member of an
    // organization: that organization is left out, and with none left the listing says so,
    // while the link stays connected (a new sign-in would not change it).
    control_of(&own, "/azure-organizations", json!({"login": "cleo", "organizations": ["acme-labs"]})).await;
    let listed = s.get(&repos, &t).await.expect(200);
    assert!(names(&listed).iter().all(|n| n.starts_with("acme-labs/")) && !names(&listed).is_empty(), "{listed}");
    control_of(&own, "/azure-organizations", json!({"login": "cleo", "organizations": []})).await;
    let e = s.get(&repos, &t).await.expect_error(400, "provider_denied");
    let msg = e["error"]["message"].as_str().unwrap();
    assert!(msg.contains("not a member of acme or acme-labs"), "{msg}");
    assert_eq!(identity(&s, &t, "ado").await["status"], "connected");
    control_of(&own, "/azure-organizations", json!({"login": "cleo", "organizations": null})).await;
    s.get(&repos, &t).await.expect(200);

    // Every access token revoked at Entra: Azure DevOps refuses them, the link must reconnect,
    // and Attention offers the reconnect (an Azure DevOps link holds a code-host token).
    assert_eq!(s.get("/api/v1/user/attention", &t).await.expect(200), json!([]));
    control_of(&own, "/revoke-all", json!({"provider": "oidc_entra"})).await;
    s.get(&repos, &t).await.expect_error(409, "reconnect_required");
    assert_eq!(identity(&s, &t, "ado").await["status"], "expired");
    let items = s.get("/api/v1/user/attention", &t).await.expect(200);
    assert_eq!(
        (items[0]["kind"].as_str(), items[0]["provider"].as_str()),
        (Some("link_reconnect"), Some("ado")),
        "{items}"
    );
    sign_in_at(&s, "ado", "cleo", &own).await;
    assert_eq!(s.get("/api/v1/user/attention", &t).await.expect(200), json!([]), "reconnected");
    s.get(&repos, &t).await.expect(200);
    assert!(stats(&own).await["azure_devops"]["unauthorized"].as_u64().unwrap() >= 2);

    // Unlinking deletes the stored token (Entra has no revocation endpoint to call).
    let subject = ado["subject"].as_str().unwrap();
    s.post("/api/v1/user/identities", &t, browser_sign_in_at(&s, "gh", "cleo-gh", &own).await.body).await.expect(201);
    assert!(stored(&kr, "ado", subject).await.is_some());
    s.delete(&format!("/api/v1/user/identities/{}", ado["id"].as_str().unwrap()), &t).await.expect(204);
    assert!(stored(&kr, "ado", subject).await.is_none(), "unlinking deletes the stored tokens");
    s.get(&repos, &t).await.expect_error(404, "not_found");
}

#[tokio::test]
async fn the_new_kinds_pass_their_health_checks_and_say_what_is_wrong() {
    let at = idp();
    let (s, _, _) = start_at(at).await;
    let root = s.user("root", true).await;
    let test = |id: &str| {
        let path = format!("/api/v1/providers/{id}/test");
        let (s, root) = (&s, root.clone());
        async move { s.post(&path, &root, json!({})).await }
    };
    for id in ["gt", "gtteam", "ado"] {
        let report = test(id).await.expect(200);
        assert_eq!(report["ok"], true, "{id}: {report:#}");
        let bad: Vec<&Value> = report["checks"].as_array().unwrap().iter().filter(|c| c["status"] != "ok").collect();
        assert!(bad.is_empty(), "{id}: {report:#}");
    }
    let ado = test("ado").await.expect(200);
    let checks: Vec<&str> = ado["checks"].as_array().unwrap().iter().map(|c| c["check"].as_str().unwrap()).collect();
    for wanted in ["discovery", "issuer", "scopes", "api", "authorization", "client", "role_mapping"] {
        assert!(checks.contains(&wanted), "{wanted} in {ado:#}");
    }
    let noorg = test("gtnoorg").await.expect(200);
    assert_eq!(noorg["ok"], false);
    let rm = noorg["checks"].as_array().unwrap().iter().find(|c| c["check"] == "role_mapping").unwrap();
    assert!(rm["detail"].as_str().unwrap().contains("read:organization"), "{rm}");

    // An organization Azure DevOps does not know, added through the API.
    let r = &at.ready;
    let config = |orgs: Value| {
        json!({"id": "ado2", "kind": "azure_devops", "issuer": r["azure_devops"]["issuer"],
            "base_url": r["azure_devops"]["devops_url"], "client_id": "tessera", "organizations": orgs,
            "ca_file": r["ca_file"]})
    };
    s.post("/api/v1/providers", &root, config(json!(["acme", "nowhere-inc"]))).await.expect(201);
    let report = test("ado2").await.expect(200);
    let api = report["checks"].as_array().unwrap().iter().find(|c| c["check"] == "api").unwrap();
    assert_eq!(api["status"], "error", "{report:#}");
    assert!(api["detail"].as_str().unwrap().contains("nowhere-inc"), "{api}");
    // Configurations that cannot work are refused with a reason.
    s.delete("/api/v1/providers/ado2", &root).await.expect(204);
    let e = s.post("/api/v1/providers", &root, config(json!([]))).await.expect_error(400, "invalid_request");
    assert!(e["error"]["message"].as_str().unwrap().contains("organizations"), "{e}");
    let e = s
        .post("/api/v1/providers", &root, json!({"id": "g2", "kind": "gitea", "client_id": "c"}))
        .await
        .expect_error(400, "invalid_request");
    assert!(e["error"]["message"].as_str().unwrap().contains("base_url"), "{e}");
    // Both kinds are listed for sign-in, the Azure DevOps one with a nonce (OpenID).
    let list = s.call(reqwest::Method::GET, "/api/v1/providers", None, None).await.expect(200);
    let find = |id: &str| list.as_array().unwrap().iter().find(|p| p["id"] == id).unwrap().clone();
    assert_eq!((find("gt")["kind"].clone(), find("gt")["nonce"].clone()), (json!("gitea"), json!(false)));
    assert_eq!((find("ado")["kind"].clone(), find("ado")["nonce"].clone()), (json!("azure_devops"), json!(true)));
    assert!(find("gt")["authorization_endpoint"].as_str().unwrap().ends_with("/login/oauth/authorize"));
    assert!(find("ado")["authorization_endpoint"].as_str().unwrap().contains("/oauth2/v2.0/authorize"));
}

/// Azure DevOps through Entra's device flow (`tessera login --provider ado --device`): the
/// person confirms the code on the provider's page, signs in, and the poll makes the session.
#[tokio::test]
async fn azure_devops_signs_in_with_the_device_flow() {
    let at = idp();
    let (s, _, _) = start_at(at).await;
    let device = |body: Value| s.call(reqwest::Method::POST, "/api/v1/sessions/device", None, Some(body));
    let started = device(json!({"provider": "ado"})).await.expect(200);
    let poll = json!({"provider": "ado", "device_code": started["device_code"]});
    device(poll.clone()).await.expect_error(400, "authorization_pending");
    let verification = started["verification_uri"].as_str().unwrap().to_owned();
    assert!(verification.contains("/v2.0/"), "the page is under the tenant issuer: {verification}");

    // The person's browser: the code page, its confirmation, then the sign-in and consent forms.
    let ca = std::fs::read(at.ready["ca_file"].as_str().unwrap()).unwrap();
    let b = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(&ca).unwrap())
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = b.get(&verification).send().await.unwrap().text().await.unwrap();
    let xsrf = page.split("name=\"xsrf\" value=\"").nth(1).and_then(|r| r.split('"').next()).unwrap().to_owned();
    let code = started["user_code"].as_str().unwrap();
    let confirm = b.post(&verification).form(&[("xsrf", &xsrf[..]), ("user_code", code)]).send().await.unwrap();
    assert!(confirm.text().await.unwrap().contains("name=\"confirm\" value=\"yes\""));
    let go = b
        .post(&verification)
        .form(&[("xsrf", &xsrf[..]), ("user_code", code), ("confirm", "yes")])
        .send()
        .await
        .unwrap();
    let mut url = reqwest::Url::parse(&verification).unwrap().join(go.headers()["location"].to_str().unwrap()).unwrap();
    let mut done = false;
    for _ in 0..10 {
        let mut res = b.get(url.clone()).send().await.unwrap();
        if res.status().as_u16() == 200 && url.path().contains("/interaction/") {
            let text = res.text().await.unwrap();
            let form: Vec<(&str, &str)> = if text.contains("value=\"login\"") {
                vec![("prompt", "login"), ("login", "dana"), ("password", "x")]
            } else {
                vec![("prompt", "consent")]
            };
            res = b.post(url.clone()).form(&form).send().await.unwrap();
        }
        if res.status().as_u16() != 303 {
            done = res.text().await.unwrap().contains("Sign-in Success");
            break;
        }
        url = url.join(res.headers()["location"].to_str().unwrap()).unwrap();
    }
    assert!(done, "the provider's pages end with its success page");

    let mut session = None;
    for _ in 0..20 {
        let r = device(poll.clone()).await;
        if r.status.as_u16() == 201 {
            session = Some(r.body);
            break;
        }
        assert!(matches!(r.code(), "authorization_pending" | "slow_down"), "{}", r.body);
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    let session = session.expect("the confirmed device sign-in completes");
    let t = token_of(&session);
    let ado = identity(&s, &t, "ado").await;
    assert_eq!(
        (ado["provider_kind"].as_str(), ado["email"].as_str()),
        (Some("azure_devops"), Some("dana@example.test"))
    );
    s.get(&format!("/api/v1/user/scm/{}/repos", ado["id"].as_str().unwrap()), &t).await.expect(200);

    // Gitea has no device flow: asking for one gets a sentence.
    let e = device(json!({"provider": "gt"})).await.expect_error(400, "invalid_request");
    assert!(e["error"]["message"].as_str().unwrap().contains("does not offer the device flow"), "{e}");
}
