//! `tessera`: serve the API, administer the local store offline, and do everything the REST API
//! offers as its client, with logins kept in the OS keyring. Every command takes `--json`;
//! `TESSERA_DATA_DIR` redirects every path. Exit codes say what kind of failure it was
//! (`output::EXIT_CODES`).

mod account;
mod agent;
mod auth;
mod client;
mod git;
mod login;
mod logins;
mod org;
mod output;
mod project;
mod providers;
mod tokens;
mod users;

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use chrono::{DateTime, Duration, Utc};
use clap::{Args, CommandFactory, Parser, Subcommand};
use serde_json::json;
use tessera_core::clock::{Clock, SystemClock};
use tessera_core::model::Role;
use tessera_core::session::SessionKeys;
use tessera_core::store::{is_postgres_url, SqlStore};
use tessera_core::{Authority, DataDir};

use tessera_auth::local::{self, KeyPlace};
use tessera_auth::sealed::{SealedStore, SealingKey};
use tessera_auth::SignIn;
use tessera_server::limits::Rate;
use tessera_server::proxy::TrustedProxies;
use tessera_server::{AppState, ServeOptions};

use crate::client::Client;
use crate::output::Out;

/// mimalloc instead of the C library's allocator: a request to `tessera serve` allocates dozens of
/// small, short-lived values across its worker threads, which mimalloc's per-thread free lists
/// serve faster (measured with the same build and load: about 7 to 10% more requests/s for
/// `GET /me`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Debug, Parser)]
#[command(name = "tessera", version, about = "Tessera: tokens you can trust, from one place", after_help = output::EXIT_CODES)]
struct Cli {
    /// Print machine-readable JSON instead of text.
    #[arg(long, global = true)]
    json: bool,
    /// Keep the local session signing key in a file readable only by you instead of the OS
    /// keyring, for machines without one.
    #[arg(long, global = true, env = "TESSERA_KEY_FILE", value_parser = clap::builder::FalseyValueParser::new())]
    key_file: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the REST API.
    Serve {
        #[command(flatten)]
        store: StoreArg,
        /// The address to listen on.
        #[arg(long, default_value = "127.0.0.1:7878")]
        listen: SocketAddr,
        #[command(flatten)]
        edge: EdgeArgs,
    },
    /// Read the audit log (instance administrators): JSON lines with --json, newest first.
    Audit {
        #[command(flatten)]
        remote: Remote,
        /// Entries at or after this instant (RFC 3339).
        #[arg(long)]
        since: Option<DateTime<Utc>>,
        /// Entries before this instant (RFC 3339).
        #[arg(long)]
        until: Option<DateTime<Utc>>,
        /// Only this actor: user:<id>, token:<id>, system or anonymous.
        #[arg(long)]
        actor: Option<String>,
        /// Only this action, e.g. token.create.
        #[arg(long)]
        action: Option<String>,
        /// Only this outcome: ok, denied or failed.
        #[arg(long)]
        outcome: Option<String>,
        /// Only this target, e.g. a token id.
        #[arg(long)]
        target: Option<String>,
        /// Stop after this many entries (all when absent).
        #[arg(long)]
        max: Option<u64>,
    },
    /// Instance administration: accounts, token policy and providers through the server (or the
    /// store with --offline); create-user, session and secret-key offline on the store.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Tokens of every kind: create, list, show, edit, rotate, revoke, delete; inspect a value.
    #[command(subcommand)]
    Token(tokens::TokenCommand),
    /// Organizations: create, list, show, members, invitations, token policy.
    #[command(subcommand)]
    Org(org::OrgCommand),
    /// Projects: create, list, show, edit, delete.
    #[command(subcommand)]
    Project(project::ProjectCommand),
    /// Runs of a project: trigger, list.
    #[command(subcommand)]
    Run(project::RunCommand),
    /// Project secrets: set (from standard input), show, delete.
    #[command(subcommand)]
    Secret(project::SecretCommand),
    /// Pipeline files of a project: set, show.
    #[command(subcommand)]
    Pipeline(project::PipelineCommand),
    /// Agents: list; connect, heartbeat, claim and disconnect with an agent token.
    #[command(subcommand)]
    Agent(agent::AgentCommand),
    /// Accounts linked at identity providers and code hosts: list, link, unlink, repositories.
    #[command(subcommand)]
    Identity(account::IdentityCommand),
    /// Devices signed in to your account: list, revoke.
    #[command(subcommand)]
    Device(account::DeviceCommand),
    /// The account you are signed in as.
    Me {
        #[command(flatten)]
        remote: Remote,
    },
    /// Whether a server is up, and its version.
    Health {
        #[command(flatten)]
        server: ServerOnly,
    },
    /// Sign in to a Tessera server and keep the login in the OS keyring: with a token read from
    /// standard input (--with-token), or through one of its identity providers (--provider).
    Login(login::LoginArgs),
    /// Stored logins: status, switch, logout, token.
    #[command(subcommand)]
    Auth(auth::AuthCommand),
    /// Git's credential helper (`git help credential`): answers `get` with the code-host token of
    /// your linked account at the host git asks about; `store` and `erase` keep nothing. Set up
    /// with `tessera auth setup-git`.
    GitCredential {
        #[command(flatten)]
        remote: Remote,
        /// Act for the desktop app in local mode on this computer (its store and keyring), as
        /// the person it is signed in as, instead of a server's stored login.
        #[arg(long)]
        desktop: bool,
        /// What git asks: get, store or erase (others are ignored, as git expects).
        operation: String,
    },
    /// Print a completion script for a shell (bash, zsh, fish, elvish, powershell).
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff): `tessera man > tessera.1`.
    Man,
}

