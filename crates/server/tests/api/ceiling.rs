//! The minting ceiling: a token never mints or rotates a token that reaches an action its own
//! scopes do not allow. Every row of the table in `tessera_core::scope::needed_to_mint`, both
//! ways, at create and at rotate; a login session may mint every kind.

use serde_json::{json, Value};

use crate::harness::Server;

/// Who mints: a personal access token or an organization token, with these scopes.
#[derive(Clone, Copy, Debug)]
enum Minter {
    Pat(&'static [&'static str]),
    Org(&'static [&'static str]),
}

/// Where the child goes.
#[derive(Clone, Copy, Debug)]
enum Child {
    Pat,
    UserAgent,
    UserTrigger,
    Org,
    OrgAgent,
    OrgTrigger,
}

struct World {
    s: Server,
    alice: String,
    org: String,
    app: String,
    org_app: String,
}

impl World {
    async fn new() -> World {
        let s = Server::start().await;
        let alice = s.user("alice", false).await;
        let org = s.id_of("/api/v1/orgs", &alice, json!({"name": "acme"})).await;
        let app = s.id_of("/api/v1/projects", &alice, json!({"name": "app"})).await;
        let org_app = s.id_of("/api/v1/projects", &alice, json!({"name": "svc", "org": org})).await;
        World { s, alice, org, app, org_app }
    }

    fn collection(&self, child: Child) -> String {
        match child {
            Child::Pat => "/api/v1/user/tokens".into(),
            Child::UserAgent => "/api/v1/user/agent-tokens".into(),
            Child::UserTrigger => format!("/api/v1/projects/{}/trigger-tokens", self.app),
            Child::Org => format!("/api/v1/orgs/{}/tokens", self.org),
            Child::OrgAgent => format!("/api/v1/orgs/{}/agent-tokens", self.org),
            Child::OrgTrigger => format!("/api/v1/projects/{}/trigger-tokens", self.org_app),
        }
    }

    async fn minter(&self, m: Minter) -> String {
        match m {
            Minter::Pat(scopes) => self.s.pat(&self.alice, scopes).await,
            Minter::Org(scopes) => {
                self.s.token(&format!("/api/v1/orgs/{}/tokens", self.org), &self.alice, scopes).await.1
            }
        }
    }
}

fn child_scopes(child: Child) -> &'static [&'static str] {
    match child {
        Child::Pat | Child::Org => &["read"],
        _ => &[],
    }
}

/// (minter, child, the scopes the refusal names; empty: allowed)
const ROWS: &[(Minter, Child, &[&str])] = &[
    // Personal access tokens.
    (Minter::Pat(&["token:admin", "read"]), Child::Pat, &[]),
    (Minter::Pat(&["token:admin"]), Child::Pat, &["read"]),
    (Minter::Pat(&["read"]), Child::Pat, &["token:admin"]),
    (Minter::Pat(&["token:admin", "trigger"]), Child::UserTrigger, &[]),
    (Minter::Pat(&["token:admin"]), Child::UserTrigger, &["trigger"]),
    (Minter::Pat(&["token:admin", "pipeline:write", "secret:write"]), Child::UserAgent, &[]),
    (Minter::Pat(&["token:admin"]), Child::UserAgent, &["pipeline:write", "secret:write"]),
    (Minter::Pat(&["token:admin", "pipeline:write"]), Child::UserAgent, &["secret:write"]),
    (Minter::Pat(&["token:admin", "secret:write"]), Child::UserAgent, &["pipeline:write"]),
    (Minter::Pat(&["org:admin", "read"]), Child::Org, &[]),
    (Minter::Pat(&["org:admin"]), Child::Org, &["read"]),
    (Minter::Pat(&["org:admin", "pipeline:write", "secret:write"]), Child::OrgAgent, &[]),
    (Minter::Pat(&["org:admin"]), Child::OrgAgent, &["pipeline:write", "secret:write"]),
    (Minter::Pat(&["token:admin", "trigger"]), Child::OrgTrigger, &[]),
    (Minter::Pat(&["token:admin"]), Child::OrgTrigger, &["trigger"]),
    // Organization tokens.
    (Minter::Org(&["token:admin", "read"]), Child::Org, &[]),
    (Minter::Org(&["token:admin"]), Child::Org, &["read"]),
    (Minter::Org(&["token:admin", "trigger"]), Child::OrgTrigger, &[]),
    (Minter::Org(&["token:admin"]), Child::OrgTrigger, &["trigger"]),
    (Minter::Org(&["token:admin", "pipeline:write", "secret:write"]), Child::OrgAgent, &[]),
    (Minter::Org(&["token:admin"]), Child::OrgAgent, &["pipeline:write", "secret:write"]),
    (Minter::Org(&["token:admin", "pipeline:write"]), Child::OrgAgent, &["secret:write"]),
];

