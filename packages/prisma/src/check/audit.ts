// The live RLS audit behind `pnpm db:check`: reads the catalogs of a database and checks, for the
// runtime role and every table with a tenant_id column, the rules of docs/DESIGN.md I5 and I6 and the
// policy form of "Policies", the workspace rule of docs/schema-rules.md (`ws-keys`: a foreign key
// between two workspace-scoped tables includes workspace_id, and no tenant-wide table references a
// workspace-scoped one), and that the runtime role can create nothing: no temporary objects
// (TEMPORARY on the database), no schemas (CREATE on the database), nothing in any schema. Read-only;
// any role that can connect may run it (the catalogs are readable by all), the owner's DIRECT_URL
// being the natural one. The Supabase traps (a bypassing runtime login, anon/authenticated grants,
// policies TO PUBLIC) are in supabase-roles.ts.
import type pg from 'pg';
import { AUDIT_LOG_COMMENT } from '../audit/names.js';
import { DEFAULT_TENANT_COLUMNS, type TenantColumns } from '../migrate/columns.js';
import { auditLogFindings, type AuditLogCheck } from './audit-log.js';
import {
  SUPABASE_API_ROLES,
  apiRoleGrantProblem,
  publicPolicyProblem,
  runtimeLoginProblem,
  type RuntimeLogin,
} from './supabase-roles.js';

export const TABLE_CHECKS = [
  'enabled',
  'forced',
  'select',
  'insert',
  'update',
  'delete',
  'initplan',
  'keys',
  'ws-keys',
  'index',
] as const;
export type TableCheck = (typeof TABLE_CHECKS)[number];
export const ROLE_CHECKS = [
  'exists',
  'nosuperuser',
  'nobypassrls',
  'owns nothing',
  'no bypass membership',
  'no temporary',
  'no create on database',
  'no create on schemas',
  'no role defaults',
] as const;
/** The Supabase traps (supabase-roles.ts), reported in a grid of their own: `runtime login` for the role, the others per table. */
export const SUPABASE_CHECKS = ['runtime login', 'no public policy', 'anon grants'] as const;
export type SupabaseCheck = (typeof SUPABASE_CHECKS)[number];
/**
 * On a Citus coordinator (docs/citus.md): each tenant table distributed by the tenant column and
 * colocated with the others, RLS enabled and forced on every shard, the global tables its foreign
 * keys reach as reference tables, and the runtime role's `citus.propagate_set_commands = 'local'`
 * (the engine's Citus mode sends it in every block too). The `initplan` check then asks for the
 * subquery-free form Citus requires instead.
 */
export const CITUS_CHECKS = ['distributed', 'colocated', 'shards rls', 'references', 'propagate'] as const;
export type CitusCheck = (typeof CITUS_CHECKS)[number];

/**
 * Settings that, as defaults of the runtime role, break or change every request: Postgres lets any
 * role set its OWN defaults (`ALTER ROLE current_user SET ...`, e.g. from raw SQL), they apply to
 * every new session, and the per-statement reset returns to them. The `app.*` and JWT settings are
 * sent with every statement anyway; flagged because nothing legitimate puts them there.
 */
const DANGEROUS_ROLE_DEFAULTS = [
  'default_transaction_read_only',
  'search_path',
  'row_security',
  'role',
  'session_authorization',
  'default_transaction_isolation',
  'default_transaction_deferrable',
  'temp_tablespaces',
];
export type RoleCheck = (typeof ROLE_CHECKS)[number];

export interface Finding {
  /** `schema.table` for table checks, `role <name>` for role checks. */
  subject: string;
  check: TableCheck | RoleCheck | CitusCheck | SupabaseCheck | AuditLogCheck;
  ok: boolean;
  /** For a failure: what is wrong and how to fix it. */
  detail?: string;
}

