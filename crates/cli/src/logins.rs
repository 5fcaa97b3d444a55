//! Stored logins: which servers and accounts this person signed in to, and the credential each
//! command sends.
//!
//! The secrets — a personal access token given to `tessera login --with-token`, or the rotating
//! refresh credential of a sign-in through a provider and the one-hour session it last gave — live
//! only in the OS keyring, one entry per (server, account). A small index in the configuration
//! folder (`logins.json`, owner-only, nothing secret in it) lists the logins, which one each server
//! uses, and which server commands talk to when none is named.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tessera_auth::secret_store::namespace_for;
use tessera_auth::{KeyringStore, SecretStore};
use tessera_core::Secret;

use crate::client::{server_url, ApiFailure, Client, NotSignedIn};

/// The server commands talk to when neither `--server`, `TESSERA_SERVER` nor a stored login
/// names one.
pub const DEFAULT_SERVER: &str = "http://127.0.0.1:7878";

/// A session is renewed when it has less than this left.
const RENEW_BEFORE: chrono::TimeDelta = chrono::TimeDelta::seconds(120);

/// What a login keeps in the keyring.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A personal access token (`tessera login --with-token`).
    Token,
    /// A sign-in through a provider: a refresh credential that renews one-hour sessions.
    Session,
}

impl Kind {
    /// The kind as `auth status` and `--json` name it.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Token => "token",
            Kind::Session => "session",
        }
    }
}

/// One stored login, as the index lists it (nothing secret).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Login {
    /// The server's base URL, as parsed.
    pub server: String,
    /// The account name.
    pub account: String,
    /// The account id.
    pub account_id: String,
    pub kind: Kind,
    /// Whether this is the login used for its server.
    pub active: bool,
    /// For a session login: the device the server keeps the sign-in under.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_id: Option<String>,
    /// For a session login: until when the session kept in the keyring works.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_expires_at: Option<DateTime<Utc>>,
    pub added_at: DateTime<Utc>,
}

/// The index file.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Index {
    /// The server commands talk to when none is named.
    #[serde(default)]
    pub current: Option<String>,
    #[serde(default)]
    pub logins: Vec<Login>,
}

/// The stored logins: the index in the configuration folder and the keyring beside it.
pub struct Logins {
    path: PathBuf,
    pub index: Index,
    keyring: Option<KeyringStore>,
    namespace: String,
}

impl Logins {
    /// Reads the index (an absent one is empty). The keyring is reached only when a secret is.
    pub fn open() -> Result<Self> {
        let folders = tessera_platform::folders::Folders::locate()?;
        let dir = folders.config();
        let path = dir.join("logins.json");
        let index = match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).with_context(|| {
                format!("the list of stored logins ({}) is not readable; remove it and sign in again", path.display())
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Index::default(),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        };
        Ok(Self { path, index, keyring: None, namespace: namespace_for(dir) })
    }

    /// Writes the index back, readable by its owner only from its first byte.
    pub fn save(&self) -> Result<()> {
        let dir = self.path.parent().unwrap_or(Path::new("."));
        tessera_platform::files::create_private_dir(dir)?;
        let tmp = dir.join(format!("logins.json.{}.tmp", std::process::id()));
        let _ = std::fs::remove_file(&tmp);
        let bytes = serde_json::to_vec_pretty(&self.index)?;
        tessera_platform::files::write_new_private(&tmp, &bytes)
            .with_context(|| format!("cannot write {}", tmp.display()))?;
        std::fs::rename(&tmp, &self.path).with_context(|| format!("cannot write {}", self.path.display()))?;
        Ok(())
    }

    fn keyring(&mut self) -> Result<&KeyringStore> {
        if self.keyring.is_none() {
            let store = KeyringStore::connect(&self.namespace).map_err(|e| {
                anyhow::anyhow!("cannot reach {} to keep the login in: {e}", tessera_platform::keyring::NAME)
            })?;
            self.keyring = Some(store);
        }
        self.keyring.as_ref().context("no keyring")
    }

    /// The keyring key of a login's long-lived secret (the token, or the refresh credential).
    fn secret_key(server: &str, account: &str) -> String {
        format!("login/{server}/{account}")
    }

    /// The keyring key of a session login's current one-hour session.
    fn session_key(server: &str, account: &str) -> String {
        format!("session/{server}/{account}")
    }

