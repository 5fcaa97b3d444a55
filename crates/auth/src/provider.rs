//! Identity providers and code hosts: their configuration, their endpoints, what a client needs
//! to start a sign-in, and how their claims map to a role.
//!
//! Providers come from `providers.toml` in the data directory and from instance admins through
//! the API. A client secret never leaves the server: [`ProviderInfo`] is what clients see.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tessera_core::model::Role;
use tessera_core::Secret;

use crate::error::{AuthError, Result};

/// The kinds of provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum ProviderKind {
    /// Any OpenID Connect provider, found by discovery (Keycloak, Authentik, Entra ID…).
    Oidc,
    /// github.com or a GitHub Enterprise server.
    Github,
    /// gitlab.com or a self-managed GitLab.
    Gitlab,
    /// Bitbucket Cloud.
    Bitbucket,
    /// A Gitea or Forgejo server (they share one API).
    Gitea,
    /// Azure DevOps, signed in to through Microsoft Entra ID as an OpenID provider.
    #[serde(rename = "azure_devops")]
    AzureDevops,
}

/// The Azure DevOps resource in Microsoft Entra ID: tokens for its REST API are asked for with
/// this application id's `/.default` scope.
pub const AZURE_DEVOPS_RESOURCE: &str = "499b84ac-1321-427f-aa17-267ca6975798";

impl ProviderKind {
    /// The kind's name.
    pub fn as_str(self) -> &'static str {
        match self {
            ProviderKind::Oidc => "oidc",
            ProviderKind::Github => "github",
            ProviderKind::Gitlab => "gitlab",
            ProviderKind::Bitbucket => "bitbucket",
            ProviderKind::Gitea => "gitea",
            ProviderKind::AzureDevops => "azure_devops",
        }
    }

    /// Whether people sign in through OpenID Connect (discovery, an ID token) rather than a code
    /// host's own OAuth endpoints and user API.
    pub fn is_openid(self) -> bool {
        matches!(self, ProviderKind::Oidc | ProviderKind::AzureDevops)
    }

    /// Whether linked accounts hold a token for a code host's repositories.
    pub fn is_code_host(self) -> bool {
        self != ProviderKind::Oidc
    }

    fn default_base(self) -> &'static str {
        match self {
            ProviderKind::Oidc => "",
            ProviderKind::Github => "https://github.com",
            ProviderKind::Gitlab => "https://gitlab.com",
            ProviderKind::Bitbucket => "https://bitbucket.org",
            // Gitea and Forgejo are always self-hosted (or codeberg.org): no default.
            ProviderKind::Gitea => "",
            ProviderKind::AzureDevops => "https://dev.azure.com",
        }
    }

    fn default_scopes(self) -> &'static [&'static str] {
        match self {
            ProviderKind::Oidc => &["openid", "profile", "email", "offline_access"],
            ProviderKind::Github => &["read:user", "user:email", "repo"],
            // The repository scopes let `tessera git-credential` clone and push with the token.
            ProviderKind::Gitlab => &["read_user", "read_api", "read_repository", "write_repository"],
            ProviderKind::Bitbucket => &["account", "repository", "repository:write"],
            ProviderKind::Gitea => &["read:user", "read:repository", "write:repository"],
            ProviderKind::AzureDevops => {
                &["openid", "profile", "email", "offline_access", "499b84ac-1321-427f-aa17-267ca6975798/.default"]
            }
        }
    }

    fn default_name(self) -> &'static str {
        match self {
            ProviderKind::Oidc => "Single sign-on",
            ProviderKind::Github => "GitHub",
            ProviderKind::Gitlab => "GitLab",
            ProviderKind::Bitbucket => "Bitbucket",
            ProviderKind::Gitea => "Gitea",
            ProviderKind::AzureDevops => "Azure DevOps",
        }
    }
}