export interface AuditOptions {
  /** The role DATABASE_URL logs in as (default tenantry_app). */
  runtimeRole: string;
  /** Schemas whose tables are audited (default ['public']). */
  schemas: string[];
  /** The tenant and workspace columns (default tenant_id, workspace_id; see migrate/columns.ts). */
  columns?: TenantColumns;
  /**
   * The user the runtime URL (DATABASE_URL) logs in as, looked up through this connection: a bypassing
   * role there fails `runtime login`. Without it that check is not made.
   */
  runtimeLogin?: RuntimeLogin;
  /**
   * The tables the schema marks `/// @tenantry.audit` (`schema.table`), for the `audit log` group
   * (audit-log.ts): each must have the audit triggers. Without it, the tables that have any are checked.
   */
  auditedTables?: readonly string[];
}

const COMMANDS = { select: 'SELECT', insert: 'INSERT', update: 'UPDATE', delete: 'DELETE' } as const;

export async function auditDatabase(client: pg.ClientBase, options: AuditOptions): Promise<Finding[]> {
  const role = await auditRuntimeRole(client, options.runtimeRole);
  if (options.runtimeLogin) {
    const problem = await runtimeLoginProblem(client, options.runtimeLogin, options.runtimeRole);
    role.push(
      problem === undefined
        ? { subject: `role ${options.runtimeRole}`, check: 'runtime login', ok: true }
        : { subject: `role ${options.runtimeRole}`, check: 'runtime login', ok: false, detail: problem },
    );
  }
  return [
    ...role,
    ...(await auditTenantTables(client, options)),
    ...(await auditLogFindings(client, {
      runtimeRole: options.runtimeRole,
      schemas: options.schemas,
      ...(options.auditedTables ? { auditedTables: options.auditedTables } : {}),
    })),
  ];
}

