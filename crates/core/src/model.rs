//! The objects of the token authority, as the API shows them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::scope::Scopes;
use crate::token::TokenKind;

/// An instance-wide role. Tokens never carry it; it is looked up on every request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Instance administrator: audit log, providers, all users.
    Admin,
    /// Everyone else.
    Member,
}

impl Role {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Member => "member",
        }
    }

    /// Parses the stored name; none for a name this version never writes.
    pub fn from_name(s: &str) -> Option<Self> {
        match s {
            "admin" => Some(Role::Admin),
            "member" => Some(Role::Member),
            _ => None,
        }
    }

    /// The higher of this role and `other`, if any: a session's role from its account's local
    /// role and what its identity's provider asserts.
    pub fn higher(self, other: Option<Role>) -> Role {
        match (self, other) {
            (Role::Admin, _) | (_, Some(Role::Admin)) => Role::Admin,
            _ => Role::Member,
        }
    }
}

/// A person's account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct User {
    /// Account id.
    pub id: String,
    /// Unique account name.
    pub name: String,
    /// The account's local instance role, set by instance admins.
    pub role: Role,
    /// When the account was made.
    pub created_at: DateTime<Utc>,
    /// Whether an instance admin disabled it: its sessions and tokens fail until re-enabled.
    #[serde(default)]
    pub disabled: bool,
}

/// An organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Org {
    /// Organization id.
    pub id: String,
    /// Unique organization name.
    pub name: String,
    /// When it was made.
    pub created_at: DateTime<Utc>,
}

/// A member's role inside an organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum OrgRole {
    /// Manages the organization, its members, projects and tokens.
    Admin,
    /// Reads and works on the organization's projects.
    Member,
}

impl OrgRole {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            OrgRole::Admin => "admin",
            OrgRole::Member => "member",
        }
    }

    /// Parses the stored name; none for a name this version never writes.
    pub fn from_name(s: &str) -> Option<Self> {
        match s {
            "admin" => Some(OrgRole::Admin),
            "member" => Some(OrgRole::Member),
            _ => None,
        }
    }
}

/// An organization together with the caller's role in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct OrgWithRole {
    /// Organization id.
    pub id: String,
    /// Organization name.
    pub name: String,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// The caller's role, or none when the caller acts as the organization itself.
    pub role: Option<OrgRole>,
}

/// A user as listed among an organization's members.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct UserRef {
    /// Account id.
    pub id: String,
    /// Account name.
    pub name: String,
}

/// One membership of an organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Member {
    /// The member.
    pub user: UserRef,
    /// Their role in the organization.
    pub role: OrgRole,
}

/// An invitation to join an organization, waiting for the invitee to accept or decline it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Invitation {
    /// Invitation id.
    pub id: String,
    /// The organization.
    pub org_id: String,
    /// The organization's name.
    pub org_name: String,
    /// The account name (or id) as the inviting admin typed it.
    pub invitee: String,
    /// The role the invitee gets on accepting.
    pub role: OrgRole,
    /// The name of the admin who sent it.
    pub invited_by: String,
    /// When it was sent.
    pub created_at: DateTime<Utc>,
    /// When it lapses unanswered.
    pub expires_at: DateTime<Utc>,
}

/// Who owns a token or a project.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Owner {
    /// `user`, `org` or (trigger tokens only) `project`.
    pub kind: OwnerKind,
    /// The owner's id.
    pub id: String,
}

/// The kinds of owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum OwnerKind {
    /// A user account.
    User,
    /// An organization.
    Org,
    /// A project (trigger tokens).
    Project,
}

impl OwnerKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            OwnerKind::User => "user",
            OwnerKind::Org => "org",
            OwnerKind::Project => "project",
        }
    }

    /// Parses the stored name; none for a name this version never writes.
    pub fn from_name(s: &str) -> Option<Self> {
        match s {
            "user" => Some(OwnerKind::User),
            "org" => Some(OwnerKind::Org),
            "project" => Some(OwnerKind::Project),
            _ => None,
        }
    }
}

impl Owner {
    /// A user owner.
    pub fn user(id: &str) -> Self {
        Owner { kind: OwnerKind::User, id: id.to_owned() }
    }

