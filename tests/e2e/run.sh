#!/usr/bin/env bash
# End-to-end test of the desktop app: the real binary in a real WebKitGTK window under Xvfb,
# driven over WebDriver (tauri-driver + WebKitWebDriver) by tests/e2e/desktop.mjs.
#
# Hermetic: the app gets empty temporary data, config and cache folders and HOME, and a private
# D-Bus session (single-instance registers its name there). Nothing touches the real home folder.
# Screenshots of each pane go to artifacts/screenshots/ (kept on failure too).
#
#   tests/e2e/run.sh                  build the UI and the debug app, then run
#   TESSERA_E2E_APP=path tests/e2e/run.sh   run against an already built binary
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"

missing=()
for tool in xvfb-run dbus-run-session WebKitWebDriver node npm cargo; do
    command -v "$tool" >/dev/null || missing+=("$tool")
done
if ((${#missing[@]})); then
    echo "e2e: missing ${missing[*]}: install xvfb, dbus, webkit2gtk-driver, Node.js 20 and Rust (see make setup)" >&2
    exit 1
fi
if ! command -v tauri-driver >/dev/null; then
    export PATH="$HOME/.cargo/bin:$PATH"
    command -v tauri-driver >/dev/null || cargo install tauri-driver --locked
fi

app=${TESSERA_E2E_APP:-}
if [ -z "$app" ]; then
    [ -d ui/node_modules ] || (cd ui && npm ci --no-audit --no-fund)
    (cd ui && npm run build >/dev/null)
    cargo build -p tessera-desktop
    app=$root/target/debug/tessera-desktop
fi
app=$(realpath "$app")

shots=$root/artifacts/screenshots
rm -rf "$shots"
mkdir -p "$shots"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp"/{home,data,config,cache,state,runtime}
chmod 700 "$tmp/runtime"

# The test's environment, and so the app's: nothing of the caller's session leaks in.
env -i \
    PATH="$PATH" LANG=C.UTF-8 USER=e2e \
    HOME="$tmp/home" \
    XDG_DATA_HOME="$tmp/home/.local/share" \
    XDG_CONFIG_HOME="$tmp/config" \
    XDG_CACHE_HOME="$tmp/cache" \
    XDG_STATE_HOME="$tmp/state" \
    XDG_RUNTIME_DIR="$tmp/runtime" \
    TESSERA_DATA_DIR="$tmp/data" \
    TESSERA_E2E_APP="$app" \
    TESSERA_E2E_SCREENSHOTS="$shots" \
    RUST_LOG="${RUST_LOG:-warn}" \
    xvfb-run -a -s "-screen 0 1280x800x24" \
    dbus-run-session -- node tests/e2e/desktop.mjs 2> >(grep -v -e '^dbus-daemon\[' -e 'Failed to set fd limit' >&2)
