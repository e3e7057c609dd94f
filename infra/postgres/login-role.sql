-- A login role named :role, created when missing, with :password when one is given (compose);
-- included by service-role.sql and monitor-role.sql. Idempotent.
\set ON_ERROR_STOP 1
select format('create role %I login', :'role')
where not exists (select from pg_roles where rolname = :'role') \gexec
\if :{?password}
alter role :"role" password :'password';
\endif
