//! Staying signed in over the API: a sign-in's device and refresh credential, renewal across
//! many session lifetimes, one-time use with the whole device revoked on reuse (with many
//! renewals in flight), Account's devices, and a session for calling the API by hand.

use chrono::Duration;
use reqwest::Method;
use serde_json::{json, Value};

use crate::harness::Server;
use crate::signin::{self, token_of};

fn refresh_of(v: &Value) -> String {
    v["refresh_token"].as_str().expect("a refresh credential").to_owned()
}

async fn renew(s: &Server, refresh: &str) -> crate::harness::Reply {
    s.call(Method::POST, "/api/v1/sessions/refresh", None, Some(json!({ "refresh_token": refresh }))).await
}

#[tokio::test]
async fn a_sign_in_makes_a_device_that_renews_for_longer_than_many_sessions_and_signs_out() {
    let (s, _, _) = signin::start().await;
    let mut grant = signin::browser_sign_in(&s, "kc", "ada").await;
    grant.body["device_name"] = json!("Tessera desktop on ada-laptop");
    let first = s.call(Method::POST, "/api/v1/sessions", None, Some(grant.body)).await.expect(201);
    assert_eq!(first["device"]["name"], "Tessera desktop on ada-laptop");
    assert_eq!(first["device"]["current"], true);
    let refresh = refresh_of(&first);
    assert!(refresh.starts_with("tsr_rfr_") && refresh.len() == 51, "{refresh}");

    // Renewed a little before each hour ends, the device outlives many one-hour sessions.
    let (mut session, mut refresh) = (token_of(&first), refresh);
    for hour in 1..=5 {
        s.clock.advance(Duration::minutes(55));
        let next = renew(&s, &refresh).await.expect(200);
        assert_eq!(next["account"]["name"], first["account"]["name"], "hour {hour}");
        assert_eq!(next["device"]["id"], first["device"]["id"]);
        assert_ne!(refresh_of(&next), refresh);
        s.clock.advance(Duration::minutes(6));
        s.get("/api/v1/me", &session).await.expect_error(401, "unauthenticated");
        s.get("/api/v1/me", &token_of(&next)).await.expect(200);
        (session, refresh) = (token_of(&next), refresh_of(&next));
    }
    let devices = s.get("/api/v1/user/devices", &session).await.expect(200);
    assert_eq!(devices.as_array().unwrap().len(), 1);
    assert_eq!(devices[0]["current"], true);
    assert_eq!(devices[0]["last_seen_ip"], "127.0.0.1");
    assert!(devices[0].get("refresh_token").is_none() && !devices.to_string().contains("tsr_rfr_"));

    // Signing out signs the device out: its credential no longer renews.
    s.delete("/api/v1/sessions/current", &session).await.expect(204);
    renew(&s, &refresh).await.expect_error(401, "unauthenticated");
}

/// Many renewals with one value at once: at most one renews, every other one is refused, and
/// the reuse revokes the device, so even the winner's new session and credential stop working.
/// (Whether the winner's own answer is a 200 depends on whether a loser revoked the device
/// before the winner's session was read back; both are safe, so both are accepted.)
#[tokio::test]
async fn one_value_renewed_many_times_at_once_renews_once_and_revokes_the_device() {
    let (s, _, _) = signin::start().await;
    let first = signin::sign_in(&s, "kc", "bob").await;
    let refresh = refresh_of(&first);
    let replies = futures::future::join_all((0..12).map(|_| renew(&s, &refresh))).await.into_iter().collect::<Vec<_>>();
    let statuses: Vec<u16> = replies.iter().map(|r| r.status.as_u16()).collect();
    let won: Vec<&crate::harness::Reply> = replies.iter().filter(|r| r.status == 200).collect();
    assert!(won.len() <= 1, "{statuses:?}");
    for r in replies.iter().filter(|r| r.status != 200) {
        assert_eq!(r.status, 401, "{}", r.body);
        assert_eq!(r.code(), "unauthenticated");
        assert!(!r.body.to_string().contains("tsr_rfr_"), "no credential in an error");
    }
    if let Some(winner) = won.first() {
        s.get("/api/v1/me", &token_of(&winner.body)).await.expect_error(401, "unauthenticated");
        renew(&s, &refresh_of(&winner.body)).await.expect_error(401, "unauthenticated");
    }
    s.get("/api/v1/me", &token_of(&first)).await.expect_error(401, "unauthenticated");
    renew(&s, &refresh).await.expect_error(401, "unauthenticated");

    // The instance admin sees the reuse in the audit log.
    let admin = s.user("root", true).await;
    let audit = s.get("/api/v1/admin/audit?action=device.reuse", &admin).await.expect(200);
    assert_eq!(audit["items"][0]["target"], first["device"]["id"], "{audit}");
}

