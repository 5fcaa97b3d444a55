//! Tessera's REST API: thin axum handlers over [`tessera_core::Authority`].
//!
//! Handlers translate HTTP to calls on the authority and its errors back to
//! `{"error": {"code", "message"}}`; every rule lives in core. Bad input of any kind — bodies,
//! headers, path parameters, oversized requests — becomes a 4xx with a sentence, never a 500.

pub mod conn;
pub mod error;
pub mod extract;
pub mod host;
pub mod limits;
pub mod openapi;
pub mod proxy;
pub mod routes;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{ConnectInfo, DefaultBodyLimit, Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
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

/// How a server meets the network: its throttles, connection limits, the host names it answers
/// to, the proxies it believes and how long it keeps audit entries.
#[derive(Debug, Clone, Default)]
pub struct ServeOptions {
    /// Throttles on failed authentication, sign-in, device polling and trigger tokens.
    pub limits: limits::Limits,
    /// Header, request and idle deadlines and the connection cap.
    pub connections: conn::ConnectionLimits,
    /// The URL clients reach a team server at; its host name is the one the server answers to.
    pub public_url: Option<url::Url>,
    /// Reverse proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: proxy::TrustedProxies,
    /// Audit entries older than this are pruned; kept forever when `None`.
    pub audit_retention: Option<chrono::Duration>,
}

/// What the request path needs from [`ServeOptions`] at run time, shared by every request as an
/// extension.
#[derive(Debug)]
pub struct Edge {
    /// The throttles' state.
    pub throttles: limits::Throttles,
    hosts: host::HostPolicy,
    proxies: proxy::TrustedProxies,
}

impl Edge {
    /// The run-time state of `options` for a server bound to `bound`.
    pub fn new(options: &ServeOptions, bound: Option<SocketAddr>) -> Self {
        Edge {
            throttles: limits::Throttles::new(options.limits),
            hosts: host::HostPolicy::new(bound, options.public_url.as_ref()),
            proxies: options.trusted_proxies.clone(),
        }
    }
}

/// The client's address as the server believes it: the connection's peer, or the client named
/// by a trusted proxy's `X-Forwarded-For`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub std::net::IpAddr);

/// The API without sign-in, with default limits, answering to any host name.
pub fn router(authority: Arc<Authority>) -> impl Api {
    app(AppState { authority, sign_in: None })
}

/// The API with default limits, answering to any host name.
pub fn app(state: AppState) -> impl Api {
    app_with(state, Arc::new(Edge::new(&ServeOptions::default(), None)), conn::ConnectionLimits::default())
}

/// The API as one tower service, ready for a connection to serve.
pub trait Api:
    tower::Service<Request, Response = Response, Error = std::convert::Infallible, Future: Send + 'static>
    + Clone
    + Send
    + Sync
    + 'static
{
}

impl<S> Api for S where
    S: tower::Service<Request, Response = Response, Error = std::convert::Infallible, Future: Send + 'static>
        + Clone
        + Send
        + Sync
        + 'static
{
}

/// What Tessera's own layers share: the edge's state and the authority.
type Guards = (Arc<Edge>, Arc<Authority>);

/// The API behind `edge`'s host check, client address and throttles.
///
/// The layers wrap the router once, outside it, instead of each route (`Router::layer`): a
/// request then passes each layer once and nothing clones a route's whole layer stack for it.
/// From the outside in:
/// - [`admit`]: the host check and the client's address, before anything else;
/// - CORS: preflights are answered here, and every answer below gets its headers (a throttled
///   or timed-out answer included);
/// - [`guard`]: the sign-in throttles, the change counter after writes, and a sentence for a
///   timeout;
/// - the request deadline and the request body's deadline;
/// - a handler's panic becomes a 500 with a sentence;
/// - `Cache-Control: no-store` on every answer that does not say otherwise;
/// - the router, with its body limit.
pub fn app_with(state: AppState, edge: Arc<Edge>, connections: conn::ConnectionLimits) -> impl Api {
    let guards: Guards = (edge, Arc::clone(&state.authority));
    let api: Router<AppState> = routes::api().into();
    let router = api
        .route("/api/v1/openapi.json", axum::routing::get(openapi::serve))
        .fallback(routes::not_found)
        .method_not_allowed_fallback(routes::method_not_allowed)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(state);
    let on_panic: fn(Box<dyn std::any::Any + Send>) -> Response = |_| {
        error::ApiError::with_code(
            StatusCode::INTERNAL_SERVER_ERROR,
            tessera_core::error::ErrorCode::Internal,
            "something went wrong on the server; the details are in its log",
        )
        .into_response()
    };
    tower::ServiceBuilder::new()
        .layer(axum::middleware::from_fn_with_state(guards.clone(), admit))
        .layer(cors())
        .layer(axum::middleware::from_fn_with_state(guards.clone(), guard))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, connections.request))
        .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(connections.request))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(on_panic))
        // Answers carry token values, code-host tokens and account data: no cache may keep them
        // (RFC 9111 section 5.2.2.5); a route that may be cached says so itself.
        .layer(tower_http::set_header::SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .service(router)
}

