-- Workspace-scoped tables (projects, tasks): the tenant clause and the active-workspace clause of
-- each policy, proved as tenantry_app.
begin;
select plan(24);

insert into tenants (id, name, slug) values
  ('aaaaaaaa-0000-4000-8000-000000000001', 'Tenant A', 'tenant-a'),
  ('bbbbbbbb-0000-4000-8000-000000000002', 'Tenant B', 'tenant-b');
insert into workspaces (tenant_id, id, name) values
  ('aaaaaaaa-0000-4000-8000-000000000001', 'aaaaaaaa-0000-4000-8000-00000000a001', 'A one'),
  ('aaaaaaaa-0000-4000-8000-000000000001', 'aaaaaaaa-0000-4000-8000-00000000a002', 'A two'),
  ('bbbbbbbb-0000-4000-8000-000000000002', 'bbbbbbbb-0000-4000-8000-00000000b001', 'B one');
insert into projects (tenant_id, workspace_id, id, name, updated_at) values
  ('aaaaaaaa-0000-4000-8000-000000000001', 'aaaaaaaa-0000-4000-8000-00000000a001', 'aaaaaaaa-0000-4000-8000-0000000a0001', 'A1', now()),
  ('aaaaaaaa-0000-4000-8000-000000000001', 'aaaaaaaa-0000-4000-8000-00000000a002', 'aaaaaaaa-0000-4000-8000-0000000a0002', 'A2', now()),
  ('bbbbbbbb-0000-4000-8000-000000000002', 'bbbbbbbb-0000-4000-8000-00000000b001', 'bbbbbbbb-0000-4000-8000-0000000b0001', 'B1', now());
insert into tasks (tenant_id, workspace_id, id, project_id, title, updated_at) values
  ('aaaaaaaa-0000-4000-8000-000000000001', 'aaaaaaaa-0000-4000-8000-00000000a001', 'aaaaaaaa-0000-4000-8000-00000a000001', 'aaaaaaaa-0000-4000-8000-0000000a0001', 'A1 task', now()),
  ('aaaaaaaa-0000-4000-8000-000000000001', 'aaaaaaaa-0000-4000-8000-00000000a002', 'aaaaaaaa-0000-4000-8000-00000a000002', 'aaaaaaaa-0000-4000-8000-0000000a0002', 'A2 task', now()),
  ('bbbbbbbb-0000-4000-8000-000000000002', 'bbbbbbbb-0000-4000-8000-00000000b001', 'bbbbbbbb-0000-4000-8000-00000b000001', 'bbbbbbbb-0000-4000-8000-0000000b0001', 'B1 task', now());

set local role tenantry_app;
select set_config('app.tenant_id', 'aaaaaaaa-0000-4000-8000-000000000001', true);

-- projects
select results_eq('select name from projects order by name', $$values ('A1'), ('A2')$$,
  'tenant reads only its own projects (every workspace without app.workspace_id)');
select set_config('app.workspace_id', 'aaaaaaaa-0000-4000-8000-00000000a001', true);
select results_eq('select name from projects', $$values ('A1')$$, 'tenant reads only its own projects in the active workspace');
select lives_ok($$insert into projects (id, name, updated_at) values ('aaaaaaaa-0000-4000-8000-0000000a0003', 'A1 new', now())$$,
  'tenant inserts a project into the active workspace (ids from the settings)');
select throws_ok($$insert into projects (workspace_id, id, name, updated_at) values ('aaaaaaaa-0000-4000-8000-00000000a002', gen_random_uuid(), 'other ws', now())$$,
  '42501', null, 'tenant inserts only its own projects in the active workspace: not into another workspace');
select throws_ok($$insert into projects (tenant_id, workspace_id, id, name, updated_at) values ('bbbbbbbb-0000-4000-8000-000000000002', 'bbbbbbbb-0000-4000-8000-00000000b001', gen_random_uuid(), 'forged', now())$$,
  '42501', null, 'tenant inserts only its own projects: not for another tenant');
select results_eq($q$with u as (update projects set name = 'x' where name in ('A2', 'B1') returning 1) select count(*)::int from u$q$,
  $q$values (0)$q$, 'tenant updates only its own projects in the active workspace: other workspaces and tenants are untouched');
select throws_ok($$update projects set workspace_id = 'aaaaaaaa-0000-4000-8000-00000000a002' where name = 'A1 new'$$,
  '42501', null, 'tenant updates only its own projects in the active workspace: a row cannot be moved out of it');