#[track_caller]
fn assert_refused_naming(reply: crate::harness::Reply, missing: &[&str], row: &str) {
    let body = reply.expect_error(403, "forbidden");
    let msg = body["error"]["message"].as_str().unwrap();
    for scope in missing {
        assert!(msg.contains(scope), "{row}: the refusal names {scope}: {msg}");
    }
}

#[tokio::test]
async fn every_row_of_the_ceiling_at_create() {
    let w = World::new().await;
    for (minter, child, missing) in ROWS {
        let row = format!("{minter:?} mints {child:?}");
        let by = w.minter(*minter).await;
        let coll = w.collection(*child);
        let reply = w.s.post(&coll, &by, json!({"label": "child", "scopes": child_scopes(*child)})).await;
        if missing.is_empty() {
            let made = reply.expect(201);
            assert!(made["token"].is_string(), "{row}");
        } else {
            assert_refused_naming(reply, missing, &row);
        }
    }
}

#[tokio::test]
async fn every_row_of_the_ceiling_at_rotate() {
    let w = World::new().await;
    for (minter, child, missing) in ROWS {
        let row = format!("{minter:?} rotates {child:?}");
        let coll = w.collection(*child);
        // The person makes the child; the token then tries to hand out a new value of it.
        let (made, old) = w.s.token(&coll, &w.alice, child_scopes(*child)).await;
        let by = w.minter(*minter).await;
        let reply = w.s.post(&format!("{coll}/{}/rotate", made["id"].as_str().unwrap()), &by, json!({})).await;
        if missing.is_empty() {
            let rotated = reply.expect(200);
            assert_ne!(rotated["token"].as_str().unwrap(), old, "{row}");
        } else {
            assert_refused_naming(reply, missing, &row);
            // Nothing changed: the old value still works.
            let seen = w.s.post("/api/v1/tokens/introspect", &w.alice, json!({"token": old})).await.expect(200);
            assert_eq!(seen["active"], true, "{row}");
        }
    }
}

#[tokio::test]
async fn a_session_mints_every_kind() {
    let w = World::new().await;
    for child in [Child::Pat, Child::UserAgent, Child::UserTrigger, Child::Org, Child::OrgAgent, Child::OrgTrigger] {
        let body: Value =
            w.s.post(&w.collection(child), &w.alice, json!({"label": "c", "scopes": child_scopes(child)}))
                .await
                .expect(201);
        assert!(body["token"].is_string(), "{child:?}");
    }
}

