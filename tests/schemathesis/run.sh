#!/usr/bin/env bash
# Property-based API tests with schemathesis against the OpenAPI document of a real
# `tessera serve`: one pass with an instance admin's login session, one with a personal access
# token holding every scope. Fails when a check fails (by default: no 5xx for any input).
#
#   tests/schemathesis/run.sh [EXTRA st run OPTIONS...]
#
# e.g. every check schemathesis has, with a report of each failure per operation:
#   SCHEMATHESIS_CHECKS=all tests/schemathesis/run.sh --continue-on-failure --report ndjson --report-dir /tmp/st
#
# SCHEMATHESIS_EXAMPLES  test cases per operation and phase (default 25)
# SCHEMATHESIS_CHECKS    the checks that must pass (default: not_a_server_error and the
#                        conformance checks the current document passes; see below)
# SCHEMATHESIS_SEED      a seed to repeat a run (schemathesis prints the one it used)
# TESSERA_BIN            the tessera binary (default: a debug build, built here)
# SCHEMATHESIS_VENV      where schemathesis is installed (default: <cargo target dir>/schemathesis-venv)
#
# Nothing here touches the caller's home: the script re-runs itself under
# tests/keyring/with-keyring.sh (a private keyring, a temporary HOME), the data directory is a
# temporary one, and the server listens on a port of 127.0.0.1 the OS picks.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"

# schemathesis 4.x; pinned so that `make test` is repeatable.
st_version=4.32.5
# The checks every response must pass: no 5xx; every answer's status, body, content type and
# headers as documented; every schema-valid request accepted (2xx, or 401/403/404/409/429 for
# what only the server's state decides), every schema-violating one refused; authentication
# never ignored.
default_checks=not_a_server_error,status_code_conformance,response_schema_conformance,content_type_conformance,response_headers_conformance,positive_data_acceptance,negative_data_rejection,missing_required_header,unsupported_method,allow_header_conformance,ignored_auth
checks=${SCHEMATHESIS_CHECKS:-$default_checks}
examples=${SCHEMATHESIS_EXAMPLES:-25}

if [[ -z ${TESSERA_TEST_KEYRING:-} ]]; then
    cargo=${CARGO:-cargo}
    target_dir=${CARGO_TARGET_DIR:-$root/target}
    venv=${SCHEMATHESIS_VENV:-$target_dir/schemathesis-venv}
    if ! "$venv/bin/st" --version 2>/dev/null | grep -qF "$st_version"; then
        echo "schemathesis: installing schemathesis $st_version into $venv"
        python3 -m venv "$venv" || {
            echo "schemathesis: python3 -m venv failed; install python3-venv (make setup does)" >&2
            exit 1
        }
        "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$st_version"
    fi
    if [[ -z ${TESSERA_BIN:-} ]]; then
        # Both binaries, as the end-to-end and package tests build them: one feature set, one
        # compilation of the workspace.
        "$cargo" build --quiet -p tessera-desktop -p tessera-cli
        TESSERA_BIN=$target_dir/debug/tessera
    fi
    export TESSERA_BIN SCHEMATHESIS_VENV=$venv
    exec tests/keyring/with-keyring.sh "$root/tests/schemathesis/run.sh" "$@"
fi

st=$SCHEMATHESIS_VENV/bin/st
tessera=$TESSERA_BIN
work=$(mktemp -d "${TMPDIR:-/tmp}/tessera-schemathesis.XXXXXX")
server=
cleanup() {
    local status=$?
    if [[ -n $server ]] && kill -0 "$server" 2>/dev/null; then
        kill -TERM "$server" 2>/dev/null || true
        wait "$server" 2>/dev/null || true
    fi
    if [[ $status -ne 0 && -s $work/server.log ]]; then
        echo "schemathesis: the server's log ends with:" >&2
        tail -n 40 "$work/server.log" >&2
    fi
    rm -rf "$work"
    exit "$status"
}
trap cleanup EXIT

export TESSERA_DATA_DIR=$work/data
mkdir -p "$TESSERA_DATA_DIR"
unset TESSERA_DB TESSERA_TOKEN TESSERA_SERVER

