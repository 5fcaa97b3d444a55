//! The verification cache: what a credential proved when it was last checked against the store,
//! kept in process (the `moka` cache, bounded), keyed by the SHA-256 of the presented value; and
//! beside it each account's `GET /me` lists (linked identities, organizations with the role in
//! each), keyed by the account's id.
//!
//! Honest invalidation, by generation: every entry records the generation current *before* the
//! store was read for it, and is used only while that is still the current generation. Any change
//! to tokens, sessions, accounts, identities, organizations or memberships moves the generation
//! (the store's triggers count every such write; see [`crate::authority::Authority::check_changes`] and
//! `spawn_change_watcher`), so an entry read before a change is never served after it, even one
//! that a request still in flight inserts late. While changes cannot be heard (the PostgreSQL
//! broadcast connection is down) the cache is bypassed. Expiry is checked on every use against
//! the clock by the caller, and no entry lives longer than [`TIME_TO_LIVE`].

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::authority::Credential;
use crate::model::{Identity, OrgWithRole};

/// The most entries kept; the least recently and least frequently used go first.
pub const CAPACITY: u64 = 100_000;

/// The longest an entry is kept, whatever happens.
pub const TIME_TO_LIVE: Duration = Duration::from_secs(60);

/// One verified credential.
#[derive(Debug)]
struct Entry {
    generation: u64,
    credential: Credential,
}

/// One account's `GET /me` lists.
#[derive(Debug)]
struct Lists {
    generation: u64,
    identities: Vec<Identity>,
    orgs: Vec<OrgWithRole>,
}

/// The cache of verified credentials and of the lists `GET /me` answers with.
pub struct VerifyCache {
    entries: moka::sync::Cache<[u8; 32], Arc<Entry>>,
    lists: moka::sync::Cache<String, Arc<Lists>>,
    generation: AtomicU64,
    /// Whether changes made elsewhere are being heard; while not, nothing is served or kept.
    hearing: AtomicBool,
}

impl std::fmt::Debug for VerifyCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifyCache")
            .field("entries", &self.entries.entry_count())
            .field("generation", &self.generation.load(Ordering::Acquire))
            .field("hearing", &self.hearing.load(Ordering::Acquire))
            .finish()
    }
}

impl Default for VerifyCache {
    fn default() -> Self {
        Self::new(CAPACITY)
    }
}

impl VerifyCache {
    /// A cache of at most `capacity` entries, hearing changes (a single process: nothing else
    /// writes).
    pub fn new(capacity: u64) -> Self {
        Self {
            entries: moka::sync::Cache::builder().max_capacity(capacity).time_to_live(TIME_TO_LIVE).build(),
            lists: moka::sync::Cache::builder().max_capacity(capacity).time_to_live(TIME_TO_LIVE).build(),
            generation: AtomicU64::new(0),
            hearing: AtomicBool::new(true),
        }
    }

    /// The generation to record with what is about to be read from the store.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// What `key` proved, if it was verified in the current generation.
    pub fn get(&self, key: &[u8; 32]) -> Option<Credential> {
        if !self.hearing.load(Ordering::Acquire) {
            return None;
        }
        let entry = self.entries.get(key)?;
        (entry.generation == self.generation()).then(|| entry.credential.clone())
    }

    /// Keeps what `key` proved, read from the store in `generation`.
    pub fn insert(&self, key: [u8; 32], generation: u64, credential: Credential) {
        if self.hearing.load(Ordering::Acquire) && generation == self.generation() {
            self.entries.insert(key, Arc::new(Entry { generation, credential }));
        }
    }

    /// `user_id`'s identities and organizations, if they were read in the current generation.
    pub fn lists(&self, user_id: &str) -> Option<(Vec<Identity>, Vec<OrgWithRole>)> {
        if !self.hearing.load(Ordering::Acquire) {
            return None;
        }
        let entry = self.lists.get(user_id)?;
        (entry.generation == self.generation()).then(|| (entry.identities.clone(), entry.orgs.clone()))
    }

    /// Keeps `user_id`'s identities and organizations, read from the store in `generation`.
    pub fn keep_lists(&self, user_id: &str, generation: u64, identities: &[Identity], orgs: &[OrgWithRole]) {
        if self.hearing.load(Ordering::Acquire) && generation == self.generation() {
            let lists = Lists { generation, identities: identities.to_vec(), orgs: orgs.to_vec() };
            self.lists.insert(user_id.to_owned(), Arc::new(lists));
        }
    }

    /// Something changed: nothing verified or listed before is served again.
    pub fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        self.entries.invalidate_all();
        self.lists.invalidate_all();
    }

    /// Whether changes made elsewhere are heard; when they stop being heard the cache is bypassed,
    /// and when they are heard again it starts empty (what was missed is unknown).
    pub fn set_hearing(&self, hearing: bool) {
        if !hearing {
            self.hearing.store(false, Ordering::Release);
            self.invalidate();
        } else if !self.hearing.load(Ordering::Acquire) {
            self.invalidate();
            self.hearing.store(true, Ordering::Release);
        }
    }

    /// Whether changes are heard now.
    pub fn is_hearing(&self) -> bool {
        self.hearing.load(Ordering::Acquire)
    }

    /// How many entries are kept (approximately: moka counts lazily).
    pub fn len(&self) -> u64 {
        self.entries.run_pending_tasks();
        self.entries.entry_count()
    }

    /// Whether none is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::OrgRole;
    use chrono::{DateTime, Utc};

    fn org(name: &str) -> OrgWithRole {
        OrgWithRole {
            id: format!("org_{name}"),
            name: name.to_owned(),
            created_at: DateTime::<Utc>::UNIX_EPOCH,
            role: Some(OrgRole::Member),
        }
    }

    #[test]
    fn lists_read_before_a_change_are_never_served_after_it() {
        let cache = VerifyCache::new(10);
        let before = cache.generation();
        cache.keep_lists("usr_a", before, &[], &[org("acme")]);
        assert_eq!(cache.lists("usr_a").map(|(_, o)| o), Some(vec![org("acme")]));
        assert_eq!(cache.lists("usr_b"), None);

        // A read that started before a change and finishes after it is not kept.
        let started = cache.generation();
        cache.invalidate();
        assert_eq!(cache.lists("usr_a"), None, "a change drops what was listed");
        cache.keep_lists("usr_a", started, &[], &[org("stale")]);
        assert_eq!(cache.lists("usr_a"), None, "a late read from before the change is not kept");

        let now = cache.generation();
        cache.keep_lists("usr_a", now, &[], &[]);
        assert_eq!(cache.lists("usr_a"), Some((vec![], vec![])));
    }

    #[test]
    fn lists_are_neither_kept_nor_served_while_changes_are_not_heard() {
        let cache = VerifyCache::new(10);
        cache.keep_lists("usr_a", cache.generation(), &[], &[org("acme")]);
        cache.set_hearing(false);
        assert_eq!(cache.lists("usr_a"), None);
        cache.keep_lists("usr_a", cache.generation(), &[], &[org("acme")]);
        cache.set_hearing(true);
        assert_eq!(cache.lists("usr_a"), None, "heard again, the cache starts empty");
    }
}