/// A provider's configuration, as written in `providers.toml` (`[[provider]]` tables) or sent by
/// an instance admin.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ProviderConfig {
    /// A short id: lower-case letters, digits, `-` and `_`.
    #[cfg_attr(feature = "openapi", schema(pattern = "^[a-z0-9_-]{1,40}$"))]
    pub id: String,
    /// What it is.
    pub kind: ProviderKind,
    /// The name on its button.
    #[serde(default)]
    pub name: Option<String>,
    /// The OpenID issuer URL (`oidc`; `azure_devops`: Microsoft Entra ID's
    /// `https://login.microsoftonline.com/{tenant}/v2.0`).
    #[serde(default)]
    pub issuer: Option<String>,
    /// The web base URL of a GitHub Enterprise server, a self-managed GitLab or a Gitea/Forgejo
    /// server; for `azure_devops`, the Azure DevOps URL (`https://dev.azure.com` when not set).
    #[serde(default)]
    pub base_url: Option<String>,
    /// The REST API base URL when it is not the usual one for `base_url`.
    #[serde(default)]
    pub api_url: Option<String>,
    /// The OAuth client id.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 512))]
    pub client_id: String,
    /// The OAuth client secret, where the host demands one. Write-only: never shown to clients.
    // Never serialized, but documented (utoipa leaves `skip_serializing` fields out of schemas).
    #[serde(default, skip_serializing_if = "never_shown")]
    #[cfg_attr(feature = "openapi", schema(write_only))]
    pub client_secret: Option<String>,
    /// Scopes to ask for (the kind's usual ones when empty).
    #[serde(default)]
    pub scopes: Vec<String>,
    /// A logo for the sign-in button: a file name in the app's icons or an https URL.
    #[serde(default)]
    pub logo: Option<String>,
    /// The claim that decides the role, e.g. `groups` or `realm_access.roles`.
    #[serde(default)]
    pub role_claim: Option<String>,
    /// The claim value that means `admin`.
    #[serde(default)]
    pub admin_value: Option<String>,
    /// Where `role_claim` is read (`oidc`): the ID token, else userinfo, when not set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_claim_source: Option<ClaimSource>,
    /// GitHub: members of this organization team (`org/team-slug`) are `admin`, read through
    /// the host's API at each sign-in (needs the `read:org` scope). Gitea/Forgejo: the same with
    /// the team's name (`org/Owners`; needs `read:organization`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(pattern = "^[A-Za-z0-9_.-]{1,100}/[A-Za-z0-9_.-]{1,100}$"))]
    pub admin_team: Option<String>,
    /// GitLab: members of this group (its full path, `acme/admins`) with at least
    /// `admin_access_level` are `admin`, read through the host's API at each sign-in (needs
    /// `read_api`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 255))]
    pub admin_group: Option<String>,
    /// GitLab's access level `admin_group` membership needs: 10 guest, 20 reporter, 30 developer
    /// (the default), 40 maintainer, 50 owner.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(minimum = 10, maximum = 50))]
    pub admin_access_level: Option<u8>,
    /// An extra certificate authority (PEM) to trust for this provider, for private CAs.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub ca_file: Option<PathBuf>,
    /// Whether a first sign-in makes a new account (the default). When false, only people whose
    /// identity is already linked to an account sign in.
    #[serde(default = "yes")]
    pub allow_signup: bool,
    /// When set, only people whose *verified* e-mail address is in one of these domains sign in
    /// (`oidc` only: code hosts do not say whether an address is verified).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed_domains: Vec<String>,
    /// When set, only people in one of these groups sign in, read from `groups_claim`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed_groups: Vec<String>,
    /// The claim `allowed_groups` is read from, like `role_claim`: `groups` when not set, or a
    /// path such as `realm_access.roles`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub groups_claim: Option<String>,
    /// Azure DevOps: the organizations whose repositories are listed (`dev.azure.com/{org}`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub organizations: Vec<String>,
}

fn yes() -> bool {
    true
}

fn never_shown<T>(_: &T) -> bool {
    true
}

/// Where an OpenID provider's role claim is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ClaimSource {
    /// The ID token only.
    IdToken,
    /// The userinfo endpoint only.
    Userinfo,
    /// The access token, a JWT signed with the provider's keys (Keycloak's realm and client
    /// roles are there by default).
    AccessToken,
}

/// Where a provider's configuration lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// `providers.toml`; change it in the file.
    File,
    /// Configured by an instance admin through the API.
    Api,
}

/// A configured provider.
#[derive(Debug, Clone)]
pub struct Provider {
    /// Its configuration, with the client secret taken out.
    pub config: ProviderConfig,
    /// The client secret.
    pub client_secret: Option<Secret>,
    /// Where it is configured.
    pub source: Source,
}

/// How git reaches a code host: what `git credential` names it by, and what to answer it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitRemote {
    /// The host's web base URL, which its repository URLs start with.
    pub url: String,
    /// `https` (or `http` for a host configured so).
    pub protocol: String,
    /// Host name, lower case, with the port when it is not the scheme's default: as git's
    /// credential protocol sends `host`.
    pub host: String,
    /// The user name the host expects beside an OAuth token as the password.
    pub username: &'static str,
}

impl GitRemote {
    /// Whether git's `protocol` and `host` mean this remote.
    pub fn matches(&self, protocol: &str, host: &str) -> bool {
        self.protocol.eq_ignore_ascii_case(protocol) && self.host.eq_ignore_ascii_case(host)
    }
}

/// A URL's host as git's credential protocol names it: lower case, with the port when it is not
/// the scheme's default.
pub(crate) fn git_host(url: &url::Url) -> Option<String> {
    let host = url.host_str()?.to_ascii_lowercase();
    Some(match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host,
    })
}

