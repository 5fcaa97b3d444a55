# Tessera: set up, run, test and benchmark.
#
# `make run` and `make test` do their own set-up on a fresh Debian 12 machine (as root, or with
# sudo): Debian packages are installed when missing, and the Rust toolchain is checked.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

# cargo from PATH, else rustup's default place.
CARGO ?= $(or $(shell command -v cargo 2>/dev/null),$(HOME)/.cargo/bin/cargo)
export PATH := $(patsubst %/,%,$(dir $(CARGO))):$(PATH)

# Debian packages the build, the tests and the benchmarks need.
# The sign-in tests need a private Secret Service (gnome-keyring on its own D-Bus session) and
# openssl for the test identity provider's certificates.
# The desktop app builds against WebKitGTK; its end-to-end test and benchmark run it under Xvfb
# through WebKitWebDriver.
APT_PACKAGES := build-essential pkg-config libssl-dev curl wrk openssl git \
	dbus dbus-user-session gnome-keyring libsecret-tools \
	libwebkit2gtk-4.1-dev libayatana-appindicator3-dev librsvg2-dev libxdo-dev \
	xvfb xauth x11-utils webkit2gtk-driver \
	python3-venv
# The workspace's rust-version.
RUST_MIN := 1.85

# `make run`: the local account made an instance admin, and where the API listens.
ADMIN ?= admin
LISTEN ?= 127.0.0.1:7878
# `make fuzz`: seconds per fuzz target.
FUZZ_SECONDS ?= 60
# `make bench`: the store sizes the in-process verify benchmark fills.
BENCH_TOKENS ?= 1000,1000000

TESSERA := target/release/tessera
DESKTOP := target/desktop/tessera-desktop
# Local mode keeps the session signing key in the OS keyring. A machine with no session bus has
# no keyring: there `make run` opts in to the key file (readable only by its owner), and says so.
KEY_ENV := $(if $(DBUS_SESSION_BUS_ADDRESS),,TESSERA_KEY_FILE=1)

.PHONY: help setup ui desktop package icons check-display run serve check test bench fuzz schemathesis api-client

help:
	@echo "make run     build the UI and the desktop app, and launch it on the embedded local server"
	@echo "make serve   build and serve the API on $(LISTEN) over the local SQLite store"
	@echo "make package build the release app and the tessera command, and package them as a .deb and an .rpm"
	@echo "make check   the edit loop: formatting, lints, unit tests of the crates (not the desktop shell) and the UI checks"
	@echo "make test    formatting, lints and every test of the workspace"
	@echo "make fuzz    run each cargo-fuzz target for FUZZ_SECONDS ($(FUZZ_SECONDS)) seconds; fails on a crash"
	@echo "make schemathesis  property-based tests of the REST API against its OpenAPI document"
	@echo "make bench   token verification in process ($(BENCH_TOKENS) tokens), the API under load, the desktop app's launch and memory"
	@echo "make setup   install what the others need (Debian packages; checks the Rust toolchain)"

setup:
	@missing=""; \
	for p in $(APT_PACKAGES); do \
	    [ "$$(dpkg-query -W -f='$${Status}' "$$p" 2>/dev/null)" = "install ok installed" ] || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	    echo "setup: installing$$missing"; \
	    sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; \
	    [ -n "$${TESSERA_APT_UPDATED:-}" ] || $$sudo apt-get update; \
	    $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $$missing; \
	fi
	@if [ ! -x "$(CARGO)" ]; then \
	    echo "setup: no Rust toolchain: install Rust $(RUST_MIN) or newer with rustup (cargo on PATH or in ~/.cargo/bin)" >&2; \
	    exit 1; \
	fi; \
	have=$$(rustc --version | awk '{ print $$2 }'); \
	if [ "$$(printf '%s\n' "$(RUST_MIN)" "$$have" | sort -V | head -n 1)" != "$(RUST_MIN)" ]; then \
	    echo "setup: Rust $$have is too old: Tessera needs $(RUST_MIN) or newer (rustup update)" >&2; \
	    exit 1; \
	fi; \
	if ! "$(CARGO)" fmt --version >/dev/null 2>&1 || ! "$(CARGO)" clippy --version >/dev/null 2>&1; then \
	    echo "setup: adding rustfmt and clippy"; \
	    rustup component add rustfmt clippy; \
	fi

# The Svelte UI in ui/dist, which the desktop app embeds. Rebuilt only when its sources change:
# a new ui/dist makes cargo embed it again, which costs minutes in release.
UI_SOURCES := $(shell find ui/src ui/index.html ui/package.json ui/package-lock.json ui/vite.config.ts \
	ui/svelte.config.js ui/tsconfig.json icons -type f 2>/dev/null)

