# Shared by Tessera's load scripts (bench/api.sh, bench/pg.sh): sourced after they set
# BENCH_NAME, ROOT and WORK, and declare PIDS=().

die() {
    echo "$BENCH_NAME: $*" >&2
    exit 1
}

CARGO=$(command -v cargo || true)
[ -n "$CARGO" ] || CARGO="$HOME/.cargo/bin/cargo"
[ -x "$CARGO" ] || die "cargo not found on PATH or in \$HOME/.cargo/bin"

if ! command -v wrk >/dev/null; then
    echo "installing wrk" >&2
    SUDO=""
    [ "$(id -u)" = 0 ] || SUDO=sudo
    $SUDO apt-get update
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y wrk
fi

# Builds the release binaries of the packages named ("-p NAME ..."), unless BENCH_NO_BUILD is set:
# then the ones already built are used.
build_release() {
    [ -z "${BENCH_NO_BUILD:-}" ] || return 0
    echo "building $* (release)" >&2
    (cd "$ROOT" && "$CARGO" build --release "$@")
}

# Starts a server ("$@") whose first stdout line is `listening on http://ADDR`, and sets URL.
# Only 127.0.0.1 is accepted: the load never leaves this machine.
start_server() {
    local name=$1
    shift
    "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" &
    local pid=$!
    PIDS+=("$pid")
    local line="" i
    for i in $(seq 300); do
        line=$(head -n 1 "$WORK/$name.out" 2>/dev/null || true)
        case "$line" in
            "listening on http://"*) break ;;
        esac
        if ! kill -0 "$pid" 2>/dev/null; then
            cat "$WORK/$name.err" >&2
            die "$name exited before it listened"
        fi
        sleep 0.1
    done
    case "$line" in
        "listening on http://"*) ;;
        *) die "$name printed no 'listening on http://ADDR' line within 30 s" ;;
    esac
    URL=${line#listening on }
    URL=${URL%%[[:space:]]*}
    case "$URL" in
        http://127.0.0.1:0 | http://127.0.0.1:0/*) die "$name reported port 0 instead of the port it bound" ;;
        http://127.0.0.1:*) ;;
        *) die "$name listens on $URL, not on 127.0.0.1" ;;
    esac
    URL=${URL%/}
}

# Stops every server started so far.
stop_servers() {
    local pid
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    PIDS=()
}

# Requests/s from the wrk report $WORK/$1.wrk.
rps() { awk '/^Requests\/sec:/ { print $2 }' "$WORK/$1.wrk"; }
# The 99th percentile latency, as wrk prints it (e.g. 1.52ms).
p99() { awk '$1 == "99%" { print $2 }' "$WORK/$1.wrk"; }
# The same in milliseconds.
p99_ms() {
    p99 "$1" | awk '{
        v = $1
        if (v ~ /us$/) { sub(/us$/, "", v); v /= 1000 }
        else if (v ~ /ms$/) { sub(/ms$/, "", v) }
        else if (v ~ /s$/) { sub(/s$/, "", v); v *= 1000 }
        else if (v ~ /m$/) { sub(/m$/, "", v); v *= 60000 }
        printf "%.2f", v
    }'
}

# The resident memory of process $1 now and at its peak, from /proc.
memory_of() {
    awk '/^VmRSS:/ { rss = $2 } /^VmHWM:/ { hwm = $2 } END { printf "RSS %.1f MiB (peak %.1f MiB)", rss / 1024, hwm / 1024 }' \
        "/proc/$1/status"
}

# Adds $2 filler tokens with random hashes to the SQLite store $1, owned by 10,000 made-up users,
# in one transaction (SQLite generates the rows itself, so a million take seconds).
fill_sqlite() {
    local db=$1 n=$2 now_ms
    command -v sqlite3 >/dev/null || die "the sqlite3 command is needed to fill the store (apt-get install sqlite3)"
    now_ms=$(($(date +%s) * 1000))
    echo "filling the token table with $n more rows" >&2
    sqlite3 "$db" >/dev/null <<EOF
PRAGMA cache_size = -262144;
BEGIN;
WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < $n)
INSERT INTO tokens (id, kind, hash, hint, label, description, scopes, owner_kind, owner_id, created_by, created_at)
SELECT 'tok_' || lower(hex(randomblob(12))), 'pat', randomblob(32), 'tsr_pat_…' || substr(hex(randomblob(2)), 1, 4),
       'filler ' || n, '', 'read', 'user', 'usr_filler' || (n % 10000), NULL, $now_ms - n
FROM seq;
COMMIT;
PRAGMA wal_checkpoint(TRUNCATE);
EOF
}
