#!/usr/bin/env bash
# Token introspection (RFC 7662) under load: Tessera's `POST /api/v1/tokens/introspect` beside
# oidc-provider's introspection endpoint (the package tests/idp installs), on 127.0.0.1 only.
#
# Tessera: a release `tessera serve` over a temporary data directory; a login session introspects
# one of its user's personal access tokens. oidc-provider: bench/oidc-introspect.mjs, a
# confidential client (client_secret_basic) introspecting an opaque access token it was issued,
# from the provider's in-memory adapter. Both answer `active: true` to every request; wrk posts
# the same form body shape (`token=<value>`) over keep-alive connections. Prints requests/s, p99
# and the ratio tessera / oidc-provider, with the load average.
#
# usage: bench/introspect.sh
# Environment: WRK_THREADS (2), WRK_CONNECTIONS (32), WRK_DURATION (10s), WRK_WARMUP (2s),
#              BENCH_NO_BUILD (set: use the release binaries as built).
# Needs node and `npm ci` done once in tests/idp.
set -euo pipefail

THREADS=${WRK_THREADS:-2}
CONNECTIONS=${WRK_CONNECTIONS:-32}
DURATION=${WRK_DURATION:-10s}
WARMUP=${WRK_WARMUP:-2s}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

BENCH_NAME=bench/introspect.sh
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tessera-introspect-bench.XXXXXX")
PIDS=()
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
cleanup() {
    stop_servers
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[ -d "$ROOT/tests/idp/node_modules/oidc-provider" ] ||
    die "oidc-provider is not installed: run 'npm ci --no-audit --no-fund' in tests/idp once"

# Posts token=$3 to $2 with the Authorization header $4 under wrk; the report goes to $WORK/$1.wrk.
load() {
    local name=$1 url=$2 token=$3 authorization=$4
    local status
    status=$(curl -s -o "$WORK/$name.json" -w '%{http_code}' -H "Authorization: $authorization" \
        --data-urlencode "token=$token" "$url")
    [ "$status" = 200 ] || die "$name answered $status: $(cat "$WORK/$name.json")"
    grep -q '"active":true' "$WORK/$name.json" || die "$name did not find the token active: $(cat "$WORK/$name.json")"
    cat >"$WORK/$name.lua" <<LUA
wrk.method = "POST"
wrk.body = "token=$token"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = "$authorization"
LUA
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"$WARMUP" --timeout 5s -s "$WORK/$name.lua" "$url" >/dev/null
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --timeout 5s --latency -s "$WORK/$name.lua" "$url" \
        >"$WORK/$name.wrk"
    if grep -q -e "Non-2xx" -e "Socket errors" "$WORK/$name.wrk"; then
        cat "$WORK/$name.wrk" >&2
        die "$name: some requests failed"
    fi
}

build_release -p tessera-cli
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release"
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)

export TESSERA_DATA_DIR="$WORK/data"
export TESSERA_KEY_FILE=1
export TESSERA_LOG=warn
"$BIN/tessera" admin create-user bench >/dev/null
SESSION=$("$BIN/tessera" admin session bench --json |
    sed -n 's/.*"token"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p' | head -n 1)
[ -n "$SESSION" ] || die "tessera admin session --json printed no token"
start_server tessera "$BIN/tessera" serve --listen 127.0.0.1:0
PAT=$(TESSERA_SERVER=$URL TESSERA_TOKEN=$SESSION "$BIN/tessera" token create --label bench --scope read --json |
    grep -oE 'tsr_pat_[0-9A-Za-z]{36}' | head -n 1 || true)
[ -n "$PAT" ] || die "tessera token create --json printed no tsr_pat_ value"
echo "tessera: $URL/api/v1/tokens/introspect (-t$THREADS -c$CONNECTIONS -d$DURATION)" >&2
load tessera "$URL/api/v1/tokens/introspect" "$PAT" "Bearer $SESSION"
stop_servers

start_server oidc-provider node "$ROOT/bench/oidc-introspect.mjs"
for _ in $(seq 50); do
    grep -q '^token ' "$WORK/oidc-provider.out" && break
    sleep 0.1
done
CLIENT=$(sed -n 's/^client //p' "$WORK/oidc-provider.out")
TOKEN=$(sed -n 's/^token //p' "$WORK/oidc-provider.out")
[ -n "$CLIENT" ] && [ -n "$TOKEN" ] || die "bench/oidc-introspect.mjs printed no client or token"
echo "oidc-provider: $URL/token/introspection (-t$THREADS -c$CONNECTIONS -d$DURATION)" >&2
load oidc-provider "$URL/token/introspection" "$TOKEN" "Basic $(printf %s "$CLIENT" | base64 -w0)"

echo
echo "load average at the start: $LOAD_START; at the end: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) cores)"
printf '%-14s %14s %10s\n' server "requests/s" p99
for name in tessera oidc-provider; do
    printf '%-14s %14s %10s\n' "$name" "$(rps "$name")" "$(p99 "$name")"
done
awk -v t="$(rps tessera)" -v o="$(rps oidc-provider)" 'BEGIN {
    printf "ratio tessera / oidc-provider: %.2f of the requests/s\n", t / o
}'