/// What a client needs to start a sign-in: never a secret.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProviderInfo {
    /// Provider id.
    pub id: String,
    /// `oidc`, `github`, `gitlab`, `bitbucket`, `gitea` or `azure_devops`.
    pub kind: ProviderKind,
    /// The name on its button.
    pub name: String,
    /// Its logo, if configured.
    pub logo: Option<String>,
    /// The OAuth client id.
    pub client_id: String,
    /// Where to send the browser; none when the provider cannot be reached right now.
    pub authorization_endpoint: Option<String>,
    /// The scopes to ask for.
    pub scopes: Vec<String>,
    /// Always `S256`.
    pub code_challenge_method: String,
    /// Whether the authorization request carries a `nonce` (OpenID Connect).
    pub nonce: bool,
    /// Whether the device flow (RFC 8628) can be used.
    pub device: bool,
    /// Why the provider cannot be used right now, if it cannot.
    pub error: Option<String>,
    /// Where it is configured.
    pub source: Source,
}

/// The `[[provider]]` tables of `providers.toml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProvidersFile {
    #[serde(default)]
    provider: Vec<ProviderConfig>,
}

fn check_url(what: &str, url: &str) -> Result<()> {
    crate::urls::base_url(what, url).map(|_| ()).map_err(|e| AuthError::Config(e.to_string()))
}

impl ProviderConfig {
    /// Checks the configuration and splits off the secret.
    pub fn into_provider(mut self, source: Source) -> Result<Provider> {
        let id_ok = !self.id.is_empty()
            && self.id.len() <= 40
            && self.id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
        if !id_ok {
            return Err(AuthError::Config(format!(
                "provider id {:?} must be 1 to 40 lower-case letters, digits, '-' or '_'",
                self.id
            )));
        }
        if self.client_id.trim().is_empty() || self.client_id.len() > 256 {
            return Err(AuthError::Config(format!("provider {}: client_id is required", self.id)));
        }
        if self.kind.is_openid() {
            let issuer = self.issuer.as_deref().ok_or_else(|| {
                AuthError::Config(format!("provider {}: an {} provider needs issuer", self.id, self.kind.as_str()))
            })?;
            check_url("issuer", issuer)?;
        } else if self.issuer.is_some() {
            return Err(AuthError::Config(format!(
                "provider {}: issuer is for oidc and azure_devops providers",
                self.id
            )));
        }
        if self.kind == ProviderKind::Gitea && self.base_url.is_none() {
            return Err(AuthError::Config(format!(
                "provider {}: a gitea provider needs base_url, the server's web address",
                self.id
            )));
        }
        self.check_organizations()?;
        if let Some(b) = &self.base_url {
            check_url("base_url", b)?;
        }
        if let Some(a) = &self.api_url {
            check_url("api_url", a)?;
        }
        self.check_role_mapping()?;
        self.check_policy()?;
        let client_secret = self.client_secret.take().filter(|s| !s.is_empty()).map(Secret::new);
        Ok(Provider { config: self, client_secret, source })
    }
}

impl ProviderConfig {
    /// Checks the role mapping: one way per provider, each for the kinds it fits.
    fn check_role_mapping(&self) -> Result<()> {
        let id = &self.id;
        let refuse = |why: &str| Err(AuthError::Config(format!("provider {id}: {why}")));
        if self.role_claim.is_some() != self.admin_value.is_some() {
            return refuse("role_claim and admin_value go together");
        }
        if self.role_claim.as_deref().is_some_and(|c| c.is_empty() || c.len() > 200 || c.split('.').any(str::is_empty))
        {
            return refuse("role_claim must be a claim name or a path like realm_access.roles");
        }
        if self.role_claim_source.is_some() && (!self.kind.is_openid() || self.role_claim.is_none()) {
            return refuse("role_claim_source goes with role_claim on an oidc or azure_devops provider");
        }
        if let Some(team) = &self.admin_team {
            if !matches!(self.kind, ProviderKind::Github | ProviderKind::Gitea) {
                return refuse("admin_team is for github and gitea providers");
            }
            let part_ok = |p: &str| {
                !p.is_empty() && p.len() <= 100 && p.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
            };
            if !team.split_once('/').is_some_and(|(org, slug)| part_ok(org) && part_ok(slug)) {
                return refuse("admin_team must be an organization and a team slug, like acme/platform-admins");
            }
        }
        if let Some(group) = &self.admin_group {
            if self.kind != ProviderKind::Gitlab {
                return refuse("admin_group is for gitlab providers");
            }
            if group.is_empty() || group.len() > 255 || group.split('/').any(str::is_empty) {
                return refuse("admin_group must be a group's full path, like acme/admins");
            }
        }
        if let Some(level) = self.admin_access_level {
            if self.admin_group.is_none() {
                return refuse("admin_access_level goes with admin_group");
            }
            if ![10, 20, 30, 40, 50].contains(&level) {
                return refuse("admin_access_level must be 10, 20, 30, 40 or 50 (GitLab's access levels)");
            }
        }
        let ways = [self.role_claim.is_some(), self.admin_team.is_some(), self.admin_group.is_some()];
        if ways.iter().filter(|w| **w).count() > 1 {
            return refuse("choose one role mapping: role_claim, admin_team or admin_group");
        }
        Ok(())
    }

