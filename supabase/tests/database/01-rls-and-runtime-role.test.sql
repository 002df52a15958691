-- The runtime role cannot bypass RLS, and every table the migrations create has RLS enabled and
-- forced with exactly the policies the RLS migration defines, all for tenantry_app (I5).
-- Run with pg_prove as a superuser against a migrated database (see .ci/run).
begin;
select plan(51);

-- The runtime role (DATABASE_URL).
select ok(not rolsuper, 'tenantry_app is not a superuser') from pg_roles where rolname = 'tenantry_app';
select ok(not rolbypassrls, 'tenantry_app does not bypass row level security') from pg_roles where rolname = 'tenantry_app';
select ok(not rolcreaterole and not rolcreatedb, 'tenantry_app cannot create roles or databases') from pg_roles where rolname = 'tenantry_app';
select is((select count(*)::int from pg_class where relowner = 'tenantry_app'::regrole), 0, 'tenantry_app owns no table, view or sequence');
select is(
  (select count(*)::int from pg_roles r
    where r.rolname <> 'tenantry_app' and (r.rolsuper or r.rolbypassrls) and pg_has_role('tenantry_app', r.oid, 'MEMBER')),
  0, 'tenantry_app cannot switch to a role that bypasses row level security');
select ok(rolbypassrls, 'tenantry_admin, the one explicit bypass (@tenantry/db/admin), has BYPASSRLS') from pg_roles where rolname = 'tenantry_admin';

-- RLS enabled and forced on every table.
select ok(relrowsecurity, format('%s has row level security enabled', relname)) from pg_class
 where oid in ('public.tenants'::regclass, 'public.users'::regclass, 'public.memberships'::regclass,
               'public.workspaces'::regclass, 'public.projects'::regclass, 'public.tasks'::regclass,
               'public.invitations'::regclass) order by relname;
select ok(relforcerowsecurity, format('%s forces row level security, so its owner is subject to it too', relname)) from pg_class
 where oid in ('public.tenants'::regclass, 'public.users'::regclass, 'public.memberships'::regclass,
               'public.workspaces'::regclass, 'public.projects'::regclass, 'public.tasks'::regclass,
               'public.invitations'::regclass) order by relname;

-- Exactly these policies, each for the runtime role only.
select is((select count(*)::int from pg_policies where schemaname = 'public'), 22, 'the migrations create 22 policies');
select policies_are('public', 'tenants', array['tenant sees only its own tenant row'], 'tenants has only its read policy');
select policies_are('public', 'users', array['tenant sees only its members and the acting user'], 'users has only its read policy');
select policies_are('public', 'memberships', array[
  'tenant reads only its own memberships', 'user joins a tenant only by accepting its invitation',
  'tenant updates only its own memberships outside a workspace', 'tenant deletes only its own memberships outside a workspace'],
  'memberships has one policy per command');
select policies_are('public', 'invitations', array[
  'tenant reads only its own invitations', 'tenant inserts only its own invitations outside a workspace',
  'tenant updates only its own invitations outside a workspace', 'tenant deletes only its own invitations outside a workspace'],
  'invitations has one policy per command');
select policies_are('public', 'workspaces', array[
  'tenant reads only its own workspaces', 'tenant inserts only its own workspaces outside a workspace',
  'tenant updates its own workspaces (narrowed: the active one)', 'tenant deletes its own workspaces (narrowed: the active one)'],
  'workspaces has one policy per command');
select policies_are('public', 'projects', array[
  'tenant reads only its own projects in the active workspace', 'tenant inserts only its own projects in the active workspace',
  'tenant updates only its own projects in the active workspace', 'tenant deletes only its own projects in the active workspace'],
  'projects has one policy per command');
select policies_are('public', 'tasks', array[
  'tenant reads only its own tasks in the active workspace', 'tenant inserts only its own tasks in the active workspace',
  'tenant updates only its own tasks in the active workspace', 'tenant deletes only its own tasks in the active workspace'],
  'tasks has one policy per command');
select policy_roles_are('public', tablename, policyname, array['tenantry_app'], format('policy "%s" applies to tenantry_app only', policyname))
  from pg_policies where schemaname = 'public' order by tablename, policyname;

-- The runtime role cannot switch RLS off. (Whether it can SET ROLE depends on the session user,
-- here the superuser running pg_prove: the membership check above covers it.)
set local role tenantry_app;
select throws_ok('alter table projects disable row level security', '42501', null, 'tenantry_app cannot disable row level security');
reset role;

select * from finish();
rollback;
