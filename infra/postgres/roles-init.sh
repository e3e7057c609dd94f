#!/usr/bin/env bash
# Runs once, when the primary's data directory is first initialised (docker-entrypoint-initdb.d):
# each subgraph's login role, owning its schema only (service-role.sql, the same file ./dev up
# runs), and the exporter's pg_monitor role (monitor-role.sql). The read replica streams them.
# Passwords come from .env (*_DB_PASSWORD).
set -euo pipefail
for subgraph in users chat finder files; do
  password_var="${subgraph^^}_DB_PASSWORD"
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    -v role="${subgraph}_service" -v schema="$subgraph" -v password="${!password_var:?$password_var is not set}" \
    -f /service-role.sql
done
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v role=finder_monitor -v password="${MONITOR_DB_PASSWORD:?MONITOR_DB_PASSWORD is not set}" -f /monitor-role.sql