#[derive(Debug, Subcommand)]
enum AdminCommand {
    /// Create an account.
    CreateUser {
        #[command(flatten)]
        store: StoreArg,
        /// The account name.
        name: String,
        /// Make it an instance administrator.
        #[arg(long)]
        admin: bool,
    },
    /// Print a new random key for sealing secrets in a team database (the session signing key,
    /// project secrets, code-host tokens; base64); keep it in a file named by
    /// TESSERA_SECRET_KEY_FILE on every replica.
    SecretKey,
    /// Accounts, through the server (or offline with --offline): list, set-role, disable, enable,
    /// delete.
    #[command(subcommand)]
    User(users::UserCommand),
    /// Identity providers, offline on the store: list, test.
    #[command(subcommand)]
    Provider(providers::ProviderCommand),
    /// The instance's token policy (instance administrators): show, set.
    #[command(subcommand)]
    Policy(AdminPolicyCommand),
    /// Mint a one-hour login session for an account and print it.
    Session {
        #[command(flatten)]
        store: StoreArg,
        /// The account name or id.
        name: String,
    },
}

/// How `tessera serve` meets the network.
#[derive(Debug, Args)]
struct EdgeArgs {
    /// The URL clients reach this server at (team mode); it then answers only to that host name
    /// (and to loopback names when it listens on loopback).
    #[arg(long, env = "TESSERA_PUBLIC_URL")]
    public_url: Option<url::Url>,
    /// A reverse proxy (an address or a network such as 10.0.0.0/8) whose X-Forwarded-For is
    /// believed; repeat, or separate with commas.
    #[arg(long = "trusted-proxy", env = "TESSERA_TRUSTED_PROXIES", value_delimiter = ',')]
    trusted_proxies: Vec<String>,
    /// Runs one trigger token may start a minute.
    #[arg(long, env = "TESSERA_TRIGGER_RATE", default_value_t = 60, value_parser = clap::value_parser!(u32).range(1..))]
    trigger_rate: u32,
    /// Failed authentications one client address may make a minute before it gets 429.
    #[arg(long, env = "TESSERA_FAILED_AUTH_RATE", default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..))]
    failed_auth_rate: u32,
    /// Delete audit entries older than this many days (kept forever when absent).
    #[arg(long, env = "TESSERA_AUDIT_RETENTION_DAYS", value_parser = clap::value_parser!(u32).range(1..))]
    audit_retention_days: Option<u32>,
    /// How long a client has to send a request's headers (and how long an idle kept-alive
    /// connection stays open), in seconds.
    #[arg(long, env = "TESSERA_HEADER_TIMEOUT", default_value_t = 15, value_parser = clap::value_parser!(u64).range(1..=300))]
    header_timeout: u64,
    /// Connections served at once.
    #[arg(long, env = "TESSERA_MAX_CONNECTIONS", default_value_t = 512, value_parser = clap::value_parser!(u64).range(1..))]
    max_connections: u64,
}

