-- Row-Level Security for Tenantry. Hand-written because Prisma's schema language cannot express
-- roles, grants or policies. Everything else (tables, keys, indexes) comes from Prisma's own diff.
--
-- Policies read transaction-local settings that the connection layer sends with every statement:
--   app.tenant_id, app.workspace_id, app.user_id
-- * NULLIF(..., '') fails closed: once a setting existed in a session it reads back as '' and
--   ''::uuid would raise 22P02 on every query instead of returning no rows.
-- * (SELECT ...) makes Postgres evaluate the setting once per statement (an InitPlan), so the
--   tenant_id-leading indexes serve the policy.
-- * FORCE ROW LEVEL SECURITY: the table owner is subject to the policies too. Only a role with
--   BYPASSRLS (tenantry_admin, behind @tenantry/db/admin) skips them.

-- The runtime role: what DATABASE_URL logs in as (directly or as a member of it). Created NOLOGIN
-- here when missing; the operator gives it LOGIN and a password. It must never bypass RLS.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'tenantry_app') THEN
    CREATE ROLE tenantry_app NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'tenantry_admin') THEN
    CREATE ROLE tenantry_admin NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE;
  END IF;
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'tenantry_app' AND (rolsuper OR rolbypassrls)) THEN
    RAISE EXCEPTION 'Cannot secure the schema because role tenantry_app is SUPERUSER or BYPASSRLS. Run ALTER ROLE tenantry_app NOSUPERUSER NOBYPASSRLS as a superuser, then deploy again.';
  END IF;
END
$$;

GRANT USAGE ON SCHEMA public TO tenantry_app, tenantry_admin;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO tenantry_admin;
-- Prisma's bookkeeping table exists when deploying, but not in migrate dev's shadow database.
DO $$ BEGIN
  IF to_regclass('_prisma_migrations') IS NOT NULL THEN
    REVOKE ALL ON "_prisma_migrations" FROM tenantry_admin;
  END IF;
END $$;
-- Tables that later migrations create are reachable by the admin client; the runtime role gets
-- nothing by default (fail closed) until a migration grants it and adds policies.
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO tenantry_admin;

-- Global tables: the runtime role may read only its own tenant and the users of that tenant.
GRANT SELECT ON "tenants", "users" TO tenantry_app;
ALTER TABLE "tenants" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "tenants" FORCE ROW LEVEL SECURITY;
CREATE POLICY "tenant sees only its own tenant row" ON "tenants"
  FOR SELECT TO tenantry_app
  USING (id = (SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid));
ALTER TABLE "users" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "users" FORCE ROW LEVEL SECURITY;
CREATE POLICY "tenant sees only its members and the acting user" ON "users"
  FOR SELECT TO tenantry_app
  USING (id = (SELECT NULLIF(current_setting('app.user_id', true), '')::uuid) OR EXISTS (
    SELECT 1 FROM "memberships" m WHERE m.user_id = "users".id AND m.tenant_id = (SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid)
  ));

-- memberships: tenant-scoped.
GRANT SELECT, INSERT, UPDATE, DELETE ON "memberships" TO tenantry_app;
ALTER TABLE "memberships" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "memberships" FORCE ROW LEVEL SECURITY;
CREATE POLICY "tenant reads only its own memberships" ON "memberships"
  FOR SELECT TO tenantry_app
  USING (tenant_id = (SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid));
CREATE POLICY "tenant inserts only its own memberships" ON "memberships"
  FOR INSERT TO tenantry_app
  WITH CHECK (tenant_id = (SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid));
CREATE POLICY "tenant updates only its own memberships" ON "memberships"
  FOR UPDATE TO tenantry_app
  USING (tenant_id = (SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid))
  WITH CHECK (tenant_id = (SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid));
CREATE POLICY "tenant deletes only its own memberships" ON "memberships"
  FOR DELETE TO tenantry_app
  USING (tenant_id = (SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid));

-- workspaces: tenant-scoped.
GRANT SELECT, INSERT, UPDATE, DELETE ON "workspaces" TO tenantry_app;
ALTER TABLE "workspaces" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "workspaces" FORCE ROW LEVEL SECURITY;
CREATE POLICY "tenant reads only its own workspaces" ON "workspaces"
  FOR SELECT TO tenantry_app
  USING (tenant_id = (SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid));
CREATE POLICY "tenant inserts only its own workspaces" ON "workspaces"
  FOR INSERT TO tenantry_app
  WITH CHECK (tenant_id = (SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid));
