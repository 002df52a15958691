-- The workspace rule of docs/schema-rules.md (checked live by `pnpm db:check`, column ws-keys): a
-- foreign key between two workspace-scoped tables (tenant_id and workspace_id) pairs workspace_id
-- with workspace_id, so a child is always in its parent's workspace; a tenant-wide table (tenant_id,
-- no workspace_id) has no foreign key to a workspace-scoped one. Asserted for the shipped keys and,
-- from the catalog, for every table of the schema, then proved on rows.
begin;
select plan(6);

select fk_ok('public', 'tasks', array['tenant_id', 'workspace_id', 'project_id'], 'public', 'projects', array['tenant_id', 'workspace_id', 'id'],
  'tasks reference projects by (tenant_id, workspace_id, id): a task is in its project''s workspace');
select fk_ok('public', 'projects', array['tenant_id', 'workspace_id'], 'public', 'workspaces', array['tenant_id', 'id'],
  'projects reference their workspace by (tenant_id, workspace_id)');

-- Every foreign key of the schema, with its sides' kinds and whether it pairs workspace_id.
create temp view workspace_fks as
  select k.conname::text as fk, k.conrelid::regclass::text as child, k.confrelid::regclass::text as parent,
         exists (select 1 from pg_attribute where attrelid = k.conrelid and attname = 'workspace_id' and not attisdropped) as child_ws,
         exists (select 1 from pg_attribute where attrelid = k.conrelid and attname = 'tenant_id' and not attisdropped) as child_tenant,
         exists (select 1 from unnest(k.conkey, k.confkey) u(c, p)
                   join pg_attribute ca on ca.attrelid = k.conrelid and ca.attnum = u.c and ca.attname = 'workspace_id'
                   join pg_attribute pa on pa.attrelid = k.confrelid and pa.attnum = u.p and pa.attname = 'workspace_id') as pairs_ws
    from pg_constraint k
   where k.contype = 'f' and k.connamespace = 'public'::regnamespace
     and exists (select 1 from pg_attribute where attrelid = k.confrelid and attname = 'workspace_id' and not attisdropped)
     and exists (select 1 from pg_attribute where attrelid = k.confrelid and attname = 'tenant_id' and not attisdropped);

select is_empty($$select fk from workspace_fks where child_ws and not pairs_ws$$,
  'every foreign key from a workspace-scoped table to a workspace-scoped one pairs workspace_id with workspace_id');
select is_empty($$select fk from workspace_fks where child_tenant and not child_ws$$,
  'no tenant-wide table has a foreign key to a workspace-scoped one');

-- On rows (as the superuser: foreign keys are checked without RLS, which is why the key must hold it).
insert into tenants (id, name, slug) values ('aaaaaaaa-0000-4000-8000-000000000001', 'Tenant A', 'tenant-a');
insert into workspaces (tenant_id, id, name) values
  ('aaaaaaaa-0000-4000-8000-000000000001', 'aaaaaaaa-0000-4000-8000-00000000a001', 'A one'),
  ('aaaaaaaa-0000-4000-8000-000000000001', 'aaaaaaaa-0000-4000-8000-00000000a002', 'A two');
insert into projects (tenant_id, workspace_id, id, name, updated_at) values
  ('aaaaaaaa-0000-4000-8000-000000000001', 'aaaaaaaa-0000-4000-8000-00000000a001', 'aaaaaaaa-0000-4000-8000-0000000a0001', 'A1', now());
select throws_ok($$insert into tasks (tenant_id, workspace_id, id, project_id, title, updated_at) values
    ('aaaaaaaa-0000-4000-8000-000000000001', 'aaaaaaaa-0000-4000-8000-00000000a002', gen_random_uuid(), 'aaaaaaaa-0000-4000-8000-0000000a0001', 'other ws', now())$$,
  '23503', null, 'a task in workspace A two cannot reference a project of workspace A one');
select lives_ok($$insert into tasks (tenant_id, workspace_id, id, project_id, title, updated_at) values
    ('aaaaaaaa-0000-4000-8000-000000000001', 'aaaaaaaa-0000-4000-8000-00000000a001', gen_random_uuid(), 'aaaaaaaa-0000-4000-8000-0000000a0001', 'same ws', now())$$,
  'a task in its project''s workspace is accepted');

select * from finish();
rollback;
