#!/usr/bin/env bash
# Load test of Tessera's REST API against a bare axum baseline, on 127.0.0.1 only.
#
# Builds release binaries, starts `tessera serve` over a temporary data directory, makes a user,
# a login session and a personal access token through the `tessera` command, then loads
# `GET /api/v1/me` with that token using wrk (keep-alive). The same load then goes to `bare`, an
# axum server answering the same path with a fixed body. Prints requests/s and p99 latency for
# each and the ratio tessera / bare: what verifying a token and reading the account costs.
#
# usage: bench/api.sh [all|tessera|bare]        (default: all)
# Environment: WRK_THREADS (2), WRK_CONNECTIONS (32), WRK_DURATION (10s), WRK_WARMUP (2s),
#              BENCH_TOKENS (1): how many tokens the store holds, the bench PAT among them (filler
#              rows are added in bulk with the sqlite3 command). After the load the server's
#              resident memory (now and at its peak) is printed, with the load average.
#
# wrk, the servers and the build share this machine's cores, so the figures are for comparing
# the two servers with each other, not absolute capacity.
set -euo pipefail

MODE=${1:-all}
case "$MODE" in
    all | tessera | bare) ;;
    *)
        echo "usage: $0 [all|tessera|bare]" >&2
        exit 2
        ;;
esac

THREADS=${WRK_THREADS:-2}
CONNECTIONS=${WRK_CONNECTIONS:-32}
DURATION=${WRK_DURATION:-10s}
WARMUP=${WRK_WARMUP:-2s}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TOKENS=${BENCH_TOKENS:-1}

BENCH_NAME=bench/api.sh
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tessera-api-bench.XXXXXX")
PIDS=()
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
cleanup() {
    stop_servers
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Runs wrk against URL/api/v1/me with the optional bearer $2; writes the report to $WORK/$1.wrk.
load() {
    local name=$1 bearer=${2:-}
    local header=()
    [ -z "$bearer" ] || header=(-H "Authorization: Bearer $bearer")
    local status
    status=$(curl -s -o "$WORK/$name.me" -w '%{http_code}' "${header[@]}" "$URL/api/v1/me")
    [ "$status" = 200 ] || die "$name answered $status to GET /api/v1/me: $(cat "$WORK/$name.me")"
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"$WARMUP" --timeout 5s "${header[@]}" "$URL/api/v1/me" >/dev/null
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --timeout 5s --latency "${header[@]}" "$URL/api/v1/me" \
        >"$WORK/$name.wrk"
    if grep -q -e "Non-2xx" -e "Socket errors" "$WORK/$name.wrk"; then
        cat "$WORK/$name.wrk" >&2
        die "$name: some requests failed"
    fi
}

packages=(-p tessera-bench)
[ "$MODE" = bare ] || packages+=(-p tessera-cli)
echo "building ${packages[*]} (release)" >&2
(cd "$ROOT" && "$CARGO" build --release "${packages[@]}")
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release"
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)

if [ "$MODE" != bare ]; then
    export TESSERA_DATA_DIR="$WORK/data"
    # A throwaway data directory: its signing key may live in a file rather than the keyring.
    export TESSERA_KEY_FILE=1
    tessera() { "$BIN/tessera" "$@"; }
    tessera admin create-user bench >/dev/null
    SESSION=$(tessera admin session bench --json |
        sed -n 's/.*"token"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p' | head -n 1)
    [ -n "$SESSION" ] || die "tessera admin session --json printed no token"
    if [ "$TOKENS" -gt 1 ]; then
        fill_sqlite "$TESSERA_DATA_DIR/tessera.db" $((TOKENS - 1))
    fi
    start_server tessera "$BIN/tessera" serve --listen 127.0.0.1:0
    PAT=$(TESSERA_SERVER=$URL TESSERA_TOKEN=$SESSION tessera token create --label bench --scope read --json |
        grep -oE 'tsr_pat_[0-9A-Za-z]{36}' | head -n 1 || true)
    [ -n "$PAT" ] || die "tessera token create --json printed no tsr_pat_ value"
    echo "tessera: $URL, loading GET /api/v1/me with a PAT (-t$THREADS -c$CONNECTIONS -d$DURATION)" >&2
    load tessera "$PAT"
    TESSERA_MEMORY=$(memory_of "${PIDS[-1]}")
fi

if [ "$MODE" != tessera ]; then
    start_server bare "$BIN/bare" --listen 127.0.0.1:0
    echo "bare: $URL, loading GET /api/v1/me (-t$THREADS -c$CONNECTIONS -d$DURATION)" >&2
    load bare
fi

echo
# Other work on the machine shows in the figures: say how busy it was.
echo "load average at the start: $LOAD_START; at the end: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) cores)"
[ -z "${TESSERA_MEMORY:-}" ] || echo "tessera with $TOKENS tokens in the store, after the load: $TESSERA_MEMORY"
printf '%-8s %14s %10s\n' server "requests/s" p99
for name in tessera bare; do
    [ -f "$WORK/$name.wrk" ] || continue
    printf '%-8s %14s %10s\n' "$name" "$(rps "$name")" "$(p99 "$name")"
done
if [ -f "$WORK/tessera.wrk" ] && [ -f "$WORK/bare.wrk" ]; then
    awk -v t="$(rps tessera)" -v b="$(rps bare)" -v tp="$(p99_ms tessera)" -v bp="$(p99_ms bare)" 'BEGIN {
        printf "ratio tessera / bare: %.2f of the requests/s, %.2f times the p99 latency\n", t / b, tp / bp
    }'
fi
