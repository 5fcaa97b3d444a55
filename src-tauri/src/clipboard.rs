//! Copying a token value and wiping it again. The value passes through here and nowhere else in
//! the shell; it is never logged, and it is wiped only while the clipboard still holds it, so
//! something the person copied afterwards is left alone.

use crate::error::{Error, Result};

/// The system clipboard, as the shell needs it.
pub trait Clipboard {
    /// Puts `text` on the clipboard, asking clipboard managers not to keep it in their history.
    fn write_secret(&self, text: &str) -> Result<()>;
    /// What the clipboard holds as text.
    fn read_text(&self) -> Result<String>;
    /// Empties the clipboard.
    fn clear(&self) -> Result<()>;
}

/// Copies `text`.
pub fn copy(clipboard: &dyn Clipboard, text: &str) -> Result<()> {
    clipboard.write_secret(text)
}

/// Empties the clipboard if it still holds `text`; returns whether it did.
///
/// A clipboard that cannot be read cannot be proven to hold the value, so it is left alone.
pub fn clear_if_unchanged(clipboard: &dyn Clipboard, text: &str) -> Result<bool> {
    let Ok(current) = clipboard.read_text() else { return Ok(false) };
    if current != text {
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
    use std::sync::Mutex;

    use super::*;

    /// An in-memory clipboard.
    #[derive(Default)]
    pub struct FakeClipboard {
        pub text: Mutex<Option<String>>,
        pub unreadable: bool,
    }

    impl Clipboard for FakeClipboard {
        fn write_secret(&self, text: &str) -> Result<()> {
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
        copy(&c, "tsr_pat_value").unwrap();
        assert_eq!(c.read_text().unwrap(), "tsr_pat_value");
        assert!(clear_if_unchanged(&c, "tsr_pat_value").unwrap());
        assert!(c.text.lock().unwrap().is_none());
    }

    #[test]
    fn something_copied_afterwards_is_left_alone() {
        let c = FakeClipboard::default();
        copy(&c, "tsr_pat_value").unwrap();
        copy(&c, "a shopping list").unwrap();
        assert!(!clear_if_unchanged(&c, "tsr_pat_value").unwrap());
        assert_eq!(c.read_text().unwrap(), "a shopping list");
    }

    #[test]
    fn an_unreadable_or_empty_clipboard_is_not_touched() {
        let c = FakeClipboard { unreadable: true, ..Default::default() };
        copy(&c, "tsr_pat_value").unwrap();
        assert!(!clear_if_unchanged(&c, "tsr_pat_value").unwrap());
        assert_eq!(c.text.lock().unwrap().as_deref(), Some("tsr_pat_value"));
        assert!(!clear_if_unchanged(&FakeClipboard::default(), "x").unwrap());
    }
}