impl EdgeArgs {
    fn options(&self) -> Result<ServeOptions> {
        let mut trusted = TrustedProxies::default();
        for p in &self.trusted_proxies {
            trusted.extend(p.parse().with_context(|| "--trusted-proxy")?);
        }
        if let Some(u) = &self.public_url {
            if !matches!(u.scheme(), "http" | "https") || u.host_str().is_none() {
                bail!("--public-url must be an http:// or https:// URL with a host name");
            }
        }
        let mut options = ServeOptions {
            public_url: self.public_url.clone(),
            trusted_proxies: trusted,
            audit_retention: self.audit_retention_days.map(|d| Duration::days(i64::from(d))),
            ..ServeOptions::default()
        };
        options.limits.trigger = Rate::per_minute(self.trigger_rate);
        options.limits.failed_auth = Rate::per_minute(self.failed_auth_rate);
        options.connections.header_read = std::time::Duration::from_secs(self.header_timeout);
        options.connections.max_connections = usize::try_from(self.max_connections).unwrap_or(usize::MAX);
        Ok(options)
    }
}

#[derive(Debug, Args)]
pub(crate) struct StoreArg {
    /// The store: a SQLite file (default: tessera.db in the data directory), or a PostgreSQL
    /// database as postgres://USER:PASSWORD@HOST:PORT/DB for team mode, shared by every replica.
    #[arg(long, env = "TESSERA_DB", hide_env_values = true)]
    pub(crate) db: Option<String>,
}

/// `tessera admin policy …`.
#[derive(Debug, Subcommand)]
enum AdminPolicyCommand {
    /// The instance's token policy.
    Show {
        #[command(flatten)]
        remote: Remote,
    },
    /// Replace the instance's token policy.
    Set {
        #[command(flatten)]
        remote: Remote,
        #[command(flatten)]
        policy: org::PolicyArgs,
    },
}

/// Where a client command sends its requests, and with which credential.
#[derive(Debug, Args)]
pub(crate) struct Remote {
    /// The server's URL (default: the current stored login's server, else http://127.0.0.1:7878).
    #[arg(long, env = "TESSERA_SERVER")]
    server: Option<String>,
    /// A login session or a token to send instead of the stored login.
    #[arg(long, env = "TESSERA_TOKEN", hide_env_values = true)]
    token: Option<String>,
}

impl Remote {
    /// A client of the server with the credential: --token, else the server's stored login.
    pub(crate) async fn client(&self) -> Result<Client> {
        logins::target(self.server.as_deref(), self.token.as_deref()).await
    }
}

/// The server of a command that sends no credential.
#[derive(Debug, Args)]
pub(crate) struct ServerOnly {
    /// The server's URL (default: the current stored login's server, else http://127.0.0.1:7878).
    #[arg(long, env = "TESSERA_SERVER")]
    server: Option<String>,
}

impl ServerOnly {
    /// A client of the server, with no credential.
    pub(crate) fn client(&self) -> Result<Client> {
        let server = match &self.server {
            Some(s) => s.clone(),
            None => logins::Logins::open()
                .ok()
                .and_then(|l| l.index.current)
                .unwrap_or_else(|| logins::DEFAULT_SERVER.to_owned()),
        };
        Client::new(&server, None)
    }
}

/// All of standard input, for values that must not appear in the shell's history.
pub(crate) fn read_stdin() -> Result<String> {
    let mut s = String::new();
    std::io::Read::read_to_string(&mut std::io::stdin(), &mut s).context("cannot read standard input")?;
    Ok(s)
}

/// The path of one of the API's operations, by its id in the OpenAPI document: the command line
/// keeps no copy of the server's paths.
pub(crate) fn api_path(operation: &str, params: &[(&str, &str)]) -> Result<String> {
    tessera_server::openapi::path(operation, params).map_err(anyhow::Error::msg)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let out = Out::new(cli.json);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => return out.fail(&anyhow::anyhow!("cannot start: {e}")),
    };
    let key = if cli.key_file { KeyPlace::File } else { KeyPlace::Keyring };
    match runtime.block_on(run(cli.command, key, &out)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => out.fail(&e),
    }
}

