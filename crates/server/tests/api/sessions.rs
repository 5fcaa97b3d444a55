//! Login sessions: expiry by the clock, ending a session, introspection, instance admin rights.

use chrono::Duration;
use serde_json::json;
use tessera_core::clock::Clock;
use tessera_core::store::UserStore;

use crate::harness::Server;

#[tokio::test]
async fn a_session_lasts_an_hour_and_can_be_ended() {
    let s = Server::start().await;
    let alice = s.user("alice", false).await;
    let me = s.get("/api/v1/me", &alice).await.expect(200);
    assert_eq!(me["name"], "alice");
    assert_eq!(me["role"], "member");
    assert_eq!(s.get("/api/v1/health", &alice).await.expect(200)["status"], "ok");
    s.clock.advance(Duration::minutes(59));
    s.get("/api/v1/me", &alice).await.expect(200);
    s.clock.advance(Duration::minutes(1));
    s.get("/api/v1/me", &alice).await.expect_error(401, "unauthenticated");

    let again = s.session("alice").await;
    let intro = s.post("/api/v1/tokens/introspect", &again, json!({"token": again})).await.expect(200);
    assert_eq!(intro["active"], true);
    assert_eq!(intro["token_type"], "tessera_session");
    s.delete("/api/v1/sessions/current", &again).await.expect(204);
    s.get("/api/v1/me", &again).await.expect_error(401, "unauthenticated");
    let pat = s.pat(&s.session("alice").await, &["read"]).await;
    s.delete("/api/v1/sessions/current", &pat).await.expect_error(403, "forbidden");
}

#[tokio::test]
async fn instance_admin_needs_an_admin_session_and_demotion_is_immediate() {
    let s = Server::start().await;
    let root = s.user("root", true).await;
    let alice = s.user("alice", false).await;
    let users = s.get("/api/v1/admin/users", &root).await.expect(200);
    assert_eq!(users.as_array().unwrap().len(), 2);
    s.get("/api/v1/admin/users", &alice).await.expect_error(403, "forbidden");
    let every_scope = ["trigger", "read", "pipeline:write", "repo:write", "secret:write", "token:admin", "org:admin"];
    let root_pat = s.pat(&root, &every_scope).await;
    s.get("/api/v1/admin/users", &root_pat).await.expect_error(403, "forbidden");
    s.get("/api/v1/admin/audit", &root_pat).await.expect_error(403, "forbidden");

    let me = s.get("/api/v1/me", &root).await.expect(200);
    // Written to the store behind the server's back (as an offline `tessera admin` command does):
    // the server hears of it within a second.
    s.store.set_role(me["id"].as_str().unwrap(), tessera_core::model::Role::Member).await.unwrap();
    s.get_within_a_second("/api/v1/admin/users", &root, 403).await.expect_error(403, "forbidden");
}

#[tokio::test]
async fn introspection_needs_a_credential_and_says_little_about_dead_values() {
    let s = Server::start().await;
    let alice = s.user("alice", false).await;
    let (t, v) = s.token("/api/v1/user/tokens", &alice, &["read", "trigger"]).await;
    let r = s.call(reqwest::Method::POST, "/api/v1/tokens/introspect", None, Some(json!({"token": v}))).await;
    r.expect_error(401, "unauthenticated");
    let form = s
        .raw(
            reqwest::Method::POST,
            "/api/v1/tokens/introspect",
            &[("authorization", &format!("Bearer {alice}")), ("content-type", "application/x-www-form-urlencoded")],
            format!("token={v}").into_bytes(),
        )
        .await
        .expect(200);
    assert_eq!(form["active"], true);
    assert_eq!(form["scope"], "trigger read");
    assert_eq!(form["kind"], "pat");
    assert_eq!(form["jti"], t["id"]);
    for dead in ["tsr_pat_000000000000000000000000000000000000", "garbage", &v[..20]] {
        assert_eq!(
            s.post("/api/v1/tokens/introspect", &alice, json!({"token": dead})).await.expect(200),
            json!({"active": false})
        );
    }
}

#[tokio::test]
async fn a_session_dies_with_its_record_whatever_its_jwt_says() {
    let s = Server::start().await;
    let alice = s.user("alice", false).await;
    // The same signing key the server uses, as a holder of a leaked key or a server with a
    // wrong clock would have: a JWT for alice's session record, expiring in a year.
    let (_, keys) = s.backend.open(s.clock.now()).await;
    let claims = keys.verify(&alice, s.clock.now()).unwrap();
    let (forged, exp) = keys.sign(&claims.sub, &claims.jti, s.clock.now() + Duration::days(365)).unwrap();
    assert!(exp > s.clock.now() + Duration::days(300));
    s.get("/api/v1/me", forged.expose()).await.expect(200);

    // The record lasts an hour: past it, the long JWT is refused as the short one is.
    s.clock.advance(Duration::minutes(61));
    keys.verify(forged.expose(), s.clock.now()).expect("the forged JWT itself is still within its exp");
    s.get("/api/v1/me", forged.expose()).await.expect_error(401, "unauthenticated");
    s.get("/api/v1/me", &alice).await.expect_error(401, "unauthenticated");

    // An ended record: a long JWT over it is refused too.
    let bob = s.user("bob", false).await;
    let claims = keys.verify(&bob, s.clock.now()).unwrap();
    let (long, _) = keys.sign(&claims.sub, &claims.jti, s.clock.now() + Duration::days(365)).unwrap();
    s.delete("/api/v1/sessions/current", &bob).await.expect(204);
    s.get("/api/v1/me", long.expose()).await.expect_error(401, "unauthenticated");
}
