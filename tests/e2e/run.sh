#!/usr/bin/env bash
# End-to-end test of the desktop app: the real binary in a real WebKitGTK window under Xvfb,
# driven over WebDriver (tauri-driver + WebKitWebDriver) by tests/e2e/desktop.mjs.
#
# Hermetic: the app gets an empty data directory, a fresh HOME with empty XDG folders, and a
# private D-Bus session with its own unlocked gnome-keyring (tests/keyring/with-keyring.sh): the
# session signing key and code-host tokens live in that keyring, and single-instance registers
# its name on that bus. A test OpenID provider (tests/idp) runs on 127.0.0.1 for the sign-in
# steps, and tests/e2e/browser.mjs plays the web browser ($BROWSER). Nothing touches the real
# home folder or keyring. Screenshots of each pane go to artifacts/screenshots/ (kept on failure).
#
#   tests/e2e/run.sh                  build the UI and the debug app, then run
#   TESSERA_E2E_APP=path tests/e2e/run.sh   run against an already built binary
#   (TESSERA_E2E_SERVER=path likewise for the `tessera` binary that plays the team server)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"

missing=()
for tool in xvfb-run dbus-run-session gnome-keyring-daemon WebKitWebDriver openssl node npm cargo; do
    command -v "$tool" >/dev/null || missing+=("$tool")
done
if ((${#missing[@]})); then
    echo "e2e: missing ${missing[*]}: install xvfb, dbus, gnome-keyring, webkit2gtk-driver, openssl, Node.js 20 and Rust (see make setup)" >&2
    exit 1
fi
if ! command -v tauri-driver >/dev/null; then
    export PATH="$HOME/.cargo/bin:$PATH"
    command -v tauri-driver >/dev/null || cargo install tauri-driver --locked
fi

[ -d tests/idp/node_modules ] || (cd tests/idp && npm ci --no-audit --no-fund --loglevel=error)

app=${TESSERA_E2E_APP:-}
if [ -z "$app" ]; then
    [ -d ui/node_modules ] || (cd ui && npm ci --no-audit --no-fund)
    (cd ui && npm run build >/dev/null)
    # One build of both binaries, as the package test and schemathesis make them: each other
    # selection of packages unifies features differently and compiles the workspace again.
    cargo build -p tessera-desktop -p tessera-cli
    app=$root/target/debug/tessera-desktop
fi
app=$(realpath "$app")
# The team server the app is pointed at in the last steps: the `tessera` command.
server=${TESSERA_E2E_SERVER:-}
if [ -z "$server" ]; then
    cargo build -p tessera-desktop -p tessera-cli
    server=$root/target/debug/tessera
fi
server=$(realpath "$server")

shots=$root/artifacts/screenshots
rm -rf "$shots"
mkdir -p "$shots"

data=$(mktemp -d)
trap 'rm -rf "$data"' EXIT

# The test's environment, and so the app's: nothing of the caller's session leaks in.
# with-keyring.sh adds a fresh HOME and XDG folders and the private bus.
env -i \
    PATH="$PATH" LANG=C.UTF-8 USER=e2e HOME="$HOME" \
    TESSERA_DATA_DIR="$data" \
    TESSERA_E2E_APP="$app" \
    TESSERA_E2E_SERVER="$server" \
    TESSERA_E2E_SCREENSHOTS="$shots" \
    RUST_LOG="${RUST_LOG:-warn}" \
    tests/keyring/with-keyring.sh \
    xvfb-run -a -s "-screen 0 1280x800x24" \
    node tests/e2e/desktop.mjs
