//! Attention outside the window: the count on the tray icon, and a desktop notification for each
//! thing that needs attention, once. The UI reads the list from the API and hands it here; which
//! items were announced is kept in the config folder (their keys only: ids, never a value), so a
//! relaunch does not announce them again.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Mutex;

use serde::Deserialize;

use crate::error::{Error, Result};

/// The file of announced keys, in the config folder.
pub const ANNOUNCED_FILE: &str = "attention-announced.json";
/// The most items one call takes, and the longest key and text: the list comes from the webview.
const MAX_ITEMS: usize = 500;
const MAX_KEY: usize = 200;
const MAX_TEXT: usize = 400;

/// One thing that needs attention, as the UI words it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Item {
    /// What it is and what about it, e.g. `token_expiring:tok_…`.
    pub key: String,
    /// The sentence to show.
    pub text: String,
}

/// What to tell the person after a change of the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Update {
    /// How many things need attention now.
    pub count: usize,
    /// The ones never announced before, to notify now.
    pub announce: Vec<Item>,
}

/// The keys announced so far, kept in a file.
#[derive(Debug)]
pub struct Announced {
    file: Option<PathBuf>,
    keys: Mutex<BTreeSet<String>>,
}

impl Announced {
    /// The keys kept in `file` (none when there is no file or it cannot be read).
    pub fn load(file: Option<PathBuf>) -> Self {
        let keys = file
            .as_ref()
            .and_then(|f| std::fs::read(f).ok())
            .and_then(|bytes| serde_json::from_slice::<BTreeSet<String>>(&bytes).ok())
            .unwrap_or_default();
        Self { file, keys: Mutex::new(keys) }
    }

    /// Takes the current list: returns the count and the items not announced yet, and forgets
    /// keys no longer listed (a token renewed and expiring again is announced again).
    pub fn update(&self, items: Vec<Item>) -> Result<Update> {
        if items.len() > MAX_ITEMS
            || items.iter().any(|i| i.key.is_empty() || i.key.len() > MAX_KEY || i.text.len() > MAX_TEXT)
        {
            return Err(Error::InvalidArgument("the attention list is malformed.".into()));
        }
        let mut keys = self.keys.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let listed: BTreeSet<String> = items.iter().map(|i| i.key.clone()).collect();
        let announce: Vec<Item> = items.into_iter().filter(|i| !keys.contains(&i.key)).collect();
        let changed = *keys != listed;
        *keys = listed;
        let count = keys.len();
        if changed {
            self.save(&keys);
        }
        Ok(Update { count, announce })
    }

    fn save(&self, keys: &BTreeSet<String>) {
        let Some(file) = &self.file else { return };
        let written = serde_json::to_vec(keys).map_err(std::io::Error::other).and_then(|bytes| {
            let tmp = file.with_extension("json.tmp");
            std::fs::write(&tmp, bytes)?;
            std::fs::rename(&tmp, file)
        });
        if let Err(e) = written {
            tracing::warn!(error = %e, "cannot keep which attention items were announced");
        }
    }
}

/// The tray icon's id.
pub const TRAY: &str = "main";

/// The tray's icon, 64 pixels: trays draw 16 to 48. On Linux the tray writes its icon out as a
/// PNG file for the indicator; the 512-pixel window icon took about 15 ms of the window's thread
/// to encode at launch.
const TRAY_ICON: tauri::image::Image<'static> = tauri::include_image!("../icons/64x64.png");