ui: ui/dist/index.html

ui/dist/index.html: $(UI_SOURCES)
	@command -v node >/dev/null || { echo "make: node (20.19 or newer) is needed to build the UI" >&2; exit 1; }
	cd ui && { [ node_modules/.package-lock.json -nt package-lock.json ] || npm ci --no-audit --no-fund --loglevel=error; }
	cd ui && npm run build

# The desktop app in the desktop profile (Cargo.toml: the release profile built for size).
desktop: setup ui
	"$(CARGO)" build --profile desktop -p tessera-desktop

# Installable packages: the desktop app with its menu entry and icons, and the `tessera` command
# in /usr/bin, as a .deb and an .rpm (the Tauri bundler from ui/node_modules, offline; see
# src-tauri/package.sh). `tests/package/run.sh <the .deb>` installs and checks one on this machine.
package: setup ui
	# Two builds, not one: cargo unifies features within a build, and the `tessera` command's
	# PostgreSQL support would be linked into the desktop app, which does not use it.
	"$(CARGO)" build --profile desktop -p tessera-desktop
	"$(CARGO)" build --release -p tessera-cli
	@pkgs=$$(src-tauri/package.sh desktop); \
	for p in $$pkgs; do printf '%s\t%s MiB\n' "$$p" "$$(awk -v b="$$(stat -c %s "$$p")" 'BEGIN { printf "%.1f", b / 1048576 }')"; done

# The app icons in icons/ (committed), every size from icons/tessera.svg, with `tauri icon`.
icons:
	cd ui && { [ node_modules/.package-lock.json -nt package-lock.json ] || npm ci --no-audit --no-fund --loglevel=error; }
	tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	(cd ui && npx tauri icon ../icons/tessera.svg -o "$$tmp" >/dev/null && npx tauri icon ../icons/tessera.svg -o "$$tmp" -p 16,24,48,256 >/dev/null); \
	for f in 16x16.png 24x24.png 32x32.png 48x48.png 64x64.png 128x128.png 256x256.png icon.png icon.icns icon.ico; do cp "$$tmp/$$f" icons/; done

# Said before a five-minute build rather than after it.
check-display:
	@if [ -z "$${DISPLAY:-}" ] && [ -z "$${WAYLAND_DISPLAY:-}" ]; then \
	    echo "make run: there is no display here (DISPLAY and WAYLAND_DISPLAY are unset) and the desktop app needs one." >&2; \
	    echo "Run it from a desktop session, 'make serve' for the API alone, or 'xvfb-run make run' for a window nobody sees." >&2; \
	    exit 1; \
	fi

run: check-display desktop
	@if [ -n "$(KEY_ENV)" ]; then echo "No session bus here, so no keyring: the session signing key is kept in a file readable only by you."; fi
	@echo "Starting Tessera on the embedded server over the SQLite store in the data directory. Close the window to stop."
	$(KEY_ENV) $(DESKTOP)

serve: setup
	"$(CARGO)" build --release -p tessera-cli
	@if [ -n "$(KEY_ENV)" ]; then echo "No session bus here, so no keyring: the session signing key is kept in a file readable only by you."; fi
	@if out=$$($(KEY_ENV) $(TESSERA) --json admin create-user "$(ADMIN)" --admin); then \
	    echo "Created the local instance admin account '$(ADMIN)'."; \
	elif grep -q '"code": *"conflict"' <<<"$$out"; then \
	    echo "The local account '$(ADMIN)' already exists."; \
	else \
	    echo "$$out" >&2; \
	    exit 1; \
	fi; \
	data=$${TESSERA_DATA_DIR:-$${XDG_DATA_HOME:-$$HOME/.local/share}/tessera}; \
	echo "Serving on http://$(LISTEN) over the SQLite store in $$data. Stop with Ctrl-C."; \
	echo "In another terminal, get a one-hour login session for '$(ADMIN)' and make a token with it:"; \
	echo "    $(KEY_ENV) $(TESSERA) admin session $(ADMIN)"; \
	echo "    TESSERA_TOKEN=<that session> $(TESSERA) token create --label laptop --scope read"; \
	echo; \
	exec $(KEY_ENV) $(TESSERA) serve --listen "$(LISTEN)"

