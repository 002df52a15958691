// The `audit log` group of `pnpm db:check` (docs/audit-log.md): on a database with the audit log
// (`/// @tenantry.audit-log`, found by the comment `tenantry migrate dev` puts on it), checks what the
// log's guarantees rest on:
//
// - triggers     every audited table (the schema's `/// @tenantry.audit` models when the CLI could
//                read the schema, plus every table with one of the triggers) has the three AFTER ...
//                FOR EACH ROW triggers, enabled, calling tenantry_audit_capture();
// - definer      tenantry_audit_capture() and tenantry_audit_erasure() exist and are SECURITY DEFINER
//                (they write the table no other role may write);
// - search path  both run with a fixed search_path starting with pg_catalog and ending with pg_temp;
// - owner        both are owned by the log's owner (the role its insert policy names);
// - select only  the runtime role has SELECT on the log and nothing else: no INSERT, UPDATE, DELETE,
//                TRUNCATE, no EXECUTE on the erasure function (and neither does PUBLIC);
// - rls          ROW LEVEL SECURITY enabled and forced on the log;
// - read policy  the runtime role's policies on the log are SELECT only, in the InitPlan form, and
//                name the tenant setting (the generic `initplan` check holds their form).
import type pg from 'pg';
import { AUDIT_LOG_COMMENT, AUDIT_TRIGGERS, CAPTURE_FUNCTION, ERASURE_FUNCTION } from '../audit/names.js';

export const AUDIT_LOG_CHECKS = [
  'triggers',
  'definer',
  'search path',
  'owner',
  'select only',
  'rls',
  'read policy',
] as const;
export type AuditLogCheck = (typeof AUDIT_LOG_CHECKS)[number];

/** One result of the group, as `check/audit.ts` reports it (its `Finding`, narrowed to this group). */
export interface AuditLogFinding {
  subject: string;
  check: AuditLogCheck;
  ok: boolean;
  detail?: string;
}

export interface AuditLogOptions {
  runtimeRole: string;
  schemas: string[];
  /**
   * The tables the schema marks `/// @tenantry.audit`, as `schema.table` (src/audit/schema.ts): each
   * must have the triggers. Without it, the tables that have any of them are checked.
   */
  auditedTables?: readonly string[];
}

interface LogRow {
  oid: number;
  name: string;
  owner: string;
  enabled: boolean;
  forced: boolean;
}

