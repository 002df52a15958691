/**
 * The audit log's SQL, as `tenantry migrate dev` appends it to a migration (migration.ts):
 *
 * - The audit log table's security: SELECT only for the runtime role, under a read policy like every
 *   workspace-scoped table's (its tenant; in a context narrowed to a workspace, that workspace's
 *   events only); ENABLE and FORCE ROW LEVEL SECURITY; INSERT and SELECT policies for the owner
 *   alone (the functions run as the owner, and FORCE subjects the owner to RLS too); every other
 *   grant revoked but the runtime role's SELECT and the RLS-bypassing roles' SELECT and DELETE (the
 *   admin role erases and prunes), so the log is append-only for all of them.
 * - `tenantry_audit_capture()`: the trigger function. SECURITY DEFINER, owned by the migration
 *   owner, `search_path` fixed: it writes the table no other role may write. The event's tenant and
 *   workspace are the written row's own (the columns RLS checked), the user is `app.user_id` as the
 *   connection layer sets it with every statement, the transaction id is `txid_current()`.
 * - `tenantry_audit_erasure(tenant, table, counts)`: the one other way in: the erasure record, with
 *   row counts per table and nothing else, refused while the tenant still has audit events.
 * - Per audited table, three AFTER ... FOR EACH ROW triggers: one INSERT ... VALUES into the log per
 *   written row, from `to_jsonb(NEW)` / `to_jsonb(OLD)`. The primary-key columns and the excluded
 *   columns go as trigger arguments (text[] literals).
 *
 * Why row triggers, not statement triggers with transition tables (the first version): nearly every
 * write is one row, and for one row the statement form costs about twice the server time (measured
 * with EXPLAIN ANALYZE's trigger time, 300 single-row inserts each: ~0.36 ms against ~0.2 ms right
 * after a session reset, which drops PL/pgSQL's cached plans and re-plans the capture INSERT; ~0.14
 * against ~0.07 ms with the plans cached): a transition table is a tuplestore to fill and scan, and
 * its INSERT ... SELECT with a window-function join plans slower than a VALUES row. UPDATE also gets
 * OLD and NEW of the same row directly instead of pairing transition rows by position. A statement
 * that writes many rows writes as many events, each from the plan the first one made.
 */
import { DEFAULT_TENANT_COLUMNS, type TenantColumns } from '../migrate/columns.js';
import { type PolicyForm, policyFormFromEnv, settingSql, workspaceClauseSql } from '../migrate/policy-form.js';
import { AUDIT_LOG_COMMENT, AUDIT_TRIGGERS, CAPTURE_FUNCTION, ERASURE_FUNCTION } from './names.js';
import type { AuditedTable, AuditLogTable } from './schema.js';

export { AUDIT_LOG_COMMENT, AUDIT_TRIGGERS, CAPTURE_FUNCTION, ERASURE_FUNCTION };

/**
 * The search_path the functions run with: pg_catalog, the schema the migration created them in (the
 * log's; only the owner creates objects there, and db:check fails a runtime role that can), pg_temp
 * last (unlisted it would come first, and a caller's temporary table could stand in for the log).
 * Set after CREATE FUNCTION with the migration's current_schema(), as Prisma's own SQL leaves the
 * schema to the connection.
 */
export const auditSearchPath = (schema: string) => `pg_catalog, ${schema}, pg_temp`;

export const ident = (name: string) => `"${name.replaceAll('"', '""')}"`;
const literal = (text: string) => `'${text.replaceAll("'", "''")}'`;
/** `schema.table` as the migration writes it: unqualified in the default schema, as Prisma does. */
export const tableSql = (t: { schema?: string; table: string }) =>
  t.schema ? `${ident(t.schema)}.${ident(t.table)}` : ident(t.table);
const functionSql = (log: { schema?: string }, name: string) =>
  log.schema ? `${ident(log.schema)}.${ident(name)}` : ident(name);
