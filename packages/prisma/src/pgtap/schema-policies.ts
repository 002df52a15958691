// `tenantry pgtap`: a pgTAP file generated from the Prisma schema, asserting the rules of I5 and of
// "Policies" (docs/DESIGN.md) for every tenant model's table, so a new model gets its assertions
// when the file is regenerated and nobody edits a plan count.
//
// Why the schema and not the catalog decides which tables are asserted: the schema says what MUST be
// there; a file that only walks the live catalog tests the catalog against itself, and silently
// skips a tenant table whose migration never ran or whose tenant column was renamed. The
// assertions themselves read the catalog when pg_prove runs them, and one more, catalog-wide, checks
// that every table with a tenant column (a model's or hand-made) enables and forces RLS.
//
// The file is deterministic (tables sorted, no timestamps), so `tenantry pgtap --check` can compare
// the committed file with what the schema produces. Every assertion returns exactly one row, and
// the plan is the number of assertions written.
import type { AuditSchema } from '../audit/schema.js';
import { AUDIT_TRIGGERS } from '../audit/names.js';
import type { SchemaModelColumns } from '../migrate/columns.js';

/** Supabase's Auth server role: its hooks (e.g. the custom access token hook) run as it. */
export const SUPABASE_AUTH_ADMIN = 'supabase_auth_admin';

/**
 * The tables where a policy for supabase_auth_admin is allowed, and only on a database with Supabase's
 * `auth` schema: Tenantry's access token hook (docs/supabase.md) reads a user and their memberships.
 */
export const SUPABASE_AUTH_ADMIN_TABLES: readonly string[] = ['public.users', 'public.memberships'];

export interface SchemaPgTapOptions {
  /** The models of the schema (migrate/columns.ts schemaModels). Only those with a tenant column are asserted. */
  models: readonly SchemaModelColumns[];
  /** The runtime role the policies name (TENANTRY_RUNTIME_ROLE, default tenantry_app). */
  runtimeRole: string;
  /** `schema.table` names where a supabase_auth_admin policy is allowed (default SUPABASE_AUTH_ADMIN_TABLES). */
  authAdminTables?: readonly string[];
  /** Said in the header: where the schema was read, e.g. `../../../packages/db/prisma/schema.prisma`. */
  source?: string;
  /**
   * The schema's audit markers (src/audit/schema.ts): the audit log's table is asserted read-only for
   * the runtime role (a SELECT policy, no write policy, no write privilege; the owner's policies, for
   * the audit functions, allowed), and every audited table's three triggers.
   */
  audit?: Pick<AuditSchema, 'log' | 'tables'>;
}

interface Table {
  model: string;
  schema: string;
  name: string;
  tenantColumn: string;
  workspaceColumn?: string;
}

