//! The store interface. The token authority asks it for facts and hands it changes; every rule
//! is decided in [`crate::authority`] before the store is called.
//!
//! [`SqlStore`] implements it through sqlx's `Any` driver, so that one body of SQL serves both
//! SQLite (the embedded default) and PostgreSQL (team mode, shared by replicas); writes that must
//! agree run in one transaction.

mod sql;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

pub use sql::{is_postgres_url, Backend, SqlStore, POSTGRES_POOL_SIZE};

use crate::authority::TokenPolicy;
use crate::error::Result;
use crate::model::{
    Agent, AgentStatus, AuditEvent, Identity, Invitation, Member, Org, OrgRole, OrgWithRole, Origin, Owner, Pipeline,
    Project, Role, Run, ScmTokenInfo, SecretInfo, Token, User,
};
use crate::token::TokenKind;

/// A pending `last_used` update, flushed in batches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Usage {
    /// The token used.
    pub token_id: String,
    /// When.
    pub at: DateTime<Utc>,
    /// From where.
    pub ip: Option<String>,
}

/// A new value for a token, written only if nothing changed the token since it was read.
#[derive(Debug, Clone, Copy)]
pub struct Rotation<'a> {
    /// The token.
    pub id: &'a str,
    /// The hash of the value it had when it was read.
    pub old_hash: &'a [u8],
    /// The hash of the new value.
    pub new_hash: &'a [u8],
    /// The new value's hint.
    pub hint: &'a str,
    /// The user rotating it, or empty.
    pub by: &'a str,
    /// When the request started: a rotation written at or after it was a racing request's.
    pub since: DateTime<Utc>,
    /// Now.
    pub at: DateTime<Utc>,
}

/// A login session's record: what makes a signed session revocable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    /// The session id (the JWT's `jti`).
    pub id: String,
    /// Whose session it is.
    pub user_id: String,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
    /// When it was ended, if it was.
    pub revoked_at: Option<DateTime<Utc>>,
    /// The linked identity it was made through; none for local and command-line sessions.
    pub identity_id: Option<String>,
    /// The role that identity's provider asserted at its latest sign-in, read with the record;
    /// none when the provider has no role mapping or the identity is no longer linked.
    pub identity_role: Option<Role>,
}

/// Everything the token authority keeps.
#[async_trait]
pub trait Store: Send + Sync {
    // Users.
    /// Adds a user; a taken name is a conflict.
    async fn insert_user(&self, user: &User, origin: Origin) -> Result<()>;
    /// Deletes a user that nothing refers to yet (a sign-in that lost a race).
    async fn delete_user_if_unused(&self, id: &str) -> Result<()>;
    /// Where a user's account came from.
    async fn user_origin(&self, id: &str) -> Result<Origin>;
    /// A user by id.
    async fn user(&self, id: &str) -> Result<Option<User>>;
    /// A user by name.
    async fn user_by_name(&self, name: &str) -> Result<Option<User>>;
    /// Every user, oldest first.
    async fn users(&self) -> Result<Vec<User>>;
    /// Sets a user's instance role.
    async fn set_role(&self, user_id: &str, role: Role) -> Result<()>;

    // Organizations.
    /// Adds an organization with its first admin, in one transaction.
    async fn insert_org(&self, org: &Org, admin_user_id: &str) -> Result<()>;
    /// An organization by id.
    async fn org(&self, id: &str) -> Result<Option<Org>>;
    /// The organizations a user belongs to, with their role.
    async fn orgs_of_user(&self, user_id: &str) -> Result<Vec<OrgWithRole>>;
    /// A user's role in an organization, if a member.
    async fn membership(&self, org_id: &str, user_id: &str) -> Result<Option<OrgRole>>;
    /// The members of an organization.
    async fn members(&self, org_id: &str) -> Result<Vec<Member>>;
    /// Adds a member or changes their role.
    async fn put_member(&self, org_id: &str, user_id: &str, role: OrgRole) -> Result<()>;
    /// Removes a member; false when they were not one.
    async fn remove_member(&self, org_id: &str, user_id: &str) -> Result<bool>;