/** A text[] literal of column names: `'{"tenant_id","id"}'`. */
export const textArray = (items: readonly string[]) =>
  literal(`{${items.map((i) => `"${i.replace(/[\\"]/g, '\\$&')}"`).join(',')}}`);

export interface AuditSqlOptions {
  /** The runtime role (TENANTRY_RUNTIME_ROLE, default tenantry_app): SELECT only. */
  role: string;
  columns?: TenantColumns;
  form?: PolicyForm;
}

/**
 * The read policy's expression for the runtime role: the workspace-scoped tables' rule (policies.ts).
 * A context of the tenant that is not narrowed reads all its events; one narrowed to a workspace reads
 * that workspace's events only, not the tenant-wide tables' (workspace_id NULL) nor another
 * workspace's, which is also what the extension's workspace filter on AuditEvent returns.
 */
export function auditReadRule(columns: TenantColumns = DEFAULT_TENANT_COLUMNS, form: PolicyForm = 'initplan'): string {
  return (
    `${ident(columns.tenant)} = ${settingSql('app.tenant_id', form)}\n` +
    `    AND ${workspaceClauseSql(ident(columns.workspace), form)}`
  );
}

export const READ_POLICY = 'tenant reads only its own audit events in the active workspace';
export const OWNER_INSERT_POLICY = 'only the audit trigger writes audit events, as the owner';
export const OWNER_READ_POLICY = 'the audit functions read audit events, as the owner';

