//! Organizations, members, and organization tokens that act only on their organization.

use serde_json::json;

use crate::harness::Server;

#[tokio::test]
async fn members_and_roles_decide_who_manages_an_org() {
    let s = Server::start().await;
    let alice = s.user("alice", false).await;
    let bob = s.user("bob", false).await;
    let org = s.post("/api/v1/orgs", &alice, json!({"name": "acme"})).await.expect(201);
    assert_eq!(org["role"], "admin");
    let org = org["id"].as_str().unwrap().to_owned();
    s.post("/api/v1/orgs", &bob, json!({"name": "acme"})).await.expect_error(409, "conflict");
    s.post("/api/v1/orgs", &bob, json!({"name": "bad name!"})).await.expect_error(400, "invalid_request");

    // Bob cannot see it until he is a member: adding him invites him, and he accepts.
    s.get(&format!("/api/v1/orgs/{org}"), &bob).await.expect_error(404, "not_found");
    let inv = s
        .post(&format!("/api/v1/orgs/{org}/members"), &alice, json!({"user": "bob", "role": "member"}))
        .await
        .expect(202);
    s.get(&format!("/api/v1/orgs/{org}"), &bob).await.expect_error(404, "not_found");
    s.post(&format!("/api/v1/user/invitations/{}/accept", inv["id"].as_str().unwrap()), &bob, json!({}))
        .await
        .expect(200);
    let members = s.get(&format!("/api/v1/orgs/{org}/members"), &alice).await.expect(200);
    assert_eq!(members.as_array().unwrap().len(), 2);
    assert_eq!(s.get(&format!("/api/v1/orgs/{org}"), &bob).await.expect(200)["role"], "member");
    assert_eq!(s.get("/api/v1/orgs", &bob).await.expect(200).as_array().unwrap().len(), 1);

    // A member cannot manage members or org tokens.
    s.post(&format!("/api/v1/orgs/{org}/members"), &bob, json!({"user": "bob", "role": "admin"}))
        .await
        .expect_error(403, "forbidden");
    s.get(&format!("/api/v1/orgs/{org}/tokens"), &bob).await.expect_error(403, "forbidden");
    s.post(&format!("/api/v1/orgs/{org}/members"), &alice, json!({"user": "bob", "role": "owner"}))
        .await
        .expect_error(400, "invalid_request");

    // An org:admin PAT of an admin works, and stops the moment the owner is demoted.
    s.post(&format!("/api/v1/orgs/{org}/members"), &alice, json!({"user": "bob", "role": "admin"})).await.expect(200);
    let bob_pat = s.pat(&bob, &["org:admin", "read"]).await;
    s.get(&format!("/api/v1/orgs/{org}/tokens"), &bob_pat).await.expect(200);
    s.post(&format!("/api/v1/orgs/{org}/members"), &alice, json!({"user": "bob", "role": "member"})).await.expect(200);
    s.get(&format!("/api/v1/orgs/{org}/tokens"), &bob_pat).await.expect_error(403, "forbidden");

    // The last admin can be neither removed nor demoted.
    let remove = |who: &'static str| json!({"user": who});
    s.call(reqwest::Method::DELETE, &format!("/api/v1/orgs/{org}/members"), Some(&alice), Some(remove("alice")))
        .await
        .expect_error(409, "conflict");
    s.post(&format!("/api/v1/orgs/{org}/members"), &alice, json!({"user": "alice", "role": "member"}))
        .await
        .expect_error(409, "conflict");
    s.call(reqwest::Method::DELETE, &format!("/api/v1/orgs/{org}/members"), Some(&alice), Some(remove("bob")))
        .await
        .expect(204);
    s.get(&format!("/api/v1/orgs/{org}"), &bob).await.expect_error(404, "not_found");
    s.call(reqwest::Method::DELETE, &format!("/api/v1/orgs/{org}/members"), Some(&alice), Some(remove("bob")))
        .await
        .expect_error(404, "not_found");
}

