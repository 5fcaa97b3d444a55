//! Abuse resistance: throttles, the aggregated audit log under a flood, stalled connections,
//! host names, trusted proxies and label characters.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use futures::future::join_all;
use serde_json::{json, Value};
use tessera_core::clock::Clock;
use tessera_server::limits::{Limits, Rate};
use tessera_server::ServeOptions;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::backend::Backend;
use crate::harness::Server;

/// A client whose requests come from `ip` (any 127.0.0.0/8 address reaches a loopback server).
fn client_from(ip: &str) -> reqwest::Client {
    reqwest::Client::builder().local_address(ip.parse::<IpAddr>().unwrap()).build().unwrap()
}

fn addr(s: &Server) -> SocketAddr {
    s.base.trim_start_matches("http://").parse().unwrap()
}

async fn status_of(res: reqwest::Response) -> (u16, Option<String>, Value) {
    let status = res.status().as_u16();
    let retry = res.headers().get("retry-after").map(|v| v.to_str().unwrap().to_owned());
    let body = res.json::<Value>().await.unwrap_or(Value::Null);
    (status, retry, body)
}

async fn me(http: &reqwest::Client, s: &Server, token: &str) -> (u16, Option<String>, Value) {
    status_of(http.get(format!("{}/api/v1/me", s.base)).bearer_auth(token).send().await.unwrap()).await
}

fn unknown_pat() -> String {
    tessera_core::token::generate(tessera_core::TokenKind::Pat).unwrap().expose().to_owned()
}

fn with_limits(f: impl FnOnce(&mut Limits)) -> ServeOptions {
    let mut o = ServeOptions::default();
    f(&mut o.limits);
    o
}

#[tokio::test]
async fn failed_authentication_is_throttled_per_address_and_recovers() {
    // One failure every two seconds sustained, five at once.
    let s = Server::start_with(with_limits(|l| l.failed_auth = Rate { per_minute: 30, burst: 5 }), "127.0.0.1:0").await;
    let alice = s.user("alice", false).await;
    let pat = s.pat(&alice, &["read"]).await;
    let here = client_from("127.0.0.1");
    let elsewhere = client_from("127.0.0.2");
    for _ in 0..5 {
        assert_eq!(me(&here, &s, &unknown_pat()).await.0, 401);
    }
    let (status, retry, body) = me(&here, &s, &unknown_pat()).await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(body["error"]["code"], "rate_limited");
    assert!(body["error"]["message"].as_str().unwrap().contains("try again"), "{body}");
    let retry: u64 = retry.expect("a Retry-After header").parse().unwrap();
    assert!((1..=2).contains(&retry), "{retry}");
    // The spent address is refused before its credential is looked at, even a good one…
    assert_eq!(me(&here, &s, &pat).await.0, 429);
    // …while another address is not affected at all.
    assert_eq!(me(&elsewhere, &s, &pat).await.0, 200);
    assert_eq!(me(&elsewhere, &s, &unknown_pat()).await.0, 401);
    // Good credentials never count: the embedded desktop client cannot lock itself out.
    for _ in 0..50 {
        assert_eq!(me(&elsewhere, &s, &pat).await.0, 200);
    }
    tokio::time::sleep(Duration::from_secs(retry) + Duration::from_millis(200)).await;
    assert_eq!(me(&here, &s, &pat).await.0, 200, "the address recovers after Retry-After");
}

