//! The token authority: who is calling, and what they may do.
//!
//! Every rule of DESIGN.md is decided here, before the store is asked to change anything:
//! a credential's effective rights are its scopes intersected with what its owner may do at the
//! moment of the request; tokens never carry a role; a token never mints or rotates a token with
//! more scopes than it has; org tokens act only on their organization, trigger tokens only
//! trigger their project, agent tokens only reach the agent endpoints.

mod admin;
mod agents;
mod attention;
mod devices;
mod identities;
mod local;
mod orgs;
mod policy;
mod projects;
mod providers;
mod runs;
mod signup;
mod tokens;
mod users;
mod webhooks;

use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use attention::{Attention, AttentionKind, AttentionPlace, EXPIRING_WITHIN};
pub use devices::{NewDevice, Renewed};
pub use identities::SignedIn;
pub use orgs::{MemberChange, INVITATION_LIFETIME};
pub use policy::{OrgPolicy, TokenPolicy};
pub use projects::{NewProject, ProjectPatch};
pub use runs::{
    artifact_too_large, LogPage, RunRequest, ARTIFACT_MAX, COMMIT_PATTERN, LOG_PAGE_MAX, REF_PATTERN,
    RUN_ARTIFACTS_MAX, RUN_LOG_MAX,
};
pub use tokens::{Collection, Introspection, NewToken, TokenPatch};
pub use users::{AdminActor, UserPatch};
pub use webhooks::{Delivery, WEBHOOK_SECRET_PREFIX};

use crate::audit::{self, Outcome};
use crate::clock::Clock;
use crate::error::{Error, ErrorCode, Result};
use crate::id::new_id;
use crate::last_used::LastUsed;
use crate::model::{OrgRole, OrgWithRole, Origin, Owner, OwnerKind, Project, Role, User};
use crate::scope::{Scope, Scopes};
use crate::secret::Secret;
use crate::session::SessionKeys;
use crate::store::Store;
use crate::token::{self, TokenKind};
use crate::verify_cache::VerifyCache;
use sha2::{Digest, Sha256};

/// How a caller proved who it is.
#[derive(Debug, Clone)]
pub enum Credential {
    /// A login session of a user.
    Session {
        /// The signed-in user, as stored now, with the session's role: the higher of the
        /// account's local role and what the session's identity's provider asserts now.
        user: User,
        /// The account's local role, as stored now.
        local_role: Role,
        /// The session id.
        session_id: String,
        /// When it stops working: its record's end, or its JWT's if sooner.
        expires_at: DateTime<Utc>,
        /// The device it belongs to, if it belongs to one.
        device_id: Option<String>,
    },
    /// A Tessera token.
    Token {
        /// The token, as stored now.
        token: Box<crate::model::Token>,
        /// The user who owns it, for personal access tokens and personal agent tokens.
        user: Option<User>,
    },
}

/// An authenticated caller of the authority.
#[derive(Debug, Clone)]
pub struct Caller {
    /// How it authenticated.
    pub credential: Credential,
    /// The client address, for the audit log and `last_used_ip`.
    pub ip: Option<String>,
}

impl Caller {
    /// The scopes this credential carries; a login session may do all its user may do.
    pub fn scopes(&self) -> Scopes {
        match &self.credential {
            Credential::Session { .. } => Scopes::ALL,
            Credential::Token { token, .. } if token.kind.has_scopes() => token.scopes,
            Credential::Token { .. } => Scopes::NONE,
        }
    }

    /// The token kind, or none for a login session.
    pub fn token_kind(&self) -> Option<TokenKind> {
        match &self.credential {
            Credential::Session { .. } => None,
            Credential::Token { token, .. } => Some(token.kind),
        }
    }

    /// How the audit log names this caller.
    pub fn actor(&self) -> String {
        match &self.credential {
            Credential::Session { user, .. } => format!("user:{}", user.id),
            Credential::Token { token, .. } => format!("token:{}", token.id),
        }
    }

    /// The user acting: a login session's user or a personal access token's owner.
    fn acting_user(&self) -> Result<&User> {
        match &self.credential {
            Credential::Session { user, .. } => Ok(user),
            Credential::Token { token, user: Some(user) } if token.kind == TokenKind::Pat => Ok(user),
            Credential::Token { token, .. } => Err(Error::forbidden(format!(
                "{} tokens cannot do this; use a login session or a personal access token",
                kind_name(token.kind)
            ))),
        }
    }

