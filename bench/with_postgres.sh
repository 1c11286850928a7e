#!/usr/bin/env bash
# Run a command with DATABASE_URL pointing at a throwaway PostgreSQL server on loopback, started the way CI
# starts it (Debian's packages; installed first if missing, which needs root), stopped and removed after.
# `make bench-pg` runs `bench/digest_plan.py --channels 10000` through it.
set -euo pipefail
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
PGPORT=${RADAR_BENCH_PGPORT:-54331}
PGDATA=$(mktemp -d /tmp/radar-bench-pg.XXXXXX)
as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" = 0 ] && chown postgres:postgres "$PGDATA"
cleanup() {
  as_postgres "$PGBIN/pg_ctl" -D "$PGDATA" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$PGDATA"
}
trap cleanup EXIT
as_postgres "$PGBIN/initdb" -D "$PGDATA" -A trust -U postgres >/dev/null
as_postgres "$PGBIN/pg_ctl" -D "$PGDATA" -w -l "$PGDATA/server.log" \
  -o "-c listen_addresses=127.0.0.1 -p $PGPORT -k $PGDATA -c max_connections=200" start >/dev/null
DATABASE_URL="postgresql://postgres@127.0.0.1:$PGPORT/postgres" "$@"