    // Invitations.
    /// Stores an invitation for `user_id` (none: the invitee names no account), replacing a
    /// pending one for the same organization and invitee.
    async fn insert_invitation(&self, invitation: &Invitation, user_id: Option<&str>) -> Result<()>;
    /// An organization's invitations that have not lapsed at `now`, newest first.
    async fn invitations_of_org(&self, org_id: &str, now: DateTime<Utc>) -> Result<Vec<Invitation>>;
    /// The invitations waiting for a user at `now`, newest first.
    async fn invitations_of_user(&self, user_id: &str, now: DateTime<Utc>) -> Result<Vec<Invitation>>;
    /// Accepts a user's pending invitation in one transaction: it is deleted and the user joins
    /// with its role (a member already keeps their role). None when there was no such pending
    /// invitation, so of two accepts at once exactly one wins.
    async fn accept_invitation(&self, id: &str, user_id: &str, now: DateTime<Utc>) -> Result<Option<Invitation>>;
    /// Deletes an invitation addressed to `user_id` (declined); false when there was none.
    async fn delete_invitation_of_user(&self, id: &str, user_id: &str) -> Result<bool>;
    /// Deletes an invitation of `org_id` (withdrawn); false when there was none.
    async fn delete_invitation_of_org(&self, id: &str, org_id: &str) -> Result<bool>;

    // Projects.
    /// Adds a project; a name taken by the same owner is a conflict.
    async fn insert_project(&self, project: &Project) -> Result<()>;
    /// A project by id.
    async fn project(&self, id: &str) -> Result<Option<Project>>;
    /// Projects owned by any of `owners`.
    async fn projects_of(&self, owners: &[Owner]) -> Result<Vec<Project>>;
    /// Changes a project's name and repository URL.
    async fn update_project(&self, project: &Project) -> Result<()>;

    // Tokens.
    /// Adds a token with the hash of its value.
    async fn insert_token(&self, token: &Token, hash: &[u8]) -> Result<()>;
    /// The token whose value hashes to `hash`.
    async fn token_by_hash(&self, hash: &[u8]) -> Result<Option<Token>>;
    /// The token whose value hashes to `hash`, with the user who owns it when a user does (for a
    /// trigger token: the user who owns its project, when one does): the verify path's one round
    /// trip.
    async fn credential_by_hash(&self, hash: &[u8]) -> Result<Option<(Token, Option<User>)>>;
    /// A token by id.
    async fn token(&self, id: &str) -> Result<Option<Token>>;
    /// The tokens of one kind held by one owner, newest first.
    async fn tokens_of(&self, kind: TokenKind, owner: &Owner) -> Result<Vec<Token>>;
    /// Changes a token's label and description.
    async fn update_token_text(&self, id: &str, label: &str, description: &str) -> Result<()>;
    /// Deletes a token; false when there was none.
    async fn delete_token(&self, id: &str) -> Result<bool>;
    /// Marks a token revoked.
    async fn revoke_token(&self, id: &str, at: DateTime<Utc>) -> Result<()>;
    /// Records the latest uses of tokens; never moves `last_used_at` backwards.
    async fn record_usage(&self, usage: &[Usage]) -> Result<()>;
    /// The number of tokens stored.
    async fn token_count(&self) -> Result<i64>;

