//! Tessera's desktop shell: the Tauri 2 process behind the Svelte UI in `ui/`.
//!
//! The UI is a client of the REST API and calls it itself; the shell does only what a webview
//! must not or cannot: run the embedded API server in local mode, hold the login session (in
//! memory), put token values on the clipboard and wipe them, and keep the preferences file.
//! Command bodies live in [`shell`], [`clipboard`] and [`local`], which run without a window;
//! [`commands`] is the thin Tauri layer over them.

pub mod api;
pub mod attention;
#[cfg(test)]
mod bindings;
pub mod clipboard;
pub mod commands;
pub mod error;
pub mod local;
pub mod preferences;
pub mod ready;
pub mod session;
pub mod shell;
pub mod sign_in;
pub mod webview;

use std::sync::Arc;

use tauri::{Manager, RunEvent};
use tauri_plugin_store::StoreExt;
use tessera_auth::local::KeyPlace;
use tessera_auth::secret_store::{namespace_for, LazyStore};
use tessera_core::clock::SystemClock;
use tessera_core::DataDir;

pub use error::{Error, Result};
pub use shell::Shell;

/// The command-line flag that signs in locally at start, skipping the sign-in screen.
pub const LOCAL_FLAG: &str = "--local";
/// The preferences file, in the configuration folder (the data directory under `TESSERA_DATA_DIR`).
pub const PREFERENCES_FILE: &str = "desktop-preferences.json";

/// Logs to stderr; `RUST_LOG` overrides the default of Tessera's own messages at `info`.
fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new("warn,tessera_desktop=info,tessera_server=info,tessera_core=info")
    });
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).try_init();
}

/// `TESSERA_KEY_FILE=1`: keep the session signing key in a file instead of the keyring, exactly
/// as `tessera serve --key-file` does (for machines without a Secret Service).
fn key_file_opted_in() -> bool {
    std::env::var("TESSERA_KEY_FILE").is_ok_and(|v| !matches!(v.trim(), "" | "0" | "false" | "no" | "off"))
}

/// Empties the clipboard of a token value still waiting for its clear, then lets the clipboard
/// go. Off the main thread, and for a second at most: reading a clipboard that the webview owns
/// from the main thread would wait for the main thread.
async fn clear_clipboard_on_exit<R: tauri::Runtime>(app: &tauri::AppHandle<R>) {
    let app = app.clone();
    let clear = tauri::async_runtime::spawn_blocking(move || {
        let clipboard = app.state::<clipboard::SystemClipboard>();
        if let Err(e) = app.state::<clipboard::PendingClear>().clear_now(&*clipboard) {
            tracing::warn!(code = e.code(), "could not clear the clipboard on exit");
        }
        clipboard.close();
    });
    if tokio::time::timeout(std::time::Duration::from_secs(1), clear).await.is_err() {
        tracing::warn!("the clipboard did not answer on exit");
    }
}

/// A terminal's Ctrl+C (SIGINT) or `kill` (SIGTERM, also what a desktop session sends its
/// programs when it ends) closes the app the way closing its window does, through its exit
/// path: the clipboard cleared of a token value still waiting for its clear, the embedded server
/// stopped after its last write. A second signal while that runs ends the app at once. SIGHUP
/// is left alone, so `nohup` still keeps the app open when its terminal closes.
#[cfg(unix)]
fn exit_on_signals<R: tauri::Runtime>(app: tauri::AppHandle<R>) {
    use tokio::signal::unix::{signal, SignalKind};
    tauri::async_runtime::spawn(async move {
        let (mut term, mut int) = match (signal(SignalKind::terminate()), signal(SignalKind::interrupt())) {
            (Ok(t), Ok(i)) => (t, i),
            (Err(e), _) | (_, Err(e)) => {
                tracing::warn!(error = %e, "cannot listen for signals: they end the app without its exit path");
                return;
            }
        };
        for first in [true, false] {
            let name = tokio::select! {
                _ = term.recv() => "SIGTERM",
                _ = int.recv() => "SIGINT",
            };
            if first {
                tracing::info!(signal = name, "exiting");
                app.exit(0);
            } else {
                tracing::warn!(signal = name, "a second signal: exiting at once");
                std::process::exit(1);
            }
        }
    });
}

/// Runs the app until its window closes.
pub fn run() -> Result<(), Box<dyn std::error::Error>> {
    ready::started();
    init_tracing();
    let start_locally = std::env::args().skip(1).any(|a| a == LOCAL_FLAG);
    let app = tauri::Builder::default()
        // First, so a second launch hands over to the running app before anything else starts.
        .plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| {
            if let Some(window) = app.get_webview_window("main") {
                let _ = window.unminimize();
                let _ = window.show();
                let _ = window.set_focus();
            }
        }))
        .plugin(tauri_plugin_window_state::Builder::new().build())
        .plugin(tauri_plugin_store::Builder::new().build())
        .plugin(tauri_plugin_opener::init())
        .plugin(webview::plugin())
        .manage(clipboard::PendingClear::default())
        .manage(clipboard::SystemClipboard::default())
        .setup(move |app| {
            ready::mark("shell-setup");
            let data_dir = DataDir::from_env()?;
            data_dir.create()?;
            let preferences = app.store(preferences::file(data_dir.path(), data_dir.config()))?;
            let key_place = if key_file_opted_in() { KeyPlace::File } else { KeyPlace::Keyring };
            let browser = Arc::new(sign_in::SystemBrowser(app.handle().clone()));
            // Connected when the session is first restored, off this thread: connecting here
            // held up the window's page by about 17 ms. One connection for the kept logins and
            // the embedded server. Without a keyring the app stays signed in only while it runs.
            let keyring = Some(Arc::new(LazyStore::keyring(&namespace_for(data_dir.path()))));
            let options = shell::Options { start_locally, key_place, keyring, device_name: shell::device_name() };
            let announced = attention::Announced::load(Some(data_dir.config().join(attention::ANNOUNCED_FILE)));
            let shell = Shell::new(data_dir, preferences, Arc::new(SystemClock), browser, options)?;
            app.manage(shell);
            app.manage(announced);
            // Without a tray (a desktop that has none) the app works as before.
            if let Err(e) = attention::tray(app) {
                tracing::warn!(error = %e, "no tray icon");
            }
            // Start the embedded server, renew the kept login (or sign in locally with --local)
            // and ask for the first screen's data while the window loads, so the UI's first
            // questions find their answers ready.
            let handle = app.handle().clone();
            tauri::async_runtime::spawn(async move {
                if let Err(e) = handle.state::<Shell>().launch().await {
                    tracing::warn!(code = e.code(), "{e}");
                }
            });
            ready::mark("shell-ready");
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::server_info,
            commands::current_session,
            commands::first_answers,
            commands::start_local,
            commands::sign_in,
            commands::cancel_sign_in,
            commands::sign_out,
            commands::link_identity,
            commands::copy_to_clipboard,
            commands::clear_clipboard_if_unchanged,
            commands::get_preferences,
            commands::set_preferences,
            commands::mark_ready,
            commands::attention_changed,
        ])
        .build(tauri::generate_context!("../tauri.conf.json"))?;
    #[cfg(unix)]
    exit_on_signals(app.handle().clone());
    app.run(|app, event| {
        if let RunEvent::Exit = event {
            tauri::async_runtime::block_on(async {
                clear_clipboard_on_exit(app).await;
                app.state::<Shell>().shutdown().await;
            });
        }
    });
    Ok(())
}