#[tokio::test]
async fn org_tokens_act_only_on_their_own_org() {
    let s = Server::start().await;
    let alice = s.user("alice", false).await;
    let acme = s.id_of("/api/v1/orgs", &alice, json!({"name": "acme"})).await;
    let globex = s.id_of("/api/v1/orgs", &alice, json!({"name": "globex"})).await;
    let mine = s.id_of("/api/v1/projects", &alice, json!({"name": "app", "org": acme})).await;
    let theirs = s.id_of("/api/v1/projects", &alice, json!({"name": "app", "org": globex})).await;
    let personal = s.id_of("/api/v1/projects", &alice, json!({"name": "dotfiles"})).await;

    let (t, value) = s.token(&format!("/api/v1/orgs/{acme}/tokens"), &alice, &["read", "trigger", "token:admin"]).await;
    assert_eq!(t["owner"], json!({"kind": "org", "id": acme}));
    assert!(value.starts_with("tsr_org_"));

    let projects = s.get("/api/v1/projects", &value).await.expect(200);
    let ids: Vec<&str> = projects.as_array().unwrap().iter().map(|p| p["id"].as_str().unwrap()).collect();
    assert_eq!(ids, vec![mine.as_str()]);
    s.post(&format!("/api/v1/projects/{mine}/runs"), &value, json!({})).await.expect(202);
    s.post(&format!("/api/v1/projects/{theirs}/runs"), &value, json!({})).await.expect_error(404, "not_found");
    s.post(&format!("/api/v1/projects/{personal}/runs"), &value, json!({})).await.expect_error(404, "not_found");
    s.get(&format!("/api/v1/orgs/{globex}"), &value).await.expect_error(404, "not_found");
    assert_eq!(s.get("/api/v1/orgs", &value).await.expect(200).as_array().unwrap().len(), 1);
    // Its token:admin manages its own org's tokens, never wider ones, never another org's.
    s.post(&format!("/api/v1/orgs/{acme}/tokens"), &value, json!({"label": "ci", "scopes": ["read"]}))
        .await
        .expect(201);
    s.post(&format!("/api/v1/orgs/{acme}/tokens"), &value, json!({"label": "ci", "scopes": ["org:admin"]}))
        .await
        .expect_error(403, "forbidden");
    s.get(&format!("/api/v1/orgs/{globex}/tokens"), &value).await.expect_error(404, "not_found");
    // It is not a person.
    s.get("/api/v1/me", &value).await.expect_error(403, "forbidden");
    s.get("/api/v1/user/tokens", &value).await.expect_error(403, "forbidden");
    s.post("/api/v1/orgs", &value, json!({"name": "spawned"})).await.expect_error(403, "forbidden");
}

/// The fields of an invitation whose values depend on who was invited and when, blanked, so
/// two answers can be compared for shape.
fn shape(v: &serde_json::Value) -> serde_json::Value {
    let mut v = v.clone();
    for k in ["id", "invitee", "created_at", "expires_at"] {
        if v.get(k).is_some() {
            v[k] = json!("…");
        }
    }
    v
}