#[tokio::test]
async fn devices_are_listed_and_signed_out_by_their_owner_with_a_login_session_only() {
    let (s, _, _) = signin::start().await;
    let laptop = signin::sign_in(&s, "kc", "cat").await;
    let phone = signin::sign_in(&s, "kc", "cat").await;
    let on_laptop = token_of(&laptop);
    let listed = s.get("/api/v1/user/devices", &on_laptop).await.expect(200);
    let ids: Vec<&str> = listed.as_array().unwrap().iter().map(|d| d["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 2);
    assert!(ids.contains(&phone["device"]["id"].as_str().unwrap()));
    assert!(listed.as_array().unwrap().iter().any(|d| d["id"] == laptop["device"]["id"] && d["current"] == true));

    let pat = s.pat(&on_laptop, &["read", "token:admin"]).await;
    s.get("/api/v1/user/devices", &pat).await.expect_error(403, "forbidden");
    let phone_id = phone["device"]["id"].as_str().unwrap();
    s.delete(&format!("/api/v1/user/devices/{phone_id}"), &pat).await.expect_error(403, "forbidden");
    let dan = s.user("dan", false).await;
    s.delete(&format!("/api/v1/user/devices/{phone_id}"), &dan).await.expect_error(404, "not_found");
    s.delete("/api/v1/user/devices/dev_nothing", &on_laptop).await.expect_error(404, "not_found");

    s.delete(&format!("/api/v1/user/devices/{phone_id}"), &on_laptop).await.expect(204);
    s.get("/api/v1/me", &token_of(&phone)).await.expect_error(401, "unauthenticated");
    renew(&s, &refresh_of(&phone)).await.expect_error(401, "unauthenticated");
    assert_eq!(s.get("/api/v1/user/devices", &on_laptop).await.expect(200).as_array().unwrap().len(), 1);
    s.delete(&format!("/api/v1/user/devices/{phone_id}"), &on_laptop).await.expect_error(404, "not_found");
}

/// RFC 7009: whoever holds a refresh credential can revoke it, which signs its device out.
#[tokio::test]
async fn revoking_a_refresh_credential_by_value_signs_its_device_out() {
    let (s, _, _) = signin::start().await;
    let signed_in = signin::sign_in(&s, "kc", "eve").await;
    let form = |value: &str| format!("token={value}").into_bytes();
    let headers = [("content-type", "application/x-www-form-urlencoded")];
    let revoke = |value: String| s.raw(Method::POST, "/api/v1/tokens/revoke", &headers, form(&value));
    revoke(refresh_of(&signed_in)).await.expect(200);
    s.get("/api/v1/me", &token_of(&signed_in)).await.expect_error(401, "unauthenticated");
    renew(&s, &refresh_of(&signed_in)).await.expect_error(401, "unauthenticated");
    // Unknown and spent values are a 200 too, and revoke nothing.
    revoke("tsr_rfr_0000000000000000000000000000000000000000000".into()).await.expect(200);
    let other = signin::sign_in(&s, "kc", "eve").await;
    let next = renew(&s, &refresh_of(&other)).await.expect(200);
    revoke(refresh_of(&other)).await.expect(200);
    s.get("/api/v1/me", &token_of(&next)).await.expect(200);
}

#[tokio::test]
async fn a_one_hour_session_for_calling_the_api_by_hand() {
    let s = Server::start().await;
    let alice = s.user("alice", false).await;
    let extra = s.call(Method::POST, "/api/v1/user/sessions", Some(&alice), None).await.expect(201);
    let token = extra["token"].as_str().unwrap();
    assert_ne!(token, alice);
    assert_eq!(s.get("/api/v1/me", token).await.expect(200)["name"], "alice");
    s.delete("/api/v1/sessions/current", &alice).await.expect(204);
    s.get("/api/v1/me", token).await.expect(200);
    s.clock.advance(Duration::minutes(61));
    s.get("/api/v1/me", token).await.expect_error(401, "unauthenticated");

    let pat = s.pat(&s.session("alice").await, &["read", "token:admin"]).await;
    s.call(Method::POST, "/api/v1/user/sessions", Some(&pat), None).await.expect_error(403, "forbidden");
}

#[tokio::test]
async fn bad_renewals_get_clear_refusals() {
    let s = Server::start().await;
    let empty = s.call(Method::POST, "/api/v1/sessions/refresh", None, Some(json!({}))).await;
    empty.expect_error(400, "invalid_request");
    for junk in ["", "tsr_rfr_", "tsr_rfr_0000000000000000000000000000000000000000000", "eyJ.a.b"] {
        renew(&s, junk).await.expect_error(401, "unauthenticated");
    }
    let extra = s.call(Method::POST, "/api/v1/sessions/refresh", None, Some(json!({"refresh_token": "x", "more": 1})));
    extra.await.expect_error(400, "invalid_request");
    let form = s
        .raw(
            Method::POST,
            "/api/v1/sessions/refresh",
            &[("content-type", "application/x-www-form-urlencoded")],
            b"refresh_token=tsr_rfr_nope".to_vec(),
        )
        .await;
    form.expect_error(401, "unauthenticated");
}
