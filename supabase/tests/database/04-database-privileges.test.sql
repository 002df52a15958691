-- The runtime role creates nothing: no temporary objects (a temp table outlives the request on a
-- pooled connection and shadows tenant tables through search_path), no schemas, nothing in any
-- schema. Migration 20261201000000_runtime_role_creates_nothing revokes TEMPORARY and CREATE on the
-- database from PUBLIC (a database created from a template needs the revoke again).
begin;
select plan(10);

select ok(not has_database_privilege('tenantry_app', current_database(), 'TEMPORARY'),
  'tenantry_app has no TEMPORARY on the database, so it cannot create temporary tables');
select ok(not has_database_privilege('tenantry_app', current_database(), 'CREATE'),
  'tenantry_app has no CREATE on the database, so it cannot create schemas');
select is(
  (select coalesce(array_agg(nspname::text order by nspname), '{}') from pg_namespace where has_schema_privilege('tenantry_app', oid, 'CREATE')),
  '{}'::text[], 'tenantry_app has CREATE on no schema');
select ok(not exists (
    select 1 from pg_database d, aclexplode(coalesce(d.datacl, acldefault('d', d.datdba))) a
     where d.datname = current_database() and a.grantee = 0 and a.privilege_type in ('TEMPORARY', 'CREATE')),
  'PUBLIC has neither TEMPORARY nor CREATE on the database');

set local role tenantry_app;
select set_config('app.tenant_id', 'aaaaaaaa-0000-4000-8000-000000000001', true);
select throws_ok('create temp table projects (id uuid)', '42501', null,
  'tenantry_app cannot create a temp table (one named projects would shadow the tenant table)');
select throws_ok('create table pg_temp.scratch (id int)', '42501', null, 'tenantry_app cannot create a table in pg_temp');
select throws_ok('create temp view scratch_view as select 1 as one', '42501', null, 'tenantry_app cannot create a temporary view');
select throws_ok('create schema scratch', '42501', null, 'tenantry_app cannot create a schema');
select throws_ok('create table public.scratch (id int)', '42501', null, 'tenantry_app cannot create a table in public');
select throws_ok($$create function public.scratch() returns int language sql as 'select 1'$$, '42501', null,
  'tenantry_app cannot create a function in public');
reset role;

select * from finish();
rollback;