    /// The login's long-lived secret from the keyring, if it is still there.
    pub async fn secret(&mut self, login: &Login) -> Result<Option<Secret>> {
        let key = Self::secret_key(&login.server, &login.account);
        Ok(self.keyring()?.get(&key).await?)
    }

    async fn set_secret(&mut self, server: &str, account: &str, value: &Secret) -> Result<()> {
        let key = Self::secret_key(server, account);
        Ok(self.keyring()?.set(&key, value).await?)
    }

    async fn set_session(&mut self, server: &str, account: &str, value: &Secret) -> Result<()> {
        let key = Self::session_key(server, account);
        Ok(self.keyring()?.set(&key, value).await?)
    }

    /// Adds (or replaces) a login, makes it its server's and its server the current one, and
    /// keeps `secret` in the keyring before the index names it.
    pub async fn add(&mut self, mut login: Login, secret: &Secret, session: Option<&Secret>) -> Result<()> {
        self.set_secret(&login.server, &login.account, secret).await?;
        if let Some(s) = session {
            self.set_session(&login.server, &login.account, s).await?;
        }
        self.index.logins.retain(|l| !(l.server == login.server && l.account == login.account));
        for l in self.index.logins.iter_mut().filter(|l| l.server == login.server) {
            l.active = false;
        }
        login.active = true;
        self.index.current = Some(login.server.clone());
        self.index.logins.push(login);
        self.save()
    }

    /// Forgets a login: its keyring entries first, then its line in the index. Another login of
    /// the same server becomes that server's; when none is left, another server becomes current.
    pub async fn remove(&mut self, server: &str, account: &str) -> Result<()> {
        let keyring = self.keyring()?;
        keyring.delete(&Self::secret_key(server, account)).await?;
        keyring.delete(&Self::session_key(server, account)).await?;
        let was_active = self.index.logins.iter().any(|l| l.server == server && l.account == account && l.active);
        self.index.logins.retain(|l| !(l.server == server && l.account == account));
        if was_active {
            if let Some(next) = self.index.logins.iter_mut().find(|l| l.server == server) {
                next.active = true;
            }
        }
        if self.index.current.as_deref() == Some(server) && !self.index.logins.iter().any(|l| l.server == server) {
            self.index.current = self.index.logins.first().map(|l| l.server.clone());
        }
        self.save()
    }

    /// The logins matching `server` and `account` (either may be absent).
    pub fn matching(&self, server: Option<&str>, account: Option<&str>) -> Vec<Login> {
        self.index
            .logins
            .iter()
            .filter(|l| server.is_none_or(|s| l.server == s) && account.is_none_or(|a| l.account == a))
            .cloned()
            .collect()
    }

    /// The login used for `server`, if any.
    pub fn active(&self, server: &str) -> Option<Login> {
        self.index.logins.iter().find(|l| l.server == server && l.active).cloned()
    }

    /// Makes `login` its server's and its server the current one.
    pub fn switch(&mut self, server: &str, account: &str) -> Result<()> {
        for l in self.index.logins.iter_mut().filter(|l| l.server == server) {
            l.active = l.account == account;
        }
        self.index.current = Some(server.to_owned());
        self.save()
    }

    /// A credential for a request as `login`: its token, or (for a session login) the session
    /// kept in the keyring while it has a while left, else a new one from the refresh credential.
    pub async fn credential(&mut self, login: &Login) -> Result<Secret> {
        match login.kind {
            Kind::Token => self.secret(login).await?.ok_or_else(|| missing(login)),
            Kind::Session => self.session(login).await,
        }
    }

