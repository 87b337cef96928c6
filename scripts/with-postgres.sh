#!/usr/bin/env bash
# Runs a command against a throwaway PostgreSQL: initdb into a temp dir, loopback only, a free
# port, fsync off. TEST_DATABASE_URL points at it while the command runs; the server is stopped
# and its files removed on exit, also when the command fails or is interrupted.
#
#   scripts/with-postgres.sh cargo test -p crud-api --test api
#
# PG_EXTRA_OPTS adds server options (e.g. "-c shared_buffers=256MB"); TEST_DATABASE_LOG names
# the server's log file, for a command that reads what the server logged.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/free-port.sh"

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
if [ -z "$(pg_bin)" ]; then
  echo "with-postgres: installing the Debian package postgresql…" >&2
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql >/dev/null
fi
BIN=$(pg_bin)

# initdb refuses to run as root: run the server as the postgres user then.
as_pg=()
dir=$(mktemp -d /tmp/gajyeogagu-pg.XXXXXX)
if [ "$(id -u)" -eq 0 ]; then
  as_pg=(runuser -u postgres --)
  chown postgres: "$dir"
fi
port=$(free_port)

cleanup() {
  "${as_pg[@]}" "$BIN/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"${as_pg[@]}" "$BIN/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
"${as_pg[@]}" "$BIN/pg_ctl" -D "$dir/data" -w -l "$dir/server.log" \
  -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=400 ${PG_EXTRA_OPTS:-}" \
  start >/dev/null
echo "with-postgres: PostgreSQL $("$BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$port" >&2

export TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$port/postgres"
export TEST_DATABASE_LOG="$dir/server.log"
"$@"