#[tokio::test]
async fn a_flood_of_bad_tokens_is_one_audit_entry_per_address_and_minute() {
    let s = Server::start().await;
    let root = s.user("root", true).await;
    let (real, _) = s.token("/api/v1/user/tokens", &root, &["read"]).await;
    let real_id = real["id"].as_str().unwrap().to_owned();
    s.authority.flush_failures().await.unwrap();
    let rows_before = audit_rows(&s, &root).await;
    let bytes_before = store_bytes(&s).await;

    const FLOOD: usize = 3000;
    let values: Vec<String> = (0..FLOOD).map(|_| unknown_pat()).collect();
    // The flood comes from one address; the administrator reads the log from another.
    let flooder = client_from("127.0.0.5");
    let started = Instant::now();
    let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
    for chunk in values.chunks(32) {
        let replies = join_all(chunk.iter().map(|v| me(&flooder, &s, v))).await;
        for (status, retry, body) in replies {
            assert!(status == 401 || status == 429, "{status} {body}");
            if status == 429 {
                assert!(retry.is_some(), "429 carries Retry-After");
            }
            *statuses.entry(status).or_default() += 1;
        }
    }
    let took = started.elapsed();
    s.authority.flush_failures().await.unwrap();
    let rows_after = audit_rows(&s, &root).await;
    let bytes_after = store_bytes(&s).await;
    eprintln!(
        "flood: {FLOOD} bad tokens in {took:?}: {statuses:?}; audit rows {rows_before} -> {rows_after}; \
         store bytes {bytes_before} -> {bytes_after}"
    );
    assert!(statuses.get(&429).copied().unwrap_or(0) >= FLOOD - 100, "the flood is throttled: {statuses:?}");
    // One address, within a minute or two: at most a couple of aggregated entries, not one per request.
    let failed = s.get("/api/v1/admin/audit?action=token.use&outcome=failed&limit=1000", &root).await.expect(200);
    let items = failed["items"].as_array().unwrap();
    assert!(!items.is_empty() && items.len() <= 2, "{failed}");
    let counted: i64 = items.iter().map(|e| e["count"].as_i64().unwrap()).sum();
    assert_eq!(counted, FLOOD as i64, "every failed attempt is counted: {failed}");
    assert_eq!(items[0]["ip"], "127.0.0.5");
    assert!(rows_after - rows_before <= 4, "rows {rows_before} -> {rows_after}");
    assert!(!failed.to_string().contains(&values[0][8..]), "no value in the audit log");
    // The real event before the flood is still found by filter.
    let found = s.get(&format!("/api/v1/admin/audit?action=token.create&target={real_id}"), &root).await.expect(200);
    assert_eq!(found["items"].as_array().unwrap().len(), 1, "{found}");
    assert_eq!(found["items"][0]["actor"].as_str().unwrap().split(':').next(), Some("user"));
}

/// How many entries the audit log holds, by paging through the API.
async fn audit_rows(s: &Server, admin: &str) -> usize {
    let mut n = 0;
    let mut cursor = String::new();
    loop {
        let page = s.get(&format!("/api/v1/admin/audit?limit=1000&cursor={cursor}"), admin).await.expect(200);
        n += page["items"].as_array().unwrap().len();
        match page["next_cursor"].as_str() {
            Some(c) => cursor = c.to_owned(),
            None => return n,
        }
    }
}

/// The store's size on disk: the SQLite file with its write-ahead log, or the audit table's
/// relation size on PostgreSQL.
async fn store_bytes(s: &Server) -> u64 {
    match &s.backend {
        Backend::Sqlite(dir) => ["tessera.db", "tessera.db-wal"]
            .iter()
            .map(|f| std::fs::metadata(dir.path().join(f)).map_or(0, |m| m.len()))
            .sum(),
        Backend::Postgres(url) => {
            use sqlx::Connection;
            let mut c = sqlx::PgConnection::connect(url).await.unwrap();
            let (n,): (i64,) =
                sqlx::query_as("SELECT pg_total_relation_size('audit')::BIGINT").fetch_one(&mut c).await.unwrap();
            n as u64
        }
    }
}