async function auditRuntimeRole(client: pg.ClientBase, role: string): Promise<Finding[]> {
  const subject = `role ${role}`;
  // Database privileges: who gives them (PUBLIC, the role itself, a role it inherits from), read
  // from the ACL the way has_database_privilege does, so the fix can name them.
  const grantedBy = (privilege: string) =>
    `array(select case when a.grantee = 0 then 'PUBLIC' else quote_ident(pg_get_userbyid(a.grantee)) end
             from aclexplode(coalesce(d.datacl, acldefault('d', d.datdba))) a
            where a.privilege_type = '${privilege}' and (a.grantee = 0 or pg_has_role(r.oid, a.grantee, 'USAGE')) order by 1)`;
  const { rows } = await client.query<{
    rolsuper: boolean;
    rolbypassrls: boolean;
    owned: string[];
    bypass_roles: string[];
    database: string;
    temporary: boolean;
    temporary_from: string[];
    create_db: boolean;
    create_db_from: string[];
    create_schemas: string[];
    role_defaults: string[];
  }>(
    `select r.rolsuper, r.rolbypassrls,
            array(select format('%s.%s', c.relnamespace::regnamespace, c.relname) from pg_class c
                   where c.relowner = r.oid and c.relkind in ('r', 'p', 'v', 'm', 'f', 'S') order by 1) as owned,
            array(select o.rolname::text from pg_roles o
                   where o.oid <> r.oid and (o.rolsuper or o.rolbypassrls) and pg_has_role(r.oid, o.oid, 'MEMBER') order by 1) as bypass_roles,
            quote_ident(d.datname) as database,
            has_database_privilege(r.oid, d.oid, 'TEMPORARY') as temporary, ${grantedBy('TEMPORARY')} as temporary_from,
            has_database_privilege(r.oid, d.oid, 'CREATE') as create_db, ${grantedBy('CREATE')} as create_db_from,
            array(select quote_ident(n.nspname) from pg_namespace n where has_schema_privilege(r.oid, n.oid, 'CREATE') order by 1) as create_schemas,
            array(select case when s.setdatabase = 0 then '' else 'in this database: ' end || c.setting
                    from pg_db_role_setting s, unnest(s.setconfig) as c(setting)
                   where s.setrole = r.oid and s.setdatabase in (0, d.oid)
                     and (split_part(c.setting, '=', 1) = any($2::text[]) or c.setting like 'app.%' or c.setting like 'request.jwt.%')
                   order by 1) as role_defaults
       from pg_roles r, pg_database d where r.rolname = $1 and d.datname = current_database()`,
    [role, DANGEROUS_ROLE_DEFAULTS],
  );
  const r = rows[0];
  if (!r) {
    return [
      {
        subject,
        check: 'exists',
        ok: false,
        detail: `Role ${role} does not exist. Create it (see the RLS migration) or pass --runtime-role / TENANTRY_RUNTIME_ROLE.`,
      },
    ];
  }
  const q = quoteIdent(role);
  return [
    { subject, check: 'exists', ok: true },
    {
      subject,
      check: 'nosuperuser',
      ok: !r.rolsuper,
      detail: `${role} is SUPERUSER, which ignores RLS. Fix: ALTER ROLE ${q} NOSUPERUSER;`,
    },
    {
      subject,
      check: 'nobypassrls',
      ok: !r.rolbypassrls,
      detail: `${role} has BYPASSRLS. Fix: ALTER ROLE ${q} NOBYPASSRLS;`,
    },
    {
      subject,
      check: 'owns nothing',
      ok: r.owned.length === 0,
      detail: `${role} owns ${r.owned.join(', ')}; an owner can ALTER its tables' RLS. Fix: ALTER TABLE <table> OWNER TO <owner role>;`,
    },
    {
      subject,
      check: 'no bypass membership',
      ok: r.bypass_roles.length === 0,
      detail: `${role} can SET ROLE to ${r.bypass_roles.join(', ')}, which bypass RLS (on Supabase: service_role). Fix: REVOKE <role> FROM ${q};`,
    },
    {
      subject,
      check: 'no temporary',
      ok: !r.temporary,
      detail:
        `${role} can create temporary tables in database ${r.database} (TEMPORARY${from(r.temporary_from)}); one outlives the request on a pooled connection and shadows tenant tables through search_path. ` +
        `Fix, as the database owner: REVOKE TEMPORARY ON DATABASE ${r.database} FROM ${revokeFrom(r.temporary_from, q)}; (a database created from a template needs it again).`,
    },
    {
      subject,
      check: 'no create on database',
      ok: !r.create_db,
      detail:
        `${role} can create schemas in database ${r.database} (CREATE${from(r.create_db_from)}), and owns what it creates. ` +
        `Fix, as the database owner: REVOKE CREATE ON DATABASE ${r.database} FROM ${revokeFrom(r.create_db_from, q)};`,
    },
    {
      subject,
      check: 'no create on schemas',
      ok: r.create_schemas.length === 0,
      detail:
        `${role} can create tables, views and functions in schema ${r.create_schemas.join(', ')}, and would own them (and their RLS). ` +
        `Fix, as each schema's owner: REVOKE CREATE ON SCHEMA ${r.create_schemas.join(', ')} FROM PUBLIC, ${q};`,
    },
    {
      subject,
      check: 'no role defaults',
      ok: r.role_defaults.length === 0,
      detail:
        `${role} has session defaults that change every request (${r.role_defaults.join('; ')}); any role can set its own ` +
        `(ALTER ROLE current_user SET ..., e.g. from raw SQL), and every new session starts with them. ` +
        `Fix, as a superuser or the role: ALTER ROLE ${q} RESET ALL; and ALTER ROLE ${q} IN DATABASE ${r.database} RESET ALL;`,
    },
  ].map((f) => (f.ok ? { subject: f.subject, check: f.check as RoleCheck, ok: true } : (f as Finding)));
}

/** ` through PUBLIC, x` for a finding's detail; empty when the grant's source is unknown (superuser, ownership). */
const from = (sources: string[]) => (sources.length > 0 ? ` through ${sources.join(', ')}` : '');
/** Whom to REVOKE from: the sources that grant it, always including PUBLIC's and the role's own grants. */
const revokeFrom = (sources: string[], role: string) => [...new Set(['PUBLIC', role, ...sources])].join(', ');

