#!/usr/bin/env bash
# Runs every fuzz target (or those named) for FUZZ_SECONDS each and fails on the first crash.
#
#   fuzz/run.sh [TARGET...]
#
# FUZZ_SECONDS     time budget per target (default 60)
# FUZZ_SANITIZER   cargo-fuzz's sanitizer (default none: Tessera forbids unsafe code, and
#                  uninstrumented runs are several times faster; `address` for dependencies' sake)
# FUZZ_TARGET_DIR  where the instrumented build goes (default fuzz/target)
# FUZZ_CORPUS_DIR  where the inputs found are kept between runs (default fuzz/corpus); the seeds
#                  in fuzz/seeds/<target> are read every run
#
# A crash leaves its input in fuzz/artifacts/<target>/ and the run stops with libFuzzer's report;
# reproduce it with `cargo +nightly fuzz run --fuzz-dir fuzz <target> <file>`. At the end a table
# gives each target's executions, executions per second and time.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
fuzz="$root/fuzz"
seconds=${FUZZ_SECONDS:-60}
sanitizer=${FUZZ_SANITIZER:-none}
target_dir=${FUZZ_TARGET_DIR:-$fuzz/target}
corpus_root=${FUZZ_CORPUS_DIR:-$fuzz/corpus}

if ! rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
    echo "fuzz: installing the nightly toolchain (cargo-fuzz needs it for coverage instrumentation)"
    rustup toolchain install nightly --profile minimal
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz: installing cargo-fuzz"
    cargo install cargo-fuzz --locked
fi

if (($#)); then
    targets=("$@")
else
    mapfile -t targets < <(cargo +nightly fuzz list --fuzz-dir "$fuzz")
fi
opts=(--fuzz-dir "$fuzz" --target-dir "$target_dir" --sanitizer "$sanitizer" --release --debug-assertions)

start=$(date +%s)
echo "fuzz: building ${#targets[@]} targets (sanitizer: $sanitizer)"
cargo +nightly fuzz build "${opts[@]}"
built=$(date +%s)

summary=()
for t in "${targets[@]}"; do
    corpus="$corpus_root/$t"
    mkdir -p "$corpus" "$fuzz/artifacts/$t"
    log=$(mktemp)
    echo "fuzz: $t for ${seconds}s"
    t0=$(date +%s)
    if ! cargo +nightly fuzz run "${opts[@]}" "$t" "$corpus" "$fuzz/seeds/$t" -- \
        -max_total_time="$seconds" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 >"$log" 2>&1; then
        tail -n 60 "$log" >&2
        echo "fuzz: $t found a crash; its input is in fuzz/artifacts/$t/ (see above)" >&2
        rm -f "$log"
        exit 1
    fi
    t1=$(date +%s)
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
    cov=$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -n 1 | sed -E 's/.*cov: ([0-9]+).*/\1/')
    rm -f "$log"
    summary+=("$(printf '%-16s %12s %10s %8s %6ss' "$t" "${runs:-?}" "${rate:-?}" "${cov:-?}" "$((t1 - t0))")")
done
end=$(date +%s)

printf '%-16s %12s %10s %8s %7s\n' target executions exec/s cov time
printf '%s\n' "${summary[@]}"
echo "fuzz: no crash in ${#targets[@]} targets; build $((built - start))s, total $((end - start))s"
