#!/usr/bin/env bash
# Launch speed and memory of the desktop app, side by side with a bare Tauri window built the
# same way (src-tauri/examples/bare.rs: same crate, Tauri features and profile, loading a trivial
# page).
#
# Builds both in the desktop profile (Cargo.toml: the release profile built for size), then, under
# Xvfb with a private D-Bus session and keyring (tests/keyring/with-keyring.sh), launches each
# TESSERA_BENCH_RUNS times after one warm-up, in turns (bare window, app, bare window, ...):
#   - launch to ready: from just before exec to the frame after the first paint that matters,
#     marked by the page itself through the `mark_ready` command (TESSERA_READY_FILE): for the app
#     the token list, started with --local so it signs in as the local account at once (embedded
#     server up, keyring read, session signed, list fetched and drawn); for the bare window its page;
#   - CPU time to ready: user and system time of the process and all its descendants when the
#     mark is seen (the machine has few cores: work off the critical path still slows it);
#   - PSS: the sum of Pss over the process and all its descendants (WebKitWebProcess,
#     WebKitNetworkProcess), from /proc/<pid>/smaps_rollup, TESSERA_BENCH_SETTLE seconds after ready.
# Prints the medians, the difference (and the median of each app launch less the bare window's
# launched just before it), the binary sizes and the UI bundle size, and then the median time of
# each launch step, both windows side by side, to show where the launch goes: both mark their
# shell's start and setup; the app also its setup's end, its session and first screen's data,
# and the UI's start, session, /me and token list.
#
# usage: bench/desktop.sh
# Environment: TESSERA_BENCH_RUNS (5), TESSERA_BENCH_SETTLE (seconds, 5), BENCH_NO_BUILD (set: use
# the binaries and ui/dist as built).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
RUNS=${TESSERA_BENCH_RUNS:-5}
SETTLE=${TESSERA_BENCH_SETTLE:-5}
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
APP=$TARGET/desktop/tessera-desktop
BARE=$TARGET/desktop/examples/bare

die() {
    echo "desktop bench: $*" >&2
    exit 1
}

if [ "${1:-}" != --inside ]; then
    for tool in xvfb-run dbus-run-session gnome-keyring-daemon node npm cargo; do
        command -v "$tool" >/dev/null || die "missing $tool (make setup installs what is needed)"
    done
    if [ -z "${BENCH_NO_BUILD:-}" ]; then
        [ -d ui/node_modules ] || (cd ui && npm ci --no-audit --no-fund --loglevel=error)
        # Only when the UI changed: a new ui/dist makes cargo embed it again, which costs minutes.
        if [ ! -f ui/dist/index.html ] || [ -n "$(find ui/src ui/index.html ui/package.json ui/package-lock.json \
            ui/vite.config.ts ui/svelte.config.js -newer ui/dist/index.html -print -quit)" ]; then
            (cd ui && npm run build >/dev/null 2>&1) || die "the UI build failed: cd ui && npm run build"
        fi
        echo "desktop bench: building the desktop profile (app and bare window)" >&2
        cargo build --profile desktop -p tessera-desktop --bin tessera-desktop --example bare
    fi
    [ -x "$APP" ] && [ -x "$BARE" ] || die "no desktop build at $APP and $BARE: run it without BENCH_NO_BUILD"
    exec env -i PATH="$PATH" HOME="$HOME" USER=bench LANG=C.UTF-8 CARGO_TARGET_DIR="$TARGET" \
        TESSERA_BENCH_RUNS="$RUNS" TESSERA_BENCH_SETTLE="$SETTLE" \
        tests/keyring/with-keyring.sh \
        xvfb-run -a -s "-screen 0 1280x800x24" \
        bash "$ROOT/bench/desktop.sh" --inside
fi

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# The load this machine was under: launch times mean little on a busy machine.
echo "desktop bench: load average $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores" >&2

# The pid and every process below it.
tree() {
    echo "$1"
    local child
    for child in $(pgrep -P "$1" || true); do tree "$child"; done
}

# Sum of a smaps_rollup field (kB) over a process tree.
sum_field() {
    local field=$1 pid total=0 v
    for pid in $(tree "$2"); do
        v=$(awk -v f="$field:" '$1 == f { print $2 }' "/proc/$pid/smaps_rollup" 2>/dev/null || true)
        total=$((total + ${v:-0}))
    done
    echo "$total"
}

# User and system CPU time (ms) used so far by a process tree: /proc/<pid>/stat fields 14 and 15,
# in clock ticks (the comm field before them has no spaces here).
cpu_ms() {
    local pid ticks=0 v
    for pid in $(tree "$1"); do
        v=$(awk '{ print $14 + $15 }' "/proc/$pid/stat" 2>/dev/null || true)
        ticks=$((ticks + ${v:-0}))
    done
    echo $((ticks * 1000 / $(getconf CLK_TCK)))
}