    /// The organization an organization token acts for.
    fn acting_org(&self) -> Option<&str> {
        match &self.credential {
            Credential::Token { token, .. } if token.kind == TokenKind::Org => Some(&token.owner.id),
            _ => None,
        }
    }

    /// Refuses unless the credential carries `scope`.
    fn require(&self, scope: Scope) -> Result<()> {
        match self.token_kind() {
            Some(k @ (TokenKind::Agent | TokenKind::Trigger)) => Err(Error::forbidden(format!(
                "{} tokens cannot do this; they only {}",
                kind_name(k),
                if k == TokenKind::Agent { "connect agents" } else { "trigger runs of their project" }
            ))),
            _ if self.scopes().contains(scope) => Ok(()),
            _ => Err(Error::ScopeMissing(scope)),
        }
    }
}

fn kind_name(kind: TokenKind) -> &'static str {
    match kind {
        TokenKind::Pat => "personal access",
        TokenKind::Org => "organization",
        TokenKind::Agent => "agent",
        TokenKind::Trigger => "trigger",
    }
}

/// How much a caller needs on a project.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Access {
    /// See it, its runs and its pipelines.
    Read,
    /// Trigger runs, write pipelines and secrets: owners and organization members.
    Work,
    /// Change its settings and its trigger tokens: owners and organization admins.
    Admin,
}

/// The signed-in account as `GET /me` shows it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Me {
    /// Account id.
    pub id: String,
    /// Account name.
    pub name: String,
    /// The role this request acts with: for a login session the higher of the local role and
    /// what the session's identity's provider asserts now; for a token the local role.
    pub role: Role,
    /// The account's local role, set by instance admins.
    pub local_role: Role,
    /// When the account was made.
    pub created_at: DateTime<Utc>,
    /// The accounts at identity providers and code hosts linked to it.
    pub identities: Vec<crate::model::Identity>,
    /// The organizations the account belongs to, with its role in each.
    pub orgs: Vec<OrgWithRole>,
}

/// A freshly signed login session.
#[derive(Debug)]
pub struct IssuedSession {
    /// The JWT.
    pub token: Secret,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
}

/// The token authority.
pub struct Authority {
    store: Arc<dyn Store>,
    keys: SessionKeys,
    clock: Arc<dyn Clock>,
    last_used: LastUsed,
    failures: audit::FailureTally,
    sealer: Option<Arc<dyn crate::seal::Sealer>>,
    cache: VerifyCache,
    /// The store's change counter when last read, to tell a change from none.
    changes_seen: std::sync::atomic::AtomicI64,
}

impl std::fmt::Debug for Authority {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authority").finish_non_exhaustive()
    }
}

/// How long an agent may stay silent before it is shown as offline.
pub const AGENT_OFFLINE_AFTER: chrono::Duration = chrono::Duration::seconds(90);

impl Authority {
    /// An authority over `store`, signing sessions with `keys`, reading time from `clock`.
    pub fn new(store: Arc<dyn Store>, keys: SessionKeys, clock: Arc<dyn Clock>) -> Self {
        Self {
            store,
            keys,
            clock,
            last_used: LastUsed::default(),
            failures: audit::FailureTally::default(),
            sealer: None,
            cache: VerifyCache::default(),
            changes_seen: std::sync::atomic::AtomicI64::new(i64::MIN),
        }
    }

    /// This authority, sealing project secrets with `sealer` before they reach the store.
    /// Without one it refuses to store secrets rather than keep them readable.
    pub fn with_sealer(mut self, sealer: Arc<dyn crate::seal::Sealer>) -> Self {
        self.sealer = Some(sealer);
        self
    }

    /// The current time by this authority's clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// The store, for this crate's tests to look at what is stored.
    #[cfg(test)]
    pub(crate) fn store(&self) -> &dyn Store {
        self.store.as_ref()
    }

    /// Writes pending `last_used` values to the store; on failure they stay pending.
    pub async fn flush_usage(&self) -> Result<()> {
        let batch = self.last_used.drain();
        if let Err(e) = self.store.record_usage(&batch).await {
            self.last_used.restore(batch);
            return Err(e);
        }
        Ok(())
    }

