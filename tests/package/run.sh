#!/usr/bin/env bash
# The .deb as a person meets it: installed with apt-get on this machine, the installed app started
# under Xvfb to its token list, the installed `tessera --version`, then the package removed — and
# the person's data and configuration folders left exactly as they were (same files, same bytes),
# the binaries gone.
#
#   tests/package/run.sh              package the debug build (`make test` has built it) and test it
#   tests/package/run.sh FILE.deb     test that package instead (the release one `make package` made)
#
# Runs as root (it installs a package) on Debian 12 or a relative. The app runs with a fresh HOME,
# empty XDG folders and a private D-Bus session with its own unlocked keyring
# (tests/keyring/with-keyring.sh), and finds its folders by the OS's convention there. It stops
# rather than touch a Tessera that was installed before it, and removes its own package on every
# exit, so the machine is left as it was found. Two runs on one machine take turns (a lock).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"

PKG=tessera
BINARIES=(/usr/bin/tessera /usr/bin/tessera-desktop)
# Every size the icon theme gets, as hicolor folder names.
ICON_SIZES=(16x16 24x24 32x32 48x48 64x64 128x128 256x256 512x512)

die() {
    echo "package test: $*" >&2
    exit 1
}

installed() {
    [ "$(dpkg-query -W -f='${Status}' "$PKG" 2>/dev/null || true)" = "install ok installed" ]
}

apt() {
    PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin" DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 -y -q "$@"
}

# The files below the data and configuration folders, with their modes, sizes and digests.
snapshot() {
    local dir
    for dir in "$@"; do
        [ -e "$dir" ] || { echo "missing $dir"; continue; }
        (cd "$dir" && find . -printf '%y %m %s %p\n' | sort && find . -type f -print0 | sort -z | xargs -0 -r sha256sum)
    done
}

# Part two, inside the private session and display: the app, then the removal.
inside() {
    local work=$TESSERA_PACKAGE_WORK
    local data=$XDG_DATA_HOME/tessera config=$XDG_CONFIG_HOME/tessera
    [ ! -e "$data" ] || die "the fresh HOME already holds $data"

    TESSERA_READY_FILE=$work/ready TESSERA_PACKAGE_SHOT=$work/token-list.png \
        node tests/package/installed.mjs

    # The app is gone before its folders are read: nothing may write there any more.
    # Allowed 30 s: on a loaded machine the app's shutdown (the embedded server's last write) is slow.
    local i
    for i in $(seq 300); do
        running=$(for exe in /proc/[0-9]*/exe; do [ "$(readlink "$exe" 2>/dev/null)" = /usr/bin/tessera-desktop ] && echo "$exe"; done || true)
        [ -z "$running" ] && break
        sleep 0.1
    done
    [ -z "$running" ] || die "the installed app is still running 30 s after its window was closed"

    # It kept its data where Linux keeps a user's data, and its preferences with the configuration.
    [ -s "$data/tessera.db" ] || die "the app made no store at $data/tessera.db (the XDG data folder)"
    [ "$(stat -c %a "$data")" = 700 ] || die "$data is not its owner's only (mode $(stat -c %a "$data"))"
    echo "package test: the app kept its store in \$XDG_DATA_HOME/tessera: $(cd "$data" && ls | tr '\n' ' ')"

    snapshot "$data" "$config" >"$work/before"
    echo "package test: apt-get remove $PKG"
    apt remove "$PKG" >"$work/remove.log" 2>&1 || { cat "$work/remove.log" >&2; die "apt-get remove $PKG failed"; }
    ! installed || die "$PKG is still installed after apt-get remove"
    local bin
    for bin in "${BINARIES[@]}"; do
        [ ! -e "$bin" ] || die "$bin is still there after the package was removed"
    done
    snapshot "$data" "$config" >"$work/after"
    if ! diff -u "$work/before" "$work/after" >&2; then
        die "removing the package changed the data folder (above: before, after)"
    fi
    echo "package test: removed; the data folder kept its $(grep -c '^f ' "$work/before") files, byte for byte"
}

if [ "${1:-}" = --inside ]; then
    inside
    exit 0
fi

[ "$(id -u)" = 0 ] || die "run it as root: it installs and removes a Debian package"
export PATH="$PATH:${HOME:-/root}/.cargo/bin"
missing=()
for tool in apt-get dpkg dpkg-deb dpkg-query flock sha256sum xvfb-run dbus-run-session gnome-keyring-daemon \
    WebKitWebDriver tauri-driver node cargo; do
    command -v "$tool" >/dev/null || missing+=("$tool")
