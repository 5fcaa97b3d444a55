//! `tessera-desktop`: the Tessera desktop app. `--local` signs in as the local account at start.

// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() -> std::process::ExitCode {
    match tessera_desktop::run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tessera-desktop: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