    /// Writes the failed authentications counted so far, adding to the entries of their address
    /// and minute; on failure they stay counted.
    pub async fn flush_failures(&self) -> Result<()> {
        let batch = self.failures.drain();
        if batch.is_empty() {
            return Ok(());
        }
        if let Err(e) = self.store.add_audit_counts(&batch).await {
            self.failures.restore(batch);
            return Err(e);
        }
        Ok(())
    }

    /// Counts a failed authentication from `ip` in the audit log's entry for that address and
    /// minute; `target` names the credential (an id or a hint, never a value) when known.
    pub fn note_failed_authentication(&self, ip: Option<&str>, target: &str, why: &str) {
        if let Err(e) = self.failures.note(self.now(), ip, target, why) {
            tracing::error!(error = %e, "could not count a failed authentication");
        }
    }

    /// Flushes `last_used` and counted failures every `every` until the returned task is aborted.
    pub fn spawn_usage_flusher(self: &Arc<Self>, every: StdDuration) -> tokio::task::JoinHandle<()> {
        let me = Arc::clone(self);
        crate::clock::spawn_every(every, "recording token usage", move || {
            let me = Arc::clone(&me);
            async move {
                let usage = me.flush_usage().await;
                me.flush_failures().await.and(usage)
            }
        })
    }

    /// Finds out who presents `bearer`: a Tessera token or a login session.
    ///
    /// A token value with the wrong shape or checksum is refused before the store is touched.
    /// Every failure is counted in the audit log's entry for the client address and minute.
    ///
    /// What a value proved is kept in the verification cache ([`VerifyCache`]) until anything
    /// that authenticates changes; a cached value is still checked against the clock on every use.
    pub async fn authenticate(&self, bearer: &str, ip: Option<String>) -> Result<Caller> {
        let now = self.now();
        // The SHA-256 of the value: the cache's key, and for a token also its stored hash.
        let key: [u8; 32] = Sha256::digest(bearer.as_bytes()).into();
        if let Some(credential) = self.cache.get(&key) {
            if let Some(caller) = self.still_valid(credential, now, ip.clone()) {
                return Ok(caller);
            }
        }
        let generation = self.cache.generation();
        let caller = self.verify(bearer, &key, ip, now).await?;
        self.cache.insert(key, generation, caller.credential.clone());
        Ok(caller)
    }

    /// A cached credential, if it is still valid at `now`; `None` sends the value to the store
    /// again, which says why it is not.
    fn still_valid(&self, credential: Credential, now: DateTime<Utc>, ip: Option<String>) -> Option<Caller> {
        match credential {
            Credential::Session { expires_at, .. } if expires_at <= now => None,
            Credential::Token { ref token, .. } if token.revoked_at.is_some() || !token.is_active(now) => None,
            Credential::Token { mut token, user } => {
                self.last_used.note(&token.id, now, ip.as_deref());
                self.last_used.overlay(&mut token);
                Some(Caller { credential: Credential::Token { token, user }, ip })
            }
            session => Some(Caller { credential: session, ip }),
        }
    }

    /// Reads what the store says of the store's change counter and, when it moved since it was
    /// last read, drops every cached verification. The server runs this after every request that
    /// may have written, so that a change is seen by the very next request on this replica.
    pub async fn check_changes(&self) -> Result<()> {
        let now = self.store.credential_changes().await?;
        let before = self.changes_seen.swap(now, std::sync::atomic::Ordering::AcqRel);
        if before != now {
            self.cache.invalidate();
        }
        Ok(())
    }

    /// Takes in a change this process just wrote: [`Authority::check_changes`], and when the
    /// counter cannot be read, drops every cached verification anyway.
    pub async fn see_changes(&self) {
        if let Err(e) = self.check_changes().await {
            tracing::warn!(error = %e, "cannot read the change counter; dropping the verification cache");
            self.credentials_changed();
        }
    }

    /// Drops every cached verification at once.
    pub fn credentials_changed(&self) {
        self.cache.invalidate();
    }

    /// The verification cache, for the change watcher and for tests.
    pub fn verify_cache(&self) -> &VerifyCache {
        &self.cache
    }

    /// Keeps the cache honest about changes made by other processes and replicas, until the task
    /// is aborted: on PostgreSQL by listening for the store's notifications (the cache is bypassed
    /// while the listening connection is down), on SQLite by reading the change counter every
    /// half second (another process, such as an offline `tessera admin` command, may write).
    pub fn spawn_change_watcher(self: &Arc<Self>) -> tokio::task::JoinHandle<()> {
        self.spawn_change_watcher_on(self.store.change_feed())
    }

