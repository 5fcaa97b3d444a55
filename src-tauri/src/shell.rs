//! The shell's state and the bodies of its commands, independent of Tauri: the commands in
//! [`crate::commands`] only unwrap their arguments and forward here, and the tests below drive
//! these bodies without a window.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use serde::Serialize;
use tessera_auth::local::KeyPlace;
use tessera_auth::secret_store::{LazyStore, SecretStore};
use tessera_core::clock::Clock;
use tessera_core::DataDir;
use tessera_core::Secret;
use tokio::sync::oneshot;
use ts_rs::TS;

use crate::api;
use crate::error::{Error, Result};
use crate::local::{self, LocalServer};
use crate::preferences::{Preferences, ServerPreference, STORE_KEY};
use crate::session::Session;
use crate::sign_in::{self, Browser, Grant};

/// Which kind of server the app talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// The embedded server.
    Local,
    /// A team server.
    Team,
}

/// Where the API is, before anyone signs in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct ServerInfo {
    /// The API's address, without a trailing slash.
    pub base_url: String,
    /// Local or team.
    pub mode: Mode,
}

/// Where preferences are kept: the store plugin's file in the app, memory in tests.
pub trait PreferenceStore: Send + Sync {
    /// The stored value, if any.
    fn load(&self) -> Option<serde_json::Value>;
    /// Replaces the stored value and writes it out.
    fn save(&self, value: serde_json::Value) -> Result<()>;
}

impl<R: tauri::Runtime> PreferenceStore for tauri_plugin_store::Store<R> {
    fn load(&self) -> Option<serde_json::Value> {
        self.get(STORE_KEY)
    }

    fn save(&self, value: serde_json::Value) -> Result<()> {
        self.set(STORE_KEY, value);
        tauri_plugin_store::Store::save(self).map_err(|e| Error::PreferencesStore(format!("{e}.")))
    }
}

/// How the shell was started.
#[derive(Clone)]
pub struct Options {
    /// Sign in locally as soon as the UI asks for a session (`--local` on the command line).
    pub start_locally: bool,
    /// Where local mode keeps the session signing key: the keyring, or a file when the person
    /// opted in (`TESSERA_KEY_FILE=1`, as for `tessera serve`).
    pub key_place: KeyPlace,
    /// The OS keyring, connected on first use: each server's refresh credential is kept there,
    /// and the embedded server keeps its keys and code-host tokens in the same one. Without one
    /// the app stays signed in only while it runs.
    pub keyring: Option<Arc<LazyStore>>,
    /// What the devices this app signs in as are called in Account.
    pub device_name: String,
}

impl Default for Options {
    fn default() -> Self {
        Self { start_locally: false, key_place: KeyPlace::Keyring, keyring: None, device_name: device_name() }
    }
}

/// "Tessera desktop on <this computer's name>".
pub fn device_name() -> String {
    let host = gethostname::gethostname().to_string_lossy().trim().to_owned();
    if host.is_empty() {
        "Tessera desktop".to_owned()
    } else {
        format!("Tessera desktop on {host}")
    }
}

/// The keyring key of the refresh credential for `server`: one login per server.
fn login_key(server: &ServerPreference) -> String {
    match server {
        ServerPreference::Local => "desktop/login/local".to_owned(),
        ServerPreference::Team { url } => format!("desktop/login/{url}"),
    }
}

/// How long the UI waits for the first screen's data the shell is still asking for at launch
/// before it asks the API itself.
const FIRST_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// An answer of the API, as it came: its status and body.
#[derive(Debug, Clone, Serialize, TS)]
pub struct Answer {
    /// The HTTP status.
    pub status: u16,
    /// The body, JSON as the server wrote it.
    pub body: String,
}

/// The first screen's data, asked for by the shell as soon as it holds a session at launch: the
/// UI takes it with its preferences and session instead of asking for it after them.
#[derive(Debug, Clone, Serialize, TS)]
pub struct FirstAnswers {
    /// The API that answered.
    pub base_url: String,
    /// `GET /api/v1/me`.
    pub me: Answer,
    /// `GET /api/v1/user/tokens`, the first pane's list.
    pub tokens: Answer,
}

/// The desktop shell's state.
pub struct Shell {
    data_dir: DataDir,
    preferences: Arc<dyn PreferenceStore>,
    clock: Arc<dyn Clock>,
    browser: Arc<dyn Browser>,
    key_place: KeyPlace,
    keyring: Option<Arc<LazyStore>>,
    device_name: String,
    http: reqwest::Client,
    /// The embedded server, started when local mode first needs it.
    local: tokio::sync::Mutex<Option<LocalServer>>,
    /// The login session, in memory only.
    session: Mutex<Option<Session>>,
    /// Held while a session is renewed, so one refresh credential is never sent twice at once
    /// (the server would take that for theft and sign the device out).
    renewing: tokio::sync::Mutex<()>,
    /// See [`Options::start_locally`]; cleared once used.
    start_locally: AtomicBool,
    /// The browser sign-in waiting for its redirect, if any: dropping or firing the sender
    /// cancels it.
    pending: Mutex<Option<(u64, oneshot::Sender<()>)>>,
    attempts: AtomicU64,
    /// What [`Shell::launch`] asked for and the session it asked with, until the UI takes it;
    /// locked while it is asked for.
    first: tokio::sync::Mutex<Option<(Secret, FirstAnswers)>>,
}