/// Refuses requests addressed to host names this server does not answer to, then records who
/// the client is for everything after it.
async fn admit(State((edge, _)): State<Guards>, mut req: Request, next: Next) -> Response {
    match edge.hosts.check(&req) {
        Ok(()) => {}
        Err(host::HostRefusal::Unreadable) => {
            return error::ApiError::invalid("the request must name this server in its Host header").into_response();
        }
        Err(host::HostRefusal::Misdirected) => {
            return error::ApiError::with_code(
                StatusCode::MISDIRECTED_REQUEST,
                tessera_core::error::ErrorCode::MisdirectedRequest,
                "this server does not answer to that host name; use the address it was configured with",
            )
            .into_response();
        }
    }
    if let Some(ConnectInfo(peer)) = req.extensions().get::<ConnectInfo<SocketAddr>>().copied() {
        let client = edge.proxies.client(peer.ip(), req.headers());
        req.extensions_mut().insert(ClientAddr(client));
    }
    req.extensions_mut().insert(edge);
    next.run(req).await
}

/// Throttles sign-in, identity links and the device flow per client address; after a request
/// that may have written, reads the store's change counter; and gives a timeout a sentence.
///
/// The change counter: a change to what authenticates (a revoked token, a disabled account, a
/// demoted session) or to what `/me` lists drops the verification cache before the answer
/// leaves, so the very next request is checked at the store. Introspection is a POST that
/// changes nothing (it only reads, and audits a refusal), so it is answered without the extra
/// read.
async fn guard(State((edge, authority)): State<Guards>, req: Request, next: Next) -> Response {
    if let Err(wait) = throttle_sign_in(&edge, &req) {
        return error::ApiError::rate_limited(wait).into_response();
    }
    let reads_only = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS)
        || req.uri().path().trim_end_matches('/') == "/api/v1/tokens/introspect";
    let res = next.run(req).await;
    if !reads_only {
        authority.see_changes().await;
    }
    explain_timeout(res)
}

/// Counts sign-in, identity links and the device flow against the client address's budget.
fn throttle_sign_in(edge: &Edge, req: &Request) -> Result<(), Duration> {
    if req.method() != Method::POST {
        return Ok(());
    }
    let ip = req.extensions().get::<ClientAddr>().map_or(extract::UNKNOWN_CLIENT, |c| c.0);
    match req.uri().path().trim_end_matches('/') {
        "/api/v1/sessions" => edge.throttles.sign_in(ip),
        // Linking needs a login session: without a credential it is refused (401) before any
        // provider is asked, so only attempts that present one spend the budget.
        "/api/v1/user/identities" if req.headers().contains_key(header::AUTHORIZATION) => edge.throttles.sign_in(ip),
        "/api/v1/sessions/device" => edge.throttles.device(ip),
        _ => Ok(()),
    }
}

/// tower-http's timeout answers with an empty body; give it a sentence like every other error.
fn explain_timeout(res: Response) -> Response {
    if res.status() == StatusCode::REQUEST_TIMEOUT && !res.headers().contains_key(header::CONTENT_TYPE) {
        return error::ApiError::with_code(
            StatusCode::REQUEST_TIMEOUT,
            tessera_core::error::ErrorCode::RequestTimeout,
            "the request took too long",
        )
        .into_response();
    }
    res
}

/// Answers CORS preflights for the desktop app's webview, which calls the API from its own
/// origin. Outside routing and authentication, so a preflight never reaches them.
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

/// How often idle throttle state is swept and old audit entries are pruned.
pub const SWEEP_EVERY: Duration = Duration::from_secs(60);

/// Serves the API on `listener` with default [`ServeOptions`]; see [`serve_with`].
pub async fn serve_app(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with(listener, state, ServeOptions::default(), shutdown).await
}

/// Serves the API on `listener` until `shutdown` completes, flushing token usage every
/// [`USAGE_FLUSH_EVERY`] (and once more on the way out), refreshing code-host tokens every
/// [`REFRESH_EVERY`], and sweeping throttles and pruning the audit log every [`SWEEP_EVERY`].
pub async fn serve_with(
    listener: TcpListener,
    state: AppState,
    options: ServeOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let authority = Arc::clone(&state.authority);
    let edge = Arc::new(Edge::new(&options, listener.local_addr().ok()));
    if matches!(edge.hosts, host::HostPolicy::Any) {
        tracing::warn!("this server answers to any host name; give it --public-url so it answers only to its own name");
    }
    let flusher = authority.spawn_usage_flusher(USAGE_FLUSH_EVERY);
    let watcher = authority.spawn_change_watcher();
    let refresher = state.sign_in.as_ref().map(|s| s.spawn_refresher(REFRESH_EVERY));
    let sweeper = {
        let (edge, authority, retention) = (Arc::clone(&edge), Arc::clone(&authority), options.audit_retention);
        tessera_core::clock::spawn_every(SWEEP_EVERY, "pruning the audit log", move || {
            edge.throttles.sweep();
            let authority = Arc::clone(&authority);
            async move {
                match retention {
                    Some(keep) => authority.prune_audit(keep).await.map(|_| ()),
                    None => Ok(()),
                }
            }
        })
    };
    let api = app_with(state, edge, options.connections);
    let served = conn::serve_connections(listener, api, options.connections, shutdown).await;
    flusher.abort();
    watcher.abort();
    sweeper.abort();
    if let Some(r) = refresher {
        r.abort();
    }
    if let Err(e) = authority.flush_usage().await {
        tracing::warn!(error = %e, "could not record the last token usage at shutdown");
    }
    if let Err(e) = authority.flush_failures().await {
        tracing::warn!(error = %e, "could not record the last failed authentications at shutdown");
    }
    served
}
