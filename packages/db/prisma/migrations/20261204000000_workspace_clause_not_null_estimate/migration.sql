-- The workspace clause of the workspace-scoped tables' policies (projects, tasks, and the audit log's
-- read policy), same meaning, new form (issue 14), as `tenantry migrate dev` now writes it
-- (@tenantry/prisma, src/migrate/policy-form.ts, workspaceClauseSql).
-- Before: CASE WHEN <active workspace> IS NULL THEN true ELSE workspace_id = <active workspace> END.
-- The planner estimates that CASE at 50 % of the rows, so for a context without a workspace it
-- expected half of the tenant's rows where there were all of them: a findMany of a 50-row tenant with
-- LIMIT 20 was planned as a bitmap scan of all 50 rows and a sort, where the unscoped statement reads
-- 20 rows in index order. Now: (CASE WHEN <active workspace> IS NULL OR workspace_id = <active
-- workspace> THEN true END) IS NOT NULL, which it estimates at 99.5 %: right for a context without a
-- workspace, and a narrowed context's statements carry the extension's own workspace_id = $n, which
-- the planner estimates from the column's statistics. Rows allowed are the same: no workspace set,
-- every workspace of the tenant; one set, only rows of that workspace (a NULL workspace_id matches no
-- workspace, as before: the clause is false there, never NULL).
-- On a Citus coordinator (the citus extension installed) the policies keep the form Citus accepts, the
-- settings without subqueries (docs/citus.md); everywhere else the InitPlan form.
DO $tenantry$
DECLARE
  citus constant boolean := EXISTS (SELECT FROM pg_catalog.pg_extension WHERE extname = 'citus');
  tenant_setting constant text := CASE WHEN citus
    THEN $s$NULLIF(current_setting('app.tenant_id', true), '')::uuid$s$
    ELSE $s$(SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid)$s$ END;
  workspace_setting constant text := CASE WHEN citus
    THEN $s$NULLIF(current_setting('app.workspace_id', true), '')::uuid$s$
    ELSE $s$(SELECT NULLIF(current_setting('app.workspace_id', true), '')::uuid)$s$ END;
  rule constant text := format('tenant_id = %s AND (CASE WHEN %s IS NULL OR workspace_id = %s THEN true END) IS NOT NULL',
    tenant_setting, workspace_setting, workspace_setting);
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['projects', 'tasks'] LOOP
    EXECUTE format('ALTER POLICY %I ON %I USING (%s)', 'tenant reads only its own ' || t || ' in the active workspace', t, rule);
    EXECUTE format('ALTER POLICY %I ON %I WITH CHECK (%s)', 'tenant inserts only its own ' || t || ' in the active workspace', t, rule);
    EXECUTE format('ALTER POLICY %I ON %I USING (%s) WITH CHECK (%s)', 'tenant updates only its own ' || t || ' in the active workspace', t, rule, rule);
    EXECUTE format('ALTER POLICY %I ON %I USING (%s)', 'tenant deletes only its own ' || t || ' in the active workspace', t, rule);
  END LOOP;
  EXECUTE format('ALTER POLICY %I ON %I USING (%s)', 'tenant reads only its own audit events in the active workspace', 'audit_events', rule);
END
$tenantry$;
