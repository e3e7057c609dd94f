-- The role the Postgres exporter connects as, run by the superuser (./dev up on every start, and
-- docker compose's roles-init.sh on first start): psql -v role=finder_monitor [-v password=...].
-- Idempotent. pg_monitor reads the statistics views and settings, and no table of any subgraph.
\set ON_ERROR_STOP 1
\ir login-role.sql
grant pg_monitor to :"role";
