//! Throttles, per client address and per trigger token, on `governor`'s keyed GCRA limiters.
//!
//! Failed authentication is throttled by failures only, so a client that authenticates properly
//! is never slowed by its own traffic (the desktop's embedded server has one client, itself, on
//! 127.0.0.1). Once an address has spent its failures, every credential it presents is refused
//! with 429 before the store is asked, until the limiter lets a failure through again — otherwise
//! a throttled guesser would still have every guess checked.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// A sustained rate with a burst allowance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    /// How many a minute, sustained.
    pub per_minute: u32,
    /// How many at once before the sustained rate applies.
    pub burst: u32,
}

impl Rate {
    /// `per_minute` a minute with a burst of as many.
    pub const fn per_minute(per_minute: u32) -> Self {
        Self { per_minute, burst: per_minute }
    }

    fn quota(self) -> Quota {
        let per_minute = NonZeroU32::new(self.per_minute).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(self.burst).unwrap_or(NonZeroU32::MIN);
        Quota::per_minute(per_minute).allow_burst(burst)
    }
}

/// The rates of one server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Failed authentications (a bad or unknown credential) per client address.
    pub failed_auth: Rate,
    /// Sign-ins and identity links (`POST /sessions`, `POST /user/identities`) per client address.
    pub sign_in: Rate,
    /// Device-flow starts and polls (`POST /sessions/device`) per client address.
    pub device: Rate,
    /// Runs triggered by one trigger token.
    pub trigger: Rate,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            failed_auth: Rate { per_minute: 30, burst: 30 },
            sign_in: Rate { per_minute: 20, burst: 10 },
            // A device flow polls every 5 seconds (12 a minute); room for two at once.
            device: Rate { per_minute: 30, burst: 10 },
            trigger: Rate { per_minute: 60, burst: 20 },
        }
    }
}

/// The throttles' state: one limiter per kind of request, keyed by client or token.
#[derive(Debug)]
pub struct Throttles {
    failed_auth: DefaultKeyedRateLimiter<IpAddr>,
    /// Addresses whose failures are spent, with when the limiter lets one through again.
    blocked: Mutex<HashMap<IpAddr, Instant>>,
    sign_in: DefaultKeyedRateLimiter<IpAddr>,
    device: DefaultKeyedRateLimiter<IpAddr>,
    trigger: DefaultKeyedRateLimiter<String>,
    clock: DefaultClock,
}

/// How many blocked addresses are kept before expired ones are swept on insert.
const BLOCKED_SWEEP_AT: usize = 10_000;

impl Throttles {
    /// Fresh throttles at `limits`.
    pub fn new(limits: Limits) -> Self {
        Self {
            failed_auth: RateLimiter::keyed(limits.failed_auth.quota()),
            blocked: Mutex::new(HashMap::new()),
            sign_in: RateLimiter::keyed(limits.sign_in.quota()),
            device: RateLimiter::keyed(limits.device.quota()),
            trigger: RateLimiter::keyed(limits.trigger.quota()),
            clock: DefaultClock::default(),
        }
    }

    /// Refuses, with the time to wait, when `ip` has spent its failed authentications.
    pub fn check_failures(&self, ip: IpAddr) -> Result<(), Duration> {
        let key = key_of(ip);
        let mut blocked = self.blocked.lock().unwrap_or_else(|p| p.into_inner());
        match blocked.get(&key).map(|until| until.saturating_duration_since(Instant::now())) {
            Some(wait) if !wait.is_zero() => Err(wait),
            Some(_) => {
                blocked.remove(&key);
                Ok(())
            }
            None => Ok(()),
        }
    }

    /// Counts a failed authentication from `ip`; refuses, with the time to wait, once its
    /// failures are spent (and keeps refusing its credentials until then).
    pub fn note_failure(&self, ip: IpAddr) -> Result<(), Duration> {
        let key = key_of(ip);
        let Err(not_until) = self.failed_auth.check_key(&key) else { return Ok(()) };
        let wait = not_until.wait_time_from(self.clock.now());
        let mut blocked = self.blocked.lock().unwrap_or_else(|p| p.into_inner());
        if blocked.len() >= BLOCKED_SWEEP_AT {
            let now = Instant::now();
            blocked.retain(|_, until| *until > now);
        }
        blocked.insert(key, Instant::now() + wait);
        Err(wait)
    }

    /// Counts a sign-in attempt from `ip`.
    pub fn sign_in(&self, ip: IpAddr) -> Result<(), Duration> {
        self.sign_in.check_key(&key_of(ip)).map_err(|n| n.wait_time_from(self.clock.now()))
    }

    /// Counts a device-flow request from `ip`.
    pub fn device(&self, ip: IpAddr) -> Result<(), Duration> {
        self.device.check_key(&key_of(ip)).map_err(|n| n.wait_time_from(self.clock.now()))
    }

    /// Counts a run triggered by the trigger token `token_id`.
    pub fn trigger(&self, token_id: &str) -> Result<(), Duration> {
        self.trigger.check_key(&token_id.to_owned()).map_err(|n| n.wait_time_from(self.clock.now()))
    }

    /// Forgets clients whose limits have fully recovered, so memory follows live clients only.
    pub fn sweep(&self) {
        self.failed_auth.retain_recent();
        self.sign_in.retain_recent();
        self.device.retain_recent();
        self.trigger.retain_recent();
        let now = Instant::now();
        self.blocked.lock().unwrap_or_else(|p| p.into_inner()).retain(|_, until| *until > now);
    }
}

/// The key an address is throttled under: IPv4 as is (IPv4-mapped IPv6 too), IPv6 by its /64,
/// since one host usually holds a whole /64 and could otherwise rotate through it.
fn key_of(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

/// The `Retry-After` value for a wait: whole seconds, at least one.
pub fn retry_after_secs(wait: Duration) -> u64 {
    wait.as_secs() + u64::from(wait.subsec_nanos() > 0).max(u64::from(wait.is_zero()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_are_throttled_per_address_and_successes_never_count() {
        let t = Throttles::new(Limits { failed_auth: Rate { per_minute: 1, burst: 3 }, ..Limits::default() });
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        for _ in 0..3 {
            assert!(t.check_failures(a).is_ok());
            assert!(t.note_failure(a).is_ok());
        }
        let wait = t.note_failure(a).unwrap_err();
        assert!(wait > Duration::from_secs(10) && wait <= Duration::from_secs(60), "{wait:?}");
        assert!(t.check_failures(a).is_err(), "a spent address is refused before it is checked");
        assert!(t.check_failures(b).is_ok(), "another address is not affected");
        assert!(t.note_failure(b).is_ok());
    }

    #[test]
    fn ipv6_clients_share_their_64_and_mapped_ipv4_is_ipv4() {
        let a: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(key_of(a), key_of(b));
        assert_ne!(key_of(a), key_of(c));
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().unwrap();
        assert_eq!(key_of(mapped), "192.0.2.7".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        assert_eq!(retry_after_secs(Duration::ZERO), 1);
        assert_eq!(retry_after_secs(Duration::from_millis(1)), 1);
        assert_eq!(retry_after_secs(Duration::from_secs(2)), 2);
        assert_eq!(retry_after_secs(Duration::from_millis(2001)), 3);
    }
}
