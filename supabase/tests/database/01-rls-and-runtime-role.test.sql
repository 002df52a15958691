-- What the hand-written RLS migrations define beyond the generic rules: the one explicit bypass role,
-- the global tables (tenants, users: no tenant_id, so not in the generated file), and each tenant
-- table's policies by name. The generic rules for every tenant model (RLS enabled and forced, a
-- policy per command for tenantry_app only, InitPlan form, tenant and workspace clauses, the runtime
-- role's attributes) are in 00-schema-policies.generated.test.sql, generated from the schema by
-- `pnpm db:pgtap`. Every assertion here is one statement returning one row, so the plan is this
-- file's count of them (packages/db/test/rig/pgtap-files.test.ts checks it), whatever the schema holds.
-- Run with pg_prove as a superuser against a migrated database (see .ci/run).
begin;
select plan(14);

select ok(coalesce((select rolbypassrls from pg_roles where rolname = 'tenantry_admin'), false),
  'tenantry_admin, the one explicit bypass (@tenantry/db/admin), has BYPASSRLS');

-- The global tables: RLS enabled and forced, read-only for the runtime role.
select ok((select relrowsecurity from pg_class where oid = 'public.tenants'::regclass), 'tenants has row level security enabled');
select ok((select relforcerowsecurity from pg_class where oid = 'public.tenants'::regclass),
  'tenants forces row level security, so its owner is subject to it too');
select ok((select relrowsecurity from pg_class where oid = 'public.users'::regclass), 'users has row level security enabled');
select ok((select relforcerowsecurity from pg_class where oid = 'public.users'::regclass),
  'users forces row level security, so its owner is subject to it too');
select policies_are('public', 'tenants', array['tenant sees only its own tenant row'], 'tenants has only its read policy');
select policy_roles_are('public', 'tenants', 'tenant sees only its own tenant row', array['tenantry_app'],
  'policy "tenant sees only its own tenant row" applies to tenantry_app only');
select set_eq(
  $$select polname::text from pg_policy where polrelid = 'public.users'::regclass and polroles = array[(select oid from pg_roles where rolname = 'tenantry_app')]$$,
  array['tenant sees only its members and the acting user'], 'users has only its read policy for tenantry_app');
-- On Supabase (an auth schema) a policy for supabase_auth_admin may read users (the access token hook);
-- nothing else applies to another role.
select is_empty(
  $$select polname from pg_policy where polrelid = 'public.users'::regclass
       and polroles <> array[(select oid from pg_roles where rolname = 'tenantry_app')]
       and not (to_regnamespace('auth') is not null and polroles = array[(select oid from pg_roles where rolname = 'supabase_auth_admin')])$$,
  'every policy of users applies to tenantry_app only (or, on Supabase, to supabase_auth_admin only)');

-- The tenant tables' policies for tenantry_app, by name: what the hand-written migrations define.
select set_eq(
  $$select polname::text from pg_policy where polrelid = 'public.memberships'::regclass and polroles = array[(select oid from pg_roles where rolname = 'tenantry_app')]$$,
  array['tenant reads only its own memberships', 'user joins a tenant only by accepting its invitation',
        'tenant updates only its own memberships outside a workspace', 'tenant deletes only its own memberships outside a workspace'],
  'memberships has one policy per command for tenantry_app');
select set_eq(
  $$select polname::text from pg_policy where polrelid = 'public.invitations'::regclass and polroles = array[(select oid from pg_roles where rolname = 'tenantry_app')]$$,
  array['tenant reads only its own invitations', 'tenant inserts only its own invitations outside a workspace',
        'tenant updates only its own invitations outside a workspace', 'tenant deletes only its own invitations outside a workspace'],
  'invitations has one policy per command for tenantry_app');
select set_eq(
  $$select polname::text from pg_policy where polrelid = 'public.workspaces'::regclass and polroles = array[(select oid from pg_roles where rolname = 'tenantry_app')]$$,
  array['tenant reads only its own workspaces', 'tenant inserts only its own workspaces outside a workspace',
        'tenant updates its own workspaces (narrowed: the active one)', 'tenant deletes its own workspaces (narrowed: the active one)'],
  'workspaces has one policy per command for tenantry_app');
select policies_are('public', 'projects', array[
  'tenant reads only its own projects in the active workspace', 'tenant inserts only its own projects in the active workspace',
  'tenant updates only its own projects in the active workspace', 'tenant deletes only its own projects in the active workspace'],
  'projects has one policy per command');
select policies_are('public', 'tasks', array[
  'tenant reads only its own tasks in the active workspace', 'tenant inserts only its own tasks in the active workspace',
  'tenant updates only its own tasks in the active workspace', 'tenant deletes only its own tasks in the active workspace'],
  'tasks has one policy per command');

select * from finish();
rollback;