async fn run(command: Command, key: KeyPlace, out: &Out) -> Result<()> {
    match command {
        Command::Serve { store, listen, edge } => serve(store.db, listen, edge.options()?, key, out).await,
        Command::Audit { remote, since, until, actor, action, outcome, target, max } => {
            let filter = AuditFilterArgs { since, until, actor, action, outcome, target };
            audit(&remote, &filter, max, out).await
        }
        Command::Login(args) => login::run(args, out).await,
        Command::Auth(cmd) => auth::run(cmd, key, out).await,
        Command::GitCredential { remote, desktop, operation } => {
            let source = if desktop { git::Source::Desktop(key) } else { git::Source::Remote(&remote) };
            git::credential(source, &operation).await
        }
        Command::Me { remote } => account::me(remote, out).await,
        Command::Health { server } => account::health(server, out).await,
        Command::Identity(cmd) => account::identity(cmd, out).await,
        Command::Device(cmd) => account::device(cmd, out).await,
        Command::Project(cmd) => project::project(cmd, out).await,
        Command::Run(cmd) => project::run(cmd, out).await,
        Command::Secret(cmd) => project::secret(cmd, out).await,
        Command::Pipeline(cmd) => project::pipeline(cmd, out).await,
        Command::Agent(cmd) => agent::run(cmd, out).await,
        Command::Completions { shell } => {
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "tessera", &mut script);
            output::emit(String::from_utf8_lossy(&script).trim_end());
            Ok(())
        }
        Command::Man => {
            let mut page = Vec::new();
            clap_mangen::Man::new(Cli::command())
                .render(&mut page)
                .map_err(|e| anyhow::anyhow!("cannot make the manual page: {e}"))?;
            output::emit(String::from_utf8_lossy(&page).trim_end());
            Ok(())
        }
        Command::Admin(AdminCommand::Policy(AdminPolicyCommand::Show { remote })) => {
            let v = remote.client().await?.get(&api_path("policy_get_instance", &[])?).await?;
            out.value(&v, || output::policy_text(&v));
            Ok(())
        }
        Command::Admin(AdminCommand::Policy(AdminPolicyCommand::Set { remote, policy })) => {
            let v = remote.client().await?.put(&api_path("policy_put_instance", &[])?, &policy.body()).await?;
            out.value(&v, || output::policy_text(&v));
            Ok(())
        }
        Command::Admin(AdminCommand::CreateUser { store, name, admin }) => {
            let (auth, _) = open(store.db.as_deref(), key).await?;
            let user = auth.create_user(&name, if admin { Role::Admin } else { Role::Member }).await?;
            out.value(&user, || format!("created {} ({}, {})", user.name, user.id, user.role.as_str()));
            Ok(())
        }
        Command::Admin(AdminCommand::Session { store, name }) => {
            let (auth, _) = open(store.db.as_deref(), key).await?;
            let (_, s) = auth.issue_session(&name).await?;
            let v = json!({"token": s.token.expose(), "expires_at": s.expires_at});
            out.value(&v, || s.token.expose().to_owned());
            Ok(())
        }
        Command::Admin(AdminCommand::User(cmd)) => users::run(cmd, key, out).await,
        Command::Admin(AdminCommand::Provider(cmd)) => providers::run(cmd, key, out).await,
        Command::Admin(AdminCommand::SecretKey) => {
            let key = SealingKey::generate()?.to_base64();
            out.value(&json!({"secret_key": key.expose()}), || key.expose().to_owned());
            Ok(())
        }
        Command::Token(t) => tokens::run(t, out).await,
        Command::Org(o) => org::run(o, out).await,
    }
}

