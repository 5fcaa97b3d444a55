#!/usr/bin/env bash
# Runs a command against a real Secret Service: a private D-Bus session bus with its own
# gnome-keyring-daemon (secrets component), in a fresh temporary HOME and XDG directories, so
# tests never touch a person's keyring. Exits with the command's exit code.
#
#   tests/keyring/with-keyring.sh [--locked] [--] CMD [ARGS...]
#
#   (default)  the "login" collection is created and unlocked: writes and reads work.
#   --locked   the daemon is started without being unlocked: there is no unlocked collection, so
#              writes fail (secret-tool: "Object does not exist at path .../collection/login";
#              keyring-core: NoStorageAccess) and lookups find nothing.
#
# Inside, CMD sees DBUS_SESSION_BUS_ADDRESS of the private bus, TESSERA_TEST_KEYRING=1,
# TESSERA_TEST_KEYRING_LOCKED=0|1, and TESSERA_TEST_KEYRING_REAL_HOME (the HOME it was called
# with). CARGO_HOME and RUSTUP_HOME keep pointing at the caller's toolchain.
# Exit codes: CMD's; 125 when the keyring could not be set up; 127 when a tool is missing.
set -euo pipefail

prog=with-keyring.sh
packages="dbus dbus-user-session gnome-keyring libsecret-tools"

usage() {
  echo "usage: tests/keyring/$prog [--locked] [--] CMD [ARGS...]" >&2
  exit 2
}

locked=0
while (($#)); do
  case "$1" in
    --locked) locked=1; shift ;;
    --) shift; break ;;
    -h|--help) usage ;;
    -*) echo "$prog: unknown option $1" >&2; usage ;;
    *) break ;;
  esac
done
(($#)) || usage

missing=()
for tool in dbus-run-session dbus-send gnome-keyring-daemon secret-tool; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if ((${#missing[@]})); then
  echo "$prog: missing ${missing[*]}; install the Debian packages: apt-get install $packages" >&2
  exit 127
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/tessera-keyring.XXXXXX")
child=
# Every process below a pid, from /proc (dbus-run-session, when killed, leaves its bus and CMD running).
descendants() {
  local st line rest ppid pid
  for st in /proc/[0-9]*/stat; do
    { line=$(<"$st"); } 2>/dev/null || continue
    rest=${line##*) }
    ppid=${rest#* }
    ppid=${ppid%% *}
    if [[ $ppid == "$1" ]]; then
      pid=${st#/proc/}
      pid=${pid%/stat}
      echo "$pid"
      descendants "$pid"
    fi
  done
}
cleanup() {
  local status=$?
  if [[ $status -ne 0 && ! -e $tmp/started && -s $tmp/bus.log ]]; then
    echo "$prog: the private D-Bus session did not start:" >&2
    cat "$tmp/bus.log" >&2
  fi
  if [[ -n $child ]] && kill -0 "$child" 2>/dev/null; then
    local pids
    pids=$(descendants "$child")
    kill -TERM "$child" $pids 2>/dev/null || true
    wait "$child" 2>/dev/null || true
  fi
  rm -rf "$tmp"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mkdir -p "$tmp/home/.local/share" "$tmp/home/.config" "$tmp/home/.cache" "$tmp/run"
chmod 700 "$tmp/home" "$tmp/run"

real_home=${HOME:-}
if [[ -z ${CARGO_HOME:-} && -n $real_home && -d $real_home/.cargo ]]; then export CARGO_HOME=$real_home/.cargo; fi
if [[ -z ${RUSTUP_HOME:-} && -n $real_home && -d $real_home/.rustup ]]; then export RUSTUP_HOME=$real_home/.rustup; fi

# The session's own setup, run by dbus-run-session: start the daemon in the foreground as a child
# (unlocked with a random password unless --locked), wait until org.freedesktop.secrets has an
# owner, run CMD, then stop the daemon and return CMD's status.
cat >"$tmp/session.sh" <<'SESSION'
set -u
# fd 3 is the caller's stderr; the bus daemon's own chatter stays in bus.log.
exec 2>&3 3>&-
: >"$KEYRING_TMP/started"
if [ "$TESSERA_TEST_KEYRING_LOCKED" = 1 ]; then
  gnome-keyring-daemon --foreground --components=secrets </dev/null >/dev/null 2>"$KEYRING_TMP/daemon.log" &
else
  head -c 24 /dev/urandom | od -An -tx1 | tr -d " \n" >"$KEYRING_TMP/password"
  gnome-keyring-daemon --foreground --unlock --components=secrets <"$KEYRING_TMP/password" >/dev/null 2>"$KEYRING_TMP/daemon.log" &
fi
daemon=$!
owned=
i=0
while [ $i -lt 200 ]; do
  if ! kill -0 "$daemon" 2>/dev/null; then break; fi
  if dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
      org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q "boolean true"; then
    owned=1
    break
  fi
  i=$((i + 1))
  sleep 0.05
done
rm -f "$KEYRING_TMP/password"
if [ -z "$owned" ]; then
  echo "with-keyring.sh: org.freedesktop.secrets got no owner on the private bus within 10 s; gnome-keyring-daemon said:" >&2
  cat "$KEYRING_TMP/daemon.log" "$KEYRING_TMP/bus.log" >&2
  kill "$daemon" 2>/dev/null
  wait "$daemon" 2>/dev/null
  exit 125
fi
# Give CMD back the display it was called with (kept from the bus so no prompt window can open).
if [ -n "${KEYRING_SAVED_DISPLAY:-}" ]; then export DISPLAY="$KEYRING_SAVED_DISPLAY"; fi
if [ -n "${KEYRING_SAVED_WAYLAND_DISPLAY:-}" ]; then export WAYLAND_DISPLAY="$KEYRING_SAVED_WAYLAND_DISPLAY"; fi
unset KEYRING_SAVED_DISPLAY KEYRING_SAVED_WAYLAND_DISPLAY KEYRING_TMP
"$@"
status=$?
kill "$daemon" 2>/dev/null
wait "$daemon" 2>/dev/null
exit $status
SESSION

env -u DISPLAY -u WAYLAND_DISPLAY -u DBUS_SESSION_BUS_ADDRESS -u GNOME_KEYRING_CONTROL \
  -u SSH_AUTH_SOCK -u XDG_SESSION_TYPE \
  HOME="$tmp/home" \
  XDG_DATA_HOME="$tmp/home/.local/share" \
  XDG_CONFIG_HOME="$tmp/home/.config" \
  XDG_CACHE_HOME="$tmp/home/.cache" \
  XDG_RUNTIME_DIR="$tmp/run" \
  KEYRING_TMP="$tmp" \
  KEYRING_SAVED_DISPLAY="${DISPLAY:-}" \
  KEYRING_SAVED_WAYLAND_DISPLAY="${WAYLAND_DISPLAY:-}" \
  TESSERA_TEST_KEYRING=1 \
  TESSERA_TEST_KEYRING_LOCKED="$locked" \
  TESSERA_TEST_KEYRING_REAL_HOME="$real_home" \
  dbus-run-session -- sh "$tmp/session.sh" "$@" <&0 3>&2 2>"$tmp/bus.log" &
child=$!
set +e
wait "$child"
status=$?
set -e
child=
exit "$status"