/// Puts the tray icon up: its menu opens the window or quits, and a click opens the window
/// (where the desktop reports clicks; on Linux only the menu does).
pub fn tray<R: tauri::Runtime>(app: &tauri::App<R>) -> tauri::Result<()> {
    use tauri::menu::{Menu, MenuItem};
    use tauri::tray::{MouseButton, MouseButtonState, TrayIconBuilder, TrayIconEvent};
    let open = MenuItem::with_id(app, "open", "Open Tessera", true, None::<&str>)?;
    let quit = MenuItem::with_id(app, "quit", "Quit Tessera", true, None::<&str>)?;
    let menu = Menu::with_items(app, &[&open, &quit])?;
    let builder = TrayIconBuilder::with_id(TRAY)
        .tooltip(tooltip(0))
        .menu(&menu)
        .show_menu_on_left_click(false)
        .on_menu_event(|app, event| match event.id.as_ref() {
            "open" => show_window(app),
            "quit" => app.exit(0),
            _ => {}
        })
        .on_tray_icon_event(|tray, event| {
            if let TrayIconEvent::Click { button: MouseButton::Left, button_state: MouseButtonState::Up, .. } = event {
                show_window(tray.app_handle());
            }
        });
    builder.icon(TRAY_ICON).build(app)?;
    Ok(())
}

fn show_window<R: tauri::Runtime>(app: &tauri::AppHandle<R>) {
    use tauri::Manager;
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
}

/// Shows `update`: the count on the tray icon, a notification per new item. A desktop without a
/// notification service or tray is logged, never an error for the window.
pub fn show<R: tauri::Runtime>(app: &tauri::AppHandle<R>, update: &Update) {
    if let Some(tray) = app.tray_by_id(TRAY) {
        let _ = tray.set_tooltip(Some(tooltip(update.count)));
        let _ = tray.set_title((update.count > 0).then(|| update.count.to_string()));
    }
    for item in &update.announce {
        if let Err(e) = notify_rust::Notification::new().summary("Tessera").body(&item.text).auto_icon().show() {
            tracing::warn!(error = %e, "cannot show a desktop notification");
            break;
        }
    }
}

/// The tray icon's tooltip for `count` things.
pub fn tooltip(count: usize) -> String {
    match count {
        0 => "Tessera".to_owned(),
        1 => "Tessera: 1 thing needs your attention".to_owned(),
        n => format!("Tessera: {n} things need your attention"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(key: &str) -> Item {
        Item { key: key.into(), text: format!("{key} needs attention.") }
    }

    #[test]
    fn each_item_is_announced_once_even_across_launches() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join(ANNOUNCED_FILE);
        let a = Announced::load(Some(file.clone()));
        let first = a.update(vec![item("token_expiring:tok_1"), item("link_reconnect:idn_1")]).unwrap();
        assert_eq!(first.count, 2);
        assert_eq!(first.announce.len(), 2);
        let again = a.update(vec![item("token_expiring:tok_1"), item("link_reconnect:idn_1")]).unwrap();
        assert!(again.announce.is_empty(), "not twice");

        // The next launch remembers; a new kind of trouble with the same token is news.
        let relaunched = Announced::load(Some(file.clone()));
        let next = relaunched.update(vec![item("token_expired:tok_1"), item("link_reconnect:idn_1")]).unwrap();
        assert_eq!(next.announce, vec![item("token_expired:tok_1")]);
        assert!(!std::fs::read_to_string(&file).unwrap().contains("needs attention"), "keys only, no text");

        // Dealt with, then back: announced again.
        assert_eq!(relaunched.update(vec![]).unwrap().count, 0);
        assert_eq!(relaunched.update(vec![item("link_reconnect:idn_1")]).unwrap().announce.len(), 1);
    }

    #[test]
    fn a_malformed_list_is_refused_and_changes_nothing() {
        let a = Announced::load(None);
        a.update(vec![item("k")]).unwrap();
        for bad in [vec![item("")], vec![item(&"x".repeat(201))], (0..501).map(|i| item(&i.to_string())).collect()] {
            assert_eq!(a.update(bad).unwrap_err().code(), "invalid_argument");
        }
        assert!(a.update(vec![item("k")]).unwrap().announce.is_empty(), "still remembered");
    }

    #[test]
    fn the_tooltip_counts() {
        assert_eq!(tooltip(0), "Tessera");
        assert_eq!(tooltip(1), "Tessera: 1 thing needs your attention");
        assert_eq!(tooltip(3), "Tessera: 3 things need your attention");
    }
}