    /// An organization owner.
    pub fn org(id: &str) -> Self {
        Owner { kind: OwnerKind::Org, id: id.to_owned() }
    }

    /// A project owner.
    pub fn project(id: &str) -> Self {
        Owner { kind: OwnerKind::Project, id: id.to_owned() }
    }
}

/// A token as every response but create and rotate shows it: never the value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Token {
    /// Token id (not the value).
    pub id: String,
    /// What kind of token it is.
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "pat"))]
    pub kind: TokenKind,
    /// A short name the owner chose.
    pub label: String,
    /// A longer note.
    pub description: String,
    /// The scopes it carries (empty for agent and trigger tokens).
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<String>, example = json!(["read"])))]
    #[cfg_attr(feature = "ts", ts(as = "Vec<crate::scope::Scope>"))]
    pub scopes: Scopes,
    /// Who owns it.
    pub owner: Owner,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it stops working, if ever.
    pub expires_at: Option<DateTime<Utc>>,
    /// When it was last used, if ever.
    pub last_used_at: Option<DateTime<Utc>>,
    /// The address it was last used from.
    pub last_used_ip: Option<String>,
    /// When it was revoked by value, if it was.
    pub revoked_at: Option<DateTime<Utc>>,
    /// Prefix and last four characters of the value.
    pub hint: String,
    /// The user who created or last rotated it.
    #[serde(skip)]
    pub created_by: Option<String>,
}

impl Token {
    /// Whether the token can be used at `now`.
    pub fn is_active(&self, now: DateTime<Utc>) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|e| now < e)
    }
}

/// A project: a repository owned by a user or an organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Project {
    /// Project id.
    pub id: String,
    /// Name, unique per owner.
    pub name: String,
    /// The user or organization that owns it.
    pub owner: Owner,
    /// Where its repository lives.
    pub repository_url: Option<String>,
    /// When it was made.
    pub created_at: DateTime<Utc>,
}

/// Where a run is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum RunStatus {
    /// Waiting for an agent.
    Queued,
    /// Claimed by an agent.
    Running,
    /// Finished well.
    Succeeded,
    /// Finished badly.
    Failed,
}

impl RunStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Queued => "queued",
            RunStatus::Running => "running",
            RunStatus::Succeeded => "succeeded",
            RunStatus::Failed => "failed",
        }
    }

    /// Parses the stored name; none for a name this version never writes.
    pub fn from_name(s: &str) -> Option<Self> {
        match s {
            "queued" => Some(RunStatus::Queued),
            "running" => Some(RunStatus::Running),
            "succeeded" => Some(RunStatus::Succeeded),
            "failed" => Some(RunStatus::Failed),
            _ => None,
        }
    }
}

/// One run of a project's pipeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Run {
    /// Run id.
    pub id: String,
    /// The project it belongs to.
    pub project_id: String,
    /// Where it is.
    pub status: RunStatus,
    /// When it was triggered.
    pub created_at: DateTime<Utc>,
    /// The token that triggered it, if a token did.
    pub triggered_by: Option<String>,
    /// The agent that claimed it.
    pub agent_id: Option<String>,
    /// The git ref it was triggered for (`refs/heads/main`), if one was named.
    #[serde(rename = "ref")]
    #[cfg_attr(feature = "ts", ts(rename = "ref"))]
    pub git_ref: Option<String>,
    /// The commit it was triggered for, if one was named.
    pub commit: Option<String>,
    /// The variables it was triggered with.
    #[cfg_attr(feature = "ts", ts(type = "Record<string, string>"))]
    pub variables: std::collections::BTreeMap<String, String>,
    /// How many log lines its agent has posted.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub log_lines: i64,
}

/// One line of a run's log, as its agent posted it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct LogLine {
    /// Its number in the run's log, from 1.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub seq: i64,
    /// When the server received it.
    pub at: DateTime<Utc>,
    /// The text, without its line ending.
    pub text: String,
}

