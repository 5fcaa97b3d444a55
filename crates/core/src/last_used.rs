//! `last_used_at` / `last_used_ip` without a database write per request.
//!
//! Each verification notes the use in memory; a background task writes the batch every few
//! seconds (and once more at shutdown). Responses overlay the pending values, so within one
//! process the figures are exact; another replica sees them after at most one flush interval.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, Utc};

use crate::model::Token;
use crate::store::Usage;

/// Pending uses, keyed by token id; only the latest use of each token is kept.
#[derive(Debug, Default)]
pub struct LastUsed(Mutex<HashMap<String, Usage>>);

impl LastUsed {
    /// Notes a use of `token_id` at `at` from `ip`.
    pub fn note(&self, token_id: &str, at: DateTime<Utc>, ip: Option<&str>) {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        match map.get_mut(token_id) {
            Some(u) if u.at >= at => {}
            Some(u) => {
                u.at = at;
                u.ip = ip.map(str::to_owned);
            }
            None => {
                map.insert(token_id.to_owned(), Usage { token_id: token_id.to_owned(), at, ip: ip.map(str::to_owned) });
            }
        }
    }

    /// Takes every pending use, leaving none.
    pub fn drain(&self) -> Vec<Usage> {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        map.drain().map(|(_, u)| u).collect()
    }

    /// Puts back uses whose write failed, unless newer ones arrived meanwhile.
    pub fn restore(&self, usage: Vec<Usage>) {
        for u in usage {
            self.note(&u.token_id, u.at, u.ip.as_deref());
        }
    }

    /// Applies a pending use to a token read from the store.
    pub fn overlay(&self, token: &mut Token) {
        let map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(u) = map.get(&token.id) {
            if token.last_used_at.is_none_or(|t| t < u.at) {
                token.last_used_at = Some(u.at);
                token.last_used_ip = u.ip.clone();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn keeps_only_the_latest_use() {
        let l = LastUsed::default();
        let t0 = Utc::now();
        l.note("a", t0, Some("10.0.0.1"));
        l.note("a", t0 + Duration::seconds(5), Some("10.0.0.2"));
        l.note("a", t0 + Duration::seconds(1), Some("10.0.0.3"));
        let d = l.drain();
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].ip.as_deref(), Some("10.0.0.2"));
        assert!(l.drain().is_empty());
    }
}