impl std::fmt::Debug for Shell {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shell").field("data_dir", &self.data_dir).finish_non_exhaustive()
    }
}

impl Shell {
    /// A shell over the data directory, the preferences store and the person's browser.
    pub fn new(
        data_dir: DataDir,
        preferences: Arc<dyn PreferenceStore>,
        clock: Arc<dyn Clock>,
        browser: Arc<dyn Browser>,
        options: Options,
    ) -> Result<Self> {
        Ok(Self {
            data_dir,
            preferences,
            clock,
            browser,
            key_place: options.key_place,
            keyring: options.keyring,
            device_name: options.device_name,
            http: api::http_client()?,
            local: tokio::sync::Mutex::new(None),
            session: Mutex::new(None),
            renewing: tokio::sync::Mutex::new(()),
            start_locally: AtomicBool::new(options.start_locally),
            pending: Mutex::new(None),
            attempts: AtomicU64::new(0),
            first: tokio::sync::Mutex::new(None),
        })
    }

    fn session_slot(&self) -> MutexGuard<'_, Option<Session>> {
        self.session.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// `get_preferences`
    pub fn preferences(&self) -> Preferences {
        Preferences::from_stored(self.preferences.load())
    }

    /// `set_preferences`: checks and stores them. A change of server ends the session, which
    /// belongs to the old one, and stops the embedded server when a team server takes over.
    pub async fn set_preferences(&self, next: Preferences) -> Result<Preferences> {
        let next = next.validated()?;
        let before = self.preferences();
        let value = serde_json::to_value(&next).map_err(|e| Error::PreferencesStore(format!("{e}.")))?;
        self.preferences.save(value)?;
        if before.server != next.server {
            self.sign_out_of(&before.server).await;
            if matches!(next.server, ServerPreference::Team { .. }) {
                if let Some(server) = self.local.lock().await.take() {
                    server.stop().await;
                }
            }
        }
        Ok(next)
    }

    /// Starts the embedded server if it is not running, and runs `f` with it.
    async fn with_local<T>(&self, f: impl AsyncFnOnce(&LocalServer) -> Result<T>) -> Result<T> {
        let mut local = self.local.lock().await;
        if local.is_none() {
            *local = Some(
                LocalServer::open(&self.data_dir, Arc::clone(&self.clock), self.key_place, self.keyring.as_deref())
                    .await?,
            );
        }
        match local.as_ref() {
            Some(server) => f(server).await,
            None => Err(Error::LocalServer("it stopped while starting.".into())),
        }
    }

    /// `server_info`: the API the app talks to, starting the embedded one in local mode.
    pub async fn server_info(&self) -> Result<ServerInfo> {
        match self.preferences().server {
            ServerPreference::Local => {
                let base_url = self.with_local(async |s| Ok(s.base_url().to_owned())).await?;
                Ok(ServerInfo { base_url, mode: Mode::Local })
            }
            ServerPreference::Team { url } => Ok(ServerInfo { base_url: url, mode: Mode::Team }),
        }
    }

