#!/usr/bin/env bash
# Packages the built desktop app and the `tessera` command line as a .deb and an .rpm with the
# Tauri bundler (the @tauri-apps/cli npm package in ui/, which works offline for these two
# formats). It builds nothing: `make package` builds the app in the desktop profile and the
# command in release first, and the package install test (tests/package/run.sh) packages the
# debug ones `make test` has already built.
#
#   src-tauri/package.sh desktop|debug [deb|rpm|deb,rpm]   (both by default)
#
# desktop: the app from the desktop profile (built for size) and the command from release;
# debug: both from debug.
#
# Prints the path of each package made, one a line, on stdout. The packages are in
# $CARGO_TARGET_DIR/package/<release|debug>/bundle/{deb,rpm}/.
#
# The app's config is the root tauri.conf.json; the Tauri CLI reads it through the symlink
# src-tauri/tauri.conf.json and resolves its paths from src-tauri/, so the icons are given again
# here relative to src-tauri/, with the `tessera` command added as /usr/bin/tessera.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

die() {
    echo "package: $*" >&2
    exit 1
}

profile=${1:-}
case "$profile" in
    desktop) cli_profile=release bundler_profile=release debug_flag=() ;;
    debug) cli_profile=debug bundler_profile=debug debug_flag=(--debug) ;;
    *) die "usage: src-tauri/package.sh desktop|debug [deb|rpm|deb,rpm]" ;;
esac
formats=${2:-deb,rpm}
case "$formats" in
    deb | rpm | deb,rpm | rpm,deb) ;;
    *) die "formats are deb, rpm or deb,rpm, not '$formats' (the AppImage bundler needs the internet)" ;;
esac

command -v node >/dev/null || die "node (20.19 or newer) is needed to run the Tauri bundler"
tauri=$root/ui/node_modules/.bin/tauri
[ -x "$tauri" ] || die "the Tauri bundler is missing: cd ui && npm ci"
[ -L src-tauri/tauri.conf.json ] || die "src-tauri/tauri.conf.json should be a symlink to ../tauri.conf.json"

target=${CARGO_TARGET_DIR:-$root/target}
target=$(cd "$target" 2>/dev/null && pwd) || die "no target folder at ${CARGO_TARGET_DIR:-$root/target}: build first"
desktop=$target/$profile/tessera-desktop
cli=$target/$cli_profile/tessera
if [ "$profile" = desktop ]; then
    builds="cargo build --profile desktop -p tessera-desktop && cargo build --release -p tessera-cli"
else
    builds="cargo build -p tessera-desktop && cargo build -p tessera-cli"
fi
for bin in "$desktop" "$cli"; do
    [ -x "$bin" ] || die "$bin is missing: build it first ($builds)"
done

# The bundler takes the app from <target>/release or <target>/debug, with no option for another
# profile, so it gets a target folder of its own with the app linked into the folder it expects.
stage=$target/package
rm -rf "$stage/$bundler_profile"
mkdir -p "$stage/$bundler_profile"
ln "$desktop" "$stage/$bundler_profile/tessera-desktop" 2>/dev/null \
    || cp "$desktop" "$stage/$bundler_profile/tessera-desktop"

# What the bundler needs beyond the root config, as paths it resolves from src-tauri/.
override=$(CLI="$cli" node -e '
const conf = JSON.parse(require("fs").readFileSync("tauri.conf.json", "utf8"));
const files = { "/usr/bin/tessera": process.env.CLI };
process.stdout.write(JSON.stringify({
  bundle: {
    icon: conf.bundle.icon.map((p) => `../${p}`),
    linux: {
      deb: { ...conf.bundle.linux.deb, files },
      rpm: { ...conf.bundle.linux.rpm, files },
    },
  },
}));
')

out=$stage/$bundler_profile/bundle
# Its progress goes to stderr, so stdout carries only the package paths.
CARGO_TARGET_DIR=$stage TAURI_APP_PATH=$root/src-tauri CI=true "$tauri" bundle "${debug_flag[@]}" --bundles "$formats" --config "$override" >&2 \
    || die "the Tauri bundler failed"

for format in ${formats//,/ }; do
    pkgs=("$out/$format"/*."$format")
    [ "${#pkgs[@]}" = 1 ] && [ -f "${pkgs[0]}" ] || die "expected one .$format in $out/$format"
    echo "${pkgs[0]}"
done