    async fn session(&mut self, login: &Login) -> Result<Secret> {
        let fresh = |l: &Login| l.session_expires_at.is_some_and(|at| at - Utc::now() > RENEW_BEFORE);
        if fresh(login) {
            let key = Self::session_key(&login.server, &login.account);
            if let Some(s) = self.keyring()?.get(&key).await? {
                return Ok(s);
            }
        }
        // One renewal at a time: a refresh credential is spent by its first use, and presenting a
        // spent one signs the whole device out.
        let _lock = Lock::take(&self.path.with_extension("lock")).await?;
        let reread = Self::open()?;
        if let Some(now) =
            reread.index.logins.iter().find(|l| l.server == login.server && l.account == login.account).cloned()
        {
            self.index = reread.index;
            if fresh(&now) {
                let key = Self::session_key(&now.server, &now.account);
                if let Some(s) = self.keyring()?.get(&key).await? {
                    return Ok(s);
                }
            }
        }
        let refresh = self.secret(login).await?.ok_or_else(|| missing(login))?;
        let client = Client::new(&login.server, None)?;
        let path = crate::api_path("devices_refresh", &[])?;
        let answer = match client
            .public(reqwest::Method::POST, &path, Some(&json!({"refresh_token": refresh.expose()})))
            .await
        {
            Ok(v) => v,
            Err(e) if e.downcast_ref::<ApiFailure>().is_some_and(|f| f.status == 401) => {
                return Err(NotSignedIn(format!(
                    "the sign-in to {} as {} has ended (signed out, or its device was revoked); run `tessera login` \
                     again",
                    login.server, login.account
                ))
                .into());
            }
            Err(e) => return Err(e),
        };
        let renewed = Renewed::read(&answer)?;
        // The new refresh credential is kept before anything uses the new session: the old one is
        // spent now.
        self.set_secret(&login.server, &login.account, &renewed.refresh).await?;
        self.set_session(&login.server, &login.account, &renewed.session).await?;
        if let Some(l) = self.index.logins.iter_mut().find(|l| l.server == login.server && l.account == login.account) {
            l.session_expires_at = Some(renewed.expires_at);
        }
        self.save()?;
        Ok(renewed.session)
    }
}

/// What a refresh answers: a session, until when, and the next refresh credential.
struct Renewed {
    session: Secret,
    expires_at: DateTime<Utc>,
    refresh: Secret,
}

impl Renewed {
    fn read(v: &Value) -> Result<Self> {
        let session = v["token"].as_str().context("the server renewed the sign-in without a session")?;
        let refresh =
            v["refresh_token"].as_str().context("the server renewed the sign-in without a refresh credential")?;
        let expires_at = v["expires_at"]
            .as_str()
            .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
            .context("the server renewed the sign-in without saying until when")?
            .with_timezone(&Utc);
        Ok(Self { session: Secret::new(session.to_owned()), expires_at, refresh: Secret::new(refresh.to_owned()) })
    }
}

fn missing(login: &Login) -> anyhow::Error {
    NotSignedIn(format!(
        "the login to {} as {} is no longer in {}; run `tessera login` again",
        login.server,
        login.account,
        tessera_platform::keyring::NAME
    ))
    .into()
}

/// A lock file held while a session is renewed; removed when dropped. One left by a process
/// that died is taken over after a while.
struct Lock(PathBuf);

impl Lock {
    async fn take(path: &Path) -> Result<Self> {
        if let Some(dir) = path.parent() {
            tessera_platform::files::create_private_dir(dir)?;
        }
        for _ in 0..200 {
            match tessera_platform::files::write_new_private(path, std::process::id().to_string().as_bytes()) {
                Ok(()) => return Ok(Self(path.to_owned())),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let stale = std::fs::metadata(path)
                        .and_then(|m| m.modified())
                        .is_ok_and(|t| t.elapsed().unwrap_or_default() > Duration::from_secs(30));
                    if stale {
                        let _ = std::fs::remove_file(path);
                    } else {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                }
                Err(e) => return Err(e).with_context(|| format!("cannot create {}", path.display())),
            }
        }
        bail!("another tessera command is renewing the sign-in ({} is held); try again", path.display())
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Picks the server and the credential of a client command: `--token`/`TESSERA_TOKEN` if given,
/// else the stored login of `--server`/`TESSERA_SERVER` (or of the current server).
pub async fn target(server: Option<&str>, token: Option<&str>) -> Result<Client> {
    let logins_index = Logins::open();
    let server = match server {
        Some(s) => server_url(s)?,
        None => match &logins_index {
            Ok(l) => match &l.index.current {
                Some(s) => s.clone(),
                None => DEFAULT_SERVER.to_owned(),
            },
            Err(_) => DEFAULT_SERVER.to_owned(),
        },
    };
    if let Some(t) = token {
        let t = t.trim();
        if t.is_empty() {
            return Err(NotSignedIn("--token (or TESSERA_TOKEN) is empty".to_owned()).into());
        }
        return Client::new(&server, Some(t.to_owned()));
    }
    let mut logins = logins_index?;
    let Some(login) = logins.active(&server) else {
        return Client::new(&server, None);
    };
    let credential = logins.credential(&login).await?;
    Ok(Client::new(&server, Some(credential.expose().to_owned()))?
        .of_login(format!("{} as {}", login.server, login.account)))
}
