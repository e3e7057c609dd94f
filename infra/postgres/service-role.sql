-- One subgraph's Postgres role and schema, run by the superuser (./dev up on every start, and
-- docker compose's roles-init.sh on first start): psql -v role=users_service -v schema=users
-- [-v password=...]. Idempotent. The role owns its schema and everything in it, runs its own
-- migrations, and has no privilege on any other subgraph's schema (cross-subgraph data comes
-- through facts, never through another schema's tables).
\set ON_ERROR_STOP 1
\ir login-role.sql
-- An extension needs the superuser; finder's search uses pg_trgm (its migration only checks for it).
create extension if not exists pg_trgm with schema public;
create schema if not exists :"schema" authorization :"role";
alter schema :"schema" owner to :"role";
revoke all on schema :"schema" from public;
-- Databases from before the roles kept the migrations table in public and everything owned by the
-- superuser: both move to the role.
select format('alter table public.%I set schema %I', :'schema' || '_migrations', :'schema')
where to_regclass(format('public.%I', :'schema' || '_migrations')) is not null \gexec
select format('alter table %I.%I owner to %I', :'schema', c.relname, :'role')
from pg_class c
where c.relnamespace = :'schema'::regnamespace and c.relkind in ('r', 'p', 'v', 'm', 'f')
  and c.relowner <> :'role'::regrole \gexec
select format('alter sequence %I.%I owner to %I', :'schema', c.relname, :'role')
from pg_class c
where c.relnamespace = :'schema'::regnamespace and c.relkind = 'S' and c.relowner <> :'role'::regrole
  and not exists (select from pg_depend d where d.objid = c.oid and d.deptype in ('a', 'i')) \gexec
select format('alter routine %s owner to %I', p.oid::regprocedure, :'role')
from pg_proc p
where p.pronamespace = :'schema'::regnamespace and p.proowner <> :'role'::regrole \gexec
select format('alter type %s owner to %I', t.oid::regtype, :'role')
from pg_type t
where t.typnamespace = :'schema'::regnamespace and t.typtype in ('e', 'd', 'c') and t.typrelid = 0
  and t.typowner <> :'role'::regrole \gexec