done
((${#missing[@]} == 0)) || die "missing ${missing[*]}: make setup installs the Debian packages, tests/e2e/run.sh tauri-driver"

# One run at a time on this machine: two would install over each other.
exec 9>/run/lock/tessera-package-test.lock
flock -w 900 9 || die "another package test held the lock for 15 minutes"

# The machine as found: no Tessera installed, nothing at the binaries' paths.
! installed || die "a $PKG package is already installed here; this test installs and removes its own, so it stops rather than replace it (apt-get remove $PKG, then run it again)"
for bin in "${BINARIES[@]}"; do
    [ ! -e "$bin" ] || die "$bin exists and belongs to no package; installing would overwrite it"
done

work=$(mktemp -d "${TMPDIR:-/tmp}/tessera-package.XXXXXX")
made=
cleanup() {
    local status=$?
    if installed; then
        echo "package test: removing $PKG" >&2
        apt remove "$PKG" >/dev/null 2>&1 || echo "package test: could not remove $PKG: apt-get remove $PKG" >&2
    fi
    rm -rf "$work"
    [ -z "$made" ] || rm -f "$made"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

deb=${1:-}
if [ -z "$deb" ]; then
    # What `make test` has built already; built here when this test runs alone.
    [ -f ui/dist/index.html ] || (cd ui && npm run build >/dev/null)
    cargo build -q -p tessera-desktop -p tessera-cli
    t0=$(date +%s%N)
    deb=$(src-tauri/package.sh debug deb) || die "packaging the debug build failed"
    made=$deb
    echo "package test: packaged the debug build in $((($(date +%s%N) - t0) / 1000000)) ms: $(basename "$deb"), $(du -m "$deb" | cut -f1) MiB"
fi
deb=$(realpath "$deb")
[ -f "$deb" ] || die "no package at $deb"

# What the package says and holds, before it goes near the system.
field() { dpkg-deb -f "$deb" "$1"; }
[ "$(field Package)" = "$PKG" ] || die "the package is named '$(field Package)', not $PKG"
version=$(field Version)
depends=$(field Depends)
for dep in libwebkit2gtk-4.1-0 libgtk-3-0 gnome-keyring dbus-session-bus libayatana-appindicator3-1; do
    grep -q "$dep" <<<"$depends" || die "the package does not depend on $dep (Depends: $depends)"
done
[ -n "$(field Description)" ] || die "the package has no description"
dpkg-deb -c "$deb" | awk '{ sub(/^\.\//, "", $NF); print "./" $NF }' >"$work/contents"
expect=(./usr/bin/tessera ./usr/bin/tessera-desktop ./usr/share/applications/Tessera.desktop)
for size in "${ICON_SIZES[@]}"; do expect+=("./usr/share/icons/hicolor/$size/apps/tessera-desktop.png"); done
for path in "${expect[@]}"; do
    grep -qxF "$path" "$work/contents" || die "the package does not hold $path"
done

echo "package test: apt-get install $(basename "$deb")"
t0=$(date +%s%N)
apt install --no-install-recommends "$deb" >"$work/install.log" 2>&1 || { cat "$work/install.log" >&2; die "apt-get install failed"; }
echo "package test: installed in $((($(date +%s%N) - t0) / 1000000)) ms"
installed || die "apt-get install succeeded but dpkg does not list $PKG as installed"
for bin in "${BINARIES[@]}"; do
    [ -x "$bin" ] || die "$bin is not there after installing"
    [ "$(dpkg-query -S "$bin" 2>/dev/null | cut -d: -f1)" = "$PKG" ] || die "$bin does not belong to $PKG"
done

# The menu entry starts the installed app and finds its icon.
entry=/usr/share/applications/Tessera.desktop
exec_line=$(sed -n 's/^Exec=//p' "$entry")
[ "$(command -v "${exec_line%% *}")" = /usr/bin/tessera-desktop ] || die "$entry starts '$exec_line', not the installed app"
icon=$(sed -n 's/^Icon=//p' "$entry")
for size in "${ICON_SIZES[@]}"; do
    [ -f "/usr/share/icons/hicolor/$size/apps/$icon.png" ] || die "no $size icon named $icon"
done

# The command line is in the PATH and says its version: the package's.
said=$(env -i PATH=/usr/local/bin:/usr/bin:/bin tessera --version) || die "the installed tessera --version failed"
[ "$said" = "tessera $version" ] || die "the installed tessera --version says '$said', the package is $version"
echo "package test: $said"

env -i PATH="$PATH" LANG=C.UTF-8 USER=tessera HOME="${HOME:-/root}" TESSERA_PACKAGE_WORK="$work" RUST_LOG=warn \
    tests/keyring/with-keyring.sh \
    xvfb-run -a -s "-screen 0 1280x800x24" \
    bash "$root/tests/package/run.sh" --inside
echo "package test: passed"
