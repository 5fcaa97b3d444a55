#!/usr/bin/env bash
# Team mode under load: the REST API on SQLite and on PostgreSQL, with one and two replicas, in
# the same run; then the verify path's cost as PostgreSQL's token table grows to a million rows.
#
# Builds the release `tessera`, starts a throwaway PostgreSQL (tests/pg/start.sh, with
# PostgreSQL's durable defaults), and on each store makes a user, a login session and a personal
# access token through the `tessera` command. Then:
#
# 1. GET /api/v1/me with the PAT, loaded by wrk (keep-alive), against
#      sqlite × 1, sqlite × 2, postgres × 1, postgres × 2 replicas,
#    and the same load on `bare` (bench/src/bare.rs, a fixed answer), so each figure has its
#    ratio to the floor from the same run.
#    Two replicas are two `tessera serve` processes on one store; wrk runs against both at once
#    with half the connections each, as a round-robin load balancer would spread them. The
#    requests/s are summed; the p99 shown is the worse of the two.
# 2. PostgreSQL's token table is filled in bulk (generate_series) to each size in
#    BENCH_PG_SIZES, and at each size: GET /api/v1/me through one replica (wrk), and the verify
#    path's query alone — the lookup by hash the authority makes — for random rows across the
#    whole table (pgbench, 1 client), with the size of the table and of its hash index. The
#    replica's resident memory is printed after the load at the largest size.
#
# usage: bench/pg.sh
# Environment: WRK_THREADS (2), WRK_CONNECTIONS (32), WRK_DURATION (10s), WRK_WARMUP (2s),
#              BENCH_PG_SIZES (1000,100000,1000000), PGBENCH_DURATION (10),
#              BENCH_NO_BUILD (set: use the release binaries as built).
#
# wrk, the servers and PostgreSQL share this machine's cores, so a second replica adds no
# processor: the figures compare the stores and the replica counts with each other.
set -euo pipefail

THREADS=${WRK_THREADS:-2}
CONNECTIONS=${WRK_CONNECTIONS:-32}
DURATION=${WRK_DURATION:-10s}
WARMUP=${WRK_WARMUP:-2s}
SIZES=${BENCH_PG_SIZES:-1000,100000,1000000}
PGBENCH_DURATION=${PGBENCH_DURATION:-10}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

