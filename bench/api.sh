#!/usr/bin/env bash
# Load test of Tessera's REST API against a bare axum baseline, on 127.0.0.1 only.
#
# Builds release binaries, starts `tessera serve` over a temporary data directory, makes a user,
# a login session and a personal access token through the `tessera` command, then loads
# `GET /api/v1/me` with that token using wrk (keep-alive). The same load then goes to `bare`, an
# axum server answering the same path with a fixed body. Prints requests/s and p99 latency for
# each and the ratio tessera / bare: what verifying a token and reading the account costs.
#
# Both servers stay up and are loaded in turns, tessera then bare, BENCH_ROUNDS times: other work
# on a shared machine then falls on both alike, and the ratio reported is the median of the
# rounds' ratios (each round's is printed too).
#
# usage: bench/api.sh [all|tessera|bare]        (default: all)
# Environment: WRK_THREADS (2), WRK_CONNECTIONS (32), WRK_DURATION (10s), WRK_WARMUP (2s),
#              BENCH_ROUNDS (3), BENCH_NO_BUILD (set: use the release binaries as built),
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

ROUNDS=${BENCH_ROUNDS:-3}

# Runs wrk against $2/api/v1/me with the optional bearer $3; writes the report to $WORK/$1.wrk.
load() {
    local name=$1 url=$2 bearer=${3:-}
    local header=()
    [ -z "$bearer" ] || header=(-H "Authorization: Bearer $bearer")
    local status
    status=$(curl -s -o "$WORK/$name.me" -w '%{http_code}' "${header[@]}" "$url/api/v1/me")
    [ "$status" = 200 ] || die "$name answered $status to GET /api/v1/me: $(cat "$WORK/$name.me")"
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"$WARMUP" --timeout 5s "${header[@]}" "$url/api/v1/me" >/dev/null
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --timeout 5s --latency "${header[@]}" "$url/api/v1/me" \
        >"$WORK/$name.wrk"
    if grep -q -e "Non-2xx" -e "Socket errors" "$WORK/$name.wrk"; then
        cat "$WORK/$name.wrk" >&2
        die "$name: some requests failed"
    fi
}

packages=(-p tessera-bench)
[ "$MODE" = bare ] || packages+=(-p tessera-cli)
build_release "${packages[@]}"
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
    TESSERA_URL=$URL
    TESSERA_PID=${PIDS[-1]}
    PAT=$(TESSERA_SERVER=$URL TESSERA_TOKEN=$SESSION tessera token create --label bench --scope read --json |
        grep -oE 'tsr_pat_[0-9A-Za-z]{36}' | head -n 1 || true)
    [ -n "$PAT" ] || die "tessera token create --json printed no tsr_pat_ value"
fi
if [ "$MODE" != tessera ]; then
    start_server bare "$BIN/bare" --listen 127.0.0.1:0
    BARE_URL=$URL
fi

for round in $(seq "$ROUNDS"); do
    if [ "$MODE" != bare ]; then
        echo "round $round: tessera, GET /api/v1/me with a PAT (-t$THREADS -c$CONNECTIONS -d$DURATION)" >&2
        load "tessera.$round" "$TESSERA_URL" "$PAT"
    fi
    if [ "$MODE" != tessera ]; then
        echo "round $round: bare, GET /api/v1/me (-t$THREADS -c$CONNECTIONS -d$DURATION)" >&2
        load "bare.$round" "$BARE_URL"
    fi
done
[ "$MODE" = bare ] || TESSERA_MEMORY=$(memory_of "$TESSERA_PID")

echo
# Other work on the machine shows in the figures: say how busy it was.
echo "load average at the start: $LOAD_START; at the end: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) cores)"
[ -z "${TESSERA_MEMORY:-}" ] || echo "tessera with $TOKENS tokens in the store, after the load: $TESSERA_MEMORY"
printf '%-6s %-8s %14s %10s\n' round server "requests/s" p99
for round in $(seq "$ROUNDS"); do
    for name in tessera bare; do
        [ -f "$WORK/$name.$round.wrk" ] || continue
        printf '%-6s %-8s %14s %10s\n' "$round" "$name" "$(rps "$name.$round")" "$(p99 "$name.$round")"
    done
    if [ "$MODE" = all ]; then
        awk -v t="$(rps "tessera.$round")" -v b="$(rps "bare.$round")" -v r="$round" \
            'BEGIN { printf "%-6s ratio tessera / bare: %.2f\n", r, t / b }' | tee -a "$WORK/ratios"
    fi
done
if [ "$MODE" = all ]; then
    awk '{ print $NF }' "$WORK/ratios" | sort -n | awk -v n="$ROUNDS" '{ v[NR] = $1 } END {
        m = (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
        printf "ratio tessera / bare, median of %d rounds: %.2f of the requests/s (lowest %.2f, highest %.2f)\n", n, m, v[1], v[n]
    }'
fi