/** The audit log table's grants, RLS and functions. */
export function renderAuditLogBlock(log: AuditLogTable, options: AuditSqlOptions): string {
  const columns = options.columns ?? DEFAULT_TENANT_COLUMNS;
  const form = options.form ?? policyFormFromEnv();
  const target = tableSql(log);
  const capture = functionSql(log, CAPTURE_FUNCTION);
  const erasure = functionSql(log, ERASURE_FUNCTION);
  return [
    `-- Audit log ${target}, generated by \`tenantry migrate dev\` (@tenantry/prisma, src/audit; docs/audit-log.md).`,
    `-- The runtime role reads its tenant's events and writes none; only ${CAPTURE_FUNCTION}() (the triggers) and`,
    `-- ${ERASURE_FUNCTION}() (the erasure record) insert, as the owner. \`tenantry check\` audits it (group audit).`,
    `COMMENT ON TABLE ${target} IS ${literal(`${AUDIT_LOG_COMMENT} (docs/audit-log.md): written only by ${CAPTURE_FUNCTION}() and ${ERASURE_FUNCTION}()`)};`,
    `REVOKE ALL ON ${target} FROM PUBLIC;`,
    `GRANT SELECT ON ${target} TO ${options.role};`,
    `ALTER TABLE ${target} ENABLE ROW LEVEL SECURITY;`,
    `ALTER TABLE ${target} FORCE ROW LEVEL SECURITY;`,
    `CREATE POLICY ${ident(READ_POLICY)} ON ${target}`,
    `  FOR SELECT TO ${options.role}`,
    `  USING (${auditReadRule(columns, form)});`,
    '-- FORCE ROW LEVEL SECURITY holds the owner too, and the functions below run as the owner: this',
    '-- policy lets them insert. No other role has INSERT on the table, so it opens nothing else.',
    `CREATE POLICY ${ident(OWNER_INSERT_POLICY)} ON ${target}`,
    '  FOR INSERT TO CURRENT_USER',
    '  WITH CHECK (true);',
    '-- And this one lets them read (the erasure function checks for events left, and RETURNING reads the',
    '-- new row): the owner could switch RLS off anyway; no other role is named.',
    `CREATE POLICY ${ident(OWNER_READ_POLICY)} ON ${target}`,
    '  FOR SELECT TO CURRENT_USER',
    '  USING (true);',
    '-- Append-only for every role but the owner. The runtime role keeps SELECT; the roles that bypass RLS (the',
    '-- admin role, by default privileges) keep SELECT and DELETE, for erasure and retention; every other grant',
    "-- goes (e.g. Supabase's default privileges give anon and authenticated ALL on every new table).",
    'DO $tenantry_audit$',
    'DECLARE grantee text; kind text;',
    'BEGIN',
    `  FOR grantee, kind IN SELECT DISTINCT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(a.grantee)) END,`,
    `         CASE WHEN a.grantee <> 0 AND pg_get_userbyid(a.grantee) = ${literal(options.role)} THEN 'runtime'`,
    "              WHEN coalesce((SELECT r.rolbypassrls OR r.rolsuper FROM pg_roles r WHERE r.oid = a.grantee), false) THEN 'bypass'",
    "              ELSE 'other' END",
    `      FROM pg_class c, aclexplode(c.relacl) a WHERE c.oid = ${literal(target)}::regclass AND a.grantee <> c.relowner LOOP`,
    "    EXECUTE format('REVOKE %s ON %s FROM %s', CASE kind WHEN 'runtime' THEN 'INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER'",
    `      WHEN 'bypass' THEN 'INSERT, UPDATE, TRUNCATE, REFERENCES, TRIGGER' ELSE 'ALL' END, ${literal(target)}, grantee);`,
    '  END LOOP;',
    'END',
    '$tenantry_audit$;',
    '',
    ...renderAuditFunctions(log, options),
    '-- Executable by the roles that may delete audit events (the admin role), which erase tenants, and by no',
    '-- other (default privileges may have granted EXECUTE on new functions to other roles: revoked).',
    'DO $tenantry_audit$',
    'DECLARE grantee text;',
    'BEGIN',
    '  FOR grantee IN SELECT DISTINCT quote_ident(pg_get_userbyid(a.grantee))',
    `      FROM pg_proc p, aclexplode(p.proacl) a WHERE p.oid IN (${literal(erasure)}::regproc, ${literal(capture)}::regproc) AND a.grantee NOT IN (0, p.proowner) LOOP`,
    `    EXECUTE format('REVOKE ALL ON FUNCTION %s(uuid, text, jsonb) FROM %s', ${literal(erasure)}, grantee);`,
    `    EXECUTE format('REVOKE ALL ON FUNCTION %s() FROM %s', ${literal(capture)}, grantee);`,
    '  END LOOP;',
    '  FOR grantee IN SELECT DISTINCT quote_ident(pg_get_userbyid(a.grantee))',
    `      FROM pg_class c, aclexplode(c.relacl) a WHERE c.oid = ${literal(target)}::regclass AND a.grantee NOT IN (0, c.relowner)`,
    `       AND a.privilege_type = 'DELETE' LOOP`,
    `    EXECUTE format('GRANT EXECUTE ON FUNCTION %s(uuid, text, jsonb) TO %s', ${literal(erasure)}, grantee);`,
    '  END LOOP;',
    'END',
    '$tenantry_audit$;',
    ...auditSearchPathBlock(log, capture, erasure),
  ].join('\n');
}

/**
 * The capture and erasure functions, as renderAuditLogBlock writes them (CREATE OR REPLACE), and their
 * fixed search_path (which CREATE OR REPLACE resets). A migration that changes the bodies writes this.
 */