#[tokio::test]
async fn the_audit_log_pages_and_filters_with_an_opaque_cursor() {
    let s = Server::start().await;
    let mut root = s.user("root", true).await;
    let mut ids = Vec::new();
    for i in 0..25 {
        s.clock.advance(chrono::Duration::seconds(1));
        let (t, _) = s.token("/api/v1/user/tokens", &root, &["read"]).await;
        ids.push(t["id"].as_str().unwrap().to_owned());
        if i == 9 {
            s.clock.advance(chrono::Duration::hours(1));
            root = s.session("root").await;
        }
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let c = cursor.as_deref().map(|c| format!("&cursor={c}")).unwrap_or_default();
        let page = s.get(&format!("/api/v1/admin/audit?action=token.create&limit=10{c}"), &root).await.expect(200);
        pages += 1;
        for e in page["items"].as_array().unwrap() {
            assert_eq!(e["action"], "token.create");
            seen.push(e["target"].as_str().unwrap().to_owned());
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    let newest_first: Vec<String> = ids.iter().rev().cloned().collect();
    assert_eq!(seen, newest_first, "every entry once, newest first");
    // Time windows: the first ten were made an hour before the rest.
    let split = s.clock.now() - chrono::Duration::minutes(30);
    let q = |k: &str| format!("/api/v1/admin/audit?action=token.create&{k}={}", urlencode(&split.to_rfc3339()));
    let older = s.get(&q("until"), &root).await.expect(200);
    assert_eq!(older["items"].as_array().unwrap().len(), 10);
    let newer = s.get(&q("since"), &root).await.expect(200);
    assert_eq!(newer["items"].as_array().unwrap().len(), 15);
    let by_target = s.get(&format!("/api/v1/admin/audit?target={}", ids[3]), &root).await.expect(200);
    assert_eq!(by_target["items"].as_array().unwrap().len(), 1);
    let by_actor = s.get("/api/v1/admin/audit?actor=anonymous&limit=5", &root).await.expect(200);
    assert!(by_actor["items"].as_array().unwrap().is_empty());
    assert!(by_actor["next_cursor"].is_null());
    // Bad queries are 400s with a sentence.
    for bad in [
        "cursor=nonsense",
        "cursor=3132",
        "limit=0",
        "limit=1001",
        "limit=abc",
        "outcome=maybe",
        "since=yesterday",
        "cursor=1.a:b",
        "colour=blue",
    ] {
        s.get(&format!("/api/v1/admin/audit?{bad}"), &root).await.expect_error(400, "invalid_request");
    }
    // A range that ends before it starts is no error: like any filters nothing meets, it finds
    // nothing.
    let empty = s.get("/api/v1/admin/audit?since=2031-03-02T00:00:00Z&until=2031-03-01T00:00:00Z", &root).await;
    assert!(empty.expect(200)["items"].as_array().unwrap().is_empty());
}

fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("x", s)]).unwrap().trim_start_matches("x=").to_owned()
}

#[tokio::test]
async fn old_audit_entries_are_pruned_by_the_retention_setting() {
    let s = Server::start().await;
    let root = s.user("root", true).await;
    let (old, _) = s.token("/api/v1/user/tokens", &root, &["read"]).await;
    s.clock.advance(chrono::Duration::days(20));
    let root = s.session("root").await;
    let (recent, _) = s.token("/api/v1/user/tokens", &root, &["read"]).await;
    s.clock.advance(chrono::Duration::days(15));
    let root = s.session("root").await;
    let pruned = s.authority.prune_audit(chrono::Duration::days(30)).await.unwrap();
    assert!(pruned >= 2, "the account's and the first token's entries: {pruned}");
    let find = |id: &str| format!("/api/v1/admin/audit?action=token.create&target={id}");
    let gone = s.get(&find(old["id"].as_str().unwrap()), &root).await.expect(200);
    assert!(gone["items"].as_array().unwrap().is_empty(), "{gone}");
    let kept = s.get(&find(recent["id"].as_str().unwrap()), &root).await.expect(200);
    assert_eq!(kept["items"].as_array().unwrap().len(), 1, "{kept}");
}

#[tokio::test]
async fn trigger_tokens_are_throttled_per_token_under_concurrency() {
    let s = Server::start_with(with_limits(|l| l.trigger = Rate { per_minute: 1, burst: 3 }), "127.0.0.1:0").await;
    let alice = s.user("alice", false).await;
    let p = s.id_of("/api/v1/projects", &alice, json!({"name": "app"})).await;
    let coll = format!("/api/v1/projects/{p}/trigger-tokens");
    let (_, one) = s.token(&coll, &alice, &[]).await;
    let (_, two) = s.token(&coll, &alice, &[]).await;
    let runs = format!("{}/api/v1/projects/{p}/runs", s.base);
    let replies = join_all((0..16).map(|_| async {
        status_of(s.http.post(&runs).bearer_auth(&one).json(&json!({})).send().await.unwrap()).await
    }))
    .await;
    let accepted = replies.iter().filter(|r| r.0 == 202).count();
    let limited: Vec<_> = replies.iter().filter(|r| r.0 == 429).collect();
    assert_eq!(accepted, 3, "the burst, and no more: {:?}", replies.iter().map(|r| r.0).collect::<Vec<_>>());
    assert_eq!(limited.len(), 13);
    for (_, retry, body) in &limited {
        assert!(retry.is_some());
        assert_eq!(body["error"]["code"], "rate_limited");
    }
    // Another token of the same project, and a login session, are not held back.
    assert_eq!(status_of(s.http.post(&runs).bearer_auth(&two).json(&json!({})).send().await.unwrap()).await.0, 202);
    s.post(&format!("/api/v1/projects/{p}/runs"), &alice, json!({})).await.expect(202);
    let listed = s.get(&format!("/api/v1/projects/{p}/runs"), &alice).await.expect(200);
    assert_eq!(listed.as_array().unwrap().len(), 5);
}

