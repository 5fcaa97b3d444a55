//! De-provisioning: instance admins change local roles, disable, enable and delete accounts, see
//! and disconnect every agent and delete any project; the last enabled admin always stays.

use serde_json::{json, Value};
use tessera_core::audit::AuditFilter;
use tessera_core::store::{AgentStore, AuditStore, IdentityStore, ProjectStore, TokenStore, UserStore};

use crate::harness::Server;

/// Everything one account holds: a session, a PAT, a personal agent token with a connected
/// agent, and a personal project with a trigger token.
struct Holdings {
    id: String,
    session: String,
    pat: String,
    agent_token: String,
    agent: String,
    project: String,
    trigger: String,
}

async fn holdings(s: &Server, name: &str) -> Holdings {
    let session = s.user(name, false).await;
    let id = s.get("/api/v1/me", &session).await.expect(200)["id"].as_str().unwrap().to_owned();
    let pat = s.pat(&session, &["read", "trigger"]).await;
    let (_, agent_token) = s.token("/api/v1/user/agent-tokens", &session, &[]).await;
    let agent = s.post("/api/v1/agents/connect", &agent_token, json!({"name": "builder"})).await.expect(201)
        ["agent_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let project = s.id_of("/api/v1/projects", &session, json!({"name": "app"})).await;
    let (_, trigger) = s.token(&format!("/api/v1/projects/{project}/trigger-tokens"), &session, &[]).await;
    Holdings { id, session, pat, agent_token, agent, project, trigger }
}

/// The status each of an account's credentials gets on its next request to `s`.
async fn statuses(s: &Server, h: &Holdings) -> [u16; 5] {
    [
        s.get("/api/v1/me", &h.session).await.status.as_u16(),
        s.get("/api/v1/projects", &h.pat).await.status.as_u16(),
        s.post(&format!("/api/v1/agents/{}/heartbeat", h.agent), &h.agent_token, json!({"status": "online"}))
            .await
            .status
            .as_u16(),
        s.post(&format!("/api/v1/projects/{}/runs", h.project), &h.trigger, json!({})).await.status.as_u16(),
        s.get(&format!("/api/v1/projects/{}", h.project), &h.pat).await.status.as_u16(),
    ]
}

async fn audit_actions(s: &Server, target: &str) -> Vec<(String, String)> {
    let filter = AuditFilter { target: Some(target.to_owned()), limit: 1000, ..AuditFilter::default() };
    let log = s.store.audit_page(&filter, filter.limit).await.unwrap();
    log.into_iter().map(|e| (e.action, e.outcome)).collect()
}

#[tokio::test]
async fn a_disabled_account_fails_everywhere_at_once_and_comes_back_when_enabled() {
    let s = Server::start().await;
    let other = s.replica().await;
    let root = s.user("root", true).await;
    let alice = holdings(&s, "alice").await;
    let working = [200, 200, 200, 202, 200];
    assert_eq!(statuses(&s, &alice).await, working);
    assert_eq!(statuses(&other, &alice).await, working);
    let tokens_before = s.store.token_count().await.unwrap();

    let path = format!("/api/v1/admin/users/{}", alice.id);
    let changed = other.patch(&path, &root, json!({"disabled": true})).await.expect(200);
    assert_eq!((changed["disabled"].clone(), changed["role"].clone()), (json!(true), json!("member")));
    // The very next request on the replica that made the change, and within a second on the
    // other, whatever the credential.
    assert_eq!(statuses(&other, &alice).await, [401; 5]);
    crate::harness::within_a_second("alice is refused on the other replica", || async {
        statuses(&s, &alice).await == [401; 5]
    })
    .await;
    let r = s.get("/api/v1/me", &alice.session).await;
    assert!(r.body["error"]["message"].as_str().unwrap().contains("disabled"), "{}", r.body);
    assert!(s.authority.issue_session("alice").await.is_err(), "no new session for a disabled account");
    // Nothing was deleted.
    assert_eq!(s.store.token_count().await.unwrap(), tokens_before);
    let users = s.get("/api/v1/admin/users", &root).await.expect(200);
    let listed: Vec<&Value> = users.as_array().unwrap().iter().filter(|u| u["id"] == alice.id.as_str()).collect();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["disabled"], true);

    s.patch(&path, &root, json!({"disabled": false})).await.expect(200);
    assert_eq!(statuses(&s, &alice).await, working);
    crate::harness::within_a_second("alice works again on the other replica", || async {
        statuses(&other, &alice).await == working
    })
    .await;

    // Only an instance admin's login session; typed bodies; unknown accounts.
    let bob = s.user("bob", false).await;
    s.patch(&path, &bob, json!({"disabled": true})).await.expect_error(403, "forbidden");
    let every = ["trigger", "read", "pipeline:write", "repo:write", "secret:write", "token:admin", "org:admin"];
    let root_pat = s.pat(&root, &every).await;
    s.patch(&path, &root_pat, json!({"disabled": true})).await.expect_error(403, "forbidden");
    s.delete(&path, &root_pat).await.expect_error(403, "forbidden");
    s.patch(&path, &root, json!({"disabled": true, "name": "x"})).await.expect_error(400, "invalid_request");
    s.patch(&path, &root, json!({"role": "root"})).await.expect_error(400, "invalid_request");
    s.patch("/api/v1/admin/users/usr_nobody", &root, json!({"disabled": true})).await.expect_error(404, "not_found");
    assert_eq!(statuses(&s, &alice).await, working, "refused changes changed nothing");

    // A local role set by an admin works at once, and everything is audited.
    let promoted = s.patch(&path, &root, json!({"role": "admin"})).await.expect(200);
    assert_eq!(promoted["role"], "admin");
    s.get("/api/v1/admin/users", &alice.session).await.expect(200);
    s.patch(&path, &root, json!({"role": "member"})).await.expect(200);
    s.get("/api/v1/admin/users", &alice.session).await.expect_error(403, "forbidden");
    let actions = audit_actions(&s, &alice.id).await;
    let updates = actions.iter().filter(|(a, o)| a == "user.update" && o == "ok").count();
    assert_eq!(updates, 4, "disable, enable, promote, demote: {actions:?}");
    assert!(actions.iter().any(|(a, o)| a == "user.update" && o == "denied"), "{actions:?}");
}

