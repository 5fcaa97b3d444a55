//! The bodies of introspection and revocation (`FormOrJson<TokenParam>`): form-encoded, JSON or
//! anything else, bad input is a 4xx with a short sentence that never repeats a token value.
#![no_main]

use std::sync::OnceLock;

use axum::body::Body;
use axum::extract::FromRequest;
use axum::http::{header::CONTENT_TYPE, Request};
use axum::response::IntoResponse;
use libfuzzer_sys::fuzz_target;
use tessera_core::token;
use tessera_server::extract::FormOrJson;
use tessera_server::routes::account::TokenParam;

const CONTENT_TYPES: [Option<&str>; 8] = [
    Some("application/x-www-form-urlencoded"),
    Some("application/json"),
    Some("application/json; charset=utf-8"),
    Some("APPLICATION/JSON"),
    Some("application/x-www-form-urlencoded; charset=utf-8"),
    Some("text/plain"),
    Some("multipart/form-data; boundary=x"),
    None,
];

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| tokio::runtime::Builder::new_current_thread().build().expect("a runtime"))
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, body)) = data.split_first() else { return };
    let mut req = Request::builder().method("POST").uri("/api/v1/tokens/introspect");
    if let Some(ct) = CONTENT_TYPES[usize::from(which) % CONTENT_TYPES.len()] {
        req = req.header(CONTENT_TYPE, ct);
    }
    let req = req.body(Body::from(body.to_vec())).expect("a request");
    let rt = runtime();
    let Err(e) = rt.block_on(FormOrJson::<TokenParam>::from_request(req, &())) else { return };
    let status = e.status();
    assert!(status.is_client_error(), "bad input answered {status}");
    let res = e.into_response();
    let text = rt.block_on(axum::body::to_bytes(res.into_body(), 64 * 1024)).expect("the error body");
    let text = String::from_utf8_lossy(&text);
    assert!(text.len() <= 1024, "a {}-byte error", text.len());
    // Whatever token value the body carried, the error does not repeat it.
    for window in body.windows(token::VALUE_LEN) {
        if let Ok(value) = std::str::from_utf8(window) {
            if token::parse(value).is_ok() {
                assert!(!text.contains(value), "the error {text:?} repeats {value:?}");
            }
        }
    }
});
