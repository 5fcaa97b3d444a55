//! Launch timing: the UI marks moments a person would notice (the token list first shown), so a
//! benchmark can measure launch-to-ready from outside without driving the window.

use std::io::Write;
use std::sync::OnceLock;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// If set, each mark is appended to this file as `<what> <unix time in nanoseconds>`.
pub const ENV: &str = "TESSERA_READY_FILE";

static STARTED: OnceLock<Instant> = OnceLock::new();

/// Notes when the process started its main function, and marks it (`shell-start`): the app and
/// the launch benchmark's bare window both call this first, so their launches line up.
pub fn started() {
    STARTED.get_or_init(Instant::now);
    mark("shell-start");
}

/// Whether `what` is a mark name: a short word in lower case with dashes.
pub fn valid(what: &str) -> bool {
    (1..=32).contains(&what.len()) && what.chars().all(|c| c.is_ascii_lowercase() || c == '-')
}

/// Records that `what` happened now.
pub fn mark(what: &str) {
    if !valid(what) {
        return;
    }
    let since_start = STARTED.get().map(|t| t.elapsed().as_millis());
    tracing::debug!(what, since_start_ms = since_start, "ready");
    let Some(path) = std::env::var_os(ENV) else { return };
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or_default();
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .and_then(|mut f| writeln!(f, "{what} {nanos}"));
    if let Err(e) = written {
        tracing::warn!(error = %e, "could not write the ready mark");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_short_lowercase_names_are_marks() {
        assert!(valid("token-list"));
        assert!(!valid(""));
        assert!(!valid("Token list"));
        assert!(!valid("tsr_pat_0123456789"));
        assert!(!valid(&"a".repeat(33)));
    }
}