    /// Checks the Azure DevOps organizations: at least one for `azure_devops` (repositories are
    /// listed per organization), none for other kinds.
    fn check_organizations(&self) -> Result<()> {
        let id = &self.id;
        if self.kind != ProviderKind::AzureDevops {
            if !self.organizations.is_empty() {
                return Err(AuthError::Config(format!("provider {id}: organizations is for azure_devops providers")));
            }
            return Ok(());
        }
        if self.organizations.is_empty() || self.organizations.len() > 50 {
            return Err(AuthError::Config(format!(
                "provider {id}: an azure_devops provider needs 1 to 50 organizations (the names in dev.azure.com/NAME)"
            )));
        }
        // Azure DevOps organization names: letters, digits and hyphens, not starting or ending
        // with a hyphen.
        let name_ok = |o: &str| {
            !o.is_empty()
                && o.len() <= 50
                && !o.starts_with('-')
                && !o.ends_with('-')
                && o.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        };
        if let Some(bad) = self.organizations.iter().find(|o| !name_ok(o)) {
            return Err(AuthError::Config(format!(
                "provider {id}: {bad:?} is not an Azure DevOps organization name (letters, digits and hyphens)"
            )));
        }
        Ok(())
    }

    /// Checks the sign-up policy and writes its domains in lower case.
    fn check_policy(&mut self) -> Result<()> {
        let id = &self.id;
        if !self.allowed_domains.is_empty() && self.kind != ProviderKind::Oidc {
            return Err(AuthError::Config(format!(
                "provider {id}: allowed_domains needs an oidc provider (code hosts do not say whether an e-mail \
                 address is verified)"
            )));
        }
        if self.allowed_domains.len() > 100 || self.allowed_groups.len() > 100 {
            return Err(AuthError::Config(format!(
                "provider {id}: at most 100 allowed domains and 100 allowed groups"
            )));
        }
        for d in &mut self.allowed_domains {
            *d = d.trim().trim_start_matches('@').to_ascii_lowercase();
            let ok = !d.is_empty()
                && d.len() <= 253
                && d.contains('.')
                && d.split('.')
                    .all(|label| !label.is_empty() && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'));
            if !ok {
                return Err(AuthError::Config(format!(
                    "provider {id}: allowed_domains must be domain names like example.com, not {d:?}"
                )));
            }
        }
        if self.allowed_groups.iter().any(|g| g.is_empty() || g.len() > 256) {
            return Err(AuthError::Config(format!("provider {id}: allowed_groups must be 1 to 256 characters each")));
        }
        if self.groups_claim.is_some() && self.allowed_groups.is_empty() {
            return Err(AuthError::Config(format!("provider {id}: groups_claim goes with allowed_groups")));
        }
        if self.groups_claim.as_deref().is_some_and(|c| c.is_empty() || c.split('.').any(str::is_empty)) {
            return Err(AuthError::Config(format!(
                "provider {id}: groups_claim must be a claim name or path like a.b"
            )));
        }
        Ok(())
    }
}

impl Provider {
    /// Provider id.
    pub fn id(&self) -> &str {
        &self.config.id
    }

    /// Its kind.
    pub fn kind(&self) -> ProviderKind {
        self.config.kind
    }

    /// The web base URL of a code host, without a trailing slash.
    pub fn base_url(&self) -> String {
        self.config.base_url.as_deref().unwrap_or(self.kind().default_base()).trim_end_matches('/').to_owned()
    }

    /// The REST API base of a code host.
    pub fn api_url(&self) -> String {
        if let Some(a) = &self.config.api_url {
            return a.trim_end_matches('/').to_owned();
        }
        let base = self.base_url();
        match self.kind() {
            ProviderKind::Github if base == "https://github.com" => "https://api.github.com".to_owned(),
            ProviderKind::Github => format!("{base}/api/v3"),
            ProviderKind::Gitlab => format!("{base}/api/v4"),
            ProviderKind::Bitbucket if base == "https://bitbucket.org" => "https://api.bitbucket.org/2.0".to_owned(),
            ProviderKind::Bitbucket => format!("{base}/!api/2.0"),
            ProviderKind::Gitea => format!("{base}/api/v1"),
            ProviderKind::AzureDevops | ProviderKind::Oidc => base,
        }
    }

    /// Where git reaches this code host's repositories, and the user name it sends with an OAuth
    /// token there; none for an OpenID provider.
    pub fn git_remote(&self) -> Option<GitRemote> {
        let username = match self.kind() {
            ProviderKind::Github => "x-access-token",
            ProviderKind::Gitlab => "oauth2",
            ProviderKind::Bitbucket => "x-token-auth",
            ProviderKind::Gitea => "oauth2",
            // Azure DevOps takes an Entra access token with any user name that is not empty.
            ProviderKind::AzureDevops => "tessera",
            ProviderKind::Oidc => return None,
        };
        let url = url::Url::parse(&self.base_url()).ok()?;
        Some(GitRemote { url: self.base_url(), protocol: url.scheme().to_owned(), host: git_host(&url)?, username })
    }

