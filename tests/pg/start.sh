#!/usr/bin/env bash
# Starts a throwaway PostgreSQL for the tests and benchmarks, from Debian's packages, without a
# system service: `initdb` into a folder, run as a non-root user (`postgres` when started by
# root), listening on 127.0.0.1 only, on a free port, with its unix sockets inside the folder.
#
# usage: tests/pg/start.sh [DIR]     (DIR must be missing or empty; default: a new temporary one)
#
# Prints shell assignments to eval, and writes them to DIR/env as well:
#   TESSERA_TEST_PG_URL   postgres://tessera:<random password>@127.0.0.1:<port>/tessera
#                         (role `tessera` owns database `tessera` and may create databases;
#                         it is not a superuser, as in a real deployment)
#   TESSERA_TEST_PG_DIR   the folder, for tests/pg/stop.sh
#
# Installs the `postgresql` package when its binaries are missing. By default the server trades
# durability for speed (fsync off: only the server, never PostgreSQL, is killed in the tests);
# PG_DURABLE=1 keeps PostgreSQL's defaults, as the benchmarks do. PG_SETTINGS adds lines to
# postgresql.conf.
set -euo pipefail

die() {
    echo "tests/pg/start.sh: $*" >&2
    exit 1
}

PG_VERSION=${PG_VERSION:-15}
BIN=/usr/lib/postgresql/$PG_VERSION/bin

if [ ! -x "$BIN/initdb" ]; then
    echo "tests/pg/start.sh: installing PostgreSQL $PG_VERSION from Debian's packages" >&2
    SUDO=""
    [ "$(id -u)" = 0 ] || SUDO=sudo
    # No system cluster: this script makes its own, and a service on port 5432 is not wanted.
    $SUDO mkdir -p /etc/postgresql-common/createcluster.d
    echo "create_main_cluster = false" | $SUDO tee /etc/postgresql-common/createcluster.d/tessera-tests.conf >/dev/null
    [ -n "${TESSERA_APT_UPDATED:-}" ] || $SUDO apt-get update >&2
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql >&2
    [ -x "$BIN/initdb" ] || die "no $BIN/initdb after installing postgresql (set PG_VERSION?)"
fi

# PostgreSQL refuses to run as root: as root, run it as the package's `postgres` user.
AS=()
if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || die "running as root but there is no postgres user to run PostgreSQL as"
    AS=(runuser -u postgres --)
fi

DIR=${1:-}
if [ -z "$DIR" ]; then
    DIR=$(mktemp -d "${TMPDIR:-/tmp}/tessera-pg.XXXXXX")
else
    mkdir -p "$DIR"
    [ -z "$(ls -A "$DIR")" ] || die "$DIR is not empty"
fi
DIR=$(cd "$DIR" && pwd)
mkdir -p "$DIR/sock"
if [ ${#AS[@]} -gt 0 ]; then
    chown -R postgres: "$DIR"
    # The postgres user must be able to reach the folder.
    chmod 755 "$DIR"
fi

PASSWORD=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
printf '%s\n' "$PASSWORD" >"$DIR/superuser-password"
[ ${#AS[@]} -eq 0 ] || chown postgres: "$DIR/superuser-password"

"${AS[@]}" "$BIN/initdb" -D "$DIR/data" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
    --pwfile="$DIR/superuser-password" --encoding=UTF8 --locale=C.UTF-8 >"$DIR/initdb.log" 2>&1 ||
    {
        cat "$DIR/initdb.log" >&2
        die "initdb failed"
    }
rm -f "$DIR/superuser-password"

{
    echo "listen_addresses = '127.0.0.1'"
    echo "unix_socket_directories = '$DIR/sock'"
    # One connection pool per test server, two test binaries at a time.
    echo "max_connections = 400"
    if [ -z "${PG_DURABLE:-}" ]; then
        echo "fsync = off"
        echo "synchronous_commit = off"
        echo "full_page_writes = off"
    fi
    [ -z "${PG_SETTINGS:-}" ] || printf '%s\n' "$PG_SETTINGS"
} >>"$DIR/data/postgresql.conf"

# A free port: try random ones until the server binds one.
PORT=""
for _ in $(seq 20); do
    try=$((20000 + RANDOM % 40000))
    if "${AS[@]}" "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -o "-p $try" -w -t 60 start >/dev/null 2>&1; then
        PORT=$try
        break
    fi
    grep -q "Address already in use\|could not create any TCP/IP sockets" "$DIR/server.log" 2>/dev/null ||
        {
            cat "$DIR/server.log" >&2 2>/dev/null || true
            die "PostgreSQL did not start"
        }
done
[ -n "$PORT" ] || die "no free port found for PostgreSQL"
echo "$PORT" >"$DIR/port"

PSQL=("${AS[@]}" "$BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$DIR/sock" -p "$PORT" -U postgres -d postgres)
"${PSQL[@]}" -c "CREATE ROLE tessera LOGIN CREATEDB PASSWORD '$PASSWORD'" >&2
"${PSQL[@]}" -c "CREATE DATABASE tessera OWNER tessera" >&2

URL="postgres://tessera:$PASSWORD@127.0.0.1:$PORT/tessera"
{
    echo "export TESSERA_TEST_PG_URL='$URL'"
    echo "export TESSERA_TEST_PG_DIR='$DIR'"
} >"$DIR/env"
chmod 600 "$DIR/env"
cat "$DIR/env"
echo "tests/pg/start.sh: PostgreSQL $PG_VERSION on 127.0.0.1:$PORT, data in $DIR" >&2
