-- Tenant-scoped tables (memberships, workspaces) and the global tables (tenants, users): each
-- policy proved as tenantry_app with app.tenant_id set the way the connection layer sets it.
begin;
select plan(21);

-- Two tenants, written as the superuser (no RLS).
insert into tenants (id, name, slug) values
  ('aaaaaaaa-0000-4000-8000-000000000001', 'Tenant A', 'tenant-a'),
  ('bbbbbbbb-0000-4000-8000-000000000002', 'Tenant B', 'tenant-b');
insert into users (id, email, name) values
  ('aaaaaaaa-0000-4000-8000-0000000000a1', 'a@example.test', 'User A'),
  ('bbbbbbbb-0000-4000-8000-0000000000b1', 'b@example.test', 'User B');
insert into memberships (tenant_id, user_id, role) values
  ('aaaaaaaa-0000-4000-8000-000000000001', 'aaaaaaaa-0000-4000-8000-0000000000a1', 'owner'),
  ('bbbbbbbb-0000-4000-8000-000000000002', 'bbbbbbbb-0000-4000-8000-0000000000b1', 'owner');
insert into workspaces (tenant_id, id, name) values
  ('aaaaaaaa-0000-4000-8000-000000000001', 'aaaaaaaa-0000-4000-8000-00000000a001', 'A one'),
  ('bbbbbbbb-0000-4000-8000-000000000002', 'bbbbbbbb-0000-4000-8000-00000000b001', 'B one');

set local role tenantry_app;

-- No tenant setting: nothing (fail closed).
select is_empty('select id from tenants', 'tenants: without app.tenant_id the runtime role sees no tenant');
select is_empty('select tenant_id from memberships', 'memberships: without app.tenant_id the runtime role sees no membership');

select set_config('app.tenant_id', 'aaaaaaaa-0000-4000-8000-000000000001', true);

-- tenants, users
select results_eq('select id::text from tenants', $$values ('aaaaaaaa-0000-4000-8000-000000000001')$$,
  'tenant sees only its own tenant row');
select results_eq('select id::text from users', $$values ('aaaaaaaa-0000-4000-8000-0000000000a1')$$,
  'tenant sees only its members');
select set_config('app.user_id', 'bbbbbbbb-0000-4000-8000-0000000000b1', true);
select results_eq('select id::text from users order by email',
  $$values ('aaaaaaaa-0000-4000-8000-0000000000a1'), ('bbbbbbbb-0000-4000-8000-0000000000b1')$$,
  'tenant also sees the acting user (app.user_id)');
select set_config('app.user_id', '', true);

-- memberships
select results_eq('select tenant_id::text from memberships', $$values ('aaaaaaaa-0000-4000-8000-000000000001')$$,
  'tenant reads only its own memberships');
select throws_ok($$insert into memberships (tenant_id, user_id) values ('aaaaaaaa-0000-4000-8000-000000000001', 'bbbbbbbb-0000-4000-8000-0000000000b1')$$,
  '42501', null, 'tenant cannot add a user to itself: only the invited user can join (06-memberships-by-invitation)');
select throws_ok($$insert into memberships (tenant_id, user_id) values ('bbbbbbbb-0000-4000-8000-000000000002', 'aaaaaaaa-0000-4000-8000-0000000000a1')$$,
  '42501', null, 'tenant inserts only its own memberships');
select results_eq($q$with u as (update memberships set role = 'admin' where tenant_id = 'bbbbbbbb-0000-4000-8000-000000000002' returning 1) select count(*)::int from u$q$,
  $q$values (0)$q$, 'tenant updates only its own memberships: another tenant''s rows are untouched');
select throws_ok($$update memberships set tenant_id = 'bbbbbbbb-0000-4000-8000-000000000002' where user_id = 'aaaaaaaa-0000-4000-8000-0000000000a1'$$,
  '42501', null, 'tenant updates only its own memberships: a row cannot be moved to another tenant');
select results_eq($q$with d as (delete from memberships where tenant_id = 'bbbbbbbb-0000-4000-8000-000000000002' returning 1) select count(*)::int from d$q$,
  $q$values (0)$q$, 'tenant deletes only its own memberships: another tenant''s rows survive');
select results_eq($q$with d as (delete from memberships where user_id = 'aaaaaaaa-0000-4000-8000-0000000000a1' returning 1) select count(*)::int from d$q$,
  $q$values (1)$q$, 'tenant deletes its own membership');

-- workspaces
select results_eq('select id::text from workspaces', $$values ('aaaaaaaa-0000-4000-8000-00000000a001')$$,
  'tenant reads only its own workspaces');
select lives_ok($$insert into workspaces (id, name) values ('aaaaaaaa-0000-4000-8000-00000000a002', 'A two')$$,
  'tenant inserts a workspace of its own (tenant_id from the setting)');
select throws_ok($$insert into workspaces (tenant_id, id, name) values ('bbbbbbbb-0000-4000-8000-000000000002', 'bbbbbbbb-0000-4000-8000-00000000b002', 'forged')$$,
  '42501', null, 'tenant inserts only its own workspaces');
select results_eq($q$with u as (update workspaces set name = 'renamed' where tenant_id = 'bbbbbbbb-0000-4000-8000-000000000002' returning 1) select count(*)::int from u$q$,
  $q$values (0)$q$, 'tenant updates only its own workspaces: another tenant''s rows are untouched');
select throws_ok($$update workspaces set tenant_id = 'bbbbbbbb-0000-4000-8000-000000000002' where id = 'aaaaaaaa-0000-4000-8000-00000000a002'$$,
  '42501', null, 'tenant updates only its own workspaces: a row cannot be moved to another tenant');
select results_eq($q$with d as (delete from workspaces where tenant_id = 'bbbbbbbb-0000-4000-8000-000000000002' returning 1) select count(*)::int from d$q$,
  $q$values (0)$q$, 'tenant deletes only its own workspaces: another tenant''s rows survive');
select results_eq($q$with d as (delete from workspaces where id = 'aaaaaaaa-0000-4000-8000-00000000a002' returning 1) select count(*)::int from d$q$,
  $q$values (1)$q$, 'tenant deletes its own workspace');

-- An empty setting (what a pooled connection reads back after a previous user) is still no tenant.
select set_config('app.tenant_id', '', true);
select is_empty('select id from workspaces', 'workspaces: an empty app.tenant_id reads as no tenant');
select throws_ok($$insert into workspaces (tenant_id, id, name) values ('aaaaaaaa-0000-4000-8000-000000000001', 'aaaaaaaa-0000-4000-8000-00000000a003', 'no tenant')$$,
  '42501', null, 'workspaces: without a tenant nothing can be written');

reset role;
select * from finish();
rollback;
