//! Time as a parameter. Domain functions take `now`; the server asks a [`Clock`] once per request,
//! so tests move a [`ManualClock`] instead of sleeping.

use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};

/// A source of the current time.
pub trait Clock: Send + Sync {
    /// The current time.
    fn now(&self) -> DateTime<Utc>;
}

/// The operating system's clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that moves only when told to, for tests of expiry.
#[derive(Debug)]
pub struct ManualClock(Mutex<DateTime<Utc>>);

impl ManualClock {
    /// A clock stopped at `start`.
    pub fn new(start: DateTime<Utc>) -> Self {
        Self(Mutex::new(start))
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        let mut t = self.0.lock().unwrap_or_else(|p| p.into_inner());
        *t += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Runs `pass` every `every` (the first time at once) until the returned task is aborted. A pass
/// that fails is logged as `what` and tried again at the next tick; ticks missed while a pass
/// ran are not made up.
pub fn spawn_every<F, Fut, E>(every: std::time::Duration, what: &'static str, pass: F) -> tokio::task::JoinHandle<()>
where
    F: Fn() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Result<(), E>> + Send,
    E: std::fmt::Display,
{
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = pass().await {
                tracing::warn!(error = %e, "{what} failed; will retry");
            }
        }
    })
}

/// Milliseconds since the epoch: how the store keeps instants.
pub fn to_millis(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

/// The instant `ms` milliseconds after the epoch; none for a number beyond any calendar date.
pub fn from_millis(ms: i64) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp_millis(ms)
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::time::Duration;

    use super::spawn_every;

    #[tokio::test]
    async fn a_failing_pass_is_retried_at_the_next_tick() {
        let passes = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&passes);
        let task = spawn_every(Duration::from_millis(5), "a test pass", move || {
            let n = counted.fetch_add(1, Ordering::SeqCst);
            async move {
                if n == 0 {
                    Err("the first pass fails")
                } else {
                    Ok(())
                }
            }
        });
        for _ in 0..200 {
            if passes.load(Ordering::SeqCst) >= 3 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        task.abort();
        assert!(passes.load(Ordering::SeqCst) >= 3, "the task kept going after a failed pass");
    }
}
