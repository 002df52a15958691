-- Workspace scope on the tenant-wide tables, workspaces and memberships (README, "Workspace scope").
-- A context narrowed to one workspace (app.workspace_id set) writes only inside that workspace. workspaces:
--   SELECT  every workspace of its tenant (unchanged: a user lists them and switches);
--   INSERT  none (creating a workspace is a tenant-wide act);
--   UPDATE  only its own workspace row, and never its id (WITH CHECK id = the active workspace);
--   DELETE  only its own workspace row.
-- Without a workspace the context covers every workspace of its tenant, as before.
--
-- Why: projects and tasks reference their workspace with ON DELETE CASCADE and ON UPDATE CASCADE,
-- and Postgres runs the cascades without RLS. A narrowed context that could delete or re-key a
-- sibling workspace would take that workspace's projects and tasks with it.
--
-- Probing: a narrowed context reads every workspace row, so the workspace keys ((tenant_id, id),
-- (tenant_id, name)) tell it nothing it could not read; the UPDATE check runs before the unique
-- check, so re-keying its own row to a sibling's id fails the same way as to a fresh id.
DROP POLICY "tenant inserts only its own workspaces" ON "workspaces";
DROP POLICY "tenant updates only its own workspaces" ON "workspaces";
DROP POLICY "tenant deletes only its own workspaces" ON "workspaces";

CREATE POLICY "tenant inserts only its own workspaces outside a workspace" ON "workspaces"
  FOR INSERT TO tenantry_app
  WITH CHECK (tenant_id = (SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    AND (SELECT NULLIF(current_setting('app.workspace_id', true), '')::uuid) IS NULL);
CREATE POLICY "tenant updates its own workspaces (narrowed: the active one)" ON "workspaces"
  FOR UPDATE TO tenantry_app
  USING (tenant_id = (SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    AND ((SELECT NULLIF(current_setting('app.workspace_id', true), '')::uuid) IS NULL OR id = (SELECT NULLIF(current_setting('app.workspace_id', true), '')::uuid)))
  WITH CHECK (tenant_id = (SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    AND ((SELECT NULLIF(current_setting('app.workspace_id', true), '')::uuid) IS NULL OR id = (SELECT NULLIF(current_setting('app.workspace_id', true), '')::uuid)));
CREATE POLICY "tenant deletes its own workspaces (narrowed: the active one)" ON "workspaces"
  FOR DELETE TO tenantry_app
  USING (tenant_id = (SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    AND ((SELECT NULLIF(current_setting('app.workspace_id', true), '')::uuid) IS NULL OR id = (SELECT NULLIF(current_setting('app.workspace_id', true), '')::uuid)));

-- memberships: tenant-wide, so (like every tenant-wide table, and what `pnpm db:migrate` generates
-- for new ones) readable from any context of the tenant and written only outside a workspace.
DROP POLICY "tenant inserts only its own memberships" ON "memberships";
DROP POLICY "tenant updates only its own memberships" ON "memberships";
DROP POLICY "tenant deletes only its own memberships" ON "memberships";
CREATE POLICY "tenant inserts only its own memberships outside a workspace" ON "memberships"
  FOR INSERT TO tenantry_app
  WITH CHECK (tenant_id = (SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    AND (SELECT NULLIF(current_setting('app.workspace_id', true), '')::uuid) IS NULL);
CREATE POLICY "tenant updates only its own memberships outside a workspace" ON "memberships"
  FOR UPDATE TO tenantry_app
  USING (tenant_id = (SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    AND (SELECT NULLIF(current_setting('app.workspace_id', true), '')::uuid) IS NULL)
  WITH CHECK (tenant_id = (SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    AND (SELECT NULLIF(current_setting('app.workspace_id', true), '')::uuid) IS NULL);
CREATE POLICY "tenant deletes only its own memberships outside a workspace" ON "memberships"
  FOR DELETE TO tenantry_app
  USING (tenant_id = (SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    AND (SELECT NULLIF(current_setting('app.workspace_id', true), '')::uuid) IS NULL);
