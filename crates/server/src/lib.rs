//! Tessera's REST API: thin axum handlers over [`tessera_core::Authority`].
//!
//! Handlers translate HTTP to calls on the authority and its errors back to
//! `{"error": {"code", "message"}}`; every rule lives in core. Bad input of any kind — bodies,
//! headers, path parameters, oversized requests — becomes a 4xx with a sentence, never a 500.

pub mod error;
pub mod extract;
pub mod openapi;
pub mod routes;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderValue, Method};
use axum::Router;
use tessera_auth::SignIn;
use tessera_core::Authority;
use tokio::net::TcpListener;

/// The largest request body accepted: room for a 256 KiB pipeline file and its JSON framing.
pub const BODY_LIMIT: usize = 512 * 1024;
/// How often token usage is written to the store.
pub const USAGE_FLUSH_EVERY: Duration = Duration::from_secs(5);

/// The origins of the desktop app's webview (`tauri://localhost` on Linux and macOS,
/// `http://tauri.localhost` on Windows): the only pages that may call the API from a browser
/// engine. Scripts and command-line clients send no `Origin` and are not affected.
pub const DESKTOP_ORIGINS: [&str; 2] = ["tauri://localhost", "http://tauri.localhost"];

/// What every handler shares.
#[derive(Clone, Debug)]
pub struct AppState {
    /// The token authority.
    pub authority: Arc<Authority>,
    /// Sign-in with providers; a server without it lists no providers and refuses sign-ins.
    pub sign_in: Option<Arc<SignIn>>,
}

impl AppState {
    /// The sign-in service, or a clear refusal when this server has none.
    pub fn sign_in(&self) -> Result<&SignIn, error::ApiError> {
        self.sign_in
            .as_deref()
            .ok_or_else(|| error::ApiError::not_found("sign-in with providers is not configured on this server"))
    }
}

/// The API as an axum router, without sign-in.
pub fn router(authority: Arc<Authority>) -> Router {
    app(AppState { authority, sign_in: None })
}

/// The API as an axum router.
pub fn app(state: AppState) -> Router {
    routes::routes()
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(|_| {
            axum::response::IntoResponse::into_response(error::ApiError::new(
                axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "something went wrong on the server; the details are in its log",
            ))
        }))
        .layer(cors())
        .with_state(state)
}

/// Answers CORS preflights for the desktop app's webview, which calls the API from its own
/// origin. Outermost, so a preflight never reaches routing or authentication.
fn cors() -> tower_http::cors::CorsLayer {
    tower_http::cors::CorsLayer::new()
        .allow_origin(tower_http::cors::AllowOrigin::list(DESKTOP_ORIGINS.map(HeaderValue::from_static)))
        .allow_methods([Method::GET, Method::POST, Method::PATCH, Method::PUT, Method::DELETE])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
        .max_age(Duration::from_secs(600))
}

/// How often code-host tokens are checked for refresh.
pub const REFRESH_EVERY: Duration = Duration::from_secs(60);

/// Serves the API without sign-in; see [`serve_app`].
pub async fn serve(
    listener: TcpListener,
    authority: Arc<Authority>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_app(listener, AppState { authority, sign_in: None }, shutdown).await
}

/// Serves the API on `listener` until `shutdown` completes, flushing token usage every
/// [`USAGE_FLUSH_EVERY`] (and once more on the way out) and refreshing code-host tokens every
/// [`REFRESH_EVERY`].
pub async fn serve_app(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let authority = Arc::clone(&state.authority);
    let flusher = authority.spawn_usage_flusher(USAGE_FLUSH_EVERY);
    let refresher = state.sign_in.as_ref().map(|s| s.spawn_refresher(REFRESH_EVERY));
    let app = app(state).into_make_service_with_connect_info::<SocketAddr>();
    let served = axum::serve(listener, app).with_graceful_shutdown(shutdown).await;
    flusher.abort();
    if let Some(r) = refresher {
        r.abort();
    }
    if let Err(e) = authority.flush_usage().await {
        tracing::warn!(error = %e, "could not record the last token usage at shutdown");
    }
    served
}
