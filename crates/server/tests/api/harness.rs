//! Starts a real server and talks to it.

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use tessera_auth::{SecretStore, SignIn};
use tessera_core::clock::Clock;
use tessera_core::clock::ManualClock;
use tessera_core::model::Role;
use tessera_core::store::SqlStore;
use tessera_core::Authority;

use crate::backend::Backend;

/// Makes the secret store of a test server over its store.
type SecretsFor = Box<dyn FnOnce(Arc<dyn tessera_core::store::Store>) -> Arc<dyn SecretStore>>;

pub struct Server {
    pub base: String,
    pub clock: Arc<ManualClock>,
    pub authority: Arc<Authority>,
    /// The store itself, for tests that look at what is stored.
    pub store: SqlStore,
    pub backend: Backend,
    pub sign_in: Option<Arc<SignIn>>,
    pub http: reqwest::Client,
    _task: tokio::task::JoinHandle<()>,
}

/// What came back.
pub struct Reply {
    pub status: StatusCode,
    pub body: Value,
    pub www_authenticate: Option<String>,
}

/// Checks `done` until it holds, for at most a second (how long another replica may take to see a
/// change); panics naming `what` if it never does, and returns how long it took.
pub async fn within_a_second<F, Fut>(what: &str, done: F) -> std::time::Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    within_a_second_or(std::time::Duration::from_secs(1), what, done).await
}

/// [`within_a_second`] with another limit.
pub async fn within_a_second_or<F, Fut>(limit: std::time::Duration, what: &str, mut done: F) -> std::time::Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = std::time::Instant::now();
    loop {
        if done().await {
            return started.elapsed();
        }
        assert!(started.elapsed() < limit, "not within {limit:?}: {what}");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

impl Reply {
    /// The error code of an error reply.
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }

    #[track_caller]
    pub fn expect(self, status: u16) -> Value {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.body);
        self.body
    }

    #[track_caller]
    pub fn expect_error(self, status: u16, code: &str) -> Value {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.body);
        assert_eq!(self.code(), code, "body: {}", self.body);
        let msg = self.body["error"]["message"].as_str().unwrap_or("");
        assert!(!msg.is_empty(), "an error carries a sentence: {}", self.body);
        self.body
    }
}

