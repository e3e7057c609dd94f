-- The role the Postgres exporter connects as, run by the superuser (./dev up on every start, and
-- docker compose's roles-init.sh on first start): psql -v role=finder_monitor [-v password=...].
-- Idempotent. pg_monitor reads the statistics views and settings, and no table of any subgraph.
\set ON_ERROR_STOP 1
select format('create role %I login', :'role')
where not exists (select from pg_roles where rolname = :'role') \gexec
\if :{?password}
alter role :"role" password :'password';
\endif
grant pg_monitor to :"role";