CREATE POLICY "tenant updates only its own workspaces" ON "workspaces"
  FOR UPDATE TO tenantry_app
  USING (tenant_id = (SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid))
  WITH CHECK (tenant_id = (SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid));
CREATE POLICY "tenant deletes only its own workspaces" ON "workspaces"
  FOR DELETE TO tenantry_app
  USING (tenant_id = (SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid));

-- projects: tenant-scoped and workspace-scoped.
GRANT SELECT, INSERT, UPDATE, DELETE ON "projects" TO tenantry_app;
ALTER TABLE "projects" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "projects" FORCE ROW LEVEL SECURITY;
CREATE POLICY "tenant reads only its own projects in the active workspace" ON "projects"
  FOR SELECT TO tenantry_app
  USING (tenant_id = (SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    AND ((SELECT NULLIF(current_setting('app.workspace_id', true), '')::uuid) IS NULL OR workspace_id = (SELECT NULLIF(current_setting('app.workspace_id', true), '')::uuid)));
CREATE POLICY "tenant inserts only its own projects in the active workspace" ON "projects"
  FOR INSERT TO tenantry_app
  WITH CHECK (tenant_id = (SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    AND ((SELECT NULLIF(current_setting('app.workspace_id', true), '')::uuid) IS NULL OR workspace_id = (SELECT NULLIF(current_setting('app.workspace_id', true), '')::uuid)));
CREATE POLICY "tenant updates only its own projects in the active workspace" ON "projects"
  FOR UPDATE TO tenantry_app
  USING (tenant_id = (SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    AND ((SELECT NULLIF(current_setting('app.workspace_id', true), '')::uuid) IS NULL OR workspace_id = (SELECT NULLIF(current_setting('app.workspace_id', true), '')::uuid)))
  WITH CHECK (tenant_id = (SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    AND ((SELECT NULLIF(current_setting('app.workspace_id', true), '')::uuid) IS NULL OR workspace_id = (SELECT NULLIF(current_setting('app.workspace_id', true), '')::uuid)));
CREATE POLICY "tenant deletes only its own projects in the active workspace" ON "projects"
  FOR DELETE TO tenantry_app
  USING (tenant_id = (SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    AND ((SELECT NULLIF(current_setting('app.workspace_id', true), '')::uuid) IS NULL OR workspace_id = (SELECT NULLIF(current_setting('app.workspace_id', true), '')::uuid)));

-- tasks: tenant-scoped and workspace-scoped.
GRANT SELECT, INSERT, UPDATE, DELETE ON "tasks" TO tenantry_app;
ALTER TABLE "tasks" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "tasks" FORCE ROW LEVEL SECURITY;
CREATE POLICY "tenant reads only its own tasks in the active workspace" ON "tasks"
  FOR SELECT TO tenantry_app
  USING (tenant_id = (SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    AND ((SELECT NULLIF(current_setting('app.workspace_id', true), '')::uuid) IS NULL OR workspace_id = (SELECT NULLIF(current_setting('app.workspace_id', true), '')::uuid)));
CREATE POLICY "tenant inserts only its own tasks in the active workspace" ON "tasks"
  FOR INSERT TO tenantry_app
  WITH CHECK (tenant_id = (SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    AND ((SELECT NULLIF(current_setting('app.workspace_id', true), '')::uuid) IS NULL OR workspace_id = (SELECT NULLIF(current_setting('app.workspace_id', true), '')::uuid)));
CREATE POLICY "tenant updates only its own tasks in the active workspace" ON "tasks"
  FOR UPDATE TO tenantry_app
  USING (tenant_id = (SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    AND ((SELECT NULLIF(current_setting('app.workspace_id', true), '')::uuid) IS NULL OR workspace_id = (SELECT NULLIF(current_setting('app.workspace_id', true), '')::uuid)))
  WITH CHECK (tenant_id = (SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    AND ((SELECT NULLIF(current_setting('app.workspace_id', true), '')::uuid) IS NULL OR workspace_id = (SELECT NULLIF(current_setting('app.workspace_id', true), '')::uuid)));
CREATE POLICY "tenant deletes only its own tasks in the active workspace" ON "tasks"
  FOR DELETE TO tenantry_app
  USING (tenant_id = (SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    AND ((SELECT NULLIF(current_setting('app.workspace_id', true), '')::uuid) IS NULL OR workspace_id = (SELECT NULLIF(current_setting('app.workspace_id', true), '')::uuid)));