"$tessera" admin create-user admin --admin >/dev/null
session=$("$tessera" admin session admin)

# The files exist before the server starts, so that reading them cannot race its start.
: >"$work/server.out"
: >"$work/server.log"
# The failed-authentication throttle is tested in the API suite; here it would turn the
# authentication checks' deliberate bad credentials into 429s, so it is set out of reach.
"$tessera" serve --listen 127.0.0.1:0 --failed-auth-rate 1000000 >"$work/server.out" 2>"$work/server.log" &
server=$!
base=
for _ in $(seq 200); do
    base=$(sed -n 's/^listening on //p' "$work/server.out")
    [[ -n $base ]] && break
    kill -0 "$server" 2>/dev/null || { echo "schemathesis: tessera serve did not start" >&2; exit 1; }
    sleep 0.05
done
[[ -n $base ]] || { echo "schemathesis: tessera serve did not say where it listens" >&2; exit 1; }
case $base in
    http://127.0.0.1:*) ;;
    *) echo "schemathesis: the server listens on $base, not on 127.0.0.1" >&2; exit 1 ;;
esac

# A personal access token with every scope, made with the session.
scopes='["trigger","read","pipeline:write","repo:write","secret:write","token:admin","org:admin"]'
pat=$(curl -fsS -X POST "$base/api/v1/user/tokens" -H "Authorization: Bearer $session" \
    -H 'Content-Type: application/json' --data "{\"label\":\"schemathesis\",\"scopes\":$scopes}" |
    "$SCHEMATHESIS_VENV/bin/python" -c 'import json, sys; print(json.load(sys.stdin)["token"])')

seed=()
[[ -n ${SCHEMATHESIS_SEED:-} ]] && seed=(--seed "$SCHEMATHESIS_SEED")
common=(
    "$base/api/v1/openapi.json"
    --checks "$checks"
    --max-examples "$examples"
    --phases examples,coverage,fuzzing
    # One worker: with two, Hypothesis parses schemathesis's sources from two threads at once to
    # describe a filter, which CPython 3.11 fails ("AST constructor recursion depth mismatch").
    --workers 1
    --request-timeout 10
    --suppress-health-check all
    --warnings off
    "${seed[@]}"
)

# schemathesis keeps a cache in the directory it runs in: let that be the temporary one (so
# paths in EXTRA options must be absolute).
cd "$work"
start=$(date +%s)
failed=()
echo "schemathesis: pass 1 of 2, an instance admin's login session ($checks; $examples examples per operation)"
# The session pass leaves out ending its own session, which would turn every later request
# into a 401; the token pass below calls it.
# Runs one pass. A pass whose only trouble is an error inside schemathesis itself (a "Runtime
# Error" with no check failed, e.g. Hypothesis failing to describe one of its own strategies) is
# run once more; any failed check fails the pass at once.
pass() {
    local out="$work/pass.out" rc=0
    "$st" --config-file "$root/tests/schemathesis/schemathesis.toml" run "$@" 2>&1 | tee "$out" || rc=$?
    if ((rc)) && ! grep -q '❌ ST[0-9]' "$out" && grep -q '^Runtime Error' "$out"; then
        echo "schemathesis: that pass stopped on an error inside schemathesis, with no check failed; running it once more"
        rc=0
        "$st" --config-file "$root/tests/schemathesis/schemathesis.toml" run "$@" || rc=$?
    fi
    return "$rc"
}
pass "${common[@]}" -H "Authorization: Bearer $session" \
    --exclude-path /api/v1/sessions/current "$@" || failed+=("the session pass")
echo "schemathesis: pass 2 of 2, a personal access token with every scope"
pass "${common[@]}" -H "Authorization: Bearer $pat" "$@" || failed+=("the token pass")
if ((${#failed[@]})); then
    echo "schemathesis: FAILED: ${failed[*]} (checks: $checks); the failures and how to repeat them are above" >&2
    exit 1
fi
echo "schemathesis: both passes green in $(($(date +%s) - start))s"
