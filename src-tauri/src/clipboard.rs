//! Copying a token value and clearing it again. The value passes through here and nowhere else in
//! the shell and is never logged. After a copy the shell keeps only the value's SHA-256 and a
//! ticket; when the delay is up it clears the clipboard only if the clipboard still hashes to the
//! same value and no later copy took over, so something the person copied since is left alone.
//! The shell owns that clear, not the webview: the reveal dialog can forget the value when it
//! closes, and no timer in the page holds it for minutes.

use std::sync::Mutex;
use std::time::Duration;

use tessera_core::token;
use tessera_core::Secret;

use crate::error::{Error, Result};
use crate::preferences::{MAX_CLEAR_SECONDS, MIN_CLEAR_SECONDS};

/// The system clipboard, as the shell needs it.
pub trait Clipboard {
    /// Puts `text` on the clipboard, asking clipboard managers not to keep it in their history.
    fn write_secret(&self, text: &str) -> Result<()>;
    /// What the clipboard holds as text.
    fn read_text(&self) -> Result<String>;
    /// Empties the clipboard.
    fn clear(&self) -> Result<()>;
}

/// One copy, waiting for its clear; a later copy supersedes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ticket(u64);

/// The copy the shell will clear: the value's hash, never the value.
#[derive(Debug, Default)]
pub struct PendingClear(Mutex<Pending>);

#[derive(Debug, Default)]
struct Pending {
    copies: u64,
    /// The latest copy and the SHA-256 of its value, until it is cleared.
    latest: Option<(Ticket, Vec<u8>)>,
}

impl PendingClear {
    fn pending(&self) -> std::sync::MutexGuard<'_, Pending> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Copies `text` and remembers its hash for [`PendingClear::clear`].
    pub fn copy(&self, clipboard: &dyn Clipboard, text: &str) -> Result<Ticket> {
        clipboard.write_secret(text)?;
        let mut pending = self.pending();
        pending.copies += 1;
        let ticket = Ticket(pending.copies);
        pending.latest = Some((ticket, token::hash(text)));
        Ok(ticket)
    }

    /// When the delay of copy `ticket` is up: empties the clipboard if that copy is still the
    /// latest and the clipboard still holds its value. Returns whether it did.
    pub fn clear(&self, clipboard: &dyn Clipboard, ticket: Ticket) -> Result<bool> {
        let copied = {
            let mut pending = self.pending();
            match pending.latest.take_if(|(latest, _)| *latest == ticket) {
                Some((_, hash)) => hash,
                // A later copy restarted the delay; its own clear decides.
                None => return Ok(false),
            }
        };
        if !holds(clipboard, &copied) {
            return Ok(false);
        }
        clipboard.clear()?;
        Ok(true)
    }
}

/// How long a copied value may stay on the clipboard: `seconds`, within what the preferences
/// allow.
pub fn clear_delay(seconds: u32) -> Duration {
    Duration::from_secs(seconds.clamp(MIN_CLEAR_SECONDS, MAX_CLEAR_SECONDS).into())
}

/// Whether the clipboard holds the value whose SHA-256 is `copied`. A clipboard that cannot be
/// read cannot be proven to hold it, so the answer is no.
fn holds(clipboard: &dyn Clipboard, copied: &[u8]) -> bool {
    match clipboard.read_text() {
        Ok(current) => token::hash(Secret::new(current).expose()) == copied,
        Err(_) => false,
    }
}

/// Empties the clipboard if it holds `text`; returns whether it did. The UI does not need it
/// (the shell clears after [`PendingClear::copy`]); it answers whether a given value is still
/// there without reading the clipboard out to the webview.
pub fn clear_if_unchanged(clipboard: &dyn Clipboard, text: &str) -> Result<bool> {
    if !holds(clipboard, &token::hash(text)) {
        return Ok(false);
    }
    clipboard.clear()?;
    Ok(true)
}

impl<R: tauri::Runtime> Clipboard for tauri_plugin_clipboard_manager::Clipboard<R> {
    fn write_secret(&self, text: &str) -> Result<()> {
        tauri_plugin_clipboard_manager::Clipboard::write_secret(self, text).map_err(clipboard_failed)
    }

    fn read_text(&self) -> Result<String> {
        tauri_plugin_clipboard_manager::Clipboard::read_text(self).map_err(clipboard_failed)
    }

    fn clear(&self) -> Result<()> {
        tauri_plugin_clipboard_manager::Clipboard::clear(self).map_err(clipboard_failed)
    }
}

/// The plugin's errors never carry clipboard contents, but only the kind of failure is kept.
/// An empty clipboard reads as an error too, which is routine, hence only a debug line.
fn clipboard_failed(e: tauri_plugin_clipboard_manager::Error) -> Error {
    tracing::debug!(error = %e, "clipboard");
    Error::Clipboard
}