    /// `current_session {renew}`: a session for the current server. The one held is handed out
    /// while it is fresh; near its end, or when `renew` says the server refused it, the shell
    /// renews it with the refresh credential kept in the keyring, which is also how the app opens
    /// signed in. None when nobody is signed in.
    pub async fn current_session(&self, renew: bool) -> Result<Option<Session>> {
        let preference = self.preferences().server;
        if self.start_locally.load(Ordering::SeqCst) {
            // Under the renewal lock, so a call made meanwhile (the launch's own and the UI's)
            // waits for the local session instead of finding none.
            let _one_at_a_time = self.renewing.lock().await;
            if self.start_locally.swap(false, Ordering::SeqCst)
                && preference == ServerPreference::Local
                && self.session_slot().is_none()
                && self.kept_login(&preference).await.is_none()
            {
                return self.start_local().await.map(Some);
            }
        }
        let server = self.server_info().await?;
        let held = |fresh: bool| {
            let now = self.clock.now();
            let mut slot = self.session_slot();
            if slot.as_ref().is_some_and(|s| !s.usable(&server.base_url, now)) {
                *slot = None;
            }
            slot.clone().filter(|s| !fresh || s.fresh(&server.base_url, now))
        };
        if !renew {
            if let Some(s) = held(true) {
                return Ok(Some(s));
            }
        }
        let _one_at_a_time = self.renewing.lock().await;
        // Another call may have renewed while this one waited.
        if let Some(s) = held(true).filter(|_| !renew) {
            return Ok(Some(s));
        }
        let Some(refresh) = self.kept_login(&preference).await else {
            return Ok(held(false).filter(|_| !renew));
        };
        match api::refresh(&self.http, &server.base_url, &refresh).await {
            Ok(renewed) => {
                let (session, next) = renewed.into_parts(&server.base_url);
                self.keep_login(&preference, &next).await;
                *self.session_slot() = Some(session.clone());
                Ok(Some(session))
            }
            // Signed out elsewhere, revoked from Account, idle too long or disabled.
            Err(Error::Api { code, .. }) if code == "unauthenticated" || code == "forbidden" => {
                self.forget_login(&preference).await;
                *self.session_slot() = None;
                Ok(None)
            }
            Err(e) => match held(false).filter(|_| !renew) {
                Some(s) => Ok(Some(s)),
                None => Err(e),
            },
        }
    }

