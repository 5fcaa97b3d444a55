//! The desktop app's webview calls the API from its own origin: preflights for that origin are
//! answered, any other origin gets no CORS grant, and clients without an origin are unaffected.

use reqwest::Method;

use crate::harness::Server;

async fn preflight(s: &Server, origin: &str, method: &str, headers: &str) -> reqwest::Response {
    s.http
        .request(Method::OPTIONS, format!("{}/api/v1/user/tokens", s.base))
        .header("Origin", origin)
        .header("Access-Control-Request-Method", method)
        .header("Access-Control-Request-Headers", headers)
        .send()
        .await
        .unwrap()
}

fn header<'a>(r: &'a reqwest::Response, name: &str) -> &'a str {
    r.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}

#[tokio::test]
async fn the_desktop_webview_origins_may_call_the_api() {
    let s = Server::start().await;
    for origin in ["tauri://localhost", "http://tauri.localhost"] {
        for method in ["GET", "POST", "PATCH", "PUT", "DELETE"] {
            let r = preflight(&s, origin, method, "authorization,content-type").await;
            assert!(r.status().is_success(), "{origin} {method}: {}", r.status());
            assert_eq!(header(&r, "access-control-allow-origin"), origin);
            assert!(header(&r, "access-control-allow-methods").contains(method), "{origin} {method}");
            let allowed = header(&r, "access-control-allow-headers").to_ascii_lowercase();
            assert!(allowed.contains("authorization") && allowed.contains("content-type"), "{allowed}");
        }
    }

    // The real request after the preflight carries the grant too, on errors as well.
    let session = s.user("ada", false).await;
    let r = s
        .http
        .get(format!("{}/api/v1/user/tokens", s.base))
        .header("Origin", "tauri://localhost")
        .bearer_auth(&session)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "access-control-allow-origin"), "tauri://localhost");
    let r = s.http.get(format!("{}/api/v1/me", s.base)).header("Origin", "tauri://localhost").send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(header(&r, "access-control-allow-origin"), "tauri://localhost");
}

#[tokio::test]
async fn other_origins_get_no_grant() {
    let s = Server::start().await;
    for origin in ["https://evil.example", "http://127.0.0.1:1420", "null", "tauri://localhost.evil.example"] {
        let r = preflight(&s, origin, "DELETE", "authorization").await;
        assert_eq!(header(&r, "access-control-allow-origin"), "", "{origin}");
    }
    let session = s.user("ada", false).await;
    let r = s
        .http
        .get(format!("{}/api/v1/user/tokens", s.base))
        .header("Origin", "https://evil.example")
        .bearer_auth(&session)
        .send()
        .await
        .unwrap();
    assert_eq!(header(&r, "access-control-allow-origin"), "");
}

#[tokio::test]
async fn headers_outside_the_list_are_not_granted() {
    let s = Server::start().await;
    let r = preflight(&s, "tauri://localhost", "GET", "x-debug-token").await;
    let allowed = header(&r, "access-control-allow-headers").to_ascii_lowercase();
    assert!(!allowed.contains("x-debug-token"), "{allowed}");
}
