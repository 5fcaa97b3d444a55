//! Local mode: the API served in process on 127.0.0.1 over the SQLite store in the data
//! directory, and the local account behind "Use locally".
//!
//! The data directory is opened exactly as `tessera serve` opens it (`tessera_auth::local`): the
//! session signing key in the OS keyring, providers from `providers.toml`, code-host tokens in
//! the keyring. The app stays a client of the REST API even here (the UI calls it over HTTP), so
//! local and team mode are one code path; the shell only uses the authority directly to make the
//! local account and sign its session, which is what `tessera admin session` does offline too.

use std::sync::Arc;

use tessera_auth::local::KeyPlace;
use tessera_auth::secret_store::LazyStore;
use tessera_auth::SignIn;
use tessera_core::authority::{IssuedSession, NewDevice};
use tessera_core::clock::Clock;
use tessera_core::model::User;
use tessera_core::{Authority, DataDir};
use tessera_server::AppState;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::error::{Error, Result};

/// The account name when the operating system's user name cannot be used.
pub const FALLBACK_NAME: &str = "local";

/// The embedded API server.
pub struct LocalServer {
    authority: Arc<Authority>,
    base_url: String,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
}

impl std::fmt::Debug for LocalServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalServer").field("base_url", &self.base_url).finish_non_exhaustive()
    }
}

impl LocalServer {
    /// Opens the data directory (the signing key where `key` says) and serves the API over it,
    /// with sign-in when a keyring holds code-host tokens. The keyring is `keyring` when given
    /// (the app's own, connected once for both), else one connected here.
    pub async fn open(
        dir: &DataDir,
        clock: Arc<dyn Clock>,
        key: KeyPlace,
        keyring: Option<&LazyStore>,
    ) -> Result<Self> {
        let local = match keyring {
            Some(k) => tessera_auth::local::open_with_keyring(dir, None, clock, key, k.connected().await).await?,
            None => tessera_auth::local::open(dir, None, clock, key).await?,
        };
        let sign_in = local.sign_in(dir).await?;
        Self::start(local.authority, sign_in).await
    }

    /// Serves the API over `authority` on 127.0.0.1, on a port the system picks.
    pub async fn start(authority: Arc<Authority>, sign_in: Option<Arc<SignIn>>) -> Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await.map_err(|e| Error::LocalServer(format!("{e}.")))?;
        let addr = listener.local_addr().map_err(|e| Error::LocalServer(format!("{e}.")))?;
        let (stop, stopped) = oneshot::channel::<()>();
        let state = AppState { authority: Arc::clone(&authority), sign_in };
        let task = tokio::spawn(tessera_server::serve_app(listener, state, async move {
            let _ = stopped.await;
        }));
        tracing::info!(%addr, "local API server started");
        Ok(Self { authority, base_url: format!("http://{addr}"), stop: Some(stop), task })
    }

    /// Where the UI reaches it.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The authority it serves.
    pub fn authority(&self) -> &Authority {
        &self.authority
    }

    /// Stops serving, after the requests in flight and the last token-usage write.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match (&mut self.task).await {
            Ok(Ok(())) => tracing::info!("local API server stopped"),
            Ok(Err(e)) => tracing::warn!(error = %e, "local API server stopped with an error"),
            Err(e) => tracing::warn!(error = %e, "local API server task failed"),
        }
    }
}

/// The local account's name: the operating system's user name where it is a valid account name,
/// else [`FALLBACK_NAME`].
pub fn account_name(os_user: Option<&str>) -> String {
    let valid = |n: &&str| {
        !n.is_empty()
            && n.len() <= 64
            && !n.starts_with('.')
            && n.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    };
    os_user.filter(valid).unwrap_or(FALLBACK_NAME).to_owned()
}

/// The operating system's user name, from the environment.
pub fn os_user() -> Option<String> {
    ["USER", "LOGNAME", "USERNAME"].iter().find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
}

/// "Use locally": signs a one-hour login session for the local account named `name`, making
/// the account first if there is none, on a new device named `device_name` whose refresh
/// credential keeps the app signed in. The rule (the first local account is the instance admin;
/// a provider-made account of that name is not taken over) is the authority's.
pub async fn sign_in_locally(
    authority: &Authority,
    name: &str,
    device_name: &str,
) -> Result<(User, IssuedSession, NewDevice)> {
    Ok(authority.sign_in_locally(name, device_name).await?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tessera_core::clock::SystemClock;

    #[test]
    fn the_account_is_named_after_the_os_user_when_that_is_a_valid_name() {
        assert_eq!(account_name(Some("ada")), "ada");
        assert_eq!(account_name(Some("ada.lovelace")), "ada.lovelace");
        assert_eq!(account_name(Some("Ada Lovelace")), "local");
        assert_eq!(account_name(Some(".hidden")), "local");
        assert_eq!(account_name(Some("")), "local");
        assert_eq!(account_name(None), "local");
    }

    #[tokio::test]
    async fn the_embedded_server_answers_on_loopback_and_stops() {
        let dir = tempfile::tempdir().unwrap();
        let server =
            LocalServer::open(&DataDir::at(dir.path()), Arc::new(SystemClock), KeyPlace::File, None).await.unwrap();
        let base = server.base_url().to_owned();
        assert!(base.starts_with("http://127.0.0.1:"), "{base}");
        let (_, session, _) = sign_in_locally(server.authority(), "ada", "test").await.unwrap();
        let http = reqwest::Client::new();
        let me = http.get(format!("{base}/api/v1/me")).bearer_auth(session.token.expose()).send().await.unwrap();
        assert_eq!(me.status(), 200);
        let me: serde_json::Value = me.json().await.unwrap();
        assert_eq!(me["name"], "ada");
        assert_eq!(me["role"], "admin");
        server.stop().await;
        assert!(http.get(format!("{base}/api/v1/health")).send().await.is_err(), "stopped");
    }
}