    /// The refresh credential kept for `server`, if any. A keyring that cannot be read is
    /// logged and counts as none: the person signs in again, nothing is deleted.
    async fn kept_login(&self, server: &ServerPreference) -> Option<Secret> {
        let logins = self.keyring.as_ref()?;
        match logins.get(&login_key(server)).await {
            Ok(found) => found,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the kept login from the keyring");
                None
            }
        }
    }

    /// Keeps `refresh` for `server` in the keyring, replacing the spent one.
    async fn keep_login(&self, server: &ServerPreference, refresh: &Secret) {
        let Some(logins) = &self.keyring else { return };
        if let Err(e) = logins.set(&login_key(server), refresh).await {
            tracing::warn!(error = %e, "cannot keep the login in the keyring; the app stays signed in until it closes");
        }
    }

    async fn forget_login(&self, server: &ServerPreference) {
        let Some(logins) = &self.keyring else { return };
        if let Err(e) = logins.delete(&login_key(server)).await {
            tracing::warn!(error = %e, "cannot remove the kept login from the keyring");
        }
    }

    /// At launch, while the window loads: restores the session (as [`Shell::current_session`]
    /// does, signing in locally with `--local`), then asks the API for the first screen's data
    /// with it, for [`Shell::first_answers`].
    pub async fn launch(&self) -> Result<()> {
        let mut first = self.first.lock().await;
        self.current_session(false).await?;
        crate::ready::mark("shell-session");
        *first = self.ask_first().await;
        crate::ready::mark("shell-first");
        Ok(())
    }

    /// `/me` and the personal token list with the session held, both at once; none unless both
    /// succeed (the UI then asks, and handles a failure as it always does).
    async fn ask_first(&self) -> Option<(Secret, FirstAnswers)> {
        let session = self.session_slot().clone()?;
        let (me, tokens) = tokio::join!(
            api::get_answer(&self.http, &session, "/api/v1/me"),
            api::get_answer(&self.http, &session, "/api/v1/user/tokens"),
        );
        Some((session.token, FirstAnswers { base_url: session.base_url, me: me?, tokens: tokens? }))
    }

    /// `first_answers`: what [`Shell::launch`] asked for, once, waiting for it while it is being
    /// asked for (at most [`FIRST_WAIT`]). None when there is none: nobody was signed in at
    /// launch, the API did not answer, it was taken already, or the session it was asked with is
    /// no longer the one held (signed out, or in as someone else, since).
    pub async fn first_answers(&self) -> Option<FirstAnswers> {
        let (asked_with, answers) = tokio::time::timeout(FIRST_WAIT, self.first.lock()).await.ok()?.take()?;
        let held = self.session_slot().as_ref().map(|s| s.token.expose() == asked_with.expose());
        held.unwrap_or(false).then_some(answers)
    }

    /// `start_local`: "Use locally" — a one-hour session for the local account on the embedded
    /// server, making the account first if needed.
    pub async fn start_local(&self) -> Result<Session> {
        if let ServerPreference::Team { url } = self.preferences().server {
            return Err(Error::TeamMode(url));
        }
        let name = local::account_name(local::os_user().as_deref());
        let (session, refresh) = self
            .with_local(async |server| {
                let (_, issued, device) = local::sign_in_locally(server.authority(), &name, &self.device_name).await?;
                let session = Session {
                    base_url: server.base_url().to_owned(),
                    token: issued.token,
                    expires_at: issued.expires_at,
                };
                Ok((session, device.refresh))
            })
            .await?;
        self.replace_session(session.clone()).await;
        self.keep_login(&ServerPreference::Local, &refresh).await;
        Ok(session)
    }

    /// `sign_in {providerId}`: the browser flow with that provider, then a login session.
    pub async fn sign_in(&self, provider_id: &str) -> Result<Session> {
        let server = self.server_info().await?;
        let grant = self.authorize(&server.base_url, provider_id).await?;
        let (session, refresh) = sign_in::exchange(&self.http, &server.base_url, &grant, &self.device_name).await?;
        self.replace_session(session.clone()).await;
        self.keep_login(&self.preferences().server, &refresh).await;
        Ok(session)
    }

    /// `link_identity {providerId}`: the browser flow with that provider, linking the account
    /// there to the signed-in one.
    pub async fn link_identity(&self, provider_id: &str) -> Result<()> {
        let session = self.current_session(false).await?.ok_or(Error::NotSignedIn)?;
        let grant = self.authorize(&session.base_url, provider_id).await?;
        sign_in::link(&self.http, &session, &grant).await
    }

    /// `cancel_sign_in`: the waiting browser flow ends with [`Error::Cancelled`].
    pub fn cancel_sign_in(&self) {
        if let Some((_, cancel)) = self.pending_slot().take() {
            let _ = cancel.send(());
        }
    }

    fn pending_slot(&self) -> MutexGuard<'_, Option<(u64, oneshot::Sender<()>)>> {
        self.pending.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs one browser flow; starting another cancels this one.
    async fn authorize(&self, base_url: &str, provider_id: &str) -> Result<Grant> {
        let attempt = self.attempts.fetch_add(1, Ordering::SeqCst);
        let (cancel, cancelled) = oneshot::channel::<()>();
        let earlier = self.pending_slot().replace((attempt, cancel));
        drop(earlier);
        let cancelled = async move {
            let _ = cancelled.await;
        };
        let grant = sign_in::authorize(&self.http, base_url, provider_id, self.browser.as_ref(), cancelled).await;
        let mut pending = self.pending_slot();
        if pending.as_ref().is_some_and(|(a, _)| *a == attempt) {
            *pending = None;
        }
        grant
    }

    /// Holds `session` from now on; a session held before is ended on its server.
    pub async fn replace_session(&self, session: Session) {
        let old = self.session_slot().replace(session);
        if let Some(old) = old {
            self.end_on_server(&old).await;
        }
    }

    /// `sign_out`: forgets the session and the kept login, and ends the session on its server,
    /// which signs the device out. Never fails: both are forgotten either way, and the session
    /// expires within the hour if the server could not be told.
    pub async fn sign_out(&self) {
        self.sign_out_of(&self.preferences().server).await;
    }

    async fn sign_out_of(&self, server: &ServerPreference) {
        let _one_at_a_time = self.renewing.lock().await;
        // The launch's answers, if nobody took them, are the account's that is signing out.
        if let Ok(mut first) = self.first.try_lock() {
            *first = None;
        }
        self.forget_login(server).await;
        let old = self.session_slot().take();
        if let Some(old) = old {
            self.end_on_server(&old).await;
        }
    }

    async fn end_on_server(&self, session: &Session) {
        match api::end_session(&self.http, &session.base_url, &session.token).await {
            Ok(()) => {}
            // The UI may have ended it already.
            Err(Error::Api { code, .. }) if code == "unauthenticated" => {}
            Err(e) => {
                tracing::warn!(code = e.code(), "could not end the session on the server; it expires within the hour")
            }
        }
    }

    /// A session of the local account signed in on another device named `device_name`.
    #[cfg(test)]
    async fn authority_session(&self, device_name: &str) -> String {
        let name = local::account_name(local::os_user().as_deref());
        self.with_local(async |server| {
            let (_, issued, _) = local::sign_in_locally(server.authority(), &name, device_name).await?;
            Ok(issued.token.expose().to_owned())
        })
        .await
        .unwrap()
    }

    /// Stops the embedded server, letting it record the last token usage. Closing the app is
    /// not signing out: the kept login opens it signed in next time.
    pub async fn shutdown(&self) {
        if let Some(server) = self.local.lock().await.take() {
            server.stop().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::preferences::Theme;
    use tessera_core::clock::SystemClock;

    /// Preferences in memory.
    #[derive(Default)]
    struct MemoryStore(Mutex<Option<serde_json::Value>>);

    impl PreferenceStore for MemoryStore {
        fn load(&self) -> Option<serde_json::Value> {
            self.0.lock().unwrap().clone()
        }

        fn save(&self, value: serde_json::Value) -> Result<()> {
            *self.0.lock().unwrap() = Some(value);
            Ok(())
        }
    }

    /// A browser nobody looks at.
    struct NoBrowser;

    impl Browser for NoBrowser {
        fn open(&self, _url: &str) -> Result<()> {
            Ok(())
        }
    }

    fn shell(dir: &tempfile::TempDir, start_locally: bool) -> (Shell, Arc<MemoryStore>) {
        let store = Arc::new(MemoryStore::default());
        let options = Options { start_locally, key_place: KeyPlace::File, ..Options::default() };
        let shell =
            Shell::new(DataDir::at(dir.path()), store.clone(), Arc::new(SystemClock), Arc::new(NoBrowser), options)
                .unwrap();
        (shell, store)
    }

    async fn status(shell: &Shell, path: &str, token: &str) -> u16 {
        let base = shell.server_info().await.unwrap().base_url;
        let res = shell.http.get(format!("{base}{path}")).bearer_auth(token).send().await.unwrap();
        res.status().as_u16()
    }

    #[tokio::test]
    async fn local_mode_serves_the_api_and_signs_in_locally() {
        let dir = tempfile::tempdir().unwrap();
        let (shell, _) = shell(&dir, false);
        let info = shell.server_info().await.unwrap();
        assert_eq!(info.mode, Mode::Local);
        assert!(info.base_url.starts_with("http://127.0.0.1:"));
        assert!(dir.path().join("tessera.db").exists(), "the store is in the data directory");

        assert!(shell.current_session(false).await.unwrap().is_none(), "nobody signed in yet");
        let session = shell.start_local().await.unwrap();
        assert_eq!(session.base_url, info.base_url);
        assert_eq!(status(&shell, "/api/v1/me", session.token.expose()).await, 200);
        let held = shell.current_session(false).await.unwrap().unwrap();
        assert_eq!(held.token.expose(), session.token.expose());

        shell.sign_out().await;
        assert!(shell.current_session(false).await.unwrap().is_none());
        assert_eq!(status(&shell, "/api/v1/me", session.token.expose()).await, 401, "ended on the server");
        shell.shutdown().await;
    }

    #[tokio::test]
    async fn the_session_is_never_written_to_disk() {
        let dir = tempfile::tempdir().unwrap();
        let (shell, store) = shell(&dir, false);
        let session = shell.start_local().await.unwrap();
        shell.set_preferences(Preferences { theme: Theme::Dark, ..Default::default() }).await.unwrap();
        let token = session.token.expose().as_bytes().to_vec();
        let stored = serde_json::to_vec(&store.load()).unwrap();
        assert!(!stored.windows(token.len()).any(|w| w == token.as_slice()));
        for entry in std::fs::read_dir(dir.path()).unwrap() {
            let bytes = std::fs::read(entry.unwrap().path()).unwrap_or_default();
            assert!(!bytes.windows(token.len()).any(|w| w == token.as_slice()), "token on disk");
        }
        shell.shutdown().await;
    }

    #[tokio::test]
    async fn signing_in_locally_again_ends_the_previous_session() {
        let dir = tempfile::tempdir().unwrap();
        let (shell, _) = shell(&dir, false);
        let first = shell.start_local().await.unwrap();
        let second = shell.start_local().await.unwrap();
        assert_eq!(status(&shell, "/api/v1/me", first.token.expose()).await, 401);
        assert_eq!(status(&shell, "/api/v1/me", second.token.expose()).await, 200);
        shell.shutdown().await;
    }

    #[tokio::test]
    async fn team_mode_uses_the_url_and_starts_no_server() {
        let dir = tempfile::tempdir().unwrap();
        let (shell, _) = shell(&dir, false);
        let team = Preferences {
            server: ServerPreference::Team { url: "https://tessera.example.com/".into() },
            ..Default::default()
        };
        let saved = shell.set_preferences(team).await.unwrap();
        assert_eq!(saved.server, ServerPreference::Team { url: "https://tessera.example.com".into() });
        let info = shell.server_info().await.unwrap();
        assert_eq!(info, ServerInfo { base_url: "https://tessera.example.com".into(), mode: Mode::Team });
        assert!(shell.local.lock().await.is_none(), "no embedded server in team mode");
        assert!(!dir.path().join("tessera.db").exists());
        let e = shell.start_local().await.unwrap_err();
        assert_eq!(e.code(), "team_mode");
        assert!(shell.current_session(false).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn switching_to_a_team_server_ends_the_local_session_and_server() {
        let dir = tempfile::tempdir().unwrap();
        let (shell, _) = shell(&dir, false);
        let session = shell.start_local().await.unwrap();
        let local_url = session.base_url.clone();
        let team =
            Preferences { server: ServerPreference::Team { url: "http://127.0.0.1:9".into() }, ..Default::default() };
        shell.set_preferences(team).await.unwrap();
        assert!(shell.current_session(false).await.unwrap().is_none());
        assert!(shell.http.get(format!("{local_url}/api/v1/health")).send().await.is_err(), "local server stopped");

        // Back to local: a new embedded server, and the old session was ended before it stopped.
        shell.set_preferences(Preferences::default()).await.unwrap();
        assert_eq!(status(&shell, "/api/v1/me", session.token.expose()).await, 401);
        shell.shutdown().await;
    }

    #[tokio::test]
    async fn bad_preferences_are_refused_and_not_stored() {
        let dir = tempfile::tempdir().unwrap();
        let (shell, store) = shell(&dir, false);
        let e =
            shell.set_preferences(Preferences { clipboard_clear_seconds: 2, ..Default::default() }).await.unwrap_err();
        assert_eq!(e.code(), "invalid_preferences");
        assert!(store.load().is_none());
        assert_eq!(shell.preferences(), Preferences::default());
    }

    /// A shell on the stand-in team server whose provider is played by `person`.
    async fn shell_with_provider(
        dir: &tempfile::TempDir,
        person: sign_in::fake::Person,
    ) -> (Arc<Shell>, Arc<sign_in::fake::Seen>) {
        let seen = Arc::new(sign_in::fake::Seen::default());
        let base = sign_in::fake::api(Arc::clone(&seen)).await;
        let browser = Arc::new(sign_in::fake::FakeBrowser { seen: Arc::clone(&seen), person });
        let store = Arc::new(MemoryStore::default());
        let options = Options { key_place: KeyPlace::File, ..Options::default() };
        let shell = Shell::new(DataDir::at(dir.path()), store, Arc::new(SystemClock), browser, options).unwrap();
        let team = Preferences { server: ServerPreference::Team { url: base }, ..Default::default() };
        shell.set_preferences(team).await.unwrap();
        (Arc::new(shell), seen)
    }

    #[tokio::test]
    async fn signing_in_through_the_browser_gives_a_session_and_links_accounts() {
        let dir = tempfile::tempdir().unwrap();
        let (shell, seen) = shell_with_provider(&dir, sign_in::fake::Person::Approves).await;
        let e = shell.link_identity("idp").await.unwrap_err();
        assert_eq!(e.code(), "unauthenticated", "linking needs a session");

        let session = shell.sign_in("idp").await.unwrap();
        assert_eq!(session.token.expose(), "jwt.from.idp");
        assert_eq!(shell.current_session(false).await.unwrap().unwrap().token.expose(), "jwt.from.idp");
        let url = seen.url.lock().unwrap().clone().unwrap();
        assert!(url.starts_with("https://idp.example/authorize?"), "{url}");
        assert!(url.contains("code_challenge_method=S256"));
        let verifier = seen.verifier.lock().unwrap().clone().unwrap();
        assert!(verifier.len() >= 43 && !url.contains(&verifier), "the verifier never goes to the browser");

        shell.link_identity("idp").await.unwrap();
        assert_eq!(
            shell.current_session(false).await.unwrap().unwrap().token.expose(),
            "jwt.from.idp",
            "still signed in"
        );
    }

    #[tokio::test]
    async fn stray_requests_to_the_loopback_listener_do_not_end_the_sign_in() {
        let dir = tempfile::tempdir().unwrap();
        let (shell, _) = shell_with_provider(&dir, sign_in::fake::Person::ApprovesAfterStrangers).await;
        let session = shell.sign_in("idp").await.unwrap();
        assert_eq!(session.token.expose(), "jwt.from.idp");
    }

    #[tokio::test]
    async fn a_declined_sign_in_says_so_and_an_unknown_provider_is_not_found() {
        let dir = tempfile::tempdir().unwrap();
        let (shell, _) = shell_with_provider(&dir, sign_in::fake::Person::Declines).await;
        let e = shell.sign_in("idp").await.unwrap_err();
        assert_eq!(e.code(), "provider_denied");
        assert!(e.to_string().starts_with("The provider refused"), "{e}");
        assert_eq!(shell.sign_in("nope").await.unwrap_err().code(), "not_found");
        assert!(shell.current_session(false).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn a_waiting_sign_in_can_be_cancelled() {
        let dir = tempfile::tempdir().unwrap();
        let (shell, seen) = shell_with_provider(&dir, sign_in::fake::Person::WalksAway).await;
        let waiting = tokio::spawn({
            let shell = Arc::clone(&shell);
            async move { shell.sign_in("idp").await }
        });
        while seen.url.lock().unwrap().is_none() {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        shell.cancel_sign_in();
        let e = waiting.await.unwrap().unwrap_err();
        assert_eq!(e.code(), "cancelled");
        assert!(shell.current_session(false).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn with_the_local_flag_the_first_session_request_signs_in() {
        let dir = tempfile::tempdir().unwrap();
        let (shell, _) = shell(&dir, true);
        let s = shell.current_session(false).await.unwrap().unwrap();
        assert_eq!(status(&shell, "/api/v1/me", s.token.expose()).await, 200);
        shell.sign_out().await;
        assert!(shell.current_session(false).await.unwrap().is_none(), "only once");
        shell.shutdown().await;
    }

    /// A shell on the embedded server whose logins are kept in `logins`, on `clock`.
    fn kept_shell(
        dir: &tempfile::TempDir,
        logins: &Arc<tessera_auth::secret_store::MemoryStore>,
        clock: Arc<dyn Clock>,
    ) -> Shell {
        let options = Options {
            key_place: KeyPlace::File,
            keyring: Some(Arc::new(LazyStore::new({
                let logins = logins.clone();
                move || Ok(logins as Arc<dyn SecretStore>)
            }))),
            device_name: "Tessera desktop on test".into(),
            ..Options::default()
        };
        Shell::new(DataDir::at(dir.path()), Arc::new(MemoryStore::default()), clock, Arc::new(NoBrowser), options)
            .unwrap()
    }

    #[tokio::test]
    async fn the_app_stays_signed_in_across_launches_and_session_lifetimes() {
        use tessera_core::clock::ManualClock;
        let dir = tempfile::tempdir().unwrap();
        let logins = Arc::new(tessera_auth::secret_store::MemoryStore::default());
        let clock = Arc::new(ManualClock::new(chrono::Utc::now()));
        let first = kept_shell(&dir, &logins, clock.clone());
        let signed_in = first.start_local().await.unwrap();
        assert_eq!(logins.keys(), vec!["desktop/login/local".to_owned()]);
        let kept = logins.get("desktop/login/local").await.unwrap().unwrap();
        assert!(kept.expose().starts_with("tsr_rfr_"));
        first.shutdown().await;

        // The next launch opens signed in, as the same account on the same device.
        let app = kept_shell(&dir, &logins, clock.clone());
        let mut session = app.current_session(false).await.unwrap().expect("signed in at launch");
        assert_ne!(session.token.expose(), signed_in.token.expose());
        assert_ne!(logins.get("desktop/login/local").await.unwrap().unwrap().expose(), kept.expose(), "rotated");
        let base = session.base_url.clone();
        let me = |token: String| {
            let base = base.clone();
            let http = app.http.clone();
            async move {
                let res = http.get(format!("{base}/api/v1/me")).bearer_auth(token).send().await.unwrap();
                (res.status().as_u16(), res.json::<serde_json::Value>().await.unwrap_or_default())
            }
        };
        assert_eq!(me(session.token.expose().to_owned()).await.0, 200);

        // The session is renewed silently near its end, over many hours.
        for hour in 1..=6 {
            clock.advance(chrono::Duration::minutes(30));
            let same = app.current_session(false).await.unwrap().unwrap();
            assert_eq!(same.token.expose(), session.token.expose(), "hour {hour}: not renewed while fresh");
            clock.advance(chrono::Duration::minutes(26));
            let next = app.current_session(false).await.unwrap().unwrap();
            assert_ne!(next.token.expose(), session.token.expose(), "hour {hour}: renewed before its end");
            clock.advance(chrono::Duration::minutes(5));
            assert_eq!(me(session.token.expose().to_owned()).await.0, 401, "hour {hour}: the old one has ended");
            let (status, body) = me(next.token.expose().to_owned()).await;
            assert_eq!(status, 200, "hour {hour}");
            assert_eq!(body["role"], "admin");
            session = next;
        }
        let devices = app
            .http
            .get(format!("{}/api/v1/user/devices", session.base_url))
            .bearer_auth(session.token.expose())
            .send()
            .await
            .unwrap()
            .json::<serde_json::Value>()
            .await
            .unwrap();
        assert_eq!(devices.as_array().unwrap().len(), 1, "{devices}");
        assert_eq!(devices[0]["name"], "Tessera desktop on test");
        app.shutdown().await;
    }

    #[tokio::test]
    async fn the_embedded_server_and_the_kept_logins_share_one_keyring_connection() {
        use std::sync::atomic::AtomicUsize;
        let dir = tempfile::tempdir().unwrap();
        let keyring = Arc::new(tessera_auth::secret_store::MemoryStore::default());
        let connections = Arc::new(AtomicUsize::new(0));
        let lazy = LazyStore::new({
            let (keyring, connections) = (keyring.clone(), connections.clone());
            move || {
                connections.fetch_add(1, Ordering::SeqCst);
                Ok(keyring as Arc<dyn SecretStore>)
            }
        });
        let options = Options {
            start_locally: true,
            key_place: KeyPlace::Keyring,
            keyring: Some(Arc::new(lazy)),
            device_name: "Tessera desktop on test".into(),
        };
        let app = Shell::new(
            DataDir::at(dir.path()),
            Arc::new(MemoryStore::default()),
            Arc::new(SystemClock),
            Arc::new(NoBrowser),
            options,
        )
        .unwrap();
        app.launch().await.unwrap();
        assert!(app.current_session(false).await.unwrap().is_some(), "signed in locally");
        let mut kept = keyring.keys();
        kept.sort();
        assert_eq!(
            kept,
            ["desktop/login/local", "secret-sealing-key", "session-signing-key"],
            "the server's keys and the login, in the one keyring"
        );
        assert_eq!(connections.load(Ordering::SeqCst), 1, "connected once");
        app.shutdown().await;
    }

    #[tokio::test]
    async fn launch_asks_for_the_first_screen_with_the_session_it_restored_and_hands_it_over_once() {
        let dir = tempfile::tempdir().unwrap();
        let logins = Arc::new(tessera_auth::secret_store::MemoryStore::default());
        let clock: Arc<dyn Clock> = Arc::new(tessera_core::clock::SystemClock);

        // Nobody signed in: nothing to ask for, and nothing to wait for.
        let signed_out = kept_shell(&dir, &logins, clock.clone());
        signed_out.launch().await.unwrap();
        assert!(signed_out.first_answers().await.is_none());
        let session = signed_out.start_local().await.unwrap();
        let token = signed_out.http.post(format!("{}/api/v1/user/tokens", session.base_url));
        let made = token
            .bearer_auth(session.token.expose())
            .json(&serde_json::json!({ "label": "laptop", "scopes": ["read"] }))
            .send()
            .await
            .unwrap();
        assert_eq!(made.status().as_u16(), 201);
        let made: serde_json::Value = made.json().await.unwrap();
        let value = made["token"].as_str().expect("the value, shown once").to_owned();
        signed_out.shutdown().await;

        // The next launch restores the kept login and asks with that session.
        let app = kept_shell(&dir, &logins, clock);
        app.launch().await.unwrap();
        let held = app.session_slot().clone().expect("signed in at launch");
        let first = app.first_answers().await.expect("asked for at launch");
        assert_eq!(first.base_url, held.base_url);
        assert_eq!(first.me.status, 200);
        let me: serde_json::Value = serde_json::from_str(&first.me.body).unwrap();
        assert_eq!(me["name"], local::account_name(local::os_user().as_deref()));
        assert_eq!(first.tokens.status, 200);
        let tokens: serde_json::Value = serde_json::from_str(&first.tokens.body).unwrap();
        assert_eq!(tokens.as_array().unwrap().len(), 1, "{tokens}");
        assert_eq!(tokens[0]["label"], "laptop");
        assert!(!first.tokens.body.contains(&value), "a list never holds a token's value");
        assert!(app.first_answers().await.is_none(), "handed over once");
        app.shutdown().await;

        // Answers asked with a session the shell no longer holds are not handed over.
        let renewed = kept_shell(&dir, &logins, Arc::new(tessera_core::clock::SystemClock));
        renewed.launch().await.unwrap();
        renewed.current_session(true).await.unwrap().expect("renewed");
        assert!(renewed.first_answers().await.is_none(), "asked with the session before");
        renewed.shutdown().await;
    }

    #[tokio::test]
    async fn signing_out_forgets_the_login_and_a_revoked_device_signs_the_app_out() {
        let dir = tempfile::tempdir().unwrap();
        let logins = Arc::new(tessera_auth::secret_store::MemoryStore::default());
        let app = kept_shell(&dir, &logins, Arc::new(SystemClock));
        app.start_local().await.unwrap();
        app.sign_out().await;
        assert!(logins.keys().is_empty(), "signing out forgets the kept login");
        assert!(app.current_session(false).await.unwrap().is_none());

        // Revoked from another device: the next renewal finds out and signs this app out.
        let here = app.start_local().await.unwrap();
        let other = app.authority_session("elsewhere").await;
        let http = &app.http;
        let devices: serde_json::Value = http
            .get(format!("{}/api/v1/user/devices", here.base_url))
            .bearer_auth(&other)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let this_one = devices.as_array().unwrap().iter().find(|d| d["name"] == "Tessera desktop on test").unwrap();
        let url = format!("{}/api/v1/user/devices/{}", here.base_url, this_one["id"].as_str().unwrap());
        assert_eq!(http.delete(url).bearer_auth(&other).send().await.unwrap().status(), 204);
        assert!(app.current_session(true).await.unwrap().is_none(), "a refused renewal signs out");
        assert!(logins.keys().is_empty());

        // A keyring that cannot be read signs nobody in and deletes nothing.
        app.start_local().await.unwrap();
        logins.set_locked(true);
        assert!(app.current_session(true).await.unwrap().is_none());
        logins.set_locked(false);
        assert_eq!(logins.keys().len(), 1, "the kept login is still there");
        app.shutdown().await;
    }
}