interface TenantTable {
  oid: number;
  name: string;
  enabled: boolean;
  forced: boolean;
  tenant_attnum: number;
  /** The workspace_id column's number; null for a tenant-wide table. */
  workspace_attnum: number | null;
  /** The table is the audit log (its catalog comment; src/audit/sql.ts). */
  audit_log: boolean;
}

async function auditTenantTables(client: pg.ClientBase, options: AuditOptions): Promise<Finding[]> {
  const columns = options.columns ?? DEFAULT_TENANT_COLUMNS;
  const { rows: tables } = await client.query<TenantTable>(
    `select c.oid::int as oid, format('%I.%I', n.nspname, c.relname) as name, c.relrowsecurity as enabled,
            c.relforcerowsecurity as forced, a.attnum::int as tenant_attnum, w.attnum::int as workspace_attnum,
            starts_with(coalesce(obj_description(c.oid, 'pg_class'), ''), $4::text) as audit_log
       from pg_class c
       join pg_namespace n on n.oid = c.relnamespace
       join pg_attribute a on a.attrelid = c.oid and a.attname = $2 and not a.attisdropped
       left join pg_attribute w on w.attrelid = c.oid and w.attname = $3 and not w.attisdropped
      where c.relkind in ('r', 'p') and not c.relispartition and n.nspname = any($1::text[])
      order by 2`,
    [options.schemas, columns.tenant, columns.workspace, AUDIT_LOG_COMMENT],
  );
  const tenantOids = new Map(tables.map((t) => [t.oid, t]));
  const { rowCount: apiRoles } = await client.query('select 1 from pg_roles where rolname = any($1::text[])', [
    SUPABASE_API_ROLES,
  ]);
  const citus = await citusState(client, options.runtimeRole);
  const findings: Finding[] = [];
  for (const t of tables) {
    const f = (check: TableCheck | SupabaseCheck | CitusCheck, ok: boolean, detail: string) =>
      findings.push(ok ? { subject: t.name, check, ok } : { subject: t.name, check, ok, detail });
    f(
      'enabled',
      t.enabled,
      `ROW LEVEL SECURITY is not enabled, so no policy applies. Fix: ALTER TABLE ${t.name} ENABLE ROW LEVEL SECURITY;`,
    );
    f(
      'forced',
      t.forced,
      `ROW LEVEL SECURITY is not forced, so the table owner bypasses it. Fix: ALTER TABLE ${t.name} FORCE ROW LEVEL SECURITY;`,
    );

    const { rows: policies } = await client.query<{
      name: string;
      cmd: string;
      roles: string[];
      qual: string | null;
      with_check: string | null;
    }>(
      `select p.polname as name,
              case p.polcmd when 'r' then 'SELECT' when 'a' then 'INSERT' when 'w' then 'UPDATE' when 'd' then 'DELETE' else 'ALL' end as cmd,
              case when p.polroles = '{0}' then array['public'] else array(select rolname::text from pg_roles where oid = any(p.polroles)) end as roles,
              pg_get_expr(p.polqual, p.polrelid) as qual, pg_get_expr(p.polwithcheck, p.polrelid) as with_check
         from pg_policy p where p.polrelid = $1 and p.polpermissive`,
      [t.oid],
    );
    const appliesToRuntime = (roles: string[]) => roles.includes('public') || roles.includes(options.runtimeRole);
    for (const [check, cmd] of Object.entries(COMMANDS) as Array<[TableCheck, string]>) {
      if (t.audit_log && cmd !== 'SELECT') {
        // The audit log (audit-log.ts): the runtime role writes nothing there, by privilege and by policy.
        const { rows } = await client.query<{ granted: boolean }>(
          'select exists (select 1 from pg_roles r where r.rolname = $2 and has_table_privilege(r.oid, $1::oid, $3)) as granted',
          [t.oid, options.runtimeRole, cmd],
        );
        const open = policies.filter((p) => (p.cmd === cmd || p.cmd === 'ALL') && appliesToRuntime(p.roles));
        f(
          check,
          !rows[0]?.granted && open.length === 0,
          `${t.name} is the audit log, which ${options.runtimeRole} must not ${cmd.toLowerCase()}, but it ${rows[0]?.granted ? `has ${cmd} on it` : `has policies ${open.map((p) => `"${p.name}"`).join(', ')} for it`}. Fix: REVOKE ${cmd} ON ${t.name} FROM ${options.runtimeRole}; and drop such policies (docs/audit-log.md).`,
        );
        continue;
      }
      const ok = policies.some((p) => (p.cmd === cmd || p.cmd === 'ALL') && appliesToRuntime(p.roles));
      f(
        check,
        ok,
        `No permissive ${cmd} policy for ${options.runtimeRole}, so it cannot ${cmd.toLowerCase()} any row. Fix: add one in a migration (pnpm db:migrate generates them for new tables).`,
      );
    }
    if (citus) {
      // Citus refuses subqueries in policies; the plain NULLIF(current_setting(...))::uuid is STABLE,
      // evaluated once per statement on each node, and indexable there.
      const refused = policies.filter((p) =>
        [p.qual, p.with_check].some((e) => e !== null && /\(\s*SELECT\b/i.test(e)),
      );
      f(
        'initplan',
        refused.length === 0,
        `Policies ${refused.map((p) => `"${p.name}"`).join(', ')} hold a subquery, which Citus refuses on distributed and reference tables. Fix: pnpm db:citus rewrites the tenant settings; move any other subquery into a STABLE PL/pgSQL function (docs/citus.md).`,
      );
      await citusTableFindings(client, t, citus, f);
    } else {
      const slow = policies.filter((p) => [p.qual, p.with_check].some((e) => e !== null && !isInitPlanForm(e)));
      f(
        'initplan',
        slow.length === 0,
        `Policies ${slow.map((p) => `"${p.name}"`).join(', ')} call current_setting()/auth.*() outside (SELECT ...), so Postgres evaluates them per row and cannot use the tenant_id index. Fix: wrap each call, e.g. tenant_id = (SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid).`,
      );
    }

    const problems = await keyProblems(client, t, tenantOids);
    f(
      'keys',
      problems.length === 0,
      `${problems.join('; ')}. Postgres checks keys and foreign keys without RLS, so these let one tenant reference or probe another's rows (I6). Fix: include tenant_id (@@id([tenantId, id]), @@unique([tenantId, ...]), composite relations).`,
    );

    const workspaceProblems = await workspaceKeyProblems(client, t, tenantOids, columns);
    f('ws-keys', workspaceProblems.length === 0, workspaceProblems.join(' '));

    const { rowCount } = await client.query(`select 1 from pg_index where indrelid = $1 and indkey[0] = $2`, [
      t.oid,
      t.tenant_attnum,
    ]);
    f(
      'index',
      (rowCount ?? 0) > 0,
      `No index has tenant_id as its leading column, so every policy-filtered query scans the table. Fix: make tenant_id lead the primary key or an index (@@id([tenantId, id]) / @@index([tenantId, ...])).`,
    );

    const open = publicPolicyProblem(t.name, policies);
    f('no public policy', open === undefined, open ?? '');
    if (apiRoles) {
      const granted = await apiRoleGrantProblem(client, t, policies);
      f('anon grants', granted === undefined, granted ?? '');
    }
  }
  return findings;
}

async function keyProblems(
  client: pg.ClientBase,
  t: TenantTable,
  tenantTables: Map<number, TenantTable>,
): Promise<string[]> {
  const problems: string[] = [];
  const { rows: keys } = await client.query<{ name: string; kind: 'p' | 'u' | 'x'; attnums: number[] }>(
    `select c.conname as name, c.contype as kind, c.conkey::int[] as attnums from pg_constraint c where c.conrelid = $1 and c.contype in ('p', 'u')
     union all
     select i.indexrelid::regclass::text, 'x', i.indkey::int[] from pg_index i
      where i.indrelid = $1 and i.indisunique and not exists (select 1 from pg_constraint c where c.conindid = i.indexrelid and c.conrelid = i.indrelid and c.contype in ('p', 'u', 'x'))`,
    [t.oid],
  );
  if (!keys.some((k) => k.kind === 'p')) problems.push('no primary key');
  for (const k of keys) {
    if (!k.attnums.includes(t.tenant_attnum)) {
      problems.push(`${k.kind === 'p' ? 'primary key' : 'unique key'} ${k.name} does not include tenant_id`);
    }
  }
  const { rows: fks } = await client.query<{ name: string; target: number; conkey: number[]; confkey: number[] }>(
    `select conname as name, confrelid::int as target, conkey::int[] as conkey, confkey::int[] as confkey
       from pg_constraint where conrelid = $1 and contype = 'f'`,
    [t.oid],
  );
  for (const fk of fks) {
    const target = tenantTables.get(fk.target);
    if (!target) continue; // a global table (tenants, users): nothing to mix up
    const i = fk.conkey.indexOf(t.tenant_attnum);
    if (i === -1 || fk.confkey[i] !== target.tenant_attnum) {
      problems.push(`foreign key ${fk.name} to ${target.name} does not pair tenant_id with tenant_id`);
    }
  }
  return problems;
}

/**
 * The workspace rule (docs/schema-rules.md): `t`'s foreign keys to workspace-scoped tables. A
 * workspace-scoped child must pair its workspace_id with the parent's, or a row's workspace can
 * differ from its parent's: the policies check each row's own workspace_id only, and Postgres checks
 * the foreign key without RLS, so a task of workspace A could hang under a project of workspace B. A
 * tenant-wide child (no workspace_id) of a workspace-scoped parent fails too: every context of the
 * tenant, narrowed ones included, reads a tenant-wide table, so its rows expose the parent rows of
 * every workspace, and a cascade from the parent writes it from a narrowed context. A
 * workspace-scoped child of a tenant-wide parent (projects → workspaces) is fine. Each problem is a
 * sentence with its fix.
 */
async function workspaceKeyProblems(
  client: pg.ClientBase,
  t: TenantTable,
  tenantTables: Map<number, TenantTable>,
  keys: TenantColumns,
): Promise<string[]> {
  const { rows: fks } = await client.query<{
    name: string;
    target: number;
    conkey: number[];
    confkey: number[];
    columns: string[];
    references: string[];
    parent_unique: boolean;
  }>(
    `select k.conname as name, k.confrelid::int as target, k.conkey::int[] as conkey, k.confkey::int[] as confkey,
            array(select a.attname::text from unnest(k.conkey) with ordinality u(n, i)
                    join pg_attribute a on a.attrelid = k.conrelid and a.attnum = u.n order by u.i) as columns,
            array(select a.attname::text from unnest(k.confkey) with ordinality u(n, i)
                    join pg_attribute a on a.attrelid = k.confrelid and a.attnum = u.n order by u.i) as references,
            exists (select 1 from pg_index i where i.indrelid = k.confrelid and i.indisunique and i.indpred is null
                       and (select array_agg(x order by x) from unnest(i.indkey::int2[]) x)
                         = (select array_agg(x order by x) from (select unnest(k.confkey) union
                             select attnum from pg_attribute where attrelid = k.confrelid and attname = $2) s(x))) as parent_unique
       from pg_constraint k where k.conrelid = $1 and k.contype = 'f' order by k.conname`,
    [t.oid, keys.workspace],
  );
  const problems: string[] = [];
  for (const fk of fks) {
    const parent = tenantTables.get(fk.target);
    if (!parent || parent.workspace_attnum === null) continue; // global or tenant-wide parent: fine
    const list = (names: string[]) => names.join(', ');
    const camel = (names: string[]) =>
      names.map((n) => n.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase())).join(', ');
    if (t.workspace_attnum === null) {
      problems.push(
        `Tenant-wide ${t.name} (no workspace_id) references workspace-scoped ${parent.name} by foreign key ${fk.name} (${list(fk.columns)}): ` +
          `every context of the tenant, narrowed to a workspace or not, reads a tenant-wide table, so its rows expose every workspace's ${parent.name} ` +
          `(and a cascade from ${parent.name} writes it from a narrowed context). Fix: add workspace_id to ${t.name} and to the foreign key ` +
          `(workspaceId String @map("workspace_id") @db.Uuid with the app.workspace_id default; @relation(fields: [tenantId, workspaceId, ...], references: [tenantId, workspaceId, ...])), making it workspace-scoped.`,
      );
      continue;
    }
    const i = fk.conkey.indexOf(t.workspace_attnum);
    if (i !== -1 && fk.confkey[i] === parent.workspace_attnum) continue;
    // The corrected key: each side without workspace_id, then workspace_id right after tenant_id.
    const withWorkspace = (names: string[]) => {
      const rest = names.filter((n) => n !== keys.workspace);
      rest.splice(rest.indexOf(keys.tenant) + 1, 0, keys.workspace);
      return rest;
    };
    const [columns, references] = [withWorkspace(fk.columns), withWorkspace(fk.references)];
    problems.push(
      `Foreign key ${fk.name} (${list(fk.columns)}) → ${parent.name} (${list(fk.references)}) does not pair workspace_id with workspace_id, ` +
        `so a row of ${t.name} can sit in another workspace than its ${parent.name} row, and workspace scoping leaks across it. ` +
        `Fix: FOREIGN KEY (${list(columns)}) REFERENCES ${parent.name} (${list(references)}); in schema.prisma ` +
        `@relation(fields: [${camel(columns)}], references: [${camel(references)}])` +
        (fk.parent_unique ? '.' : `, which needs @@unique([${camel(references)}]) on the parent model.`),
    );
  }
  return problems;
}