    /// [`Authority::spawn_change_watcher`] on a feed of the caller's choosing (tests listen
    /// through a connection they can cut).
    pub fn spawn_change_watcher_on(self: &Arc<Self>, feed: crate::store::ChangeFeed) -> tokio::task::JoinHandle<()> {
        let me = Arc::clone(self);
        match feed {
            #[cfg(feature = "postgres")]
            crate::store::ChangeFeed::Postgres(url) => tokio::spawn(async move { me.listen(url).await }),
            crate::store::ChangeFeed::Poll => {
                crate::clock::spawn_every(StdDuration::from_millis(500), "reading the change counter", move || {
                    let me = Arc::clone(&me);
                    async move {
                        let read = me.check_changes().await;
                        me.cache.set_hearing(read.is_ok());
                        read
                    }
                })
            }
        }
    }

    #[cfg(feature = "postgres")]
    async fn listen(&self, url: Secret) {
        use sqlx::postgres::PgListener;
        loop {
            let mut listener = match PgListener::connect(url.expose()).await {
                Ok(l) => l,
                Err(e) => {
                    self.cache.set_hearing(false);
                    tracing::warn!(error = %e, "cannot listen for credential changes; verifying every request at the store");
                    tokio::time::sleep(StdDuration::from_secs(1)).await;
                    continue;
                }
            };
            if let Err(e) = listener.listen(crate::store::CHANGES_CHANNEL).await {
                self.cache.set_hearing(false);
                tracing::warn!(error = %e, "cannot listen for credential changes; verifying every request at the store");
                tokio::time::sleep(StdDuration::from_secs(1)).await;
                continue;
            }
            // Heard from now on; whatever happened before is unknown, so the cache starts empty.
            self.cache.set_hearing(true);
            loop {
                match listener.try_recv().await {
                    Ok(Some(_)) => self.cache.invalidate(),
                    // The connection was lost (sqlx reports it as `None`): until a new one
                    // listens, nothing is heard and the cache is bypassed.
                    Ok(None) => {
                        self.cache.set_hearing(false);
                        tracing::warn!(
                            "lost the connection that hears credential changes; verifying every request at the store"
                        );
                        break;
                    }
                    Err(e) => {
                        self.cache.set_hearing(false);
                        tracing::warn!(error = %e, "lost the connection that hears credential changes; verifying every request at the store");
                        break;
                    }
                }
            }
            tokio::time::sleep(StdDuration::from_millis(200)).await;
        }
    }

    async fn verify(&self, bearer: &str, hash: &[u8; 32], ip: Option<String>, now: DateTime<Utc>) -> Result<Caller> {
        if bearer.starts_with("tsr_") {
            return self.authenticate_token(bearer, hash, ip, now).await;
        }
        let failed = |e: Error| {
            self.note_failed_authentication(ip.as_deref(), "session", &e.to_string());
            e
        };
        if bearer.len() > 4096 || bearer.split('.').count() != 3 {
            return Err(failed(Error::Unauthenticated("the credential is not a valid token or session")));
        }
        let claims = match self.keys.verify(bearer, now) {
            Ok(c) => c,
            Err(e) if e.code() == ErrorCode::Unauthenticated => return Err(failed(e)),
            Err(e) => return Err(e),
        };
        let found = self.store.session_with_user(&claims.jti).await?;
        let Some((session, mut user)) = found.filter(|(s, _)| s.user_id == claims.sub) else {
            return Err(failed(Error::Unauthenticated("the session is not valid")));
        };
        if session.revoked_at.is_some() {
            return Err(failed(Error::SessionEnded));
        }
        if user.disabled {
            return Err(Error::AccountDisabled);
        }
        // The record, not the JWT, is the authority on how long a session lasts: a JWT signed
        // with a far `exp` (a stolen key's forgery, a clock that was wrong) dies with its record.
        if session.expires_at <= now {
            return Err(failed(Error::SessionExpired));
        }
        let local_role = user.role;
        user.role = user.role.higher(session.identity_role);
        let jwt_ends = DateTime::from_timestamp(claims.exp, 0).unwrap_or(now);
        let expires_at = session.expires_at.min(jwt_ends);
        let credential =
            Credential::Session { user, local_role, session_id: session.id, expires_at, device_id: session.device_id };
        Ok(Caller { credential, ip })
    }