/// What the refused rows used to let through: a bare `token:admin` token minted a trigger token
/// that queued runs, and an agent token that claimed them.
#[tokio::test]
async fn token_admin_alone_no_longer_reaches_runs() {
    let w = World::new().await;
    let s = &w.s;
    let bare = s.pat(&w.alice, &["token:admin"]).await;
    let bare_org = w.minter(Minter::Org(&["token:admin"])).await;
    for (by, child) in [(&bare, Child::UserTrigger), (&bare, Child::UserAgent), (&bare_org, Child::OrgTrigger)] {
        s.post(&w.collection(child), by, json!({"label": "x"})).await.expect_error(403, "forbidden");
    }
    // With the scopes the children need, the same requests work and the children do their job.
    let trig = s.pat(&w.alice, &["token:admin", "trigger"]).await;
    let (_, trg) = s.token(&w.collection(Child::UserTrigger), &trig, &[]).await;
    s.post(&format!("/api/v1/projects/{}/runs", w.app), &trg, json!({})).await.expect(202);
    let agent_minter = s.pat(&w.alice, &["token:admin", "pipeline:write", "secret:write"]).await;
    let (_, agt) = s.token(&w.collection(Child::UserAgent), &agent_minter, &[]).await;
    let agent = s.post("/api/v1/agents/connect", &agt, json!({"name": "b1"})).await.expect(201)["agent_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let claimed = s.post(&format!("/api/v1/agents/{agent}/claim"), &agt, json!({})).await.expect(200);
    assert_eq!(claimed["run"]["status"], "running");
    // Refusals are audited.
    let root = s.user("root", true).await;
    let log = s.get("/api/v1/admin/audit?limit=1000", &root).await.expect(200);
    let entries = log.get("items").unwrap_or(&log);
    assert!(entries.as_array().unwrap().iter().any(|e| e["action"] == "token.create" && e["outcome"] == "denied"));
}

/// A child never outlives its parent: minted by a token that expires, a token gets at most that
/// expiry (by default exactly it); a later one is refused, and so is rotating a longer-lived one.
#[tokio::test]
async fn a_child_never_outlives_the_token_that_mints_it() {
    let w = World::new().await;
    let s = &w.s;
    let now = s.authority.now();
    let at = |d: chrono::Duration| (now + d).to_rfc3339();
    let hour = chrono::Duration::hours(1);
    let parent = s
        .post(
            "/api/v1/user/tokens",
            &w.alice,
            json!({"label": "1h", "scopes": ["token:admin", "read", "trigger"], "expires_at": at(hour)}),
        )
        .await
        .expect(201);
    let limit = parent["expires_at"].clone();
    let parent = parent["token"].as_str().unwrap().to_owned();

    // No expiry asked for: the child gets the parent's, and the response shows it.
    for (coll, scopes) in [(w.collection(Child::Pat), json!(["read"])), (w.collection(Child::UserTrigger), json!([]))] {
        let child = s.post(&coll, &parent, json!({"label": "c", "scopes": scopes})).await.expect(201);
        assert_eq!(child["expires_at"], limit, "{coll}");
    }
    // An earlier one is kept; a later one, or the same instant plus a second, is refused.
    let early = s
        .post(&w.collection(Child::Pat), &parent, json!({"label": "c", "scopes": ["read"], "expires_at": at(hour / 2)}))
        .await
        .expect(201);
    let early_value = early["token"].as_str().unwrap().to_owned();
    for later in [at(hour + chrono::Duration::seconds(1)), at(chrono::Duration::days(365))] {
        let body = s
            .post(&w.collection(Child::Pat), &parent, json!({"label": "c", "scopes": ["read"], "expires_at": later}))
            .await
            .expect_error(400, "invalid_request");
        assert!(body["error"]["message"].as_str().unwrap().contains("outlives"), "{body}");
    }
    // A session is the person: its tokens may live as long as it likes.
    let forever =
        s.post(&w.collection(Child::Pat), &w.alice, json!({"label": "f", "scopes": ["read"]})).await.expect(201);
    assert!(forever["expires_at"].is_null());
    // A never-expiring token mints never-expiring children.
    let immortal = s.pat(&w.alice, &["token:admin", "read"]).await;
    let child =
        s.post(&w.collection(Child::Pat), &immortal, json!({"label": "c", "scopes": ["read"]})).await.expect(201);
    assert!(child["expires_at"].is_null());

    // Rotation by the 1-hour token: refused for tokens that outlive it, allowed for the rest.
    let year = s
        .post(
            &w.collection(Child::Pat),
            &w.alice,
            json!({"label": "y", "scopes": ["read"], "expires_at": at(chrono::Duration::days(365))}),
        )
        .await
        .expect(201);
    for target in [&forever, &year] {
        let path = format!("{}/{}/rotate", w.collection(Child::Pat), target["id"].as_str().unwrap());
        let body = s.post(&path, &parent, json!({})).await.expect_error(403, "forbidden");
        assert!(body["error"]["message"].as_str().unwrap().contains("outlives"), "{body}");
    }
    let path = format!("{}/{}/rotate", w.collection(Child::Pat), early["id"].as_str().unwrap());
    let rotated = s.post(&path, &parent, json!({})).await.expect(200);
    assert_ne!(rotated["token"].as_str().unwrap(), early_value);

    // Children made by default die with the parent.
    let child = s.post(&w.collection(Child::Pat), &parent, json!({"label": "c", "scopes": ["read"]})).await.expect(201);
    let child = child["token"].as_str().unwrap();
    s.get("/api/v1/me", child).await.expect(200);
    s.clock.advance(hour);
    s.get("/api/v1/me", child).await.expect_error(401, "unauthenticated");
    s.get("/api/v1/me", &parent).await.expect_error(401, "unauthenticated");
}
