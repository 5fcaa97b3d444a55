#!/usr/bin/env bash
# Stops a PostgreSQL started by tests/pg/start.sh and deletes its folder. Safe to call twice, or
# on a folder where the start failed half-way.
#
# usage: tests/pg/stop.sh [DIR]     (default: $TESSERA_TEST_PG_DIR)
set -uo pipefail

DIR=${1:-${TESSERA_TEST_PG_DIR:-}}
[ -n "$DIR" ] || {
    echo "usage: $0 DIR (or set TESSERA_TEST_PG_DIR)" >&2
    exit 2
}
[ -d "$DIR" ] || exit 0
# A start that failed before it made anything leaves an empty folder.
rmdir "$DIR" 2>/dev/null && exit 0
# Refuse anything that does not look like start.sh's folder, since it is deleted below.
[ -d "$DIR/sock" ] || {
    echo "tests/pg/stop.sh: $DIR was not made by tests/pg/start.sh; leaving it alone" >&2
    exit 1
}

BIN=/usr/lib/postgresql/${PG_VERSION:-15}/bin
AS=()
[ "$(id -u)" != 0 ] || AS=(runuser -u postgres --)
if [ -f "$DIR/data/postmaster.pid" ] && [ -x "$BIN/pg_ctl" ]; then
    "${AS[@]}" "$BIN/pg_ctl" -D "$DIR/data" -m immediate -w -t 30 stop >/dev/null 2>&1 ||
        echo "tests/pg/stop.sh: pg_ctl stop failed; see $DIR/server.log" >&2
fi
rm -rf "$DIR"