/// A file a run's agent kept (its content is read on its own).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Artifact {
    /// Its name within the run.
    pub name: String,
    /// Its size in bytes.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub size: i64,
    /// The SHA-256 of its content, in hex.
    pub sha256: String,
    /// When it was uploaded.
    pub created_at: DateTime<Utc>,
}

/// What an agent says it is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum AgentStatus {
    /// Connected and idle.
    Online,
    /// Working on a run.
    Busy,
    /// Not heard from.
    Offline,
}

impl AgentStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            AgentStatus::Online => "online",
            AgentStatus::Busy => "busy",
            AgentStatus::Offline => "offline",
        }
    }

    /// Parses the stored name; none for a name this version never writes.
    pub fn from_name(s: &str) -> Option<Self> {
        match s {
            "online" => Some(AgentStatus::Online),
            "busy" => Some(AgentStatus::Busy),
            "offline" => Some(AgentStatus::Offline),
            _ => None,
        }
    }
}

/// A machine that runs pipelines, connected with an agent token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Agent {
    /// Agent id.
    pub id: String,
    /// The name it connected with.
    pub name: String,
    /// The owner of the token it connected with.
    pub owner: Owner,
    /// The agent token it connected with.
    pub token_id: String,
    /// What it last reported; `offline` when not heard from for a while.
    pub status: AgentStatus,
    /// When it was last heard from.
    pub last_seen_at: DateTime<Utc>,
    /// When it first connected.
    pub created_at: DateTime<Utc>,
}

/// A project secret as the API shows it: never the value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SecretInfo {
    /// Secret name.
    pub name: String,
    /// The project it belongs to.
    pub project_id: String,
    /// When its value was last written.
    pub updated_at: DateTime<Utc>,
}

/// A pipeline file of a project.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Pipeline {
    /// File name.
    pub name: String,
    /// The project it belongs to.
    pub project_id: String,
    /// The file's content.
    pub content: String,
    /// When it was last written.
    pub updated_at: DateTime<Utc>,
}

/// One entry of the audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AuditEvent {
    /// Entry id.
    pub id: String,
    /// When it happened.
    pub at: DateTime<Utc>,
    /// Who did it: `user:<id>`, `token:<id>` or `anonymous`.
    pub actor: String,
    /// What was done, e.g. `token.create`, `token.use`.
    pub action: String,
    /// What it was done to, e.g. a token id.
    pub target: String,
    /// `ok`, `denied` or `failed`.
    pub outcome: String,
    /// The client address, when known.
    pub ip: Option<String>,
    /// A sentence with more detail; never a secret.
    pub detail: String,
    /// How many times it happened: 1, or more for failed authentications, which are counted in
    /// one entry per client address and minute.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub count: i64,
}

/// One page of the audit log, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AuditPage {
    /// The entries.
    pub items: Vec<AuditEvent>,
    /// Pass as `cursor` for the next, older page; absent on the last page.
    pub next_cursor: Option<String>,
    /// The labels of the tokens the entries name (as actor `token:<id>` or as target), by id, as
    /// they are now; a token deleted since has none.
    #[cfg_attr(feature = "ts", ts(type = "Record<string, string>"))]
    pub token_labels: std::collections::BTreeMap<String, String>,
}

/// Where an account came from: made locally (command line, "Use locally") or by signing in with
/// a provider. A provider-made account keeps at least one linked identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    /// Made on this instance; can always get a session offline.
    Local,
    /// Made by a provider sign-in.
    Provider,
}

impl Origin {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Local => "local",
            Origin::Provider => "provider",
        }
    }

    /// Parses the stored name; none for a name this version never writes.
    pub fn from_name(s: &str) -> Option<Self> {
        match s {
            "local" => Some(Origin::Local),
            "provider" => Some(Origin::Provider),
            _ => None,
        }
    }
}

/// The state of a linked account's code-host token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum ScmStatus {
    /// A token is stored and usable (or refreshable).
    Connected,
    /// The token expired and could not be refreshed: sign in with the provider again.
    Expired,
    /// No token is stored.
    Disconnected,
}

