-- The workspaces table in a context narrowed to one workspace (app.workspace_id set): it reads
-- every workspace of its tenant, creates none, and updates or deletes only its own row (never its
-- id), so ON DELETE/UPDATE CASCADE, which RLS does not check, cannot reach a sibling workspace's
-- projects and tasks. Tenant-wide tables (memberships, invitations) are read-only in it.
begin;
select plan(14);

insert into tenants (id, name, slug) values ('aaaaaaaa-0000-4000-8000-000000000001', 'Tenant A', 'tenant-a');
insert into workspaces (tenant_id, id, name) values
  ('aaaaaaaa-0000-4000-8000-000000000001', 'aaaaaaaa-0000-4000-8000-00000000a001', 'A one'),
  ('aaaaaaaa-0000-4000-8000-000000000001', 'aaaaaaaa-0000-4000-8000-00000000a002', 'A two');
insert into projects (tenant_id, workspace_id, id, name, updated_at) values
  ('aaaaaaaa-0000-4000-8000-000000000001', 'aaaaaaaa-0000-4000-8000-00000000a001', 'aaaaaaaa-0000-4000-8000-0000000a0001', 'A1', now()),
  ('aaaaaaaa-0000-4000-8000-000000000001', 'aaaaaaaa-0000-4000-8000-00000000a002', 'aaaaaaaa-0000-4000-8000-0000000a0002', 'A2', now());
insert into tasks (tenant_id, workspace_id, id, project_id, title, updated_at) values
  ('aaaaaaaa-0000-4000-8000-000000000001', 'aaaaaaaa-0000-4000-8000-00000000a002', 'aaaaaaaa-0000-4000-8000-00000a000002', 'aaaaaaaa-0000-4000-8000-0000000a0002', 'A2 task', now());

set local role tenantry_app;
select set_config('app.tenant_id', 'aaaaaaaa-0000-4000-8000-000000000001', true);
select set_config('app.workspace_id', 'aaaaaaaa-0000-4000-8000-00000000a001', true);

select results_eq('select name from workspaces order by name', $$values ('A one'), ('A two')$$,
  'a narrowed context reads every workspace of its tenant');
select throws_ok($$insert into workspaces (id, name) values (gen_random_uuid(), 'A three')$$, '42501', null,
  'a narrowed context cannot create a workspace');
select results_eq($q$with d as (delete from workspaces where name = 'A two' returning 1) select count(*)::int from d$q$,
  $q$values (0)$q$, 'a narrowed context cannot delete a sibling workspace');
select results_eq($q$with u as (update workspaces set name = 'hijacked' where name = 'A two' returning 1) select count(*)::int from u$q$,
  $q$values (0)$q$, 'a narrowed context cannot rename a sibling workspace');
select results_eq($q$with u as (update workspaces set id = gen_random_uuid() where name = 'A two' returning 1) select count(*)::int from u$q$,
  $q$values (0)$q$, 'a narrowed context cannot re-key a sibling workspace (ON UPDATE CASCADE would move its rows)');
select results_eq($q$with u as (update workspaces set name = 'A one renamed' where name = 'A one' returning 1) select count(*)::int from u$q$,
  $q$values (1)$q$, 'a narrowed context renames its own workspace');
select throws_ok($$update workspaces set id = 'aaaaaaaa-0000-4000-8000-00000000a003' where name = 'A one renamed'$$, '42501', null,
  'a narrowed context cannot change its own workspace id');
select throws_ok($$update workspaces set id = 'aaaaaaaa-0000-4000-8000-00000000a002' where name = 'A one renamed'$$, '42501', null,
  'a narrowed context re-keying its workspace to a sibling id fails like any other id (RLS before the unique check)');
select results_eq($q$with d as (delete from memberships returning 1) select count(*)::int from d$q$,
  $q$values (0)$q$, 'memberships are read-only in a narrowed context');
select throws_ok($$insert into invitations (email) values ('narrowed@example.test')$$, '42501', null,
  'invitations are read-only in a narrowed context');

reset role;
select results_eq($q$select count(*)::int from projects where workspace_id = 'aaaaaaaa-0000-4000-8000-00000000a002'$q$, $q$values (1)$q$,
  'the sibling workspace keeps its project');
select results_eq($q$select count(*)::int from tasks where workspace_id = 'aaaaaaaa-0000-4000-8000-00000000a002'$q$, $q$values (1)$q$,
  'the sibling workspace keeps its task');

set local role tenantry_app;
select set_config('app.workspace_id', '', true);
select lives_ok($$insert into workspaces (id, name) values ('aaaaaaaa-0000-4000-8000-00000000a009', 'A nine')$$,
  'a tenant-wide context creates a workspace');
select results_eq($q$with d as (delete from workspaces where name = 'A nine' returning 1) select count(*)::int from d$q$,
  $q$values (1)$q$, 'a tenant-wide context deletes any workspace of its tenant');
reset role;

select * from finish();
rollback;