select throws_ok($$update projects set tenant_id = 'bbbbbbbb-0000-4000-8000-000000000002' where name = 'A1 new'$$,
  '42501', null, 'tenant updates only its own projects: a row cannot be moved to another tenant');
select results_eq($q$with d as (delete from projects where name in ('A2', 'B1') returning 1) select count(*)::int from d$q$,
  $q$values (0)$q$, 'tenant deletes only its own projects in the active workspace: other rows survive');
select results_eq($q$with d as (delete from projects where name = 'A1 new' returning 1) select count(*)::int from d$q$,
  $q$values (1)$q$, 'tenant deletes its own project in the active workspace');
select set_config('app.tenant_id', '', true);
select is_empty('select id from projects', 'projects: without a tenant the runtime role sees nothing, whatever the workspace');
select set_config('app.tenant_id', 'aaaaaaaa-0000-4000-8000-000000000001', true);
select set_config('app.workspace_id', '', true);
select results_eq($q$with u as (update projects set name = name where name = 'B1' returning 1) select count(*)::int from u$q$,
  $q$values (0)$q$, 'tenant updates only its own projects: another tenant''s project is untouched without a workspace');

-- tasks
select results_eq('select title from tasks order by title', $$values ('A1 task'), ('A2 task')$$,
  'tenant reads only its own tasks (every workspace without app.workspace_id)');
select set_config('app.workspace_id', 'aaaaaaaa-0000-4000-8000-00000000a001', true);
select results_eq('select title from tasks', $$values ('A1 task')$$, 'tenant reads only its own tasks in the active workspace');
select lives_ok($$insert into tasks (id, project_id, title, updated_at) values ('aaaaaaaa-0000-4000-8000-00000a000003', 'aaaaaaaa-0000-4000-8000-0000000a0001', 'A1 new task', now())$$,
  'tenant inserts a task into the active workspace');
select throws_ok($$insert into tasks (workspace_id, id, project_id, title, updated_at) values ('aaaaaaaa-0000-4000-8000-00000000a002', gen_random_uuid(), 'aaaaaaaa-0000-4000-8000-0000000a0002', 'other ws', now())$$,
  '42501', null, 'tenant inserts only its own tasks in the active workspace: not into another workspace');
select throws_ok($$insert into tasks (tenant_id, workspace_id, id, project_id, title, updated_at) values ('bbbbbbbb-0000-4000-8000-000000000002', 'bbbbbbbb-0000-4000-8000-00000000b001', gen_random_uuid(), 'bbbbbbbb-0000-4000-8000-0000000b0001', 'forged', now())$$,
  '42501', null, 'tenant inserts only its own tasks: not for another tenant');
select results_eq($q$with u as (update tasks set done = true where title in ('A2 task', 'B1 task') returning 1) select count(*)::int from u$q$,
  $q$values (0)$q$, 'tenant updates only its own tasks in the active workspace: other workspaces and tenants are untouched');
select throws_ok($$update tasks set title = 'moved', tenant_id = 'bbbbbbbb-0000-4000-8000-000000000002' where title = 'A1 new task'$$,
  '42501', null, 'tenant updates only its own tasks: a row cannot be moved to another tenant');
select results_eq($q$with u as (update tasks set done = true where title = 'A1 new task' returning 1) select count(*)::int from u$q$,
  $q$values (1)$q$, 'tenant updates its own task in the active workspace');
select results_eq($q$with d as (delete from tasks where title in ('A2 task', 'B1 task') returning 1) select count(*)::int from d$q$,
  $q$values (0)$q$, 'tenant deletes only its own tasks in the active workspace: other rows survive');
select results_eq($q$with d as (delete from tasks where title = 'A1 new task' returning 1) select count(*)::int from d$q$,
  $q$values (1)$q$, 'tenant deletes its own task in the active workspace');
select set_config('app.tenant_id', '', true);
select is_empty('select id from tasks', 'tasks: without a tenant the runtime role sees nothing');
select throws_ok($$insert into tasks (tenant_id, workspace_id, id, project_id, title, updated_at) values ('aaaaaaaa-0000-4000-8000-000000000001', 'aaaaaaaa-0000-4000-8000-00000000a001', gen_random_uuid(), 'aaaaaaaa-0000-4000-8000-0000000a0001', 'no tenant', now())$$,
  '42501', null, 'tasks: without a tenant nothing can be written');

reset role;
select * from finish();
rollback;
