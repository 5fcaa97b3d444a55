//! Reads the desktop app's config from the repository root (`tauri.conf.json`), and generates a
//! permission per command so the capability in `capabilities/` can grant exactly those the UI
//! uses (`src/commands.rs` keeps the same list).

fn main() {
    println!("cargo:rerun-if-changed=../tauri.conf.json");
    println!("cargo:rerun-if-changed=src/command_names.rs");
    println!("cargo:rerun-if-changed=../ui/dist/index.html");
    // The UI is embedded in the binary: say how to build it rather than fail somewhere in codegen.
    if std::env::var_os("CARGO_FEATURE_EMBED_UI").is_some() && !std::path::Path::new("../ui/dist/index.html").exists() {
        println!("cargo:warning=ui/dist is missing: build the UI first (cd ui && npm ci && npm run build, or make ui)");
        std::process::exit(1);
    }
    let manifest = tauri_build::AppManifest::new().commands(ALL);
    let attributes = tauri_build::Attributes::new().config_path("../tauri.conf.json").app_manifest(manifest);
    if let Err(e) = tauri_build::try_build(attributes) {
        println!("cargo:warning=tauri-build: {e:#}");
        std::process::exit(1);
    }
}

include!("src/command_names.rs");
