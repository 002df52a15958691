-- Demo data for a local Supabase stack, the same ids as `pnpm db:seed`
-- (packages/db/src/testing/demo-data.ts). Runs as the postgres role after the migrations;
-- idempotent. Tenant tables FORCE row level security, so the seed names the tenant explicitly and
-- runs as a role that bypasses RLS (Supabase's postgres role does for seeding).
insert into tenants (id, name, slug) values
  ('00000000-0000-4000-8000-000000000001', 'Acme Corp', 'acme'),
  ('00000000-0000-4000-8000-000000000002', 'Globex', 'globex')
on conflict (id) do nothing;

insert into users (id, email, name) values
  ('00000000-0000-4000-8000-000000000101', 'alice@acme.test', 'Alice (Acme)'),
  ('00000000-0000-4000-8000-000000000102', 'bob@globex.test', 'Bob (Globex)'),
  ('00000000-0000-4000-8000-000000000103', 'carol@both.test', 'Carol (Acme and Globex)')
on conflict (id) do nothing;

insert into memberships (tenant_id, user_id, role) values
  ('00000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000101', 'owner'),
  ('00000000-0000-4000-8000-000000000002', '00000000-0000-4000-8000-000000000102', 'owner'),
  ('00000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000103', 'member'),
  ('00000000-0000-4000-8000-000000000002', '00000000-0000-4000-8000-000000000103', 'member')
on conflict do nothing;

insert into workspaces (tenant_id, id, name) values
  ('00000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000001000', 'Engineering'),
  ('00000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000001001', 'Marketing'),
  ('00000000-0000-4000-8000-000000000002', '00000000-0000-4000-8000-000000001100', 'Engineering'),
  ('00000000-0000-4000-8000-000000000002', '00000000-0000-4000-8000-000000001101', 'Marketing')
on conflict do nothing;
