#!/usr/bin/env bash
# Proves tests/keyring/with-keyring.sh: N rounds (default 10) of a secret-tool round trip in an
# unlocked keyring, a failing write with --locked, exit-code propagation and cleanup.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
rounds=${1:-10}
pass=0
fail=0

check() {
  local name=$1
  shift
  if "$@"; then
    pass=$((pass + 1))
  else
    fail=$((fail + 1))
    echo "not ok: $name" >&2
  fi
}

unlocked_round() {
  local out
  out=$("$here/with-keyring.sh" bash -c '
    set -e
    [ "$TESSERA_TEST_KEYRING" = 1 ] && [ "$TESSERA_TEST_KEYRING_LOCKED" = 0 ]
    printf %s "secret value 1" | secret-tool store --label="Tessera test" service tessera-test username u
    echo "home=$HOME"
    echo "value=$(secret-tool lookup service tessera-test username u)"
    test -n "$(ls "$XDG_DATA_HOME/keyrings")"
  ') || return 1
  [[ $out == *"value=secret value 1"* ]] || { echo "$out" >&2; return 1; }
  local home=${out#*home=}
  home=${home%%$'\n'*}
  [[ $home == */tessera-keyring.*/home && ! -e $home ]] || { echo "temporary HOME $home left behind" >&2; return 1; }
}

locked_round() {
  local err rc=0
  err=$("$here/with-keyring.sh" --locked bash -c '
    [ "$TESSERA_TEST_KEYRING_LOCKED" = 1 ] || exit 3
    printf %s v | secret-tool store --label=x service tessera-test username u && exit 4
    secret-tool lookup service tessera-test username u && exit 5
    exit 0
  ' 2>&1) || rc=$?
  [[ $rc -eq 0 ]] || { echo "locked round exited $rc: $err" >&2; return 1; }
}

exit_code_round() {
  local rc=0
  "$here/with-keyring.sh" sh -c 'exit 42' || rc=$?
  [[ $rc -eq 42 ]]
}

stdin_round() {
  [[ $(printf 'from stdin' | "$here/with-keyring.sh" cat) == 'from stdin' ]]
}

start=$(date +%s%N)
for i in $(seq 1 "$rounds"); do
  t0=$(date +%s%N)
  check "unlocked round $i" unlocked_round
  check "locked round $i" locked_round
  echo "# round $i: $(( ($(date +%s%N) - t0) / 1000000 )) ms" >&2
done
check "exit code" exit_code_round
check "stdin" stdin_round
echo "# $rounds rounds in $(( ($(date +%s%N) - start) / 1000000 )) ms" >&2
echo "$pass passed, $fail failed"
[[ $fail -eq 0 ]]