    /// `hash` is the value's [`token::hash`], already made for the cache.
    async fn authenticate_token(
        &self,
        value: &str,
        hash: &[u8; 32],
        ip: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<Caller> {
        let kind = match token::parse_credential(value) {
            Ok(k) => k,
            Err(e) => {
                self.note_failed_authentication(ip.as_deref(), "", "malformed token");
                return Err(e);
            }
        };
        let (found, owner) = match self.store.credential_by_hash(hash).await? {
            Some((t, u)) => (Some(t), u),
            None => (None, None),
        };
        // A user-owned token's owner, or the owner of a trigger token's personal project.
        let owner_disabled = owner.as_ref().is_some_and(|u| u.disabled);
        let failure = match &found {
            None => Some((Error::TokenUnknown, "unknown token")),
            Some(_) if owner_disabled => Some((Error::AccountDisabled, "owner disabled")),
            Some(t) if t.revoked_at.is_some() => Some((Error::TokenRevoked, "revoked token")),
            Some(t) if !t.is_active(now) => Some((Error::TokenExpired, "expired token")),
            Some(t) if t.kind != kind => Some((Error::TokenUnknown, "token kind mismatch")),
            Some(_) => None,
        };
        if let Some((refusal, detail)) = failure {
            let target = found.as_ref().map_or_else(|| token::hint(value), |t| t.id.clone());
            self.note_failed_authentication(ip.as_deref(), &target, detail);
            return Err(refusal);
        }
        let Some(mut token) = found else {
            return Err(Error::TokenUnknown);
        };
        let user = match token.owner.kind {
            OwnerKind::User => Some(
                owner
                    .filter(|u| u.id == token.owner.id)
                    .ok_or(Error::Unauthenticated("the token's owner no longer exists"))?,
            ),
            _ => None,
        };
        self.last_used.note(&token.id, now, ip.as_deref());
        self.last_used.overlay(&mut token);
        Ok(Caller { credential: Credential::Token { token: Box::new(token), user }, ip })
    }

    /// `GET /me`: the account behind a login session or a personal access token.
    pub async fn me(&self, caller: &Caller) -> Result<Me> {
        let user = caller.acting_user()?;
        let local_role = match &caller.credential {
            Credential::Session { local_role, .. } => *local_role,
            Credential::Token { .. } => user.role,
        };
        // Both lists in one read (one round trip), kept until anything in them may have changed.
        let (mut identities, orgs) = match self.cache.lists(&user.id) {
            Some(lists) => lists,
            None => {
                let generation = self.cache.generation();
                let (identities, orgs) = self.store.identities_and_orgs(&user.id).await?;
                self.cache.keep_lists(&user.id, generation, &identities, &orgs);
                (identities, orgs)
            }
        };
        identities::set_statuses_at(&mut identities, self.now());
        Ok(Me {
            id: user.id.clone(),
            name: user.name.clone(),
            role: user.role,
            local_role,
            created_at: user.created_at,
            identities,
            orgs,
        })
    }

    /// Creates an account. For the command line's bootstrap and for local mode's first user.
    pub async fn create_user(&self, name: &str, role: Role) -> Result<User> {
        validate_name("account name", name, 64)?;
        let user = User { id: new_id("usr")?, name: name.to_owned(), role, created_at: self.now(), disabled: false };
        self.store.insert_user(&user, Origin::Local).await?;
        self.audit(
            "system",
            "user.create",
            &user.id,
            Outcome::Ok,
            None,
            &format!("role {}", role.as_str()),
            user.created_at,
        )
        .await;
        Ok(user)
    }

    /// Signs a one-hour login session for the account named `name` (or with that id).
    pub async fn issue_session(&self, name_or_id: &str) -> Result<(User, IssuedSession)> {
        let user = self.find_user(name_or_id).await?;
        if user.disabled {
            return Err(Error::forbidden("the account is disabled; enable it first"));
        }
        let now = self.now();
        let session = self.issue_session_for(&user, None, None, now).await?;
        self.audit(&format!("user:{}", user.id), "session.create", &user.id, Outcome::Ok, None, "", now).await;
        Ok((user, session))
    }

    /// `DELETE /sessions/current`: ends the caller's login session.
    pub async fn end_session(&self, caller: &Caller) -> Result<()> {
        let Credential::Session { session_id, .. } = &caller.credential else {
            return Err(Error::forbidden(
                "only a login session can be ended here; revoke tokens at /api/v1/tokens/revoke",
            ));
        };
        let now = self.now();
        self.store.revoke_session(session_id, now).await?;
        self.audit(&caller.actor(), "session.end", session_id, Outcome::Ok, caller.ip.as_deref(), "", now).await;
        // Signing out is signing the device out: its refresh credential must not bring it back.
        if let Credential::Session { device_id: Some(device), .. } = &caller.credential {
            if self.store.revoke_device(device, now).await? {
                self.audit(
                    &caller.actor(),
                    "device.revoke",
                    device,
                    Outcome::Ok,
                    caller.ip.as_deref(),
                    "signed out",
                    now,
                )
                .await;
            }
        }
        Ok(())
    }

    async fn find_user(&self, name_or_id: &str) -> Result<User> {
        if let Some(u) = self.store.user(name_or_id).await? {
            return Ok(u);
        }
        self.store.user_by_name(name_or_id).await?.ok_or(Error::NotFound("user"))
    }

    /// Writes an audit entry. A failure to write is logged, never shown to the caller: the
    /// action it describes has already happened or been refused.
    #[allow(clippy::too_many_arguments)]
    async fn audit(
        &self,
        actor: &str,
        action: &str,
        target: &str,
        outcome: Outcome,
        ip: Option<&str>,
        detail: &str,
        at: DateTime<Utc>,
    ) {
        let written = match audit::event(at, actor, action, target, outcome, ip, detail) {
            Ok(e) => self.store.append_audit(&e).await,
            Err(e) => Err(e),
        };
        if let Err(e) = written {
            tracing::error!(error = %e, action, "could not write the audit log");
        }
        // Every change the authority makes is audited: right after one, the change counter says
        // whether it touched what authenticates, so this process's next request (from the API or
        // from any other caller of the authority) sees it.
        if outcome == Outcome::Ok {
            self.see_changes().await;
        }
    }

    /// Passes `r` through, writing a `denied` audit entry when it is a refusal.
    async fn guard<T>(&self, caller: &Caller, action: &str, target: &str, r: Result<T>) -> Result<T> {
        if let Err(e) = &r {
            if e.code() == ErrorCode::Forbidden {
                let why = e.to_string();
                self.audit(&caller.actor(), action, target, Outcome::Denied, caller.ip.as_deref(), &why, self.now())
                    .await;
            }
        }
        r
    }

    /// The project `id` if the caller may reach it with `need`; a project the caller cannot see
    /// is reported as not found.
    async fn project_access(&self, caller: &Caller, id: &str, need: Access) -> Result<Project> {
        let project = self.store.project(id).await?.ok_or(Error::NotFound("project"))?;
        match &caller.credential {
            Credential::Token { token, .. } if token.kind == TokenKind::Trigger => {
                if token.owner.id == project.id {
                    Err(Error::forbidden("trigger tokens only trigger runs"))
                } else {
                    Err(Error::NotFound("project"))
                }
            }
            Credential::Token { token, .. } if token.kind == TokenKind::Agent => {
                Err(Error::forbidden("agent tokens only connect agents"))
            }
            Credential::Token { token, .. } if token.kind == TokenKind::Org => {
                if project.owner == Owner::org(&token.owner.id) {
                    Ok(project)
                } else {
                    Err(Error::NotFound("project"))
                }
            }
            _ => {
                let user = caller.acting_user()?;
                match project.owner.kind {
                    OwnerKind::User if project.owner.id == user.id => Ok(project),
                    OwnerKind::Org => match self.store.membership(&project.owner.id, &user.id).await? {
                        None => Err(Error::NotFound("project")),
                        Some(OrgRole::Member) if need == Access::Admin => Err(Error::forbidden(
                            "only an admin of the project's organization may change its settings and trigger tokens",
                        )),
                        Some(_) => Ok(project),
                    },
                    _ => Err(Error::NotFound("project")),
                }
            }
        }
    }

    /// The owners whose projects and agents the caller may see.
    async fn visible_owners(&self, caller: &Caller) -> Result<Vec<Owner>> {
        if let Some(org) = caller.acting_org() {
            return Ok(vec![Owner::org(org)]);
        }
        let user = caller.acting_user()?;
        let mut owners = vec![Owner::user(&user.id)];
        owners.extend(self.store.orgs_of_user(&user.id).await?.into_iter().map(|o| Owner::org(&o.id)));
        Ok(owners)
    }
}

/// What [`validate_name`] accepts, as the OpenAPI document's `pattern` (the schemas repeat the
/// literal; a test holds them to this constant).
pub const NAME_PATTERN: &str = "^[A-Za-z0-9_-][A-Za-z0-9_.-]*$";

/// What [`validate_text`] accepts, as a `pattern`: no control characters but newline and tab, no
/// bidirectional controls, no zero-width or invisible characters. (Tag characters, U+E0000 to
/// U+E007F, are refused too, but lie beyond what one pattern names alike in JavaScript and Python.)
pub const TEXT_PATTERN: &str = "^[^\\u0000-\\u0008\\u000B-\\u001F\\u007F-\\u009F\\u061C\\u180E\\u200B-\\u200F\\u202A-\\u202E\\u2060-\\u2064\\u2066-\\u2069\\uFEFF]*$";

/// A label as a `pattern`: text as [`TEXT_PATTERN`] with at least one character that is not
/// white space.
pub const LABEL_PATTERN: &str = "^[^\\u0000-\\u0008\\u000B-\\u001F\\u007F-\\u009F\\u061C\\u180E\\u200B-\\u200F\\u202A-\\u202E\\u2060-\\u2064\\u2066-\\u2069\\uFEFF]*[^\\u0000-\\u0008\\u000B-\\u001F\\u007F-\\u009F\\u061C\\u180E\\u200B-\\u200F\\u202A-\\u202E\\u2060-\\u2064\\u2066-\\u2069\\uFEFF\\s][^\\u0000-\\u0008\\u000B-\\u001F\\u007F-\\u009F\\u061C\\u180E\\u200B-\\u200F\\u202A-\\u202E\\u2060-\\u2064\\u2066-\\u2069\\uFEFF]*$";

/// A repository URL as a `pattern` (see `validate_repository_url`).
pub const REPOSITORY_URL_PATTERN: &str = "^(https?://|ssh://|git@)[^\\u0000-\\u0008\\u000B-\\u001F\\u007F-\\u009F\\u061C\\u180E\\u200B-\\u200F\\u202A-\\u202E\\u2060-\\u2064\\u2066-\\u2069\\uFEFF\\s]*$";

/// Checks a name: 1 to `max` characters of letters, digits, `.`, `_` and `-`.
fn validate_name(what: &str, name: &str, max: usize) -> Result<()> {
    if name.is_empty() || name.chars().count() > max {
        return Err(Error::invalid(format!("the {what} must be 1 to {max} characters long")));
    }
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')) || name.starts_with('.') {
        return Err(Error::invalid(format!(
            "the {what} may hold only letters, digits, '.', '_' and '-', and may not start with '.'"
        )));
    }
    Ok(())
}