#[tokio::test]
async fn deleting_an_account_revokes_all_it_owns_and_keeps_the_audit_trail() {
    let s = Server::start().await;
    let root = s.user("root", true).await;
    let alice = holdings(&s, "alice").await;
    let org = s.id_of("/api/v1/orgs", &alice.session, json!({"name": "acme"})).await;
    let org_project = s.id_of("/api/v1/projects", &alice.session, json!({"name": "svc", "org": org})).await;
    let audited_before = audit_actions(&s, &alice.project).await;
    assert!(!audited_before.is_empty());

    s.delete(&format!("/api/v1/admin/users/{}", alice.id), &root).await.expect(204);
    assert_eq!(statuses(&s, &alice).await, [401; 5]);
    assert!(s.store.user(&alice.id).await.unwrap().is_none());
    assert!(s.store.project(&alice.project).await.unwrap().is_none(), "personal projects go with the account");
    assert!(s.store.agent(&alice.agent).await.unwrap().is_none());
    assert!(s.store.project(&org_project).await.unwrap().is_some(), "the organization's projects stay");
    assert!(s.store.identities_of(&alice.id).await.unwrap().is_empty());
    // The audit trail keeps what the account did and what was done to it.
    assert_eq!(audit_actions(&s, &alice.project).await, audited_before);
    assert!(audit_actions(&s, &alice.id).await.contains(&("user.delete".to_owned(), "ok".to_owned())));
    s.delete(&format!("/api/v1/admin/users/{}", alice.id), &root).await.expect_error(404, "not_found");
    let names: Vec<String> = s
        .get("/api/v1/admin/users", &root)
        .await
        .expect(200)
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["root"]);
}

