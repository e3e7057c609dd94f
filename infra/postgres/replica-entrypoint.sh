#!/usr/bin/env bash
# Read replica: on first start, clone the primary with pg_basebackup (-R writes the standby
# settings), then run as a hot standby streaming from it.
set -euo pipefail
: "${PGDATA:=/var/lib/postgresql/data}"

if [ "$(id -u)" = 0 ]; then
  mkdir -p "$PGDATA"
  chown postgres:postgres "$PGDATA"
  chmod 700 "$PGDATA"
  exec gosu postgres bash "$0" "$@"
fi

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  export PGPASSWORD="$POSTGRES_REPLICATION_PASSWORD"
  until pg_basebackup -h "$PRIMARY_HOST" -p "${PRIMARY_PORT:-5432}" -U "$POSTGRES_REPLICATION_USER" \
    -D "$PGDATA" -R -X stream -c fast; do
    echo "replica: primary not reachable yet, retrying" >&2
    rm -rf "${PGDATA:?}"/*
    sleep 2
  done
fi

# A standby needs max_connections at least as high as the primary's.
exec postgres -c hot_standby=on -c max_connections=300 "$@"
