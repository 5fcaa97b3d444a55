//! The floor under Tessera's API latency: an axum server that answers `GET /api/v1/me` with a
//! fixed JSON body and does nothing else — no token parsing, no hashing, no store.
//!
//! `bench/api.sh` loads it and `tessera serve` with the same requests, so the ratio between the
//! two is what verifying a token and reading the account costs over HTTP. It runs on the same
//! multi-threaded tokio runtime as `tessera serve` so the comparison is like for like.
//!
//! ```text
//! bare [--listen 127.0.0.1:PORT]
//! ```
//!
//! The first line on stdout is `listening on http://ADDR`, as `tessera serve` prints it; port 0
//! picks a free port.

use std::net::SocketAddr;

use anyhow::{bail, Context};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

const USAGE: &str = "usage: bare [--listen 127.0.0.1:PORT]";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let listen = listen_address(std::env::args().skip(1))?;
    if !listen.ip().is_loopback() {
        bail!("bare listens on loopback only, not {listen}");
    }
    let app = Router::new().route("/api/v1/me", get(me));
    let listener = tokio::net::TcpListener::bind(listen).await.with_context(|| format!("cannot listen on {listen}"))?;
    println!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}

/// Reads `--listen ADDR` (or `--listen=ADDR`); the default lets the kernel pick a port.
fn listen_address(mut args: impl Iterator<Item = String>) -> anyhow::Result<SocketAddr> {
    let mut listen = String::from("127.0.0.1:0");
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--listen" => listen = args.next().context(USAGE)?,
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            other => match other.strip_prefix("--listen=") {
                Some(addr) => listen = addr.to_owned(),
                None => bail!("unexpected argument {other:?}\n{USAGE}"),
            },
        }
    }
    listen.parse().with_context(|| format!("{listen:?} is not an address like 127.0.0.1:7979"))
}

/// A body of about the size of a real `GET /me` answer for an account in no organization.
async fn me() -> Json<Value> {
    Json(json!({
        "id": "usr_0123456789abcdef",
        "name": "bench",
        "role": "member",
        "created_at": "2026-01-01T00:00:00Z",
        "orgs": [],
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> impl Iterator<Item = String> {
        list.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>().into_iter()
    }

    #[test]
    fn the_listen_address_defaults_to_a_free_loopback_port() -> anyhow::Result<()> {
        assert_eq!(listen_address(args(&[]))?, "127.0.0.1:0".parse()?);
        assert_eq!(listen_address(args(&["--listen", "127.0.0.1:7979"]))?, "127.0.0.1:7979".parse()?);
        assert_eq!(listen_address(args(&["--listen=127.0.0.1:7980"]))?, "127.0.0.1:7980".parse()?);
        assert!(listen_address(args(&["--listen"])).is_err());
        assert!(listen_address(args(&["--port", "1"])).is_err());
        Ok(())
    }
}