impl Server {
    /// A server over a fresh store: SQLite, or PostgreSQL when `TESSERA_TEST_PG_URL` is set.
    pub async fn start() -> Server {
        let clock = Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2031, 3, 1, 12, 0, 0).unwrap()));
        Server::start_on(Backend::fresh().await, clock).await
    }

    /// A second server over this one's store and clock, as another replica behind a load
    /// balancer would be.
    pub async fn replica(&self) -> Server {
        Server::start_on(self.backend.clone(), Arc::clone(&self.clock)).await
    }

    async fn start_on(backend: Backend, clock: Arc<ManualClock>) -> Server {
        Server::start_full(backend, clock, None, tessera_server::ServeOptions::default(), "127.0.0.1:0").await
    }

    /// A server over a fresh store with `options`, listening on `bind`.
    pub async fn start_with(options: tessera_server::ServeOptions, bind: &str) -> Server {
        let clock = Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2031, 3, 1, 12, 0, 0).unwrap()));
        Server::start_full(Backend::fresh().await, clock, None, options, bind).await
    }

    /// A server with sign-in: providers from `providers_toml`, code-host tokens in `secrets`, and
    /// a clock that starts now (identity providers check real time).
    pub async fn start_with_sign_in(providers_toml: &str, secrets: Arc<dyn SecretStore>) -> (Server, Arc<SignIn>) {
        Server::start_with_sign_in_over(providers_toml, move |_| secrets).await
    }

    /// Like [`Server::start_with_sign_in`], with a secret store made over the server's own store
    /// (team mode's sealed store).
    pub async fn start_with_sign_in_over(
        providers_toml: &str,
        secrets: impl FnOnce(Arc<dyn tessera_core::store::Store>) -> Arc<dyn SecretStore> + 'static,
    ) -> (Server, Arc<SignIn>) {
        let clock = Arc::new(ManualClock::new(Utc::now()));
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), providers_toml).unwrap();
        let sign_in = Some((file.path().to_owned(), Box::new(secrets) as SecretsFor));
        let options = tessera_server::ServeOptions::default();
        let server = Server::start_full(Backend::fresh().await, clock, sign_in, options, "127.0.0.1:0").await;
        let sign_in = server.sign_in.clone().unwrap();
        (server, sign_in)
    }

    /// Another replica of this server with sign-in: the same store and clock, its own providers
    /// file and secret store, as `tessera serve` on another host would be.
    pub async fn replica_with_sign_in(
        &self,
        providers_toml: &str,
        secrets: impl FnOnce(Arc<dyn tessera_core::store::Store>) -> Arc<dyn SecretStore> + 'static,
    ) -> Server {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), providers_toml).unwrap();
        Server::start_full(
            self.backend.clone(),
            Arc::clone(&self.clock),
            Some((file.path().to_owned(), Box::new(secrets))),
            tessera_server::ServeOptions::default(),
            "127.0.0.1:0",
        )
        .await
    }

    async fn start_full(
        backend: Backend,
        clock: Arc<ManualClock>,
        sign_in: Option<(std::path::PathBuf, SecretsFor)>,
        options: tessera_server::ServeOptions,
        bind: &str,
    ) -> Server {
        let (store, keys) = backend.open(clock.now()).await;
        let authority = Arc::new(
            Authority::new(Arc::new(store.clone()), keys, clock.clone())
                .with_sealer(crate::backend::sealing_key().sealer()),
        );
        let sign_in = match sign_in {
            Some((file, secrets)) => {
                let secrets = secrets(Arc::new(store.clone()));
                Some(Arc::new(SignIn::new(Arc::clone(&authority), &file, secrets).await.unwrap()))
            }
            None => None,
        };
        let listener = tokio::net::TcpListener::bind(bind).await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let base = format!("http://127.0.0.1:{port}");
        let state = tessera_server::AppState { authority: Arc::clone(&authority), sign_in: sign_in.clone() };
        let task = tokio::spawn(async move {
            tessera_server::serve_with(listener, state, options, std::future::pending()).await.unwrap();
        });
        Server { base, clock, authority, store, backend, sign_in, http: reqwest::Client::new(), _task: task }
    }

    /// Creates an account and returns a login session for it.
    pub async fn user(&self, name: &str, admin: bool) -> String {
        self.authority.create_user(name, if admin { Role::Admin } else { Role::Member }).await.unwrap();
        self.session(name).await
    }

    pub async fn session(&self, name: &str) -> String {
        let (_, s) = self.authority.issue_session(name).await.unwrap();
        s.token.expose().to_owned()
    }

    pub async fn call(&self, method: Method, path: &str, auth: Option<&str>, body: Option<Value>) -> Reply {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(a) = auth {
            req = req.bearer_auth(a);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.unwrap();
        reply(res).await
    }

    pub async fn get(&self, path: &str, auth: &str) -> Reply {
        self.call(Method::GET, path, Some(auth), None).await
    }

    /// `GET path` until it answers `status`, for at most a second: how long another replica (or
    /// another process writing to the store) may take to see a change. Returns the last answer,
    /// for the caller to assert on.
    pub async fn get_within_a_second(&self, path: &str, auth: &str, status: u16) -> Reply {
        let started = std::time::Instant::now();
        loop {
            let r = self.get(path, auth).await;
            if r.status.as_u16() == status || started.elapsed() > std::time::Duration::from_secs(1) {
                return r;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    pub async fn post(&self, path: &str, auth: &str, body: Value) -> Reply {
        self.call(Method::POST, path, Some(auth), Some(body)).await
    }

    pub async fn patch(&self, path: &str, auth: &str, body: Value) -> Reply {
        self.call(Method::PATCH, path, Some(auth), Some(body)).await
    }

    pub async fn put(&self, path: &str, auth: &str, body: Value) -> Reply {
        self.call(Method::PUT, path, Some(auth), Some(body)).await
    }

    pub async fn delete(&self, path: &str, auth: &str) -> Reply {
        self.call(Method::DELETE, path, Some(auth), None).await
    }

    /// Creates a token in `collection` and returns (its object, its value).
    pub async fn token(&self, collection: &str, auth: &str, scopes: &[&str]) -> (Value, String) {
        let body = self.post(collection, auth, json!({"label": "test", "scopes": scopes})).await.expect(201);
        let value = body["token"].as_str().unwrap().to_owned();
        (body, value)
    }

    /// Makes `name` a member of `org` with `role` the only way there is: an admin (`admin`)
    /// invites them and they (`their_auth`) accept.
    pub async fn add_member(&self, org: &str, admin: &str, name: &str, their_auth: &str, role: &str) {
        let inv = self
            .post(&format!("/api/v1/orgs/{org}/invitations"), admin, json!({"user": name, "role": role}))
            .await
            .expect(201);
        let accept = format!("/api/v1/user/invitations/{}/accept", inv["id"].as_str().unwrap());
        self.post(&accept, their_auth, json!({})).await.expect(200);
    }

    pub async fn pat(&self, auth: &str, scopes: &[&str]) -> String {
        self.token("/api/v1/user/tokens", auth, scopes).await.1
    }

    pub async fn id_of(&self, path: &str, auth: &str, body: Value) -> String {
        self.post(path, auth, body).await.expect(201)["id"].as_str().unwrap().to_owned()
    }

    /// Sends raw bytes, for malformed-input tests.
    pub async fn raw(&self, method: Method, path: &str, headers: &[(&str, &str)], body: Vec<u8>) -> Reply {
        let mut req = self.http.request(method, format!("{}{path}", self.base)).body(body);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        reply(req.send().await.unwrap()).await
    }
}

async fn reply(res: reqwest::Response) -> Reply {
    let status = res.status();
    let www_authenticate = res.headers().get("www-authenticate").map(|v| v.to_str().unwrap().to_owned());
    let text = res.text().await.unwrap();
    let body = if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap_or(Value::String(text)) };
    Reply { status, body, www_authenticate }
}