/** The audit log's findings; none when the database has no audit log and no table is expected to be audited. */
export async function auditLogFindings(client: pg.ClientBase, options: AuditLogOptions): Promise<AuditLogFinding[]> {
  const { rows: logs } = await client.query<LogRow>(
    `select c.oid::int as oid, format('%I.%I', n.nspname, c.relname) as name, pg_get_userbyid(c.relowner) as owner,
            c.relrowsecurity as enabled, c.relforcerowsecurity as forced
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where c.relkind in ('r', 'p') and n.nspname = any($1::text[])
        and starts_with(coalesce(obj_description(c.oid, 'pg_class'), ''), $2::text)
      order by 2`,
    [options.schemas, AUDIT_LOG_COMMENT],
  );
  const findings: AuditLogFinding[] = [];
  const add = (subject: string, check: AuditLogCheck, ok: boolean, detail: string) =>
    findings.push(ok ? { subject, check, ok } : { subject, check, ok, detail });
  const expected = new Set(options.auditedTables ?? []);
  const log = logs[0];
  if (!log) {
    for (const table of expected)
      add(
        table,
        'triggers',
        false,
        `The schema marks ${table} /// @tenantry.audit, but the database has no audit log (a table commented "${AUDIT_LOG_COMMENT}"). Fix: add the audit log model (docs/audit-log.md) and run pnpm db:migrate.`,
      );
    return findings;
  }
  const role = options.runtimeRole;

  // Triggers: per table that has one of ours, or that the schema marks.
  const { rows: triggers } = await client.query<{
    table: string;
    name: string;
    enabled: boolean;
    perRow: boolean;
    after: boolean;
    fn: string;
  }>(
    `select format('%I.%I', n.nspname, c.relname) as table, t.tgname as name, t.tgenabled <> 'D' as enabled,
            (t.tgtype & 1) = 1 as "perRow", (t.tgtype & 2) = 0 and (t.tgtype & 64) = 0 as after, p.proname as fn
       from pg_trigger t join pg_class c on c.oid = t.tgrelid join pg_namespace n on n.oid = c.relnamespace
       join pg_proc p on p.oid = t.tgfoid
      where not t.tgisinternal and n.nspname = any($1::text[]) and (t.tgname = any($2::text[]) or p.proname = $3)`,
    [options.schemas, Object.values(AUDIT_TRIGGERS), CAPTURE_FUNCTION],
  );
  const tables = [...new Set([...expected, ...triggers.map((t) => t.table)])].sort();
  for (const table of tables) {
    const problems: string[] = [];
    for (const name of Object.values(AUDIT_TRIGGERS)) {
      const t = triggers.find((r) => r.table === table && r.name === name);
      if (!t) problems.push(`trigger ${name} is missing`);
      else if (!t.enabled) problems.push(`trigger ${name} is disabled`);
      else if (!t.perRow || !t.after || t.fn !== CAPTURE_FUNCTION)
        problems.push(`trigger ${name} is not AFTER ... FOR EACH ROW calling ${CAPTURE_FUNCTION}()`);
    }
    add(
      table,
      'triggers',
      problems.length === 0,
      `${problems.join(', ')}, so writes to ${table} go unaudited. Fix: run pnpm db:migrate (it writes the triggers of every /// @tenantry.audit model), or re-create them as the migration did.`,
    );
  }

  // The two functions.
  const { rows: functions } = await client.query<{
    name: string;
    definer: boolean;
    config: string[] | null;
    owner: string;
    runtime_execute: boolean;
    public_execute: boolean;
  }>(
    `select p.proname as name, p.prosecdef as definer, p.proconfig as config, pg_get_userbyid(p.proowner) as owner,
            exists (select 1 from pg_roles r where r.rolname = $3 and has_function_privilege(r.oid, p.oid, 'EXECUTE')) as runtime_execute,
            exists (select 1 from aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a where a.grantee = 0) as public_execute
       from pg_proc p where p.pronamespace = (select relnamespace from pg_class where oid = $1) and p.proname = any($2::text[])`,
    [log.oid, [CAPTURE_FUNCTION, ERASURE_FUNCTION], role],
  );
  const fn = (name: string) => functions.find((f) => f.name === name);
  const missing = [CAPTURE_FUNCTION, ERASURE_FUNCTION].filter((n) => !fn(n));
  const notDefiner = functions.filter((f) => !f.definer).map((f) => f.name);
  add(
    log.name,
    'definer',
    missing.length === 0 && notDefiner.length === 0,
    [
      missing.length > 0 ? `${missing.map((n) => `${n}()`).join(', ')} missing` : '',
      notDefiner.length > 0 ? `${notDefiner.map((n) => `${n}()`).join(', ')} not SECURITY DEFINER` : '',
    ]
      .filter(Boolean)
      .join('; ') +
      ', so the triggers cannot write the log (no other role may). Fix: re-run the audit log block of the migration (docs/audit-log.md).',
  );
  const unsafePath = functions
    .filter((f) => {
      const setting = (f.config ?? []).find((c) => c.startsWith('search_path='));
      if (!setting) return true;
      const parts = setting
        .slice('search_path='.length)
        .split(',')
        .map((p) => p.trim().replace(/^"|"$/g, ''));
      return parts[0] !== 'pg_catalog' || parts.at(-1) !== 'pg_temp';
    })
    .map((f) => f.name);
  add(
    log.name,
    'search path',
    unsafePath.length === 0,
    `${unsafePath.map((n) => `${n}()`).join(', ')} run as the owner without a search_path fixed to pg_catalog, <schema>, pg_temp, so objects a caller can create could stand in for the ones they use. Fix: ALTER FUNCTION ... SET search_path = pg_catalog, public, pg_temp;`,
  );
  const foreign = functions.filter((f) => f.owner !== log.owner).map((f) => `${f.name}() is owned by ${f.owner}`);
  add(
    log.name,
    'owner',
    foreign.length === 0,
    `${foreign.join(', ')}, not by ${log.owner}, the owner of ${log.name} whose policy lets it insert. Fix: ALTER FUNCTION ... OWNER TO ${log.owner};`,
  );

  // The runtime role: SELECT and nothing else.
  const { rows: privileges } = await client.query<{ privilege: string; granted: boolean; public: boolean }>(
    `select p.privilege,
            exists (select 1 from pg_roles r where r.rolname = $2 and has_table_privilege(r.oid, $1::oid, p.privilege)) as granted,
            exists (select 1 from pg_class c, aclexplode(coalesce(c.relacl, acldefault('r', c.relowner))) a
                     where c.oid = $1::oid and a.grantee = 0 and a.privilege_type = p.privilege) as public
       from unnest(array['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE']) as p(privilege)`,
    [log.oid, role],
  );
  const extra = privileges.filter((p) => p.privilege !== 'SELECT' && (p.granted || p.public)).map((p) => p.privilege);
  const canRead = privileges.find((p) => p.privilege === 'SELECT')?.granted === true;
  const erasure = fn(ERASURE_FUNCTION);
  const problems = [
    extra.length > 0 ? `${role} (or PUBLIC) has ${extra.join(', ')} on ${log.name}` : '',
    !canRead ? `${role} cannot SELECT from ${log.name} (its tenant's events)` : '',
    erasure && (erasure.runtime_execute || erasure.public_execute)
      ? `${role} (or PUBLIC) may EXECUTE ${ERASURE_FUNCTION}()`
      : '',
  ].filter(Boolean);
  add(
    log.name,
    'select only',
    problems.length === 0,
    `${problems.join('; ')}; the log must be append-only and written by the triggers alone. Fix: REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON ${log.name} FROM ${role}, PUBLIC; GRANT SELECT ON ${log.name} TO ${role}; REVOKE EXECUTE ON FUNCTION ${ERASURE_FUNCTION}(uuid, text, jsonb) FROM ${role}, PUBLIC;`,
  );
  add(
    log.name,
    'rls',
    log.enabled && log.forced,
    `ROW LEVEL SECURITY is ${log.enabled ? 'not forced' : 'not enabled'} on ${log.name}, so ${log.enabled ? 'its owner' : 'every role'} reads every tenant's events. Fix: ALTER TABLE ${log.name} ENABLE ROW LEVEL SECURITY; ALTER TABLE ${log.name} FORCE ROW LEVEL SECURITY;`,
  );

  const { rows: policies } = await client.query<{ name: string; cmd: string; qual: string | null }>(
    `select p.polname as name, p.polcmd::text as cmd, pg_get_expr(p.polqual, p.polrelid) as qual
       from pg_policy p
      where p.polrelid = $1 and p.polpermissive
        and (p.polroles = '{0}' or exists (select 1 from pg_roles r where r.oid = any(p.polroles) and r.rolname = $2))`,
    [log.oid, role],
  );
  const writes = policies.filter((p) => p.cmd !== 'r').map((p) => `"${p.name}"`);
  const reads = policies.filter((p) => p.cmd === 'r');
  const rightForm = reads.filter((p) => p.qual !== null && /NULLIF\(current_setting\('app\.tenant_id'/i.test(p.qual));
  const policyProblems = [
    writes.length > 0 ? `policies ${writes.join(', ')} let ${role} (or PUBLIC) do more than read` : '',
    reads.length === 0 ? `no SELECT policy lets ${role} read its tenant's events` : '',
    reads.length > 0 && rightForm.length !== reads.length
      ? `a SELECT policy for ${role} does not compare the tenant column with app.tenant_id`
      : '',
  ].filter(Boolean);
  add(
    log.name,
    'read policy',
    policyProblems.length === 0,
    `${policyProblems.join('; ')}. Fix: keep the one read policy the migration wrote (docs/audit-log.md, "Security model") and drop the others.`,
  );
  return findings;
}