    /// The OpenID issuer URL of an `oidc` or `azure_devops` provider. None is made without one;
    /// asking another kind for it is a configuration error, never an empty URL to discover.
    pub fn oidc_issuer(&self) -> Result<&str> {
        self.config
            .issuer
            .as_deref()
            .ok_or_else(|| AuthError::Config(format!("provider {}: an OpenID provider needs issuer", self.id())))
    }

    /// Who vouches for this provider's subjects, as identities are keyed: the OpenID issuer, or
    /// the code host's web base URL (without a trailing slash either way).
    pub fn identity_issuer(&self) -> String {
        if self.kind().is_openid() {
            self.config.issuer.as_deref().unwrap_or("").trim_end_matches('/').to_owned()
        } else {
            self.base_url()
        }
    }

    /// The scopes to ask for.
    pub fn scopes(&self) -> Vec<String> {
        if self.config.scopes.is_empty() {
            self.kind().default_scopes().iter().map(|s| (*s).to_owned()).collect()
        } else {
            self.config.scopes.clone()
        }
    }

    /// The name on its button.
    pub fn name(&self) -> String {
        self.config.name.clone().unwrap_or_else(|| self.kind().default_name().to_owned())
    }

    /// The claims an OpenID provider's sign-in reads: the profile, the role claim and the
    /// groups claim of the sign-in policy. Any of them missing from the ID token is looked for
    /// in userinfo.
    pub fn claims_wanted(&self) -> Vec<&str> {
        let mut wanted = vec!["email", "name", "preferred_username"];
        if let Some(role) = self.config.role_claim.as_deref() {
            wanted.push(role);
        }
        if !self.config.allowed_domains.is_empty() {
            wanted.push("email_verified");
        }
        if !self.config.allowed_groups.is_empty() {
            wanted.push(self.config.groups_claim.as_deref().unwrap_or("groups"));
        }
        wanted
    }

    /// Whether this provider asserts a role at sign-in (DESIGN: only providers with a role
    /// mapping do).
    pub fn maps_roles(&self) -> bool {
        self.config.role_claim.is_some() || self.config.admin_team.is_some() || self.config.admin_group.is_some()
    }

    /// The role the provider's claims (ID-token claims or the code host's user object) map to,
    /// when a role mapping is configured. A missing claim means `member`.
    pub fn role_from(&self, claims: &Value) -> Option<Role> {
        let (claim, admin) = (self.config.role_claim.as_deref()?, self.config.admin_value.as_deref()?);
        let is_admin = match claim_at(claims, claim) {
            Some(Value::Array(items)) => items.iter().any(|i| claim_equals(i, admin)),
            Some(v) => claim_equals(v, admin),
            None => false,
        };
        Some(if is_admin { Role::Admin } else { Role::Member })
    }
}

impl Provider {
    /// Whether the provider's sign-in policy admits the person these claims (ID-token claims or
    /// the code host's user object) describe: `Err` carries the sentence to refuse with.
    pub fn admits(&self, claims: &Value) -> std::result::Result<(), String> {
        let c = &self.config;
        let name = self.name();
        if !c.allowed_domains.is_empty() {
            let verified = matches!(claims.get("email_verified"), Some(Value::Bool(true)))
                || matches!(claims.get("email_verified"), Some(Value::String(s)) if s == "true");
            let domain = claims
                .get("email")
                .and_then(Value::as_str)
                .and_then(|e| e.rsplit_once('@'))
                .map(|(_, d)| d.to_ascii_lowercase());
            let Some(domain) = domain.filter(|_| verified) else {
                return Err(format!(
                    "signing in with {name} needs a verified e-mail address, and the provider gave none"
                ));
            };
            if !c.allowed_domains.contains(&domain) {
                return Err(format!(
                    "signing in with {name} is open only to e-mail addresses of certain domains, and {domain} is not one of them"
                ));
            }
        }
        if !c.allowed_groups.is_empty() {
            let claim = c.groups_claim.as_deref().unwrap_or("groups");
            let value = claim_at(claims, claim);
            let member = |v: &Value| c.allowed_groups.iter().any(|g| claim_equals(v, g));
            let admitted = match value {
                Some(Value::Array(items)) => items.iter().any(member),
                Some(v) => member(v),
                None => false,
            };
            if !admitted {
                return Err(format!(
                    "signing in with {name} is open only to members of certain groups, and your account there is not in one"
                ));
            }
        }
        Ok(())
    }
}

/// The claim at a path of names separated by dots (`realm_access.roles`,
/// `resource_access.tessera.roles`). A name that itself holds a dot (a Keycloak client id
/// `my.app`) is found too: at each level the longest name that exists wins.
pub fn claim_at<'a>(claims: &'a Value, path: &str) -> Option<&'a Value> {
    let parts: Vec<&str> = path.split('.').collect();
    let mut at = claims;
    let mut i = 0;
    while i < parts.len() {
        let obj = at.as_object()?;
        let found = (i + 1..=parts.len()).rev().find_map(|j| obj.get(&parts[i..j].join(".")).map(|v| (j, v)));
        let (next, v) = found?;
        at = v;
        i = next;
    }
    Some(at)
}