/// Checks a free text field (a label, a description) and returns it NFC-normalized, the form
/// it is stored in, so that text which looks the same is the same.
///
/// Refused: control characters other than newline and tab; bidirectional overrides, embeddings,
/// isolates and marks, which make text display in another order than it is stored (a label
/// that reads as one thing and is another); and zero-width and other invisible characters,
/// which make two different values look identical.
fn validate_text(what: &str, text: &str, max: usize) -> Result<String> {
    let text: String = unicode_normalization::UnicodeNormalization::nfc(text).collect();
    if text.chars().count() > max {
        return Err(Error::invalid(format!("the {what} may be at most {max} characters long")));
    }
    if text.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(Error::invalid(format!("the {what} may not contain control characters")));
    }
    if text.chars().any(is_bidi_control) {
        return Err(Error::invalid(format!(
            "the {what} may not contain bidirectional control characters, which change the order text is shown in"
        )));
    }
    if text.chars().any(is_invisible) {
        return Err(Error::invalid(format!("the {what} may not contain zero-width or other invisible characters")));
    }
    Ok(text)
}

/// Bidirectional embeddings, overrides, isolates and marks (Unicode's Bidi_Control characters).
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Characters that take no space and show nothing: zero-width space, joiners, word joiner and
/// its invisible operators, the byte-order mark, the Mongolian vowel separator and tag
/// characters.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{180E}' | '\u{200B}'..='\u{200D}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}' | '\u{E0000}'..='\u{E007F}'
    )
}

#[cfg(test)]
mod tests;
