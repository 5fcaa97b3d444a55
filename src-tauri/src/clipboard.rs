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

    /// When the app quits: empties the clipboard if the latest copy is still waiting for its clear
    /// and the clipboard still holds it, so a token value does not stay behind on the clipboard
    /// (or pass to a clipboard manager) after the app is gone. Returns whether it did.
    pub fn clear_now(&self, clipboard: &dyn Clipboard) -> Result<bool> {
        let latest = self.pending().latest.as_ref().map(|(ticket, _)| *ticket);
        match latest {
            Some(ticket) => self.clear(clipboard, ticket),
            None => Ok(false),
        }
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

/// The system clipboard, through arboard (text only). It is opened on first use, not at launch:
/// on X11 opening it connects to the display and starts a thread that serves what was copied.
#[derive(Default)]
pub struct SystemClipboard(Mutex<Option<arboard::Clipboard>>);

impl SystemClipboard {
    fn with<T>(&self, f: impl FnOnce(&mut arboard::Clipboard) -> std::result::Result<T, arboard::Error>) -> Result<T> {
        let mut slot = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let clipboard = match &mut *slot {
            Some(clipboard) => clipboard,
            // A clipboard that cannot be opened now (no display yet) is tried again next time.
            None => slot.insert(arboard::Clipboard::new().map_err(clipboard_failed)?),
        };
        f(clipboard).map_err(clipboard_failed)
    }

    /// Lets the clipboard go before the app exits (arboard asks for it to be dropped then).
    pub fn close(&self) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).take();
    }
}

impl Clipboard for SystemClipboard {
    fn write_secret(&self, text: &str) -> Result<()> {
        self.with(|c| exclude_from_history(c.set()).text(text))
    }

    fn read_text(&self) -> Result<String> {
        self.with(|c| c.get_text())
    }

    fn clear(&self) -> Result<()> {
        self.with(|c| c.clear())
    }
}

/// Asks clipboard managers not to keep the value in their history (and on Windows, not to sync
/// it to the cloud either).
fn exclude_from_history(set: arboard::Set<'_>) -> arboard::Set<'_> {
    #[cfg(windows)]
    {
        use arboard::SetExtWindows;
        set.exclude_from_monitoring()
    }
    #[cfg(target_os = "macos")]
    {
        use arboard::SetExtApple;
        set.exclude_from_history()
    }
    #[cfg(not(any(windows, target_os = "macos")))]
    {
        use arboard::SetExtLinux;
        set.exclude_from_history()
    }
}

/// arboard's errors never carry clipboard contents, but only the kind of failure is kept.
/// An empty clipboard reads as an error too, which is routine, hence only a debug line.
fn clipboard_failed(e: arboard::Error) -> Error {
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
    fn quitting_clears_a_copy_still_waiting_for_its_clear_and_nothing_else() {
        let c = FakeClipboard::default();
        let pending = PendingClear::default();
        assert!(!pending.clear_now(&c).unwrap(), "nothing was copied");
        pending.copy(&c, "tsr_pat_value").unwrap();
        assert!(pending.clear_now(&c).unwrap());
        assert!(c.text.lock().unwrap().is_none());

        let ticket = pending.copy(&c, "tsr_pat_value").unwrap();
        assert!(pending.clear(&c, ticket).unwrap());
        *c.text.lock().unwrap() = Some("a shopping list".into());
        assert!(!pending.clear_now(&c).unwrap(), "the copy was cleared already");
        pending.copy(&c, "tsr_pat_value").unwrap();
        *c.text.lock().unwrap() = Some("a shopping list".into());
        assert!(!pending.clear_now(&c).unwrap(), "copied over since");
        assert_eq!(c.read_text().unwrap(), "a shopping list");
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
