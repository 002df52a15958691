-- The audit log on Citus (src/audit/sql.ts). Two things made every audited write wrong there:
-- - Citus refuses an INSERT that holds a subquery ("subqueries are not supported within INSERT queries"):
--   the capture and erasure functions now compute the row key, the changes and the erasure's total first;
-- - a trigger runs on the shard, whose TG_TABLE_NAME is the shard's ("projects_102008"): the triggers now
--   pass the table's name as a third argument (the function falls back to TG_TABLE_NAME without it).
-- The events written on a single PostgreSQL are the same. CREATE OR REPLACE keeps the functions' owner and
-- grants; their fixed search_path is set again (it does not survive CREATE OR REPLACE).
-- On a database distributed before this migration, Citus needs this to create triggers on distributed
-- tables; elsewhere it is a setting nothing reads.
SET LOCAL citus.enable_unsafe_triggers = on;
CREATE OR REPLACE FUNCTION "tenantry_audit_capture"() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER AS $tenantry_audit$
DECLARE
  r jsonb := to_jsonb(CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END);
  -- The third argument names the table (triggers written before it existed have two): on Citus the
  -- trigger runs on a shard, whose own name is the shard's.
  audited_table text := coalesce(TG_ARGV[2], CASE WHEN TG_TABLE_SCHEMA = 'public' THEN TG_TABLE_NAME ELSE TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME END);
  actor text := NULLIF(current_setting('app.user_id', true), '');
  event_key jsonb;
  event_changes jsonb;
BEGIN
  IF actor IS NOT NULL AND actor !~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN
    RAISE EXCEPTION 'Cannot audit the write because app.user_id is not a UUID.'
      USING ERRCODE = '22023', HINT = 'Set the user with the tenant context (tenantContext.run({ ..., userId })), never by hand.';
  END IF;
  -- Computed first: the INSERT itself holds no subquery, which Citus refuses in an INSERT (docs/citus.md).
  SELECT jsonb_object_agg(k, r -> k) INTO event_key FROM unnest(TG_ARGV[0]::text[]) AS k;
  IF TG_OP = 'UPDATE' THEN
    -- Only the columns whose value changed, old and new, without the excluded ones.
    SELECT coalesce(jsonb_object_agg(c.key, jsonb_build_object('old', o.v -> c.key, 'new', c.value)), '{}'::jsonb)
      INTO event_changes
      FROM (SELECT to_jsonb(OLD) AS v) AS o, jsonb_each(r) AS c
     WHERE c.value IS DISTINCT FROM o.v -> c.key AND c.key <> ALL (TG_ARGV[1]::text[]);
  ELSE
    event_changes := r - TG_ARGV[1]::text[];
  END IF;
  INSERT INTO "audit_events" ("tenant_id", "workspace_id", "table_name", "operation", "row_key", "changes", "user_id", "txid")
  VALUES ((r ->> 'tenant_id')::uuid, (r ->> 'workspace_id')::uuid, audited_table, TG_OP, event_key, event_changes, actor::uuid, txid_current());
  RETURN NULL;
END
$tenantry_audit$;
REVOKE ALL ON FUNCTION "tenantry_audit_capture"() FROM PUBLIC;

-- The erasure record (eraseTenant): row counts per table, no names, no values. Refused while the
-- tenant still has audit events, so it is written only after the erasure deleted them.
CREATE OR REPLACE FUNCTION "tenantry_audit_erasure"(erased_tenant uuid, tenant_table text, deleted jsonb) RETURNS bigint
  LANGUAGE plpgsql SECURITY DEFINER AS $tenantry_audit$
DECLARE
  event bigint;
  total numeric;
BEGIN
  IF erased_tenant IS NULL OR tenant_table IS NULL OR length(tenant_table) > 130 OR jsonb_typeof(deleted) IS DISTINCT FROM 'object'
     OR EXISTS (SELECT 1 FROM jsonb_each(deleted) AS e WHERE length(e.key) > 130 OR jsonb_typeof(e.value) <> 'number'
                OR (e.value)::numeric < 0 OR (e.value)::numeric <> trunc((e.value)::numeric)) THEN
    RAISE EXCEPTION 'Cannot record the erasure because the record is not a tenant id, a table name and row counts per table.'
      USING ERRCODE = '22023';
  END IF;
  IF EXISTS (SELECT 1 FROM "audit_events" WHERE "tenant_id" = erased_tenant AND "operation" <> 'ERASE') THEN
    RAISE EXCEPTION 'Cannot record the erasure because the tenant still has audit events. Erase them first (eraseTenant does).'
      USING ERRCODE = '55000';
  END IF;
  SELECT coalesce(sum((e.value)::numeric), 0) INTO total FROM jsonb_each(deleted) AS e;
  INSERT INTO "audit_events" ("tenant_id", "workspace_id", "table_name", "operation", "row_key", "changes", "user_id", "txid")
  VALUES (erased_tenant, NULL, tenant_table, 'ERASE', jsonb_build_object('tenant_id', erased_tenant),
          jsonb_build_object('deleted', deleted, 'totalRows', total), NULL, txid_current())
  RETURNING "id" INTO event;
  RETURN event;
END
$tenantry_audit$;
REVOKE ALL ON FUNCTION "tenantry_audit_erasure"(uuid, text, jsonb) FROM PUBLIC;
-- Both functions run as the owner: their search_path is fixed (src/audit/sql.ts, auditSearchPath).
DO $tenantry_audit$
BEGIN
  EXECUTE format('ALTER FUNCTION %s() SET search_path = pg_catalog, %I, pg_temp', '"tenantry_audit_capture"', current_schema());
  EXECUTE format('ALTER FUNCTION %s(uuid, text, jsonb) SET search_path = pg_catalog, %I, pg_temp', '"tenantry_audit_erasure"', current_schema());