#[tokio::test]
async fn sign_in_and_device_polls_are_throttled_per_address() {
    let s = Server::start_with(
        with_limits(|l| {
            l.sign_in = Rate { per_minute: 1, burst: 3 };
            l.device = Rate { per_minute: 1, burst: 2 };
        }),
        "127.0.0.1:0",
    )
    .await;
    let here = client_from("127.0.0.1");
    let post = |http: reqwest::Client, path: &'static str| {
        let url = format!("{}{path}", s.base);
        async move {
            status_of(
                http.post(url).json(&json!({"provider": "p", "code": "c", "code_verifier": "v"})).send().await.unwrap(),
            )
            .await
        }
    };
    for _ in 0..3 {
        assert_ne!(post(here.clone(), "/api/v1/sessions").await.0, 429);
    }
    let (status, retry, body) = post(here.clone(), "/api/v1/sessions").await;
    assert_eq!(status, 429, "{body}");
    assert!(retry.is_some());
    let session = s.user("linker", false).await;
    let link = |auth: Option<&str>| {
        let mut req = here.post(format!("{}/api/v1/user/identities", s.base));
        if let Some(a) = auth {
            req = req.bearer_auth(a);
        }
        async move {
            status_of(req.json(&json!({"provider": "p", "code": "c", "code_verifier": "v"})).send().await.unwrap())
                .await
        }
    };
    assert_eq!(link(Some(&session)).await.0, 429, "linking shares the sign-in budget");
    assert_eq!(link(None).await.0, 401, "linking without a credential is refused as such, not throttled");
    assert_ne!(post(client_from("127.0.0.3"), "/api/v1/sessions").await.0, 429, "another address");
    for _ in 0..2 {
        assert_ne!(post(here.clone(), "/api/v1/sessions/device").await.0, 429);
    }
    assert_eq!(post(here.clone(), "/api/v1/sessions/device").await.0, 429);
    assert_ne!(post(client_from("127.0.0.3"), "/api/v1/sessions/device").await.0, 429);
}

/// Sends `request` on a fresh connection and returns the status line's code and the body.
async fn raw_request(addr: SocketAddr, request: &str) -> (u16, String) {
    let mut sock = TcpStream::connect(addr).await.unwrap();
    sock.write_all(request.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), sock.read_to_end(&mut buf)).await.unwrap().unwrap();
    let text = String::from_utf8_lossy(&buf).into_owned();
    let code = text.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default();
    (code, body)
}

async fn with_host(addr: SocketAddr, host: &str) -> (u16, String) {
    raw_request(addr, &format!("GET /api/v1/health HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n")).await
}

#[tokio::test]
async fn a_loopback_server_answers_only_to_loopback_host_names() {
    let s = Server::start().await;
    let a = addr(&s);
    let port = a.port();
    for ok in
        [format!("127.0.0.1:{port}"), format!("localhost:{port}"), "localhost".to_owned(), format!("[::1]:{port}")]
    {
        assert_eq!(with_host(a, &ok).await.0, 200, "{ok}");
    }
    for bad in ["rebind.attacker.example".to_owned(), format!("localhost.attacker.example:{port}"), "127.0.0.2".into()]
    {
        let (code, body) = with_host(a, &bad).await;
        assert_eq!(code, 421, "{bad}: {body}");
        let v: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["error"]["code"], "misdirected_request");
        assert!(v["error"]["message"].as_str().unwrap().contains("host name"));
    }
    // A DNS-rebinding page cannot start a sign-in either, nor pass a preflight.
    let (code, _) = raw_request(
        a,
        "POST /api/v1/sessions/device HTTP/1.1\r\nHost: rebind.attacker.example\r\nContent-Length: 2\r\n\
         Connection: close\r\n\r\n{}",
    )
    .await;
    assert_eq!(code, 421);
    let (code, _) = with_host(a, &format!("127.0.0.1:{port}@rebind.attacker.example")).await;
    assert_eq!(code, 400, "a user part is not a host name");
    let (code, _) = raw_request(a, "GET /api/v1/health HTTP/1.0\r\n\r\n").await;
    assert_eq!(code, 400, "no host at all");
    // The ordinary clients (reqwest here, the desktop's own webview and shell) keep working.
    s.get("/api/v1/health", "x").await.expect(200);
}