/**
 * True when every call that reads the request (current_setting, auth.uid/jwt/role/email) sits
 * inside a `( SELECT ...)` sub-select, as Postgres deparses `(SELECT ...)`: then it is an InitPlan,
 * evaluated once per statement. Works on `pg_get_expr` output, which quotes strings with ''.
 */
interface CitusState {
  /** The colocation group most tenant tables are in. */
  colocationId: number | undefined;
  /** Whether the runtime role has citus.propagate_set_commands = 'local' as a default. */
  propagates: boolean;
  runtimeRole: string;
}

/** The cluster's state when this database is a Citus coordinator, else undefined. */
async function citusState(client: pg.ClientBase, runtimeRole: string): Promise<CitusState | undefined> {
  const { rowCount } = await client.query("select 1 from pg_extension where extname = 'citus'");
  if (!rowCount) return undefined;
  const { rows } = await client.query<{ colocation: number | null; propagates: boolean }>(
    `select (select colocationid from pg_dist_partition where partmethod = 'h'
              group by colocationid order by count(*) desc limit 1) as colocation,
            exists (select 1 from pg_db_role_setting s join pg_roles r on r.oid = s.setrole
                     where r.rolname = $1 and 'citus.propagate_set_commands=local' = any(s.setconfig)) as propagates`,
    [runtimeRole],
  );
  return { colocationId: rows[0]?.colocation ?? undefined, propagates: rows[0]?.propagates ?? false, runtimeRole };
}

