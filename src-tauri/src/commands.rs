//! The Tauri commands the UI invokes (see ui/README.md). Each one unwraps its arguments and
//! forwards to [`Shell`] or [`clipboard`]; nothing here decides anything.

use tauri::{AppHandle, Manager, Runtime, State};
use tessera_core::Secret;

use crate::attention::{self, Announced};
use crate::clipboard::{self, PendingClear, SystemClipboard};
use crate::error::Result;
use crate::preferences::Preferences;
use crate::session::Session;
use crate::shell::{FirstAnswers, ServerInfo, Shell};

include!("command_names.rs");

#[tauri::command]
pub async fn server_info(shell: State<'_, Shell>) -> Result<ServerInfo> {
    shell.server_info().await
}

#[tauri::command]
pub async fn current_session(shell: State<'_, Shell>, renew: Option<bool>) -> Result<Option<Session>> {
    shell.current_session(renew.unwrap_or(false)).await
}

#[tauri::command]
pub async fn first_answers(shell: State<'_, Shell>) -> Result<Option<FirstAnswers>> {
    Ok(shell.first_answers().await)
}

#[tauri::command]
pub async fn start_local(shell: State<'_, Shell>) -> Result<Session> {
    shell.start_local().await
}

#[tauri::command]
pub async fn sign_in(shell: State<'_, Shell>, provider_id: String) -> Result<Session> {
    shell.sign_in(&provider_id).await
}

#[tauri::command]
pub fn cancel_sign_in(shell: State<'_, Shell>) {
    shell.cancel_sign_in();
}

#[tauri::command]
pub async fn sign_out(shell: State<'_, Shell>) -> Result<()> {
    shell.sign_out().await;
    Ok(())
}

#[tauri::command]
pub async fn link_identity(shell: State<'_, Shell>, provider_id: String) -> Result<()> {
    shell.link_identity(&provider_id).await
}

// The clipboard commands are async so they run off the main thread: reading the clipboard there
// can deadlock on Linux.

/// Copies `text` and clears it `clear_after` seconds later if the clipboard still holds it; the
/// value is dropped when this returns, and only its hash waits for the clear.
#[tauri::command]
pub async fn copy_to_clipboard<R: Runtime>(
    app: AppHandle<R>,
    pending: State<'_, PendingClear>,
    text: String,
    clear_after: u32,
) -> Result<()> {
    let ticket = pending.copy(&*app.state::<SystemClipboard>(), Secret::new(text).expose())?;
    tauri::async_runtime::spawn(async move {
        tokio::time::sleep(clipboard::clear_delay(clear_after)).await;
        // A failure is logged where it happens; nobody is waiting for the answer.
        let _ = app.state::<PendingClear>().clear(&*app.state::<SystemClipboard>(), ticket);
    });
    Ok(())
}

#[tauri::command]
pub async fn clear_clipboard_if_unchanged(clipboard: State<'_, SystemClipboard>, text: String) -> Result<bool> {
    let text = Secret::new(text);
    clipboard::clear_if_unchanged(&*clipboard, text.expose())
}

#[tauri::command]
pub fn get_preferences(shell: State<'_, Shell>) -> Preferences {
    shell.preferences()
}

#[tauri::command]
pub async fn set_preferences(shell: State<'_, Shell>, preferences: Preferences) -> Result<Preferences> {
    shell.set_preferences(preferences).await
}

#[tauri::command]
pub fn mark_ready(what: String) {
    crate::ready::mark(&what);
}

/// The tray's count and a notification for each item not announced before. Async, so it runs
/// off the main thread: it writes the announced file and waits for the notification service,
/// and the window draws meanwhile.
#[tauri::command]
pub async fn attention_changed<R: Runtime>(
    app: AppHandle<R>,
    announced: State<'_, Announced>,
    items: Vec<attention::Item>,
) -> Result<()> {
    let update = announced.update(items)?;
    attention::show(&app, &update);
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::ALL;

    #[test]
    fn the_capability_grants_exactly_the_shell_commands() {
        let capability: serde_json::Value = serde_json::from_str(include_str!("../capabilities/main.json")).unwrap();
        let granted: BTreeSet<&str> =
            capability["permissions"].as_array().unwrap().iter().filter_map(|p| p.as_str()).collect();
        let expected: Vec<String> = ALL.iter().map(|c| format!("allow-{}", c.replace('_', "-"))).collect();
        assert_eq!(granted, expected.iter().map(String::as_str).collect::<BTreeSet<_>>());
        assert_eq!(capability["windows"], serde_json::json!(["main"]));

        // build.rs generates the permissions from this very list.
        assert!(include_str!("../build.rs").contains("include!(\"src/command_names.rs\")"));
    }
}