# measure RUN NAME BINARY MARK [ARGS...]: launch number RUN (0 is the warm-up, not counted); a
# counted one adds a line to NAME.runs, "<ms> <pss kB> <rss kB> <processes> <cpu ms>", and its
# marks to NAME.steps.
measure() {
    local run=$1 name=$2 bin=$3 mark=$4
    shift 4
    local data=$WORK/$name-data ready=$WORK/$name.ready t0 t1 pid i
    mkdir -p "$data"
    rm -f "$ready"
    t0=$(date +%s%N)
    TESSERA_DATA_DIR=$data TESSERA_READY_FILE=$ready "$bin" "$@" >>"$WORK/$name.log" 2>&1 &
    pid=$!
    t1=
    for i in $(seq 1 3000); do
        t1=$(awk -v m="$mark" '$1 == m { print $2; exit }' "$ready" 2>/dev/null || true)
        [ -n "$t1" ] && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.005
    done
    local cpu
    cpu=$(cpu_ms "$pid")
    if [ -z "$t1" ]; then
        kill "$pid" 2>/dev/null || true
        tail -n 20 "$WORK/$name.log" >&2
        die "$name never marked $mark"
    fi
    sleep "$SETTLE"
    local pss rss procs
    pss=$(sum_field Pss "$pid")
    rss=$(sum_field Rss "$pid")
    procs=$(tree "$pid" | wc -l)
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    local ms=$(((t1 - t0) / 1000000))
    # Every mark of the launch (the shell's and the UI's steps), in ms after exec.
    [ "$run" = 0 ] || awk -v t0="$t0" '{ printf "%s %d\n", $1, ($2 - t0) / 1000000 }' "$ready" >>"$WORK/$name.steps"
    if [ "$run" = 0 ]; then
        echo "$name: first launch (new data directory, not counted): $ms ms" >&2
        echo "$ms" >"$WORK/$name.first"
    else
        echo "$name: run $run: $ms ms to $mark, $cpu ms of CPU, PSS $((pss / 1024)) MB over $procs processes" >&2
        echo "$ms $pss $rss $procs $cpu" >>"$WORK/$name.runs"
    fi
}

median() { # column of a runs file
    sort -n -k"$2" "$1" | awk -v c="$2" '{ v[NR] = $c } END { print (NR % 2) ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2) }'
}

# Taken in turns, bare window then app, so a change in the machine's load falls on both.
for run in $(seq 0 "$RUNS"); do
    measure "$run" bare "$BARE" page
    measure "$run" app "$APP" token-list --local
done

size() { stat -c %s "$1"; }
dist_bytes=$(find ui/dist -type f -printf '%s\n' | awk '{ s += $1 } END { print s }')
dist_gzip=$(find ui/dist -type f -exec gzip -9c {} \; | wc -c)

printf '\n%-28s %12s %12s %12s\n' "" "bare window" "Tessera" "difference"
row() { # label bare app unit
    printf '%-28s %12s %12s %12s\n' "$1" "$2 $4" "$3 $4" "$(($3 - $2)) $4"
}
b_ms=$(median "$WORK/bare.runs" 1)
a_ms=$(median "$WORK/app.runs" 1)
b_pss=$(($(median "$WORK/bare.runs" 2) / 1024))
a_pss=$(($(median "$WORK/app.runs" 2) / 1024))
b_rss=$(($(median "$WORK/bare.runs" 3) / 1024))
a_rss=$(($(median "$WORK/app.runs" 3) / 1024))
row "launch to ready (median)" "$b_ms" "$a_ms" ms
row "launch to ready (fastest)" "$(sort -n "$WORK/bare.runs" | head -n 1 | cut -d' ' -f1)" \
    "$(sort -n "$WORK/app.runs" | head -n 1 | cut -d' ' -f1)" ms
# Each app launch less the bare window's launched just before it: the steadier figure when the
# machine's load moves the bare window's own time by a hundred milliseconds between launches.
paste -d' ' <(cut -d' ' -f1 "$WORK/bare.runs") <(cut -d' ' -f1 "$WORK/app.runs") |
    awk '{ print $2 - $1 }' >"$WORK/pairs"
printf '%-28s %12s %12s %12s
' "launch, paired (median)" "" "" "$(median "$WORK/pairs" 1) ms"
row "CPU time to ready (median)" "$(median "$WORK/bare.runs" 5)" "$(median "$WORK/app.runs" 5)" ms
row "first launch" "$(cat "$WORK/bare.first")" "$(cat "$WORK/app.first")" ms
row "PSS, all processes (median)" "$b_pss" "$a_pss" MB
row "RSS, all processes (median)" "$b_rss" "$a_rss" MB
row "binary (desktop profile)" "$(($(size "$BARE") / 1024))" "$(($(size "$APP") / 1024))" KiB
printf '%-28s %12s %12s\n' "UI bundle (ui/dist)" "" "$((dist_bytes / 1024)) KiB"
printf '%-28s %12s %12s\n' "UI bundle, gzip -9" "" "$((dist_gzip / 1024)) KiB"

# Where the launch goes: each step's median over the counted runs, in the order they came, for
# the app and for the bare window (which marks its shell's start and setup, and its page).
step_median() { # name step
    awk -v s="$2" '$1 == s { print $2 }' "$WORK/$1.steps" >"$WORK/step"
    if [ -s "$WORK/step" ]; then echo "$(median "$WORK/step" 1) ms"; else echo "-"; fi
}
echo
echo "The launch, step by step (median ms after exec):"
printf '  %-16s %12s %12s\n' "" "bare window" "Tessera"
awk '!seen[$1]++ { print $1 }' "$WORK/app.steps" "$WORK/bare.steps" | while read -r step; do
    printf '  %-16s %12s %12s\n' "$step" "$(step_median bare "$step")" "$(step_median app "$step")"
done
echo
echo "ready: bare = its page drawn; Tessera = the token list drawn after signing in locally (--local)."
echo "$RUNS runs each after a warm-up, ${SETTLE} s settle before PSS; Xvfb, private D-Bus session and keyring;"
echo "load average $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores at the end."
