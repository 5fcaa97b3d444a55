//! Bad input of every kind gets a clear 4xx in Tessera's error format: never a 500, never a
//! panic, never a credential echoed back.

use reqwest::Method;
use serde_json::json;

use crate::harness::Server;

fn random_string(seed: &mut u64, len: usize) -> String {
    const CHARS: &[u8] = b"abcXYZ0189_-.tsr_pat_org_agt_trg_eyJ%/\\\"' {}[]:,";
    (0..len)
        .map(|_| {
            *seed ^= *seed << 13;
            *seed ^= *seed >> 7;
            *seed ^= *seed << 17;
            CHARS[(*seed % CHARS.len() as u64) as usize] as char
        })
        .collect()
}

#[tokio::test]
async fn bad_bodies_are_400_with_a_sentence() {
    let s = Server::start().await;
    let alice = s.user("alice", false).await;
    let auth = format!("Bearer {alice}");
    let json_ct = ("content-type", "application/json");
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("not json", b"{label: nope".to_vec()),
        ("empty", Vec::new()),
        ("array", b"[]".to_vec()),
        ("wrong type", br#"{"label": 5, "scopes": ["read"]}"#.to_vec()),
        ("unknown scope", br#"{"label": "x", "scopes": ["root"]}"#.to_vec()),
        ("unknown field", br#"{"label": "x", "scopes": ["read"], "admin": true}"#.to_vec()),
        ("missing label", br#"{"scopes": ["read"]}"#.to_vec()),
        ("bad date", br#"{"label": "x", "scopes": ["read"], "expires_at": "tomorrow"}"#.to_vec()),
        ("invalid utf-8", b"{\"label\": \"\xff\xfe\", \"scopes\": [\"read\"]}".to_vec()),
        ("control chars", br#"{"label": "a\u0000b", "scopes": ["read"]}"#.to_vec()),
        ("deep nesting", format!("{}{}", "[".repeat(10_000), "]".repeat(10_000)).into_bytes()),
    ];
    for (name, body) in cases {
        let r = s.raw(Method::POST, "/api/v1/user/tokens", &[("authorization", &auth), json_ct], body).await;
        assert_eq!(r.status.as_u16(), 400, "{name}: {}", r.body);
        assert_eq!(r.code(), "invalid_request", "{name}");
    }
    let r = s
        .raw(
            Method::POST,
            "/api/v1/user/tokens",
            &[("authorization", &auth), ("content-type", "text/plain")],
            b"{}".to_vec(),
        )
        .await;
    r.expect_error(400, "invalid_request");
    let huge = json!({"label": "x".repeat(600 * 1024), "scopes": ["read"]}).to_string().into_bytes();
    s.raw(Method::POST, "/api/v1/user/tokens", &[("authorization", &auth), json_ct], huge)
        .await
        .expect_error(413, "payload_too_large");
    let long_label = json!({"label": "x".repeat(10_000), "scopes": ["read"]});
    s.post("/api/v1/user/tokens", &alice, long_label).await.expect_error(400, "invalid_request");
    s.put("/api/v1/projects/prj_x/pipelines/a", &alice, json!({"content": "x".repeat(300 * 1024)}))
        .await
        .expect_error(400, "invalid_request");
}

#[tokio::test]
async fn a_credential_in_the_wrong_field_is_not_echoed() {
    let s = Server::start().await;
    let alice = s.user("alice", false).await;
    let (_, value) = s.token("/api/v1/user/tokens", &alice, &["token:admin"]).await;
    let r = s.post("/api/v1/user/tokens", &alice, json!({"label": "x", "scopes": value})).await;
    let body = r.expect_error(400, "invalid_request").to_string();
    assert!(!body.contains(&value[8..]), "{body}");
    let r = s.post("/api/v1/user/tokens", &alice, json!({"label": "x", "scopes": [value]})).await;
    assert!(!r.expect_error(400, "invalid_request").to_string().contains(&value[8..]));
    let r = s.post("/api/v1/user/tokens", &alice, json!({"label": "x", "scopes": [alice]})).await;
    assert!(!r.expect_error(400, "invalid_request").to_string().contains(&alice));
}

#[tokio::test]
async fn bad_authorization_headers_are_401() {
    let s = Server::start().await;
    let alice = s.user("alice", false).await;
    let long = format!("Bearer {}", "a".repeat(16_000));
    let forged = {
        let mut parts: Vec<String> = alice.split('.').map(str::to_owned).collect();
        parts[2] = parts[2].chars().rev().collect();
        parts.join(".")
    };
    let headers = [
        "".to_owned(),
        "Bearer".to_owned(),
        "Bearer ".to_owned(),
        "Basic YWxpY2U6cGFzcw==".to_owned(),
        format!("Token {alice}"),
        "Bearer tsr_pat_short".to_owned(),
        "Bearer tsr_xyz_0123456789abcdefghijABCDEFGHIJ123456".to_owned(),
        "Bearer tsr_pat_0123456789abcdefghijABCDEFGHIJ123456".to_owned(),
        format!("Bearer {forged}"),
        "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.".to_owned(),
        long,
    ];
    for h in &headers {
        let r = s.raw(Method::GET, "/api/v1/me", &[("authorization", h)], Vec::new()).await;
        assert_eq!(r.status.as_u16(), 401, "{h:.40}: {}", r.body);
        assert_eq!(r.code(), "unauthenticated");
        assert!(r.www_authenticate.is_some());
    }
    let r = s.raw(Method::GET, "/api/v1/me", &[], Vec::new()).await;
    r.expect_error(401, "unauthenticated");
    // A well-formed token with a valid checksum that the store does not know.
    let unknown = tessera_core::token::generate(tessera_core::TokenKind::Pat).unwrap();
    s.get("/api/v1/me", unknown.expose()).await.expect_error(401, "unauthenticated");
    // Non-UTF-8 header bytes.
    let raw = reqwest::header::HeaderValue::from_bytes(b"Bearer \xff\xfe").unwrap();
    let res = s.http.get(format!("{}/api/v1/me", s.base)).header("authorization", raw).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 401);
}

#[tokio::test]
async fn random_bearer_strings_never_reach_a_500() {
    let s = Server::start().await;
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    for i in 0..300 {
        let v = random_string(&mut seed, i % 80);
        let Ok(header) = reqwest::header::HeaderValue::from_str(&format!("Bearer {v}")) else { continue };
        let res = s.http.get(format!("{}/api/v1/me", s.base)).header("authorization", header).send().await.unwrap();
        // Past the failed-authentication budget of one address the answer is 429.
        assert!(matches!(res.status().as_u16(), 401 | 429), "{v:?}: {}", res.status());
    }
    s.get("/api/v1/health", "x").await.expect(200);
}

#[tokio::test]
async fn bad_paths_are_404_or_400_never_500() {
    let s = Server::start().await;
    let alice = s.user("alice", false).await;
    let paths = [
        "/api/v1/user/tokens/..%2F..%2Fetc",
        "/api/v1/user/tokens/%00",
        "/api/v1/user/tokens/%ZZ",
        "/api/v1/projects/%F0%9F%92%A5",
        "/api/v1/orgs/org_nope/tokens",
        "/api/v1/projects/prj_nope/runs",
        "/api/v1/projects/prj_nope/trigger-tokens",
        "/api/v1/nope",
        "/",
    ];
    for p in paths {
        let r = s.get(p, &alice).await;
        assert!(matches!(r.status.as_u16(), 400 | 404), "{p}: {} {}", r.status, r.body);
        assert!(!r.code().is_empty(), "{p}: {}", r.body);
    }
    let long = format!("/api/v1/projects/{}", "a".repeat(5000));
    s.get(&long, &alice).await.expect_error(404, "not_found");
    s.call(Method::PUT, "/api/v1/me", Some(&alice), None).await.expect_error(405, "method_not_allowed");
}

/// A body whose fields all have defaults is still refused when it is not an object: serde reads
/// such a struct from `[]`, and `PUT /admin/policy` answered 200 to it.
#[tokio::test]
async fn a_json_body_that_is_not_an_object_is_refused() {
    let s = crate::harness::Server::start().await;
    let admin = s.user("root", true).await;
    for body in ["[]", "[null, false]", "1", "\"x\""] {
        let r = s
            .raw(
                reqwest::Method::PUT,
                "/api/v1/admin/policy",
                &[("content-type", "application/json"), ("authorization", &format!("Bearer {admin}"))],
                body.as_bytes().to_vec(),
            )
            .await;
        r.expect_error(400, "invalid_request");
    }
}