/// An account at an identity provider or code host, linked to a Tessera account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Identity {
    /// Identity id.
    pub id: String,
    /// The Tessera account it is linked to.
    #[serde(skip)]
    pub user_id: String,
    /// The provider's id in this instance's configuration.
    pub provider: String,
    /// The provider's kind: `oidc`, `github`, `gitlab`, `bitbucket`, `gitea` or `azure_devops`
    /// (filled in by the API).
    #[serde(default)]
    #[cfg_attr(
        feature = "ts",
        ts(type = "\"oidc\" | \"github\" | \"gitlab\" | \"bitbucket\" | \"gitea\" | \"azure_devops\"")
    )]
    pub provider_kind: String,
    /// The account's id at the provider.
    pub subject: String,
    /// The account's name at the provider.
    pub display_name: String,
    /// The account's e-mail at the provider, when shared.
    pub email: Option<String>,
    /// When it was linked.
    pub created_at: DateTime<Utc>,
    /// When it was last used to sign in.
    pub last_login_at: Option<DateTime<Utc>>,
    /// Whether Tessera holds a usable code-host token for it.
    pub status: ScmStatus,
    /// When the stored access token expires, if it does.
    pub expires_at: Option<DateTime<Utc>>,
    /// Whether the stored token can be refreshed.
    #[serde(skip)]
    pub refreshable: bool,
    /// The role its provider asserted at its latest sign-in; none when the provider has no role
    /// mapping. It counts only for sessions made through this identity.
    #[serde(default)]
    pub asserted_role: Option<Role>,
    /// The issuer or code-host base URL that vouches for `subject`; none for an identity linked
    /// before issuers were recorded whose provider is no longer configured.
    #[serde(skip)]
    pub issuer: Option<String>,
}

/// What a provider told us about the person signing in, after every check passed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedIdentity {
    /// The provider's id.
    pub provider: String,
    /// Who vouches for `subject`: the OpenID issuer, or the code host's base URL. Identities are
    /// keyed by (issuer, subject), so a provider id re-pointed at another issuer cannot reach
    /// the accounts of the first one's users.
    pub issuer: String,
    /// The account's stable id at the provider.
    pub subject: String,
    /// A name to show.
    pub display_name: String,
    /// A name to suggest for a new Tessera account.
    pub preferred_name: String,
    /// E-mail, when shared.
    pub email: Option<String>,
    /// The role the provider's claims map to, when the provider has a role mapping.
    pub role: Option<Role>,
}

/// What is known about a stored code-host token, without its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ScmTokenInfo {
    /// When the access token expires.
    pub expires_at: Option<DateTime<Utc>>,
    /// Whether a refresh token is stored too.
    pub refreshable: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_stored_name_reads_back_and_nothing_else_does() {
        for r in [Role::Admin, Role::Member] {
            assert_eq!(Role::from_name(r.as_str()), Some(r));
        }
        for r in [OrgRole::Admin, OrgRole::Member] {
            assert_eq!(OrgRole::from_name(r.as_str()), Some(r));
        }
        for k in [OwnerKind::User, OwnerKind::Org, OwnerKind::Project] {
            assert_eq!(OwnerKind::from_name(k.as_str()), Some(k));
        }
        for s in [RunStatus::Queued, RunStatus::Running, RunStatus::Succeeded, RunStatus::Failed] {
            assert_eq!(RunStatus::from_name(s.as_str()), Some(s));
        }
        for s in [AgentStatus::Online, AgentStatus::Busy, AgentStatus::Offline] {
            assert_eq!(AgentStatus::from_name(s.as_str()), Some(s));
        }
        for o in [Origin::Local, Origin::Provider] {
            assert_eq!(Origin::from_name(o.as_str()), Some(o));
        }
        for unknown in ["", "root", "Admin", "paused", " member"] {
            assert_eq!(Role::from_name(unknown), None, "{unknown:?}");
            assert_eq!(OrgRole::from_name(unknown), None, "{unknown:?}");
            assert_eq!(OwnerKind::from_name(unknown), None, "{unknown:?}");
            assert_eq!(RunStatus::from_name(unknown), None, "{unknown:?}");
            assert_eq!(AgentStatus::from_name(unknown), None, "{unknown:?}");
            assert_eq!(Origin::from_name(unknown), None, "{unknown:?}");
        }
    }
}
