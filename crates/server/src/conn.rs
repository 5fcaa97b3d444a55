//! Serving connections with the limits `axum::serve` leaves at their defaults: a deadline for a
//! request's headers (which also bounds how long a kept-alive connection may sit idle, since
//! hyper starts that clock as soon as it waits for the next request), a cap on connections served
//! at once, and a graceful shutdown that does not wait forever for stalled clients.
//!
//! Only HTTP/1.1 is spoken: every client of the API (the desktop, the command line, scripts)
//! uses it, and hyper's automatic HTTP/2 detection waits for a first byte without any deadline,
//! which is exactly the stalled client these limits exist to close.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceExt;

/// Deadlines and a cap for the connections of one server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// How long a client has to send a request's headers, counted from when the server starts
    /// waiting for them: a new connection's first request, or the next one on a kept-alive
    /// connection (so it is the idle keep-alive timeout too).
    pub header_read: Duration,
    /// How long a request may take from its headers to its response, body included.
    pub request: Duration,
    /// Connections served at once; further clients wait in the operating system's backlog.
    pub max_connections: usize,
    /// How long requests in flight get to finish at shutdown.
    pub shutdown_grace: Duration,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self {
            header_read: Duration::from_secs(15),
            request: Duration::from_secs(60),
            max_connections: 512,
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

/// Accepts connections on `listener` and serves `app` on each until `shutdown` completes.
pub async fn serve_connections(
    listener: TcpListener,
    app: impl crate::Api,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(limits.header_read).keep_alive(true);
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            p = Arc::clone(&permits).acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of descriptors or a connection reset before it was accepted: the
                    // listener itself is fine, so back off briefly instead of giving up.
                    tracing::warn!(error = %e, "could not accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
            req.extensions_mut().insert(ConnectInfo(peer));
            app.clone().oneshot(req.map(axum::body::Body::new))
        });
        let conn = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, %peer, "connection closed with an error");
            }
            drop(permit);
        });
    }
    drop(listener);
    if tokio::time::timeout(limits.shutdown_grace, graceful.shutdown()).await.is_err() {
        tracing::warn!("some connections were still busy at shutdown and were cut");
    }
    Ok(())
}