async function citusTableFindings(
  client: pg.ClientBase,
  t: TenantTable,
  citus: CitusState,
  f: (check: CitusCheck, ok: boolean, detail: string) => void,
): Promise<void> {
  const { rows } = await client.query<{ method: string | null; column: string | null; colocation: number | null }>(
    `select p.partmethod::text as method,
            case when p.partkey is not null then column_to_column_name(p.logicalrelid, p.partkey)::text end as column,
            p.colocationid as colocation
       from (select $1::oid as oid) t left join pg_dist_partition p on p.logicalrelid = t.oid`,
    [t.oid],
  );
  const dist = rows[0];
  const fix = 'Fix: pnpm db:citus (docs/citus.md).';
  const tenantColumnName = (
    await client.query<{ name: string }>(
      'select attname::text as name from pg_attribute where attrelid = $1 and attnum = $2',
      [t.oid, t.tenant_attnum],
    )
  ).rows[0]?.name;
  f(
    'distributed',
    dist?.method === 'h' && dist.column === tenantColumnName,
    `${t.name} is ${dist?.method === 'h' ? `distributed by ${dist.column}` : dist?.method ? 'a reference or local Citus table' : 'not distributed'}, not by ${tenantColumnName}: a tenant's rows would not stay on one node. ${fix}`,
  );
  f(
    'colocated',
    dist?.method === 'h' && dist.colocation === citus.colocationId,
    `${t.name} is not colocated with the other tenant tables, so joins and foreign keys between them cannot stay on one node. Fix: SELECT alter_distributed_table('${t.name}', colocate_with => '<another tenant table>');`,
  );
  const { rows: shards } = await client
    .query<{ bad: number; total: number }>(
      `select count(*) filter (where not (r.success and r.result = 'true,true'))::int as bad, count(*)::int as total
       from run_command_on_shards($1::regclass,
              $$select relrowsecurity::text || ',' || relforcerowsecurity::text from pg_class where oid = '%s'::regclass$$) r`,
      [t.name],
    )
    .catch(() => ({ rows: [{ bad: -1, total: 0 }] }));
  f(
    'shards rls',
    dist?.method === 'h' && shards[0]!.bad === 0 && shards[0]!.total > 0,
    `RLS is not enabled and forced on ${shards[0]!.bad < 0 ? 'the shards (they could not be read)' : `${shards[0]!.bad} of ${shards[0]!.total} shards`} of ${t.name}. Fix: ALTER TABLE ${t.name} ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY; on the coordinator (Citus propagates it).`,
  );
  const { rows: refs } = await client.query<{ name: string }>(
    `select distinct c.confrelid::regclass::text as name from pg_constraint c
      where c.contype = 'f' and c.conrelid = $1 and c.confrelid <> $1
        and not exists (select 1 from pg_dist_partition p where p.logicalrelid = c.confrelid and p.partmethod in ('h', 'n'))`,
    [t.oid],
  );
  f(
    'references',
    refs.length === 0,
    `${t.name} references ${refs.map((r) => r.name).join(', ')}, which ${refs.length === 1 ? 'is' : 'are'} neither distributed nor a reference table. ${fix}`,
  );
  f(
    'propagate',
    citus.propagates,
    `${citus.runtimeRole} has no citus.propagate_set_commands = 'local' default. The engine's Citus mode (DATABASE_DISTRIBUTED=citus) sends it with every block; a client without it sees no tenant on the workers (0 rows). Fix: ALTER ROLE ${citus.runtimeRole} SET citus.propagate_set_commands = 'local';`,
  );
}

export function isInitPlanForm(expression: string): boolean {
  let rest = '';
  let depth = 0;
  let inString = false;
  for (let i = 0; i < expression.length; i++) {
    const ch = expression[i]!;
    // String literals ('' escapes a quote) are skipped: their text is data, not calls.
    if (inString) {
      if (ch === "'") inString = false;
      continue;
    }
    if (ch === "'") {
      inString = true;
      if (depth === 0) rest += "''";
      continue;
    }
    if (depth === 0 && /^\(\s*SELECT\b/i.test(expression.slice(i, i + 12))) {
      depth = 1;
      continue;
    }
    if (depth > 0) {
      if (ch === '(') depth++;
      else if (ch === ')') depth--;
      continue;
    }
    rest += ch;
  }
  return !/\b(current_setting|auth\s*\.\s*(uid|jwt|role|email))\s*\(/i.test(rest);
}

function quoteIdent(name: string): string {
  return /^[a-z_][a-z0-9_]*$/.test(name) ? name : `"${name.replaceAll('"', '""')}"`;
}