/// Opens the authority over `db`: the data directory's SQLite store when `None`, another SQLite
/// file, or a PostgreSQL database (team mode); with the sign-in service where it can run.
///
/// In local mode the session signing key, the key sealing project secrets and code-host tokens
/// live in the OS keyring (the keys in files only with `--key-file`). In team mode the session
/// key lives in the database, so every replica signs and verifies with the same key, sealed
/// like everything secret there with the key from `TESSERA_SECRET_KEY_FILE`, which never enters
/// the database.
pub(crate) async fn open(db: Option<&str>, key: KeyPlace) -> Result<(Arc<Authority>, Option<Arc<SignIn>>)> {
    let clock = Arc::new(SystemClock);
    match db {
        Some(url) if is_postgres_url(url) => {
            let Some(key) = SealingKey::from_env()? else {
                bail!(
                    "team mode needs the secret key that seals the session signing key, project secrets and code-host \
                     tokens in the database: make one with `tessera admin secret-key` and name its file in \
                     TESSERA_SECRET_KEY_FILE (or put it in TESSERA_SECRET_KEY) on every replica"
                );
            };
            let store = SqlStore::open_postgres(url).await?;
            let keys = SessionKeys::load_or_create_shared_sealed(&store, key.sealer().as_ref(), clock.now()).await?;
            let store: Arc<dyn tessera_core::store::Store> = Arc::new(store);
            let authority = Arc::new(Authority::new(Arc::clone(&store), keys, clock.clone()).with_sealer(key.sealer()));
            let secrets = Arc::new(SealedStore::new(store, &key, clock));
            let file = DataDir::from_env()?.providers();
            let sign_in = Some(Arc::new(SignIn::new(Arc::clone(&authority), &file, secrets).await?));
            Ok((authority, sign_in))
        }
        _ => {
            let dir = DataDir::from_env()?;
            let l = local::open(&dir, db.map(std::path::Path::new), clock, key).await?;
            let sign_in = l.sign_in(&dir).await?;
            Ok((l.authority, sign_in))
        }
    }
}

async fn serve(db: Option<String>, listen: SocketAddr, options: ServeOptions, key: KeyPlace, out: &Out) -> Result<()> {
    // PostgreSQL's notices (such as "relation already exists, skipping" on every start) are
    // not news to an operator.
    let filter = tracing_subscriber::EnvFilter::try_from_env("TESSERA_LOG")
        .unwrap_or_else(|_| "info,sqlx::postgres::notice=warn".into());
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
    let (authority, sign_in) = open(db.as_deref(), key).await?;
    let listener = tokio::net::TcpListener::bind(listen).await.with_context(|| format!("cannot listen on {listen}"))?;
    let addr = listener.local_addr()?;
    out.value(&json!({"listening": format!("http://{addr}")}), || format!("listening on http://{addr}"));
    tessera_server::serve_with(listener, AppState { authority, sign_in }, options, shutdown_signal()).await?;
    Ok(())
}

/// The filters of `tessera audit`.
struct AuditFilterArgs {
    since: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
    actor: Option<String>,
    action: Option<String>,
    outcome: Option<String>,
    target: Option<String>,
}

/// Pages through the audit log, printing each entry as it arrives: one JSON object a line with
/// `--json` (for export), else one readable line each.
async fn audit(remote: &Remote, f: &AuditFilterArgs, max: Option<u64>, out: &Out) -> Result<()> {
    let client = remote.client().await?;
    let mut params: Vec<(&str, String)> = Vec::new();
    let text = [("actor", &f.actor), ("action", &f.action), ("outcome", &f.outcome), ("target", &f.target)];
    for (k, v) in text {
        if let Some(v) = v {
            params.push((k, v.clone()));
        }
    }
    for (k, v) in [("since", f.since), ("until", f.until)] {
        if let Some(v) = v {
            params.push((k, v.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)));
        }
    }
    let mut printed = 0u64;
    let mut cursor: Option<String> = None;
    loop {
        let mut q = params.clone();
        q.push(("limit", "1000".to_owned()));
        if let Some(c) = &cursor {
            q.push(("cursor", c.clone()));
        }
        let query = serde_urlencoded::to_string(&q).context("cannot build the query")?;
        let page = client.get(&format!("{}?{query}", api_path("account_audit", &[])?)).await?;
        for e in page["items"].as_array().into_iter().flatten() {
            if max.is_some_and(|m| printed >= m) {
                return Ok(());
            }
            out.line(e, || output::audit_line(e));
            printed += 1;
        }
        match page["next_cursor"].as_str() {
            Some(c) if !c.is_empty() => cursor = Some(c.to_owned()),
            _ => return Ok(()),
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { () = ctrl_c => {}, () = term => {} }
}

/// An error already reported on standard output; only the exit code remains to be set.
#[derive(Debug)]
pub(crate) struct Silent;

impl std::fmt::Display for Silent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("")
    }
}

impl std::error::Error for Silent {}