END
$tenantry_audit$;

-- invitations: its triggers again, now naming the table (third argument).
DROP TRIGGER IF EXISTS "tenantry_audit_insert" ON "invitations";
DROP TRIGGER IF EXISTS "tenantry_audit_update" ON "invitations";
DROP TRIGGER IF EXISTS "tenantry_audit_delete" ON "invitations";
-- Audit "invitations" (/// @tenantry.audit on Invitation): one event per written row.
CREATE TRIGGER "tenantry_audit_insert" AFTER INSERT ON "invitations"
  FOR EACH ROW EXECUTE FUNCTION "tenantry_audit_capture"('{"tenant_id","id"}', '{}', 'invitations');
CREATE TRIGGER "tenantry_audit_update" AFTER UPDATE ON "invitations"
  FOR EACH ROW EXECUTE FUNCTION "tenantry_audit_capture"('{"tenant_id","id"}', '{}', 'invitations');
CREATE TRIGGER "tenantry_audit_delete" AFTER DELETE ON "invitations"
  FOR EACH ROW EXECUTE FUNCTION "tenantry_audit_capture"('{"tenant_id","id"}', '{}', 'invitations');
-- memberships: its triggers again, now naming the table (third argument).
DROP TRIGGER IF EXISTS "tenantry_audit_insert" ON "memberships";
DROP TRIGGER IF EXISTS "tenantry_audit_update" ON "memberships";
DROP TRIGGER IF EXISTS "tenantry_audit_delete" ON "memberships";
-- Audit "memberships" (/// @tenantry.audit on Membership): one event per written row.
CREATE TRIGGER "tenantry_audit_insert" AFTER INSERT ON "memberships"
  FOR EACH ROW EXECUTE FUNCTION "tenantry_audit_capture"('{"tenant_id","user_id"}', '{}', 'memberships');
CREATE TRIGGER "tenantry_audit_update" AFTER UPDATE ON "memberships"
  FOR EACH ROW EXECUTE FUNCTION "tenantry_audit_capture"('{"tenant_id","user_id"}', '{}', 'memberships');
CREATE TRIGGER "tenantry_audit_delete" AFTER DELETE ON "memberships"
  FOR EACH ROW EXECUTE FUNCTION "tenantry_audit_capture"('{"tenant_id","user_id"}', '{}', 'memberships');
-- projects: its triggers again, now naming the table (third argument).
DROP TRIGGER IF EXISTS "tenantry_audit_insert" ON "projects";
DROP TRIGGER IF EXISTS "tenantry_audit_update" ON "projects";
DROP TRIGGER IF EXISTS "tenantry_audit_delete" ON "projects";
-- Audit "projects" (/// @tenantry.audit on Project): one event per written row.
CREATE TRIGGER "tenantry_audit_insert" AFTER INSERT ON "projects"
  FOR EACH ROW EXECUTE FUNCTION "tenantry_audit_capture"('{"tenant_id","id"}', '{}', 'projects');
CREATE TRIGGER "tenantry_audit_update" AFTER UPDATE ON "projects"
  FOR EACH ROW EXECUTE FUNCTION "tenantry_audit_capture"('{"tenant_id","id"}', '{}', 'projects');
CREATE TRIGGER "tenantry_audit_delete" AFTER DELETE ON "projects"
  FOR EACH ROW EXECUTE FUNCTION "tenantry_audit_capture"('{"tenant_id","id"}', '{}', 'projects');
-- tasks: its triggers again, now naming the table (third argument).
DROP TRIGGER IF EXISTS "tenantry_audit_insert" ON "tasks";
DROP TRIGGER IF EXISTS "tenantry_audit_update" ON "tasks";
DROP TRIGGER IF EXISTS "tenantry_audit_delete" ON "tasks";
-- Audit "tasks" (/// @tenantry.audit on Task): one event per written row.
CREATE TRIGGER "tenantry_audit_insert" AFTER INSERT ON "tasks"
  FOR EACH ROW EXECUTE FUNCTION "tenantry_audit_capture"('{"tenant_id","id"}', '{}', 'tasks');
CREATE TRIGGER "tenantry_audit_update" AFTER UPDATE ON "tasks"
  FOR EACH ROW EXECUTE FUNCTION "tenantry_audit_capture"('{"tenant_id","id"}', '{}', 'tasks');
CREATE TRIGGER "tenantry_audit_delete" AFTER DELETE ON "tasks"
  FOR EACH ROW EXECUTE FUNCTION "tenantry_audit_capture"('{"tenant_id","id"}', '{}', 'tasks');
-- workspaces: its triggers again, now naming the table (third argument).
DROP TRIGGER IF EXISTS "tenantry_audit_insert" ON "workspaces";
DROP TRIGGER IF EXISTS "tenantry_audit_update" ON "workspaces";
DROP TRIGGER IF EXISTS "tenantry_audit_delete" ON "workspaces";
-- Audit "workspaces" (/// @tenantry.audit on Workspace): one event per written row.
CREATE TRIGGER "tenantry_audit_insert" AFTER INSERT ON "workspaces"
  FOR EACH ROW EXECUTE FUNCTION "tenantry_audit_capture"('{"tenant_id","id"}', '{}', 'workspaces');
CREATE TRIGGER "tenantry_audit_update" AFTER UPDATE ON "workspaces"
  FOR EACH ROW EXECUTE FUNCTION "tenantry_audit_capture"('{"tenant_id","id"}', '{}', 'workspaces');
CREATE TRIGGER "tenantry_audit_delete" AFTER DELETE ON "workspaces"
  FOR EACH ROW EXECUTE FUNCTION "tenantry_audit_capture"('{"tenant_id","id"}', '{}', 'workspaces');