BENCH_NAME=bench/pg.sh
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tessera-pg-bench.XXXXXX")
PG_DIR=""
PIDS=()
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
cleanup() {
    stop_servers
    [ -z "$PG_DIR" ] || "$ROOT/tests/pg/stop.sh" "$PG_DIR"
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Checks that $1/api/v1/me answers 200 to the bearer $2.
check_me() {
    local status
    status=$(curl -s -o "$WORK/me.json" -w '%{http_code}' -H "Authorization: Bearer $2" "$1/api/v1/me")
    [ "$status" = 200 ] || die "$1 answered $status to GET /api/v1/me: $(cat "$WORK/me.json")"
}

# wrk against $3/api/v1/me with bearer $2, $4 threads and $5 connections; report to $WORK/$1.wrk.
wrk_me() {
    local name=$1 bearer=$2 url=$3 threads=$4 connections=$5
    wrk -t"$threads" -c"$connections" -d"$DURATION" --timeout 5s --latency \
        -H "Authorization: Bearer $bearer" "$url/api/v1/me" >"$WORK/$name.wrk"
    if grep -q -e "Non-2xx" -e "Socket errors" "$WORK/$name.wrk"; then
        cat "$WORK/$name.wrk" >&2
        die "$name: some requests failed"
    fi
}

warm() {
    local url
    for url in "${@:2}"; do
        wrk -t"$THREADS" -c"$CONNECTIONS" -d"$WARMUP" --timeout 5s -H "Authorization: Bearer $1" "$url/api/v1/me" >/dev/null
    done
}

RESULTS=()
# Loads one or two replicas (URLs in "$@") with the PAT $PAT and records a result line labelled $1.
measure() {
    local label=$1
    shift
    for url in "$@"; do check_me "$url" "$PAT"; done
    warm "$PAT" "$@"
    if [ $# -eq 1 ]; then
        wrk_me "$label" "$PAT" "$1" "$THREADS" "$CONNECTIONS"
        RESULTS+=("$(printf '%-22s %12s %10s' "$label" "$(rps "$label")" "$(p99_ms "$label")")")
    else
        local half_t=$(((THREADS + 1) / 2)) half_c=$((CONNECTIONS / 2))
        wrk_me "$label.a" "$PAT" "$1" "$half_t" "$half_c" &
        local a=$!
        wrk_me "$label.b" "$PAT" "$2" "$half_t" "$half_c" &
        local b=$!
        wait "$a" && wait "$b" || die "$label: wrk failed"
        local total worst
        total=$(awk -v x="$(rps "$label.a")" -v y="$(rps "$label.b")" 'BEGIN { printf "%.2f", x + y }')
        worst=$(printf '%s\n%s\n' "$(p99_ms "$label.a")" "$(p99_ms "$label.b")" | sort -g | tail -n 1)
        RESULTS+=("$(printf '%-22s %12s %10s' "$label" "$total" "$worst")")
    fi
    echo "  ${RESULTS[-1]}" >&2
}

build_release -p tessera-cli -p tessera-bench
TESSERA="${CARGO_TARGET_DIR:-$ROOT/target}/release/tessera"
BARE="${CARGO_TARGET_DIR:-$ROOT/target}/release/bare"

export TESSERA_DATA_DIR="$WORK/data"
export TESSERA_LOG=warn
# Local mode keeps its session key in the data directory, not the OS keyring.
export TESSERA_KEY_FILE=1

# Makes user `bench` on the store $1, serves it with $2 replicas, and sets PAT and REPLICAS.
prepare() {
    local db=$1 n=$2 session i
    "$TESSERA" admin create-user bench --db "$db" >/dev/null
    session=$("$TESSERA" admin session bench --db "$db")
    REPLICAS=()
    for i in $(seq "$n"); do
        start_server "replica$i" "$TESSERA" serve --db "$db" --listen 127.0.0.1:0
        REPLICAS+=("$URL")
    done
    PAT=$(TESSERA_SERVER=${REPLICAS[0]} TESSERA_TOKEN=$session "$TESSERA" token create --label bench --scope read --json |
        grep -oE 'tsr_pat_[0-9A-Za-z]{36}' | head -n 1 || true)
    [ -n "$PAT" ] || die "tessera token create printed no tsr_pat_ value"
}

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
echo "starting PostgreSQL" >&2
eval "$(PG_DURABLE=1 PG_SETTINGS="shared_buffers = 256MB" "$ROOT/tests/pg/start.sh")"
PG_DIR=$TESSERA_TEST_PG_DIR
PG_URL=$TESSERA_TEST_PG_URL
PSQL=(psql -X -q -v ON_ERROR_STOP=1 "$PG_URL")
# Team mode seals its signing key in the database with a key every replica is given.
(umask 077 && "$TESSERA" admin secret-key >"$WORK/secret.key")
export TESSERA_SECRET_KEY_FILE="$WORK/secret.key"

echo "GET /api/v1/me with a PAT (-t$THREADS -c$CONNECTIONS -d$DURATION)" >&2
mkdir -p "$TESSERA_DATA_DIR"
prepare "$TESSERA_DATA_DIR/tessera.db" 2
measure "sqlite, 1 replica" "${REPLICAS[0]}"
measure "sqlite, 2 replicas" "${REPLICAS[@]}"
stop_servers
prepare "$PG_URL" 2
measure "postgres, 1 replica" "${REPLICAS[0]}"
measure "postgres, 2 replicas" "${REPLICAS[@]}"
stop_servers
# The floor: the same load on a handler that answers a fixed body.
start_server bare "$BARE" --listen 127.0.0.1:0
wrk -t"$THREADS" -c"$CONNECTIONS" -d"$WARMUP" --timeout 5s "$URL/api/v1/me" >/dev/null
wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --timeout 5s --latency "$URL/api/v1/me" >"$WORK/bare.wrk"
RESULTS+=("$(printf '%-22s %12s %10s' "bare axum" "$(rps bare)" "$(p99_ms bare)")")
echo "  ${RESULTS[-1]}" >&2
stop_servers
# Keep one replica for the growth measurements.
start_server replica1 "$TESSERA" serve --db "$PG_URL" --listen 127.0.0.1:0
ONE=$URL
ONE_PID=${PIDS[-1]}

# The verify path's query alone, for random rows: the filler rows' hashes are sha256('fill' || n).
cat >"$WORK/lookup.sql" <<'EOF'
\set n random(1, :rows)
SELECT id, kind, hint, label, description, scopes, owner_kind, owner_id, created_by, created_at, expires_at, last_used_at, last_used_ip, revoked_at FROM tokens WHERE hash = sha256(convert_to('fill' || :n, 'UTF8'));
EOF

GROWTH=()
filled=0
now_ms=$(($(date +%s) * 1000))
IFS=, read -r -a sizes <<<"$SIZES"
for size in "${sizes[@]}"; do
    target=$((size - 1)) # the bench PAT is one of the rows
    if [ "$target" -gt "$filled" ]; then
        echo "filling the token table to $size rows" >&2
        "${PSQL[@]}" -c "INSERT INTO tokens (id, kind, hash, hint, label, description, scopes, owner_kind, owner_id,
                                     created_by, created_at)
            SELECT 'tok_fill' || n, 'pat', sha256(convert_to('fill' || n, 'UTF8')), 'tsr_pat_…' || lpad(n::text, 4, '0'),
                   'filler ' || n, '', 'read', 'user', 'usr_filler' || (n % 10000), NULL, $now_ms - n
            FROM generate_series($((filled + 1)), $target) AS n" >/dev/null
        "${PSQL[@]}" -c "VACUUM ANALYZE tokens" >/dev/null
        filled=$target
    fi
    rows=$("${PSQL[@]}" -Atc "SELECT count(*) FROM tokens")
    sizes_mb=$("${PSQL[@]}" -Atc "SELECT round(pg_table_size('tokens') / 1048576.0, 1) || ' MB table, ' ||
        round(pg_relation_size('tokens_hash_key') / 1048576.0, 1) || ' MB hash index'")
    label="postgres, $rows rows"
    measure "$label" "$ONE"
    lookup="n/a"
    if [ "$filled" -gt 0 ]; then
        PGPASSWORD="" pgbench -n -c 1 -T "$PGBENCH_DURATION" -D rows="$filled" -f "$WORK/lookup.sql" "$PG_URL" \
            >"$WORK/pgbench.$rows" 2>&1 || {
            cat "$WORK/pgbench.$rows" >&2
            die "pgbench failed"
        }
        lookup=$(awk '/^latency average/ { lat = $4 } /^tps/ { tps = $3 } END { printf "%.3f ms, %.0f lookups/s", lat, tps }' \
            "$WORK/pgbench.$rows")
    fi
    GROWTH+=("$(printf '%-26s %s | %s | lookup by hash: %s' "$label" "${RESULTS[-1]:23}" "$sizes_mb" "$lookup")")
done

MEMORY=$(memory_of "$ONE_PID")

echo
# Other work on the machine shows in the figures: say how busy it was.
echo "load average at the start: $LOAD_START; at the end: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) cores)"
printf '%-22s %12s %10s\n' "GET /api/v1/me" "requests/s" "p99 (ms)"
for line in "${RESULTS[@]:0:5}"; do echo "$line"; done
awk -v s="$(rps "sqlite, 1 replica")" -v p="$(rps "postgres, 1 replica")" -v b="$(rps bare)" 'BEGIN {
    printf "ratio to bare axum, one replica: sqlite %.2f, postgres %.2f of the requests/s\n", s / b, p / b
}'
echo
echo "verify path as the PostgreSQL token table grows (one replica; requests/s, p99 ms; pgbench, 1 client):"
for line in "${GROWTH[@]}"; do echo "$line"; done
echo "the replica after the load at ${rows:-?} rows: $MEMORY"