#[tokio::test]
async fn a_team_server_answers_to_its_public_url() {
    let options = ServeOptions {
        public_url: Some(url::Url::parse("https://tessera.example.com/").unwrap()),
        ..ServeOptions::default()
    };
    let s = Server::start_with(options, "0.0.0.0:0").await;
    let a = addr(&s);
    assert_eq!(with_host(a, "tessera.example.com").await.0, 200);
    assert_eq!(with_host(a, "TESSERA.example.com:443").await.0, 200);
    assert_eq!(with_host(a, "tessera.example.com.attacker.example").await.0, 421);
    assert_eq!(with_host(a, &format!("127.0.0.1:{}", a.port())).await.0, 421, "not bound to loopback");
}

#[tokio::test]
async fn forwarded_for_is_believed_only_from_trusted_proxies() {
    let options = ServeOptions {
        trusted_proxies: "127.0.0.2".parse().unwrap(),
        limits: Limits { failed_auth: Rate { per_minute: 1, burst: 2 }, ..Limits::default() },
        ..ServeOptions::default()
    };
    let s = Server::start_with(options, "127.0.0.1:0").await;
    let root = s.user("root", true).await;
    let (t, pat) = s.token("/api/v1/user/tokens", &root, &["read"]).await;
    let id = t["id"].as_str().unwrap();
    let proxy = client_from("127.0.0.2");
    let stranger = client_from("127.0.0.3");
    let last_ip =
        || async { s.get(&format!("/api/v1/user/tokens/{id}"), &root).await.expect(200)["last_used_ip"].clone() };

    // Through the trusted proxy: the client is the right-most address the proxy did not add.
    let via = |http: &reqwest::Client, xff: &str, token: &str| {
        http.get(format!("{}/api/v1/me", s.base)).bearer_auth(token).header("x-forwarded-for", xff).send()
    };
    assert_eq!(via(&proxy, "6.6.6.6, 198.51.100.7", &pat).await.unwrap().status(), 200);
    assert_eq!(last_ip().await, "198.51.100.7");
    s.clock.advance(chrono::Duration::seconds(1));
    // From anyone else the header is ignored.
    assert_eq!(via(&stranger, "203.0.113.5", &pat).await.unwrap().status(), 200);
    assert_eq!(last_ip().await, "127.0.0.3");

    // Failed uses are audited and throttled under the forwarded client, not the proxy.
    for _ in 0..2 {
        assert_eq!(via(&proxy, "198.51.100.7", &unknown_pat()).await.unwrap().status(), 401);
    }
    assert_eq!(via(&proxy, "198.51.100.7", &unknown_pat()).await.unwrap().status(), 429);
    assert_eq!(via(&proxy, "198.51.100.8", &pat).await.unwrap().status(), 200, "another client behind the proxy");
    assert_eq!(via(&stranger, "198.51.100.8", &unknown_pat()).await.unwrap().status(), 401);
    s.authority.flush_failures().await.unwrap();
    let log = s.get("/api/v1/admin/audit?action=token.use&outcome=failed", &root).await.expect(200);
    let mut ips: Vec<(String, i64)> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["ip"].as_str().unwrap().to_owned(), e["count"].as_i64().unwrap()))
        .collect();
    ips.sort();
    assert_eq!(ips, vec![("127.0.0.3".to_owned(), 1), ("198.51.100.7".to_owned(), 3)], "{log}");
}

