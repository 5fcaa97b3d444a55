//! A bare Tauri window, built the same way as the app (same crate, Tauri features, capability,
//! release profile and web view drawing settings), that loads a trivial page and marks when it is
//! shown: the baseline that `bench/desktop.sh` measures the app against.

#[tauri::command]
fn mark_ready(what: String) {
    tessera_desktop::ready::mark(&what);
}

fn main() -> std::process::ExitCode {
    tessera_desktop::ready::started();
    let context = tauri::generate_context!("examples/bare/tauri.conf.json");
    match tauri::Builder::default()
        .plugin(tessera_desktop::webview::plugin())
        .invoke_handler(tauri::generate_handler![mark_ready])
        .run(context)
    {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bare: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