export function renderAuditFunctions(log: AuditLogTable, options: AuditSqlOptions): string[] {
  const columns = options.columns ?? DEFAULT_TENANT_COLUMNS;
  const target = tableSql(log);
  const capture = functionSql(log, CAPTURE_FUNCTION);
  const erasure = functionSql(log, ERASURE_FUNCTION);
  const [tenant, workspace] = [ident(columns.tenant), ident(columns.workspace)];
  const insertInto = `INSERT INTO ${target} (${tenant}, ${workspace}, "table_name", "operation", "row_key", "changes", "user_id", "txid")`;
  // The written row's own tenant and workspace: what RLS checked on the way in.
  const scope = (r: string) =>
    `(${r} ->> ${literal(columns.tenant)})::uuid, (${r} ->> ${literal(columns.workspace)})::uuid, audited_table`;
  return [
    `CREATE OR REPLACE FUNCTION ${capture}() RETURNS trigger`,
    `  LANGUAGE plpgsql SECURITY DEFINER AS $tenantry_audit$`,
    'DECLARE',
    "  r jsonb := to_jsonb(CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END);",
    '  -- The third argument names the table (triggers written before it existed have two): on Citus the',
    "  -- trigger runs on a shard, whose own name is the shard's.",
    "  audited_table text := coalesce(TG_ARGV[2], CASE WHEN TG_TABLE_SCHEMA = 'public' THEN TG_TABLE_NAME ELSE TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME END);",
    "  actor text := NULLIF(current_setting('app.user_id', true), '');",
    '  event_key jsonb;',
    '  event_changes jsonb;',
    'BEGIN',
    "  IF actor IS NOT NULL AND actor !~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN",
    "    RAISE EXCEPTION 'Cannot audit the write because app.user_id is not a UUID.'",
    "      USING ERRCODE = '22023', HINT = 'Set the user with the tenant context (tenantContext.run({ ..., userId })), never by hand.';",
    '  END IF;',
    '  -- Computed first: the INSERT itself holds no subquery, which Citus refuses in an INSERT (docs/citus.md).',
    '  SELECT jsonb_object_agg(k, r -> k) INTO event_key FROM unnest(TG_ARGV[0]::text[]) AS k;',
    "  IF TG_OP = 'UPDATE' THEN",
    '    -- Only the columns whose value changed, old and new, without the excluded ones.',
    "    SELECT coalesce(jsonb_object_agg(c.key, jsonb_build_object('old', o.v -> c.key, 'new', c.value)), '{}'::jsonb)",
    '      INTO event_changes',
    '      FROM (SELECT to_jsonb(OLD) AS v) AS o, jsonb_each(r) AS c',
    '     WHERE c.value IS DISTINCT FROM o.v -> c.key AND c.key <> ALL (TG_ARGV[1]::text[]);',
    '  ELSE',
    '    event_changes := r - TG_ARGV[1]::text[];',
    '  END IF;',
    `  ${insertInto}`,
    `  VALUES (${scope('r')}, TG_OP, event_key, event_changes, actor::uuid, txid_current());`,
    '  RETURN NULL;',
    'END',
    '$tenantry_audit$;',
    `REVOKE ALL ON FUNCTION ${capture}() FROM PUBLIC;`,
    '',
    '-- The erasure record (eraseTenant): row counts per table, no names, no values. Refused while the',
    '-- tenant still has audit events, so it is written only after the erasure deleted them.',
    `CREATE OR REPLACE FUNCTION ${erasure}(erased_tenant uuid, tenant_table text, deleted jsonb) RETURNS bigint`,
    `  LANGUAGE plpgsql SECURITY DEFINER AS $tenantry_audit$`,
    'DECLARE',
    '  event bigint;',
    '  total numeric;',
    'BEGIN',
    "  IF erased_tenant IS NULL OR tenant_table IS NULL OR length(tenant_table) > 130 OR jsonb_typeof(deleted) IS DISTINCT FROM 'object'",
    "     OR EXISTS (SELECT 1 FROM jsonb_each(deleted) AS e WHERE length(e.key) > 130 OR jsonb_typeof(e.value) <> 'number'",
    '                OR (e.value)::numeric < 0 OR (e.value)::numeric <> trunc((e.value)::numeric)) THEN',
    "    RAISE EXCEPTION 'Cannot record the erasure because the record is not a tenant id, a table name and row counts per table.'",
    "      USING ERRCODE = '22023';",
    '  END IF;',
    `  IF EXISTS (SELECT 1 FROM ${target} WHERE ${tenant} = erased_tenant AND "operation" <> 'ERASE') THEN`,
    "    RAISE EXCEPTION 'Cannot record the erasure because the tenant still has audit events. Erase them first (eraseTenant does).'",
    "      USING ERRCODE = '55000';",
    '  END IF;',
    '  SELECT coalesce(sum((e.value)::numeric), 0) INTO total FROM jsonb_each(deleted) AS e;',
    `  ${insertInto}`,
    "  VALUES (erased_tenant, NULL, tenant_table, 'ERASE', jsonb_build_object('tenant_id', erased_tenant),",
    "          jsonb_build_object('deleted', deleted, 'totalRows', total), NULL, txid_current())",
    '  RETURNING "id" INTO event;',
    '  RETURN event;',
    'END',
    '$tenantry_audit$;',
    `REVOKE ALL ON FUNCTION ${erasure}(uuid, text, jsonb) FROM PUBLIC;`,
  ];
}