    // Tokens: conditional writes. Each changes a token only while it still has the value the
    // caller read, so two racing requests never both succeed on the same value.
    /// A token by id, with the hash of its current value.
    async fn token_with_hash(&self, id: &str) -> Result<Option<(Token, Vec<u8>)>>;
    /// Gives a token a new value if its value still hashes to `old_hash`, it is not revoked and
    /// it was not rotated at or after `since`; false otherwise.
    async fn rotate_token_value(&self, rotation: &Rotation<'_>) -> Result<bool>;
    /// Deletes a token if its value still hashes to `hash` and it was not rotated at or after
    /// `since`; false otherwise.
    async fn delete_token_with_hash(&self, id: &str, hash: &[u8], since: DateTime<Utc>) -> Result<bool>;
    /// Marks a token revoked if its value still hashes to `hash` and it is not revoked yet;
    /// false otherwise.
    async fn revoke_token_with_hash(&self, id: &str, hash: &[u8], at: DateTime<Utc>) -> Result<bool>;

    // Token policies.
    /// The token policy stored under `key` (`instance`, or an organization's id), if any.
    async fn token_policy(&self, key: &str) -> Result<Option<TokenPolicy>>;
    /// Stores (or replaces) the token policy under `key`.
    async fn put_token_policy(&self, key: &str, policy: &TokenPolicy, at: DateTime<Utc>) -> Result<()>;

    // Runs, agents, pipelines, secrets.
    /// Queues a run.
    async fn insert_run(&self, run: &Run) -> Result<()>;
    /// A project's runs, newest first.
    async fn runs(&self, project_id: &str, limit: i64) -> Result<Vec<Run>>;
    /// Gives the oldest queued run of `owner`'s projects to `agent_id`, atomically.
    async fn claim_run(&self, owner: &Owner, agent_id: &str) -> Result<Option<Run>>;
    /// Adds an agent.
    async fn insert_agent(&self, agent: &Agent) -> Result<()>;
    /// An agent by id.
    async fn agent(&self, id: &str) -> Result<Option<Agent>>;
    /// Agents of any of `owners`.
    async fn agents_of(&self, owners: &[Owner]) -> Result<Vec<Agent>>;
    /// Records an agent's status.
    async fn set_agent_status(&self, id: &str, status: AgentStatus, at: DateTime<Utc>) -> Result<()>;
    /// Writes a pipeline file.
    async fn put_pipeline(&self, pipeline: &Pipeline) -> Result<()>;
    /// Reads a pipeline file.
    async fn pipeline(&self, project_id: &str, name: &str) -> Result<Option<Pipeline>>;
    /// Writes a secret's value.
    async fn put_secret(&self, project_id: &str, name: &str, value: &[u8], at: DateTime<Utc>) -> Result<()>;
    /// A secret's metadata (never its value).
    async fn secret_info(&self, project_id: &str, name: &str) -> Result<Option<SecretInfo>>;
    /// Deletes a secret; false when there was none.
    async fn delete_secret(&self, project_id: &str, name: &str) -> Result<bool>;

    // Linked identities and API-configured providers.
    /// Links an identity; one already linked (same issuer and subject) is a conflict.
    async fn insert_identity(&self, identity: &Identity) -> Result<()>;
    /// An identity by id.
    async fn identity(&self, id: &str) -> Result<Option<Identity>>;
    /// The identity an issuer's (or code host's) subject is linked as, if any.
    async fn identity_by_subject(&self, issuer: &str, subject: &str) -> Result<Option<Identity>>;
    /// Records `issuer` on the identities of provider `provider` linked before issuers were
    /// recorded (none where that issuer's subject is linked already); returns how many.
    async fn adopt_identity_issuer(&self, provider: &str, issuer: &str) -> Result<u64>;
    /// A user's identities, oldest first.
    async fn identities_of(&self, user_id: &str) -> Result<Vec<Identity>>;
    /// Records a sign-in with an identity and what the provider now says about it, including the
    /// role it asserts (none: the provider has no role mapping).
    async fn touch_identity(
        &self,
        id: &str,
        display_name: &str,
        email: Option<&str>,
        role: Option<Role>,
        at: DateTime<Utc>,
    ) -> Result<()>;
    /// Unlinks an identity; false when there was none.
    async fn delete_identity(&self, id: &str) -> Result<bool>;
    /// Records that a code-host token is stored for an identity (`None`: none is).
    async fn set_scm_token(&self, identity_id: &str, info: Option<ScmTokenInfo>) -> Result<()>;
    /// Records that refreshing an identity's token failed for good (or works again).
    async fn set_scm_failed(&self, identity_id: &str, failed: bool) -> Result<()>;
    /// Identities whose refreshable token expires before `before`.
    async fn identities_due(&self, before: DateTime<Utc>) -> Result<Vec<Identity>>;
    /// Adds a provider configured through the API; an existing id is a conflict.
    async fn insert_provider(&self, id: &str, config: &str, at: DateTime<Utc>) -> Result<()>;
    /// Providers configured through the API: (id, configuration JSON).
    async fn providers(&self) -> Result<Vec<(String, String)>>;
    /// Removes a provider configured through the API; false when there was none.
    async fn delete_provider(&self, id: &str) -> Result<bool>;

    // Accounts: de-provisioning.
    /// Sets a user's local role and whether it is disabled (`at`: when, if it was not already),
    /// in one transaction that refuses (conflict) to leave no enabled local admin. None: no such
    /// user.
    async fn update_user(&self, id: &str, role: Role, disabled: bool, at: DateTime<Utc>) -> Result<Option<User>>;
    /// Deletes a user with its tokens, sessions, identities, memberships, agents and personal
    /// projects (with their trigger tokens), in one transaction that refuses (conflict) to
    /// delete the last enabled local admin. False: no such user.
    async fn delete_user(&self, id: &str) -> Result<bool>;
    /// Every agent, newest first.
    async fn all_agents(&self) -> Result<Vec<Agent>>;
    /// Deletes an agent; false when there was none.
    async fn delete_agent(&self, id: &str) -> Result<bool>;
    /// Deletes a project with its runs, pipelines, secrets and trigger tokens; false when there
    /// was none.
    async fn delete_project(&self, id: &str) -> Result<bool>;

    // Sealed secrets (team mode's secret store).
    /// The nonce and ciphertext stored under `name`.
    async fn sealed(&self, name: &str) -> Result<Option<(Vec<u8>, Vec<u8>)>>;
    /// Stores (or replaces) a nonce and ciphertext under `name`.
    async fn put_sealed(&self, name: &str, nonce: &[u8], ciphertext: &[u8], at: DateTime<Utc>) -> Result<()>;
    /// Deletes what is stored under `name`; deleting nothing is fine.
    async fn delete_sealed(&self, name: &str) -> Result<()>;

    // Sessions and audit.
    /// Records a new login session.
    async fn insert_session(&self, session: &SessionRecord, at: DateTime<Utc>) -> Result<()>;
    /// A login session by id.
    async fn session(&self, id: &str) -> Result<Option<SessionRecord>>;
    /// A login session by id with its user and the role its identity asserts, in one round trip.
    async fn session_with_user(&self, id: &str) -> Result<Option<(SessionRecord, User)>>;
    /// Ends a login session.
    async fn revoke_session(&self, id: &str, at: DateTime<Utc>) -> Result<()>;
    /// Appends to the audit log.
    async fn append_audit(&self, event: &AuditEvent) -> Result<()>;

    // Audit log: aggregation, pages, retention.
    /// Adds counted entries, each under its aggregation key: a key already stored has its count
    /// raised (from any replica), a new one is inserted.
    async fn add_audit_counts(&self, entries: &[(String, AuditEvent)]) -> Result<()>;
    /// Up to `limit` entries matching `filter`, newest first (by time, then id).
    async fn audit_page(&self, filter: &crate::audit::AuditFilter, limit: i64) -> Result<Vec<AuditEvent>>;
    /// Deletes entries older than `before`; returns how many.
    async fn prune_audit(&self, before: DateTime<Utc>) -> Result<u64>;
}