#[tokio::test]
async fn membership_needs_the_invitees_consent_and_names_cannot_be_probed() {
    let s = Server::start().await;
    let alice = s.user("alice", false).await;
    let bob = s.user("bob", false).await;
    let carol = s.user("carol", false).await;
    let org = s.id_of("/api/v1/orgs", &alice, json!({"name": "acme"})).await;
    let members = format!("/api/v1/orgs/{org}/members");
    let invitations = format!("/api/v1/orgs/{org}/invitations");

    // An existing name and an unknown one get the same status and the same body shape, through
    // either endpoint; nobody becomes a member without consent.
    let to_bob = s.post(&members, &alice, json!({"user": "bob", "role": "admin"})).await.expect(202);
    let to_ghost = s.post(&members, &alice, json!({"user": "ghost", "role": "admin"})).await.expect(202);
    assert_eq!(shape(&to_bob), shape(&to_ghost));
    assert_eq!(to_bob["org_name"], "acme");
    assert_eq!(to_bob["invited_by"], "alice");
    let to_carol = s.post(&invitations, &alice, json!({"user": "carol", "role": "member"})).await.expect(201);
    let to_nobody = s.post(&invitations, &alice, json!({"user": "nobody", "role": "member"})).await.expect(201);
    assert_eq!(shape(&to_carol), shape(&to_nobody));
    // Removing a non-member and an unknown name answer alike too.
    let not_member = s.call(reqwest::Method::DELETE, &members, Some(&alice), Some(json!({"user": "bob"}))).await;
    let unknown = s.call(reqwest::Method::DELETE, &members, Some(&alice), Some(json!({"user": "ghost"}))).await;
    assert_eq!((not_member.status, &not_member.body), (unknown.status, &unknown.body));
    assert_eq!(s.get(&members, &alice).await.expect(200).as_array().unwrap().len(), 1);
    s.get(&format!("/api/v1/orgs/{org}"), &bob).await.expect_error(404, "not_found");
    // Inviting a member is a conflict; bad roles and names are refused.
    s.post(&invitations, &alice, json!({"user": "alice", "role": "member"})).await.expect_error(409, "conflict");
    s.post(&invitations, &alice, json!({"user": "bob", "role": "owner"})).await.expect_error(400, "invalid_request");
    s.post(&invitations, &alice, json!({"user": "", "role": "member"})).await.expect_error(400, "invalid_request");

    // The admins see every pending invitation; members and outsiders do not, nor may they invite.
    let pending = s.get(&invitations, &alice).await.expect(200);
    let mut names: Vec<&str> = pending.as_array().unwrap().iter().map(|i| i["invitee"].as_str().unwrap()).collect();
    names.sort();
    assert_eq!(names, ["bob", "carol", "ghost", "nobody"]);
    s.get(&invitations, &bob).await.expect_error(404, "not_found");
    s.post(&invitations, &bob, json!({"user": "bob", "role": "admin"})).await.expect_error(404, "not_found");
    // Inviting again replaces the pending invitation.
    let again = s.post(&invitations, &alice, json!({"user": "bob", "role": "member"})).await.expect(201);
    assert_eq!(s.get(&invitations, &alice).await.expect(200).as_array().unwrap().len(), 4);
    s.post(&format!("/api/v1/user/invitations/{}/accept", to_bob["id"].as_str().unwrap()), &bob, json!({}))
        .await
        .expect_error(404, "not_found");

    // Each invitee sees only their own; no one else can answer it.
    let bobs = s.get("/api/v1/user/invitations", &bob).await.expect(200);
    assert_eq!(bobs.as_array().unwrap().len(), 1);
    assert_eq!(bobs[0]["id"], again["id"]);
    assert_eq!(bobs[0]["role"], "member");
    let accept = |id: &serde_json::Value| format!("/api/v1/user/invitations/{}/accept", id.as_str().unwrap());
    let decline = |id: &serde_json::Value| format!("/api/v1/user/invitations/{}/decline", id.as_str().unwrap());
    s.post(&accept(&again["id"]), &carol, json!({})).await.expect_error(404, "not_found");
    s.post(&decline(&again["id"]), &alice, json!({})).await.expect_error(404, "not_found");
    // A token needs org:admin to answer; a read token may list.
    let bob_read = s.pat(&bob, &["read"]).await;
    s.get("/api/v1/user/invitations", &bob_read).await.expect(200);
    s.post(&accept(&again["id"]), &bob_read, json!({})).await.expect_error(403, "forbidden");

    // Bob accepts: he is a member with the invitation's role, and it is gone.
    let joined = s.post(&accept(&again["id"]), &bob, json!({})).await.expect(200);
    assert_eq!((joined["id"].as_str(), joined["role"].as_str()), (Some(org.as_str()), Some("member")));
    s.post(&accept(&again["id"]), &bob, json!({})).await.expect_error(404, "not_found");
    assert_eq!(s.get(&format!("/api/v1/orgs/{org}"), &bob).await.expect(200)["role"], "member");
    assert!(s.get("/api/v1/user/invitations", &bob).await.expect(200).as_array().unwrap().is_empty());

    // Carol declines: she is not a member. The admin withdraws the unknown names' invitations.
    s.post(&decline(&to_carol["id"]), &carol, json!({})).await.expect(204);
    s.get(&format!("/api/v1/orgs/{org}"), &carol).await.expect_error(404, "not_found");
    s.delete(&format!("{invitations}/{}", to_ghost["id"].as_str().unwrap()), &bob).await.expect_error(403, "forbidden");
    s.delete(&format!("{invitations}/{}", to_ghost["id"].as_str().unwrap()), &alice).await.expect(204);
    s.delete(&format!("{invitations}/{}", to_ghost["id"].as_str().unwrap()), &alice)
        .await
        .expect_error(404, "not_found");
    let left: Vec<String> = s
        .get(&invitations, &alice)
        .await
        .expect(200)
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["invitee"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(left, ["nobody"]);

    // A withdrawn invitation cannot be accepted; nor can one that lapsed.
    let to_carol = s.post(&invitations, &alice, json!({"user": "carol", "role": "member"})).await.expect(201);
    s.delete(&format!("{invitations}/{}", to_carol["id"].as_str().unwrap()), &alice).await.expect(204);
    s.post(&accept(&to_carol["id"]), &carol, json!({})).await.expect_error(404, "not_found");
    let to_carol = s.post(&invitations, &alice, json!({"user": "carol", "role": "member"})).await.expect(201);
    s.clock.advance(tessera_core::authority::INVITATION_LIFETIME + chrono::Duration::seconds(1));
    let carol = s.session("carol").await;
    assert!(s.get("/api/v1/user/invitations", &carol).await.expect(200).as_array().unwrap().is_empty());
    s.post(&accept(&to_carol["id"]), &carol, json!({})).await.expect_error(404, "not_found");

    // Every step is in the audit log.
    let root = s.user("root", true).await;
    let alice = s.session("alice").await;
    assert!(s.get(&invitations, &alice).await.expect(200).as_array().unwrap().is_empty(), "lapsed ones are not listed");
    let audit = s.get("/api/v1/admin/audit?limit=200", &root).await.expect(200);
    let items = audit.get("items").unwrap_or(&audit).as_array().unwrap().clone();
    let actions: Vec<&str> = items.iter().filter_map(|e| e["action"].as_str()).collect();
    for a in ["org.invite", "org.invitation.accept", "org.invitation.decline", "org.invitation.withdraw"] {
        assert!(actions.contains(&a), "{a} is audited: {actions:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_invitation_accepted_many_times_at_once_is_accepted_once() {
    let s = std::sync::Arc::new(Server::start().await);
    let alice = s.user("alice", false).await;
    let bob = s.user("bob", false).await;
    let org = s.id_of("/api/v1/orgs", &alice, json!({"name": "acme"})).await;
    let inv = s
        .post(&format!("/api/v1/orgs/{org}/invitations"), &alice, json!({"user": "bob", "role": "admin"}))
        .await
        .expect(201);
    let path = format!("/api/v1/user/invitations/{}/accept", inv["id"].as_str().unwrap());
    let calls: Vec<_> = (0..16)
        .map(|_| {
            let (s, bob, path) = (std::sync::Arc::clone(&s), bob.clone(), path.clone());
            tokio::spawn(async move { s.post(&path, &bob, json!({})).await })
        })
        .collect();
    let mut statuses = Vec::new();
    for c in calls {
        let r = c.await.unwrap();
        if r.status.as_u16() == 200 {
            assert_eq!(r.body["role"], "admin");
        } else {
            assert_eq!((r.status.as_u16(), r.code()), (404, "not_found"), "{}", r.body);
        }
        statuses.push(r.status.as_u16());
    }
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "{statuses:?}");
    let members = s.get(&format!("/api/v1/orgs/{org}/members"), &alice).await.expect(200);
    assert_eq!(members.as_array().unwrap().len(), 2);
}