export function auditSearchPathBlock(log: AuditLogTable, capture: string, erasure: string): string[] {
  return [
    '-- Both functions run as the owner: their search_path is fixed (src/audit/sql.ts, auditSearchPath).',
    'DO $tenantry_audit$',
    'BEGIN',
    `  EXECUTE format('ALTER FUNCTION %s() SET search_path = pg_catalog, %I, pg_temp', ${literal(capture)}, ${log.schema ? literal(log.schema) : 'current_schema()'});`,
    `  EXECUTE format('ALTER FUNCTION %s(uuid, text, jsonb) SET search_path = pg_catalog, %I, pg_temp', ${literal(erasure)}, ${log.schema ? literal(log.schema) : 'current_schema()'});`,
    'END',
    '$tenantry_audit$;',
  ];
}

/** The trigger arguments of `table`: its key and excluded columns as text[] literals. */
export function triggerArguments(table: AuditedTable): string {
  return `${textArray(table.key)}, ${textArray(table.exclude)}, ${literal(auditedTableLabel(table))}`;
}

/**
 * The table's name as events record it: bare in public, else schema-qualified. Passed to the trigger:
 * on Citus the trigger runs on a shard, whose TG_TABLE_NAME is the shard's (`projects_102008`).
 */
export function auditedTableLabel(table: { schema?: string; table: string }): string {
  return table.schema && table.schema !== 'public' ? `${table.schema}.${table.table}` : table.table;
}

/** The three statement triggers that audit `table`. */
export function renderAuditTriggers(table: AuditedTable, log: AuditLogTable): string {
  const target = tableSql(table);
  const call = `EXECUTE FUNCTION ${functionSql(log, CAPTURE_FUNCTION)}(${triggerArguments(table)});`;
  const excluded = table.exclude.length > 0 ? ` (values of ${table.exclude.join(', ')} left out)` : '';
  return [
    `-- Audit ${target} (/// @tenantry.audit on ${table.model})${excluded}: one event per written row.`,
    `CREATE TRIGGER ${ident(AUDIT_TRIGGERS.insert)} AFTER INSERT ON ${target}`,
    `  FOR EACH ROW ${call}`,
    `CREATE TRIGGER ${ident(AUDIT_TRIGGERS.update)} AFTER UPDATE ON ${target}`,
    `  FOR EACH ROW ${call}`,
    `CREATE TRIGGER ${ident(AUDIT_TRIGGERS.delete)} AFTER DELETE ON ${target}`,
    `  FOR EACH ROW ${call}`,
  ].join('\n');
}

/** Removes the audit triggers of `table` (its marker was removed, or its arguments change). */
export function renderDropAuditTriggers(
  table: { schema?: string; table: string; model?: string },
  why: string,
): string {
  const target = tableSql(table);
  return [
    `-- ${why}`,
    ...Object.values(AUDIT_TRIGGERS).map((name) => `DROP TRIGGER IF EXISTS ${ident(name)} ON ${target};`),
  ].join('\n');
}

/** Drops the functions once no model is audited and the audit log model is gone. */
export function renderDropAuditFunctions(log: { schema?: string; table: string }): string {
  return [
    '-- The audit log model is gone: its functions go too.',
    `DROP FUNCTION IF EXISTS ${functionSql(log, CAPTURE_FUNCTION)}();`,
    `DROP FUNCTION IF EXISTS ${functionSql(log, ERASURE_FUNCTION)}(uuid, text, jsonb);`,
  ].join('\n');
}
