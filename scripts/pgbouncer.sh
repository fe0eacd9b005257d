#!/usr/bin/env bash
# Start (or stop) a PgBouncer in transaction mode in front of the local
# PostgreSQL, as docs/deployment.md deploys it, for the CI run of the suite
# through it (.ci/run) and for trying it by hand:
#
#   bash scripts/pgbouncer.sh start   # installs the Debian package when missing
#   bash scripts/pgbouncer.sh stop
#
# Listens on 127.0.0.1:${PGBOUNCER_PORT:-6439} (not 6432, where the Debian
# package's own service may listen); every database name is passed through to
# 127.0.0.1:5432 (trust auth, user postgres, as on the CI machine).
set -euo pipefail

PORT="${PGBOUNCER_PORT:-6439}"
DIR="/tmp/kefu-pgbouncer-$PORT"
action="${1:-start}"

run_as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

if [ "$action" = stop ]; then
  if [ -f "$DIR/pgbouncer.pid" ]; then
    kill "$(cat "$DIR/pgbouncer.pid")" 2>/dev/null || true
  fi
  exit 0
fi

if ! command -v pgbouncer >/dev/null && [ ! -x /usr/sbin/pgbouncer ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "pgbouncer.sh: PgBouncer is missing; as root run: apt-get install -y pgbouncer" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y -q pgbouncer >/dev/null; then
    apt-get update -qq
    apt-get install -y -q pgbouncer >/dev/null
  fi
fi
PGBOUNCER="$(command -v pgbouncer || echo /usr/sbin/pgbouncer)"

mkdir -p "$DIR"
cat >"$DIR/pgbouncer.ini" <<EOF
[databases]
* = host=127.0.0.1 port=5432

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $PORT
unix_socket_dir =
auth_type = trust
auth_file = $DIR/users.txt
pool_mode = transaction
max_client_conn = 500
default_pool_size = 20
; Django's psycopg backend sends -c options (DATABASE_PG_OPTIONS): ignored here,
; set on the database instead (docs/deployment.md).
ignore_startup_parameters = options,extra_float_digits
; The test databases are dropped at the end of a run: do not keep idle server
; connections to them.
server_idle_timeout = 2
logfile = $DIR/pgbouncer.log
pidfile = $DIR/pgbouncer.pid
EOF
echo '"postgres" ""' >"$DIR/users.txt"
if [ "$(id -u)" = 0 ]; then chown -R postgres "$DIR"; fi

if [ -f "$DIR/pgbouncer.pid" ] && kill -0 "$(cat "$DIR/pgbouncer.pid")" 2>/dev/null; then
  kill "$(cat "$DIR/pgbouncer.pid")"
  sleep 1
fi
run_as_postgres "$PGBOUNCER" -d "$DIR/pgbouncer.ini"
for _ in $(seq 1 20); do
  pg_isready -h 127.0.0.1 -p "$PORT" -U postgres -q && exit 0
  sleep 0.5
done
echo "PgBouncer did not start; see $DIR/pgbouncer.log" >&2
exit 1