# The edit loop: no UI build, no desktop shell (Tauri), no keyring, PostgreSQL or browser.
check:
	"$(CARGO)" fmt --all -- --check
	"$(CARGO)" clippy -p tessera-platform -p tessera-core -p tessera-auth -p tessera-server -p tessera-cli --all-targets -- -D warnings
	"$(CARGO)" clippy -p tessera-core --no-default-features --all-targets -- -D warnings
	@# Unit tests, the committed OpenAPI document among them (crates/server/src/openapi.rs).
	"$(CARGO)" test -p tessera-platform -p tessera-core -p tessera-auth -p tessera-server --lib
	cd ui && { [ node_modules/.package-lock.json -nt package-lock.json ] || npm ci --no-audit --no-fund --loglevel=error; }
	cd ui && npm run lint && npm test

test: setup ui
	"$(CARGO)" fmt --all -- --check
	"$(CARGO)" clippy --workspace --all-targets -- -D warnings
	@# The core as the desktop app builds it: without the PostgreSQL driver.
	"$(CARGO)" clippy -p tessera-core --no-default-features --all-targets -- -D warnings
	cd ui && npm run check && npm run lint && npm test
	@# The UI's API client is generated from the server's OpenAPI document: the committed copy
	@# (ui/src/lib/api/openapi.json, checked by the server's unit tests) and the types made from it
	@# (ui/src/lib/api/schema.d.ts, openapi-typescript) must be current; `make api-client` renews both.
	cd ui/tools/openapi-typescript && npm ci --no-audit --no-fund --loglevel=error && npm run --silent check
	@# The UI's types generated from Rust (ts-rs, ui/src/lib/bindings) must match the Rust types:
	@# this test regenerates them in memory and fails when the committed files differ.
	"$(CARGO)" test --workspace --lib bindings
	@command -v node >/dev/null || { echo "make test: node (20.19 or newer) is needed for the test identity providers" >&2; exit 1; }
	cd tests/idp && npm ci --no-audit --no-fund --loglevel=error
	@# Nothing a test does may reach a real data directory or keyring, even a test that forgets its
	@# own: every suite runs against a private gnome-keyring on its own D-Bus session.
	@# The suites that drive a store run a second time on a throwaway PostgreSQL (tests/pg/).
	data=$$(mktemp -d); pg=$$(mktemp -d); trap 'tests/pg/stop.sh "$$pg"; rm -rf "$$data"' EXIT; \
	TESSERA_DATA_DIR="$$data" tests/keyring/with-keyring.sh "$(CARGO)" test --workspace; \
	echo "make test: the secret store against a locked keyring, and with no session bus"; \
	TESSERA_DATA_DIR="$$data" tests/keyring/with-keyring.sh --locked "$(CARGO)" test --workspace --test keyring; \
	TESSERA_DATA_DIR="$$data" TESSERA_TEST_NO_BUS=1 env -u DBUS_SESSION_BUS_ADDRESS "$(CARGO)" test --workspace --test keyring; \
	pg_env=$$(tests/pg/start.sh "$$pg"); eval "$$pg_env"; \
	echo "make test: the API suite and the kill test again, on PostgreSQL"; \
	TESSERA_DATA_DIR="$$data" tests/keyring/with-keyring.sh "$(CARGO)" test --workspace --test api --test serve --test users
	@# The REST API against its own OpenAPI document, with a session and with a token.
	CARGO="$(CARGO)" tests/schemathesis/run.sh
	@# The desktop app in a real WebKit window under Xvfb, driven through tauri-driver.
	tests/e2e/run.sh
	@# The .deb of the debug build installed with apt-get, started to its token list, removed.
	tests/package/run.sh

# Regenerates the UI's API client from the server's routes: the OpenAPI document, then its types.
api-client: setup
	TESSERA_UPDATE_OPENAPI=1 "$(CARGO)" test -p tessera-server --lib openapi::tests
	cd ui/tools/openapi-typescript && npm ci --no-audit --no-fund --loglevel=error && npm run --silent generate

# The token parser, the session check, providers.toml, the sign-in redirect and the form bodies
# under libFuzzer (nightly toolchain); a crash stops the run with its input in fuzz/artifacts/.
fuzz: setup
	FUZZ_SECONDS=$(FUZZ_SECONDS) fuzz/run.sh

# The REST API against its OpenAPI document (tests/schemathesis/run.sh): no 5xx for any input.
schemathesis: setup
	CARGO="$(CARGO)" tests/schemathesis/run.sh

bench: setup
	TESSERA_BENCH_TOKENS=$(BENCH_TOKENS) "$(CARGO)" bench -p tessera-core --bench verify
	bash bench/api.sh
	bash bench/introspect.sh
	bash bench/pg.sh
	bash bench/desktop.sh
