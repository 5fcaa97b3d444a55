//! A bare Tauri window, built the same way as the app (same crate, Tauri features, capability,
//! profile and web view drawing settings), that loads a trivial page and marks when it is
//! shown: the baseline that `bench/desktop.sh` measures the app against.

#[tauri::command]
fn mark_ready(what: String) {
    tessera_desktop::ready::mark(&what);
}

fn main() -> std::process::ExitCode {
    // The same launch marks as the app's shell (`shell-start` here, `shell-setup` below), so the
    // benchmark shows the two side by side.
    tessera_desktop::ready::started();
    let context = tauri::generate_context!("examples/bare/tauri.conf.json");
    match tauri::Builder::default()
        .plugin(tessera_desktop::webview::plugin())
        .invoke_handler(tauri::generate_handler![mark_ready])
        .setup(|_| {
            tessera_desktop::ready::mark("shell-setup");
            Ok(())
        })
        .run(context)
    {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bare: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