fn claim_equals(v: &Value, expected: &str) -> bool {
    match v {
        Value::String(s) => s == expected,
        Value::Bool(b) => b.to_string() == expected,
        Value::Number(n) => n.to_string() == expected,
        _ => false,
    }
}

/// Reads `providers.toml`; a missing file means no providers.
pub fn load_file(path: &Path) -> Result<Vec<Provider>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(AuthError::Config(format!("cannot read {}: {e}", path.display()))),
    };
    parse_file(&text).map_err(|e| AuthError::Config(format!("{}: {e}", path.display())))
}

/// Parses the text of a `providers.toml`.
pub fn parse_file(text: &str) -> Result<Vec<Provider>> {
    let file: ProvidersFile = toml::from_str(text).map_err(|e| AuthError::Config(e.message().to_owned()))?;
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for c in file.provider {
        if !seen.insert(c.id.clone()) {
            return Err(AuthError::Config(format!("provider id {:?} appears twice", c.id)));
        }
        out.push(c.into_provider(Source::File)?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn provider(toml_text: &str) -> Result<Provider> {
        parse_file(toml_text)?.pop().ok_or_else(|| AuthError::Config("none".into()))
    }

    #[test]
    fn code_host_endpoints_follow_the_base_url() -> Result<()> {
        let gh =
            provider("[[provider]]\nid = \"github\"\nkind = \"github\"\nclient_id = \"c\"\nclient_secret = \"s\"")?;
        assert_eq!(gh.api_url(), "https://api.github.com");
        assert_eq!(gh.client_secret.as_ref().map(Secret::expose), Some("s"));
        assert_eq!(gh.config.client_secret, None, "the secret is split off");
        let ghe = provider("[[provider]]\nid = \"ghe\"\nkind = \"github\"\nclient_id = \"c\"\nbase_url = \"https://git.corp.example/\"")?;
        assert_eq!(ghe.api_url(), "https://git.corp.example/api/v3");
        let gl = provider("[[provider]]\nid = \"gl\"\nkind = \"gitlab\"\nclient_id = \"c\"\nbase_url = \"https://gitlab.corp.example\"")?;
        assert_eq!(gl.api_url(), "https://gitlab.corp.example/api/v4");
        assert_eq!(gl.scopes(), vec!["read_user", "read_api", "read_repository", "write_repository"]);
        Ok(())
    }

    #[test]
    fn gitea_and_azure_devops_have_their_endpoints_and_rules() -> Result<()> {
        let gitea = provider(
            "[[provider]]\nid = \"forgejo\"\nkind = \"gitea\"\nclient_id = \"c\"\nbase_url = \"https://codeberg.example/\"\nadmin_team = \"acme/Owners\"",
        )?;
        assert_eq!(gitea.api_url(), "https://codeberg.example/api/v1");
        assert_eq!(gitea.identity_issuer(), "https://codeberg.example");
        assert!(!gitea.kind().is_openid() && gitea.kind().is_code_host());
        let ado = provider(
            "[[provider]]\nid = \"ado\"\nkind = \"azure_devops\"\nclient_id = \"c\"\nissuer = \"https://login.example/tenant/v2.0\"\norganizations = [\"acme\", \"acme-labs\"]",
        )?;
        assert_eq!(ado.api_url(), "https://dev.azure.com", "the DevOps URL is apart from the Entra issuer");
        assert_eq!(ado.identity_issuer(), "https://login.example/tenant/v2.0");
        assert!(ado.kind().is_openid() && ado.kind().is_code_host());
        assert!(ado.scopes().contains(&format!("{AZURE_DEVOPS_RESOURCE}/.default")));
        assert_eq!(ado.name(), "Azure DevOps");
        for bad in [
            "[[provider]]\nid = \"g\"\nkind = \"gitea\"\nclient_id = \"c\"",
            "[[provider]]\nid = \"g\"\nkind = \"gitea\"\nclient_id = \"c\"\nbase_url = \"https://g.example\"\nissuer = \"https://g.example\"",
            "[[provider]]\nid = \"g\"\nkind = \"gitea\"\nclient_id = \"c\"\nbase_url = \"https://g.example\"\norganizations = [\"acme\"]",
            "[[provider]]\nid = \"a\"\nkind = \"azure_devops\"\nclient_id = \"c\"\norganizations = [\"acme\"]",
            "[[provider]]\nid = \"a\"\nkind = \"azure_devops\"\nclient_id = \"c\"\nissuer = \"https://l.example/t/v2.0\"",
            "[[provider]]\nid = \"a\"\nkind = \"azure_devops\"\nclient_id = \"c\"\nissuer = \"https://l.example/t/v2.0\"\norganizations = [\"a/b\"]",
            "[[provider]]\nid = \"a\"\nkind = \"azure_devops\"\nclient_id = \"c\"\nissuer = \"https://l.example/t/v2.0\"\norganizations = [\"-acme\"]",
            "[[provider]]\nid = \"a\"\nkind = \"azure_devops\"\nclient_id = \"c\"\nissuer = \"https://l.example/t/v2.0\"\norganizations = [\"acme\"]\nadmin_team = \"a/b\"",
            "[[provider]]\nid = \"a\"\nkind = \"azuredevops\"\nclient_id = \"c\"",
        ] {
            assert!(parse_file(bad).is_err(), "{bad}");
        }
        Ok(())
    }

    #[test]
    fn bad_configurations_are_refused_with_a_reason() {
        for bad in [
            "[[provider]]\nid = \"Bad Id\"\nkind = \"github\"\nclient_id = \"c\"",
            "[[provider]]\nid = \"k\"\nkind = \"oidc\"\nclient_id = \"c\"",
            "[[provider]]\nid = \"k\"\nkind = \"oidc\"\nclient_id = \"c\"\nissuer = \"http://idp.example\"",
            "[[provider]]\nid = \"k\"\nkind = \"gitlab\"\nclient_id = \"c\"\nbase_url = \"http://127.0.0.1:80@example.invalid\"",
            "[[provider]]\nid = \"k\"\nkind = \"gitlab\"\nclient_id = \"\"",
            "[[provider]]\nid = \"k\"\nkind = \"saml\"\nclient_id = \"c\"",
            "[[provider]]\nid = \"k\"\nkind = \"github\"\nclient_id = \"c\"\nrole_claim = \"groups\"",
            "[[provider]]\nid = \"k\"\nkind = \"github\"\nclient_id = \"c\"\nsurprise = 1",
            "[[provider]]\nid = \"k\"\nkind = \"gitlab\"\nclient_id = \"c\"\nadmin_team = \"acme/admins\"",
            "[[provider]]\nid = \"k\"\nkind = \"github\"\nclient_id = \"c\"\nadmin_team = \"acme\"",
            "[[provider]]\nid = \"k\"\nkind = \"github\"\nclient_id = \"c\"\nadmin_team = \"acme/a b\"",
            "[[provider]]\nid = \"k\"\nkind = \"github\"\nclient_id = \"c\"\nadmin_group = \"acme\"",
            "[[provider]]\nid = \"k\"\nkind = \"gitlab\"\nclient_id = \"c\"\nadmin_group = \"acme//x\"",
            "[[provider]]\nid = \"k\"\nkind = \"gitlab\"\nclient_id = \"c\"\nadmin_access_level = 40",
            "[[provider]]\nid = \"k\"\nkind = \"gitlab\"\nclient_id = \"c\"\nadmin_group = \"a\"\nadmin_access_level = 35",
            "[[provider]]\nid = \"k\"\nkind = \"gitlab\"\nclient_id = \"c\"\nadmin_group = \"a\"\nrole_claim = \"x\"\nadmin_value = \"y\"",
            "[[provider]]\nid = \"k\"\nkind = \"github\"\nclient_id = \"c\"\nrole_claim = \"x\"\nadmin_value = \"y\"\nrole_claim_source = \"userinfo\"",
            "[[provider]]\nid = \"k\"\nkind = \"oidc\"\nclient_id = \"c\"\nissuer = \"https://i.example\"\nrole_claim_source = \"userinfo\"",
            "[[provider]]\nid = \"k\"\nkind = \"oidc\"\nclient_id = \"c\"\nissuer = \"https://i.example\"\nrole_claim = \"a..b\"\nadmin_value = \"y\"",
            "[[provider]]\nid = \"k\"\nkind = \"oidc\"\nclient_id = \"c\"\nissuer = \"https://i.example\"\nrole_claim = \"r\"\nadmin_value = \"y\"\nrole_claim_source = \"cookie\"",
            "[[provider]]\nid = \"k\"\nkind = \"github\"\nclient_id = \"c\"\n[[provider]]\nid = \"k\"\nkind = \"gitlab\"\nclient_id = \"c\"",
            "not toml at all [",
        ] {
            assert!(parse_file(bad).is_err(), "{bad}");
        }
        assert!(parse_file("").is_ok_and(|p| p.is_empty()));
        for good in [
            "[[provider]]\nid = \"k\"\nkind = \"github\"\nclient_id = \"c\"\nadmin_team = \"acme/platform-admins\"",
            "[[provider]]\nid = \"k\"\nkind = \"gitlab\"\nclient_id = \"c\"\nadmin_group = \"acme/admins\"\nadmin_access_level = 40",
            "[[provider]]\nid = \"k\"\nkind = \"oidc\"\nclient_id = \"c\"\nissuer = \"https://i.example\"\nrole_claim = \"realm_access.roles\"\nadmin_value = \"y\"\nrole_claim_source = \"access_token\"",
        ] {
            assert!(parse_file(good).is_ok(), "{good}");
        }
    }

    #[test]
    fn sign_up_policies_read_verified_domains_and_group_paths() -> Result<()> {
        let base = "[[provider]]\nid = \"kc\"\nkind = \"oidc\"\nclient_id = \"c\"\nissuer = \"https://idp.example\"\n";
        let open = provider(base)?;
        assert!(open.config.allow_signup, "sign-up is allowed unless a provider says otherwise");
        assert_eq!(open.admits(&json!({})), Ok(()));

        let p = provider(&format!("{base}allowed_domains = [\" @Corp.Example \"]"))?;
        assert_eq!(p.config.allowed_domains, vec!["corp.example"]);
        assert!(p.admits(&json!({"email": "a@CORP.example", "email_verified": true})).is_ok());
        assert!(p.admits(&json!({"email": "a@corp.example", "email_verified": "true"})).is_ok());
        for refused in [
            json!({"email": "a@corp.example"}),
            json!({"email": "a@corp.example", "email_verified": false}),
            json!({"email": "a@corp.example.evil", "email_verified": true}),
            json!({"email": "a@sub.corp.example", "email_verified": true}),
            json!({"email": "corp.example", "email_verified": true}),
            json!({"email_verified": true}),
        ] {
            assert!(p.admits(&refused).is_err(), "{refused}");
        }

        let g = provider(&format!("{base}allowed_groups = [\"staff\", \"7\"]\ngroups_claim = \"realm_access.roles\""))?;
        assert!(g.admits(&json!({"realm_access": {"roles": ["x", "staff"]}})).is_ok());
        assert!(g.admits(&json!({"realm_access": {"roles": "staff"}})).is_ok());
        assert!(g.admits(&json!({"realm_access": {"roles": [7]}})).is_ok());
        assert!(g.admits(&json!({"realm_access": {"roles": ["staffer"]}})).is_err());
        assert!(g.admits(&json!({"groups": ["staff"]})).is_err(), "only the configured claim counts");
        let why = g.admits(&json!({})).err().unwrap_or_default();
        assert!(why.contains("members of certain groups"), "{why}");

        for bad in [
            "[[provider]]\nid = \"gh\"\nkind = \"github\"\nclient_id = \"c\"\nallowed_domains = [\"corp.example\"]"
                .to_owned(),
            format!("{base}allowed_domains = [\"not a domain\"]"),
            format!("{base}allowed_domains = [\"\"]"),
            format!("{base}allowed_groups = [\"\"]"),
            format!("{base}groups_claim = \"groups\""),
            format!("{base}allowed_groups = [\"a\"]\ngroups_claim = \"a..b\""),
        ] {
            assert!(parse_file(&bad).is_err(), "{bad}");
        }
        let closed = provider(&format!("{base}allow_signup = false"))?;
        assert!(!closed.config.allow_signup);
        Ok(())
    }

    #[test]
    fn role_mapping_reads_lists_strings_and_nested_claims() -> Result<()> {
        let p = provider(
            "[[provider]]\nid = \"kc\"\nkind = \"oidc\"\nclient_id = \"c\"\nissuer = \"https://idp.example/realms/x\"\nrole_claim = \"realm_access.roles\"\nadmin_value = \"tessera-admin\"",
        )?;
        assert_eq!(p.role_from(&json!({"realm_access": {"roles": ["a", "tessera-admin"]}})), Some(Role::Admin));
        assert_eq!(p.role_from(&json!({"realm_access": {"roles": ["a"]}})), Some(Role::Member));
        assert_eq!(p.role_from(&json!({})), Some(Role::Member));
        let client = provider(
            "[[provider]]\nid = \"kc\"\nkind = \"oidc\"\nclient_id = \"c\"\nissuer = \"https://idp.example/realms/x\"\nrole_claim = \"resource_access.my.app.roles\"\nadmin_value = \"admin\"",
        )?;
        assert_eq!(client.role_from(&json!({"resource_access": {"my.app": {"roles": ["admin"]}}})), Some(Role::Admin));
        assert_eq!(
            client.role_from(&json!({"resource_access": {"my": {"app": {"roles": ["admin"]}}}})),
            Some(Role::Admin)
        );
        assert_eq!(client.role_from(&json!({"resource_access": {"other": {"roles": ["admin"]}}})), Some(Role::Member));
        let entra = provider(
            "[[provider]]\nid = \"entra\"\nkind = \"oidc\"\nclient_id = \"c\"\nissuer = \"https://login.example/t/v2.0\"\nrole_claim = \"roles\"\nadmin_value = \"Tessera.Admin\"",
        )?;
        assert_eq!(entra.role_from(&json!({"roles": ["Tessera.Reader", "Tessera.Admin"]})), Some(Role::Admin));
        assert_eq!(entra.role_from(&json!({"roles": "Tessera.Reader"})), Some(Role::Member));
        let none = provider("[[provider]]\nid = \"gh\"\nkind = \"github\"\nclient_id = \"c\"")?;
        assert_eq!(none.role_from(&json!({"groups": ["tessera-admin"]})), None);
        Ok(())
    }
}