const literal = (text: string) => `'${text.replaceAll("'", "''")}'`;
const ident = (name: string) => (/^[a-z_][a-z0-9_]*$/.test(name) ? name : `"${name.replaceAll('"', '""')}"`);
/** Dollar-quotes `sql` for is_empty/throws_ok; the tag never occurs in generated SQL. */
const query = (sql: string) => `$tap$${sql}$tap$`;
const escapeRegex = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The tables the models map to, with the tenant column; sorted by schema, then name. */
export function tenantTables(models: readonly SchemaModelColumns[]): Table[] {
  return models
    .filter((m) => m.tenantColumn !== undefined)
    .map((m) => ({
      model: m.model,
      schema: m.schema ?? 'public',
      name: m.table,
      tenantColumn: m.tenantColumn!,
      ...(m.workspaceColumn !== undefined ? { workspaceColumn: m.workspaceColumn } : {}),
    }))
    .sort((a, b) => (a.schema === b.schema ? compare(a.name, b.name) : compare(a.schema, b.schema)));
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The deparsed form (pg_get_expr) of the fail-closed setting comparison, as a regex: `<column> = (
 * SELECT (NULLIF(current_setting('<setting>'...`. It pins NULLIF (an empty setting is no tenant) and the
 * sub-select (an InitPlan, evaluated once per statement).
 */
const settingClause = (column: string, setting: string) =>
  literal(`\\m${escapeRegex(ident(column))} = \\( SELECT \\(NULLIF\\(current_setting\\('${escapeRegex(setting)}'`);

/**
 * `check/audit.ts` isInitPlanForm in PL/pgSQL: true when every call that reads the request
 * (current_setting, auth.uid/jwt/role/email) sits inside a `( SELECT ...)`. Created in pg_temp and
 * dropped with the transaction the file rolls back.
 */
const INITPLAN_FUNCTION = `create function pg_temp.tenantry_initplan_form(expression text) returns boolean
language plpgsql immutable as $fn$
declare
  rest text := '';
  depth int := 0;
  in_string boolean := false;
  ch text;
begin
  if expression is null then return true; end if;
  for i in 1 .. length(expression) loop
    ch := substr(expression, i, 1);
    if in_string then
      if ch = '''' then in_string := false; end if;
    elsif ch = '''' then
      in_string := true;
      if depth = 0 then rest := rest || ''''''; end if;
    elsif depth = 0 and substr(expression, i, 12) ~* '^\\(\\s*SELECT\\M' then
      depth := 1;
    elsif depth > 0 then
      if ch = '(' then depth := depth + 1; elsif ch = ')' then depth := depth - 1; end if;
    else
      rest := rest || ch;
    end if;
  end loop;
  return rest !~* '\\m(current_setting|auth\\s*\\.\\s*(uid|jwt|role|email))\\s*\\(';
end
$fn$;`;

/** The pgTAP file for `options.models`. */
export function renderSchemaPgTap(options: SchemaPgTapOptions): string {
  const role = options.runtimeRole;
  const roleOid = `(select oid from pg_roles where rolname = ${literal(role)})`;
  const tables = tenantTables(options.models);
  const allowed = new Set(options.authAdminTables ?? SUPABASE_AUTH_ADMIN_TABLES);
  const asserts: string[] = [];
  const asRuntime: string[] = [];

  asserts.push(
    `select has_role(${literal(role)}, 'the runtime role ${role} exists')`,
    `select ok(coalesce((select not rolsuper from pg_roles where rolname = ${literal(role)}), false), '${role} is not a superuser')`,
    `select ok(coalesce((select not rolbypassrls from pg_roles where rolname = ${literal(role)}), false), '${role} does not bypass row level security')`,
    `select ok(coalesce((select not rolcreaterole and not rolcreatedb from pg_roles where rolname = ${literal(role)}), false), '${role} cannot create roles or databases')`,
    `select is_empty(${query(`select format('%s.%I', relnamespace::regnamespace, relname) from pg_class where relowner = ${roleOid}`)}, '${role} owns no table, view, sequence or index')`,
    `select is_empty(${query(
      `select rolname from pg_roles r where r.oid <> ${roleOid} and (r.rolsuper or r.rolbypassrls) and pg_has_role(${roleOid}, r.oid, 'MEMBER')`,
    )}, '${role} cannot SET ROLE to a role that bypasses row level security')`,
  );

  const schemas = [...new Set(tables.map((t) => t.schema))];
  const tenantColumns = [...new Set(tables.map((t) => t.tenantColumn))].sort(compare);
  if (tables.length > 0) {
    asserts.push(
      `select is_empty(${query(
        `select format('%I.%I', n.nspname, c.relname) from pg_class c join pg_namespace n on n.oid = c.relnamespace
            join pg_attribute a on a.attrelid = c.oid and not a.attisdropped and a.attname = any (array[${tenantColumns.map(literal).join(', ')}])
           where c.relkind in ('r', 'p') and not c.relispartition and n.nspname = any (array[${schemas.map(literal).join(', ')}])
             and not (c.relrowsecurity and c.relforcerowsecurity)`,
      )}, 'every table with a ${tenantColumns.join('/')} column in ${schemas.join(', ')} enables and forces row level security, the models'' and any other')`,
    );
  }

  for (const t of tables) {
    const qualified = `${t.schema}.${t.name}`;
    const regclass = `to_regclass(${literal(`${ident(t.schema)}.${ident(t.name)}`)})`;
    const policies = `from pg_policy p where p.polrelid = ${regclass}`;
    const forRuntime = `p.polroles = array[${roleOid}]`;
    const expressions = `array_remove(array[pg_get_expr(p.polqual, p.polrelid), pg_get_expr(p.polwithcheck, p.polrelid)], null)`;
    const scope = t.workspaceColumn !== undefined ? 'workspace-scoped' : 'tenant-wide';
    const isLog =
      options.audit?.log !== undefined &&
      options.audit.log.table === t.name &&
      (options.audit.log.schema ?? 'public') === t.schema;
    asserts.push(
      `select has_table(${literal(t.schema)}, ${literal(t.name)}, '${qualified} exists (model ${t.model}, ${scope})')`,
      `select has_column(${literal(t.schema)}, ${literal(t.name)}, ${literal(t.tenantColumn)}, ${literal(`${qualified} has its tenant column ${t.tenantColumn}`)})`,
    );
    if (t.workspaceColumn !== undefined) {
      asserts.push(
        `select has_column(${literal(t.schema)}, ${literal(t.name)}, ${literal(t.workspaceColumn)}, ${literal(`${qualified} has its workspace column ${t.workspaceColumn}`)})`,
      );
    }
    asserts.push(
      `select ok(coalesce((select relrowsecurity from pg_class where oid = ${regclass}), false), '${qualified} has row level security enabled')`,
      `select ok(coalesce((select relforcerowsecurity from pg_class where oid = ${regclass}), false), '${qualified} forces row level security, so its owner is subject to it too')`,
    );
    for (const [cmd, code] of [
      ['SELECT', 'r'],
      ['INSERT', 'a'],
      ['UPDATE', 'w'],
      ['DELETE', 'd'],
    ] as const) {
      if (isLog && cmd !== 'SELECT') {
        asserts.push(
          `select ok(not exists (select 1 ${policies} and p.polcmd in ('${code}', '*') and ${forRuntime}) and not coalesce(has_table_privilege(${literal(role)}, ${regclass}, '${cmd}'), true), '${qualified} is the audit log: ${role} has no ${cmd} policy and no ${cmd} privilege on it')`,
        );
        continue;
      }
      asserts.push(
        `select ok(exists (select 1 ${policies} and p.polpermissive and p.polcmd in ('${code}', '*') and ${forRuntime}), '${qualified} has a permissive ${cmd} policy for ${role}')`,
      );
    }
    const ownerPolicies = isLog
      ? ` and not (p.polroles = array[(select relowner from pg_class where oid = ${regclass})] and p.polcmd in ('a', 'r'))`
      : '';
    const authAdmin = allowed.has(qualified)
      ? ` and not (to_regnamespace('auth') is not null and p.polroles = array[(select oid from pg_roles where rolname = '${SUPABASE_AUTH_ADMIN}')])`
      : '';
    asserts.push(
      `select is_empty(${query(`select p.polname ${policies} and not (${forRuntime})${authAdmin}${ownerPolicies}`)}, ${literal(
        `every policy of ${qualified} applies to ${role} only${authAdmin ? ` (or, on Supabase, to ${SUPABASE_AUTH_ADMIN} only)` : ''}${ownerPolicies ? ' (or, for the audit functions, to its owner: INSERT and SELECT)' : ''}: none to PUBLIC, anon or authenticated`,
      )})`,
      `select is_empty(${query(
        `select p.polname ${policies} and not (pg_temp.tenantry_initplan_form(pg_get_expr(p.polqual, p.polrelid)) and pg_temp.tenantry_initplan_form(pg_get_expr(p.polwithcheck, p.polrelid)))`,
      )}, ${literal(`every policy of ${qualified} reads the request settings inside (SELECT ...), once per statement (InitPlan)`)})`,
      `select is_empty(${query(
        `select p.polname ${policies} and ${forRuntime} and exists (select 1 from unnest(${expressions}) e where e !~ ${settingClause(t.tenantColumn, 'app.tenant_id')})`,
      )}, ${literal(`every policy of ${qualified} for ${role} checks ${t.tenantColumn} = (SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid), failing closed`)})`,
    );
    if (t.workspaceColumn !== undefined) {
      asserts.push(
        `select is_empty(${query(
          `select p.polname ${policies} and ${forRuntime} and exists (select 1 from unnest(${expressions}) e where e !~ ${settingClause(t.workspaceColumn, 'app.workspace_id')})`,
        )}, ${literal(`every policy of ${qualified} for ${role} has the workspace clause: ${t.workspaceColumn} = (SELECT NULLIF(current_setting('app.workspace_id', true), '')::uuid)`)})`,
      );
    }
    asRuntime.push(
      `select throws_ok(${literal(`alter table ${ident(t.schema)}.${ident(t.name)} disable row level security`)}, '42501', null, '${role} cannot disable row level security on ${qualified}')`,
    );
    if (isLog) {
      const target = `${ident(t.schema)}.${ident(t.name)}`;
      for (const statement of [
        `update ${target} set operation = operation`,
        `delete from ${target}`,
        `truncate ${target}`,
      ])
        asRuntime.push(
          `select throws_ok(${literal(statement)}, '42501', null, ${literal(`${role} cannot ${statement.split(' ')[0]} the audit log ${qualified}`)})`,
        );
    }
    const audited = options.audit?.tables.find((a) => a.table === t.name && (a.schema ?? 'public') === t.schema);
    if (audited) {
      for (const trigger of Object.values(AUDIT_TRIGGERS))
        asserts.push(
          `select has_trigger(${literal(t.schema)}, ${literal(t.name)}, ${literal(trigger)}, ${literal(`${qualified} is audited (/// @tenantry.audit on ${t.model}): trigger ${trigger}`)})`,
        );
    }
  }

  const lines = [
    '-- GENERATED by `tenantry pgtap` from the Prisma schema: do not edit. After changing the schema, run',
    '-- `pnpm db:pgtap` (tenantry pgtap) and commit this file; `tenantry pgtap --check` fails while it is stale.',
    ...(options.source ? [`-- Schema: ${options.source}`] : []),
    `-- Runtime role: ${role}. Tenant tables: ${tables.length === 0 ? '(none)' : tables.map((t) => `${t.schema}.${t.name}`).join(', ')}.`,
    '-- Run with pg_prove as a superuser against a migrated database.',
    'begin;',
    `select plan(${asserts.length + asRuntime.length});`,
    '',
    INITPLAN_FUNCTION,
    '',
    ...asserts.map((a) => `${a};`),
    '',
    '-- As the runtime role: it owns nothing, so ALTER TABLE is refused (42501).',
    ...(asRuntime.length > 0
      ? [`set local role ${ident(role)};`, ...asRuntime.map((a) => `${a};`), 'reset role;']
      : []),
    '',
    'select * from finish();',
    'rollback;',
    '',
  ];
  return lines.join('\n');
}