#[tokio::test]
async fn the_last_enabled_admin_stays_even_under_concurrent_demotions() {
    let s = Server::start().await;
    let root = s.user("root", true).await;
    let root_id = s.get("/api/v1/me", &root).await.expect(200)["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/admin/users/{root_id}");
    s.patch(&path, &root, json!({"role": "member"})).await.expect_error(409, "conflict");
    s.patch(&path, &root, json!({"disabled": true})).await.expect_error(409, "conflict");
    s.delete(&path, &root).await.expect_error(409, "conflict");
    // A disabled admin does not count.
    let spare = s.user("spare", true).await;
    let spare_id = s.get("/api/v1/me", &spare).await.expect(200)["id"].as_str().unwrap().to_owned();
    s.patch(&format!("/api/v1/admin/users/{spare_id}"), &root, json!({"disabled": true})).await.expect(200);
    s.patch(&path, &root, json!({"role": "member"})).await.expect_error(409, "conflict");
    s.patch(&format!("/api/v1/admin/users/{spare_id}"), &root, json!({"disabled": false})).await.expect(200);

    // Sixteen admins demote themselves at once: all but one succeed, and one admin remains.
    let mut admins = Vec::new();
    for i in 0..16 {
        let session = s.user(&format!("admin{i}"), true).await;
        let id = s.get("/api/v1/me", &session).await.expect(200)["id"].as_str().unwrap().to_owned();
        admins.push((session, id));
    }
    s.patch(&path, &root, json!({"role": "member"})).await.expect(200);
    s.patch(&format!("/api/v1/admin/users/{spare_id}"), &spare, json!({"role": "member"})).await.expect(200);
    let mut tasks = Vec::new();
    for (session, id) in &admins {
        let (http, url, session) = (s.http.clone(), format!("{}/api/v1/admin/users/{id}", s.base), session.clone());
        tasks.push(tokio::spawn(async move {
            let r = http.patch(url).bearer_auth(session).json(&json!({"role": "member"})).send().await.unwrap();
            r.status().as_u16()
        }));
    }
    let mut ok = 0;
    for t in tasks {
        match t.await.unwrap() {
            200 => ok += 1,
            status => assert_eq!(status, 409, "the refused demotion is a conflict"),
        }
    }
    assert_eq!(ok, 15, "exactly one demotion is refused");
    let users = s.store.users().await.unwrap();
    let left: Vec<&str> =
        users.iter().filter(|u| u.role == tessera_core::model::Role::Admin).map(|u| u.name.as_str()).collect();
    assert_eq!(left.len(), 1, "{left:?}");
}

#[tokio::test]
async fn instance_admins_see_and_disconnect_every_agent_and_delete_any_project() {
    let s = Server::start().await;
    let root = s.user("root", true).await;
    let alice = holdings(&s, "alice").await;
    let bob = s.user("bob", false).await;
    let bob_project = s.id_of("/api/v1/projects", &bob, json!({"name": "tool"})).await;

    let all = s.get("/api/v1/agents", &root).await.expect(200);
    assert!(all.as_array().unwrap().iter().any(|a| a["id"] == alice.agent.as_str()), "{all}");
    assert_eq!(s.get("/api/v1/agents", &bob).await.expect(200), json!([]));
    let agent_path = format!("/api/v1/agents/{}", alice.agent);
    s.delete(&agent_path, &bob).await.expect_error(404, "not_found");
    s.delete(&agent_path, &alice.pat).await.expect_error(403, "forbidden");
    s.delete(&agent_path, &root).await.expect(204);
    assert_eq!(s.get("/api/v1/agents", &alice.session).await.expect(200), json!([]));
    s.delete(&agent_path, &root).await.expect_error(404, "not_found");
    // Its owner may disconnect its own agents too.
    let again = s.post("/api/v1/agents/connect", &alice.agent_token, json!({"name": "b2"})).await.expect(201);
    s.delete(&format!("/api/v1/agents/{}", again["agent_id"].as_str().unwrap()), &alice.session).await.expect(204);

    let project_path = format!("/api/v1/projects/{}", alice.project);
    s.delete(&project_path, &bob).await.expect_error(404, "not_found");
    s.delete(&project_path, &alice.pat).await.expect_error(403, "forbidden");
    s.delete(&project_path, &root).await.expect(204);
    s.get(&project_path, &alice.session).await.expect_error(404, "not_found");
    s.post(&format!("{project_path}/runs"), &alice.trigger, json!({})).await.expect_error(401, "unauthenticated");
    s.delete(&format!("/api/v1/projects/{bob_project}"), &bob).await.expect(204);
    assert!(audit_actions(&s, &alice.project).await.contains(&("project.delete".to_owned(), "ok".to_owned())));
}
