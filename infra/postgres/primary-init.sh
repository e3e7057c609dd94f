#!/usr/bin/env bash
# Runs once, when the primary's data directory is first initialised (docker-entrypoint-initdb.d):
# the role the read replica streams with, and the pg_hba line that lets it connect.
set -euo pipefail
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  --set=role="$POSTGRES_REPLICATION_USER" --set=password="$POSTGRES_REPLICATION_PASSWORD" <<'SQL'
CREATE ROLE :"role" WITH REPLICATION LOGIN PASSWORD :'password';
SQL
echo "host replication $POSTGRES_REPLICATION_USER all scram-sha-256" >>"$PGDATA/pg_hba.conf"