#[tokio::test]
async fn stalled_connections_are_closed_and_others_are_served() {
    let mut options = ServeOptions::default();
    options.connections.header_read = Duration::from_secs(1);
    options.connections.max_connections = 24;
    let s = Server::start_with(options, "127.0.0.1:0").await;
    let a = addr(&s);
    assert!(tessera_server::conn::ConnectionLimits::default().header_read <= Duration::from_secs(30));

    let started = Instant::now();
    let mut stalled = Vec::new();
    for i in 0..20 {
        let mut sock = TcpStream::connect(a).await.unwrap();
        if i % 2 == 0 {
            // Half a request: headers that never end.
            sock.write_all(b"GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ").await.unwrap();
        }
        stalled.push(sock);
    }
    // The server keeps answering others meanwhile (four connections are left free).
    for _ in 0..8 {
        let res = reqwest::Client::new().get(format!("{}/api/v1/health", s.base)).send().await.unwrap();
        assert_eq!(res.status(), 200);
    }
    let closes = join_all(stalled.into_iter().map(|mut sock| async move {
        let mut buf = [0u8; 512];
        loop {
            match tokio::time::timeout(Duration::from_secs(10), sock.read(&mut buf)).await {
                Err(_) => return None,
                Ok(Ok(0)) | Ok(Err(_)) => return Some(started.elapsed()),
                Ok(Ok(_)) => {} // an error response before the close is fine
            }
        }
    }))
    .await;
    let slowest = closes.iter().map(|c| c.expect("every stalled socket is closed")).max().unwrap();
    eprintln!("20 stalled sockets closed within {slowest:?} (header timeout 1 s)");
    assert!(slowest < Duration::from_secs(4), "{slowest:?}");

    // An idle kept-alive connection is closed too.
    let mut sock = TcpStream::connect(a).await.unwrap();
    sock.write_all(b"GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").await.unwrap();
    let idle_from = Instant::now();
    let mut buf = vec![0u8; 4096];
    let n = sock.read(&mut buf).await.unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
    let closed = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match sock.read(&mut buf).await {
                Ok(0) | Err(_) => return idle_from.elapsed(),
                Ok(_) => {}
            }
        }
    })
    .await
    .expect("an idle keep-alive connection is closed");
    assert!(closed < Duration::from_secs(4), "{closed:?}");
}

#[tokio::test]
async fn the_connection_limit_queues_clients_instead_of_failing() {
    let mut options = ServeOptions::default();
    options.connections.header_read = Duration::from_secs(1);
    options.connections.max_connections = 4;
    let s = Server::start_with(options, "127.0.0.1:0").await;
    let a = addr(&s);
    let mut hogs = Vec::new();
    for _ in 0..4 {
        hogs.push(TcpStream::connect(a).await.unwrap());
    }
    // Every slot is held by a silent client; the next one is served as soon as they are cut.
    let started = Instant::now();
    let res = reqwest::Client::new().get(format!("{}/api/v1/health", s.base)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let waited = started.elapsed();
    assert!(waited >= Duration::from_millis(500) && waited < Duration::from_secs(5), "{waited:?}");
    drop(hogs);
}

#[tokio::test]
async fn labels_refuse_invisible_and_reordering_characters_and_are_stored_nfc() {
    let s = Server::start().await;
    let alice = s.user("alice", false).await;
    let coll = "/api/v1/user/tokens";
    for (label, what) in [
        ("invoice\u{202E}fdp.exe", "bidirectional"),
        ("deploy\u{2066}x", "bidirectional"),
        ("de\u{200B}ploy", "zero-width"),
        ("\u{FEFF}deploy", "zero-width"),
        ("deploy\u{0007}", "control"),
    ] {
        let r = s.post(coll, &alice, json!({"label": label, "scopes": ["read"]})).await;
        let body = r.expect_error(400, "invalid_request");
        assert!(body["error"]["message"].as_str().unwrap().contains(what), "{label:?}: {body}");
    }
    let r = s.post(coll, &alice, json!({"label": "ok", "description": "a\u{202D}b", "scopes": ["read"]})).await;
    r.expect_error(400, "invalid_request");
    // Decomposed "Café" is stored composed, in create and in edit.
    let made = s
        .post(coll, &alice, json!({"label": "Cafe\u{301}", "description": "Cafe\u{301} ok", "scopes": ["read"]}))
        .await
        .expect(201);
    assert_eq!(made["label"], "Caf\u{e9}");
    assert_eq!(made["description"], "Caf\u{e9} ok");
    let id = made["id"].as_str().unwrap();
    let edited = s.patch(&format!("{coll}/{id}"), &alice, json!({"label": "Re\u{301}sume\u{301}"})).await.expect(200);
    assert_eq!(edited["label"], "R\u{e9}sum\u{e9}");
    s.patch(&format!("{coll}/{id}"), &alice, json!({"label": "x\u{200D}y"})).await.expect_error(400, "invalid_request");
    let listed = s.get(coll, &alice).await.expect(200);
    assert_eq!(listed[0]["label"], "R\u{e9}sum\u{e9}");
    // Ordinary text from any script is fine.
    s.post(coll, &alice, json!({"label": "デプロイ 🚀 שלום", "scopes": ["read"]})).await.expect(201);
}
