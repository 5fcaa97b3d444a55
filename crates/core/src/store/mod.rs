//! The store interface. The token authority asks it for facts and hands it changes; every rule
//! is decided in [`crate::authority`] before the store is called.
//!
//! It is one trait per aggregate (users, organizations, invitations, projects, tokens, token
//! policies, runs, agents, identities, providers, sealed secrets, sessions, audit), each in its
//! own module with its SQL, so a change to one kind of object reads and reviews on its own.
//! [`Store`] is all of them together: what [`crate::Authority`] holds.
//!
//! [`SqlStore`] implements them through sqlx's `Any` driver, so that one body of SQL serves both
//! SQLite (the embedded default) and PostgreSQL (team mode, shared by replicas); writes that must
//! agree run in one transaction. The few reads every request makes are typed per backend instead
//! (`hot`). A stored name (a role, a status, a kind) that this version does
//! not know is an error naming the column and the value, never read as a default.

mod agents;
mod audit;
mod changes;
// Speed: the request path's reads, typed per backend.
mod hot;
mod identities;
mod invitations;
mod orgs;
mod policies;
mod projects;
mod providers;
mod runs;
mod sealed;
mod sessions;
mod sql;
mod tokens;
mod users;

pub use agents::AgentStore;
pub use audit::AuditStore;
pub use changes::{ChangeFeed, ChangeStore, CHANGES_CHANNEL};
pub use hot::{AccountStore, POSTGRES_HOT_POOL_SIZE};
pub use identities::IdentityStore;
pub use invitations::InvitationStore;
pub use orgs::OrgStore;
pub use policies::PolicyStore;
pub use projects::ProjectStore;
pub use providers::ProviderStore;
pub use runs::RunStore;
pub use sealed::SealedStore;
pub use sessions::{SessionRecord, SessionStore};
pub use sql::{is_postgres_url, Backend, SqlStore, POSTGRES_POOL_SIZE};
pub use tokens::{Rotation, TokenStore, Usage};
pub use users::UserStore;

/// Everything the token authority keeps: every aggregate's store in one.
pub trait Store:
    UserStore
    + OrgStore
    + InvitationStore
    + ProjectStore
    + TokenStore
    + PolicyStore
    + RunStore
    + AgentStore
    + IdentityStore
    + ProviderStore
    + SealedStore
    + SessionStore
    + AuditStore
    + ChangeStore
    + AccountStore
{
}

impl<T> Store for T where
    T: UserStore
        + OrgStore
        + InvitationStore
        + ProjectStore
        + TokenStore
        + PolicyStore
        + RunStore
        + AgentStore
        + IdentityStore
        + ProviderStore
        + SealedStore
        + SessionStore
        + AuditStore
        + ChangeStore
        + AccountStore
        + ?Sized
{
}