#[cfg(test)]
pub(crate) mod fake {
    use super::*;

    /// An in-memory clipboard.
    #[derive(Default)]
    pub struct FakeClipboard {
        pub text: Mutex<Option<String>>,
        pub unreadable: bool,
        pub unwritable: bool,
    }

    impl Clipboard for FakeClipboard {
        fn write_secret(&self, text: &str) -> Result<()> {
            if self.unwritable {
                return Err(Error::Clipboard);
            }
            *self.text.lock().unwrap() = Some(text.to_owned());
            Ok(())
        }

        fn read_text(&self) -> Result<String> {
            if self.unreadable {
                return Err(Error::Clipboard);
            }
            self.text.lock().unwrap().clone().ok_or(Error::Clipboard)
        }

        fn clear(&self) -> Result<()> {
            *self.text.lock().unwrap() = None;
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fake::FakeClipboard;
    use super::*;

    #[test]
    fn a_copied_value_is_cleared_while_it_is_still_there() {
        let c = FakeClipboard::default();
        let pending = PendingClear::default();
        let ticket = pending.copy(&c, "tsr_pat_value").unwrap();
        assert_eq!(c.read_text().unwrap(), "tsr_pat_value");
        assert!(pending.clear(&c, ticket).unwrap());
        assert!(c.text.lock().unwrap().is_none());
    }

    #[test]
    fn something_copied_afterwards_is_left_alone() {
        let c = FakeClipboard::default();
        let pending = PendingClear::default();
        let ticket = pending.copy(&c, "tsr_pat_value").unwrap();
        *c.text.lock().unwrap() = Some("a shopping list".into());
        assert!(!pending.clear(&c, ticket).unwrap());
        assert_eq!(c.read_text().unwrap(), "a shopping list");
    }

    #[test]
    fn only_the_hash_of_the_value_is_kept() {
        let c = FakeClipboard::default();
        let pending = PendingClear::default();
        pending.copy(&c, "tsr_pat_value").unwrap();
        let kept = format!("{pending:?}");
        assert!(!kept.contains("tsr_pat_value"), "{kept}");
        let hash: String = token::hash("tsr_pat_value").iter().map(u8::to_string).collect::<Vec<_>>().join(", ");
        assert!(kept.contains(&hash), "{kept}");
    }

    #[test]
    fn copying_again_restarts_the_delay() {
        let c = FakeClipboard::default();
        let pending = PendingClear::default();
        let first = pending.copy(&c, "tsr_pat_value").unwrap();
        let second = pending.copy(&c, "tsr_pat_value").unwrap();
        assert!(!pending.clear(&c, first).unwrap(), "the first delay no longer counts");
        assert_eq!(c.read_text().unwrap(), "tsr_pat_value");
        assert!(pending.clear(&c, second).unwrap());
    }

    #[test]
    fn a_value_is_cleared_once() {
        let c = FakeClipboard::default();
        let pending = PendingClear::default();
        let ticket = pending.copy(&c, "tsr_pat_value").unwrap();
        assert!(pending.clear(&c, ticket).unwrap());
        *c.text.lock().unwrap() = Some("tsr_pat_value".into());
        assert!(!pending.clear(&c, ticket).unwrap(), "pasted back by hand: not ours to clear");
    }

    #[test]
    fn an_unreadable_or_empty_clipboard_is_not_touched() {
        let c = FakeClipboard { unreadable: true, ..Default::default() };
        let pending = PendingClear::default();
        let ticket = pending.copy(&c, "tsr_pat_value").unwrap();
        assert!(!pending.clear(&c, ticket).unwrap());
        assert_eq!(c.text.lock().unwrap().as_deref(), Some("tsr_pat_value"));
        assert!(!clear_if_unchanged(&FakeClipboard::default(), "x").unwrap());
    }

    #[test]
    fn a_failed_copy_leaves_nothing_to_clear() {
        let c = FakeClipboard { unwritable: true, ..Default::default() };
        let pending = PendingClear::default();
        assert_eq!(pending.copy(&c, "tsr_pat_value").unwrap_err().code(), "clipboard");
        assert!(pending.pending().latest.is_none());
    }

    #[test]
    fn the_test_probe_clears_only_the_value_it_names() {
        let c = FakeClipboard::default();
        *c.text.lock().unwrap() = Some("tsr_pat_value".into());
        assert!(!clear_if_unchanged(&c, "tsr_pat_other").unwrap());
        assert!(clear_if_unchanged(&c, "tsr_pat_value").unwrap());
        assert!(c.text.lock().unwrap().is_none());
    }

    #[test]
    fn the_delay_stays_within_what_the_preferences_allow() {
        assert_eq!(clear_delay(0), Duration::from_secs(5));
        assert_eq!(clear_delay(30), Duration::from_secs(30));
        assert_eq!(clear_delay(86_400), Duration::from_secs(600));
    }
}
