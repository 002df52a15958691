// Policy generation for `tenantry migrate dev` (this repository's `pnpm db:migrate`): when `migrate dev`
// writes a migration that creates a table with a tenant_id column (the tenantField's column; see columns.ts), the table's RLS is appended to that migration.sql before it is
// applied, in the form of the hand-written `*_row_level_security` migration: grants to the runtime
// role, ENABLE and FORCE ROW LEVEL SECURITY, and one fail-closed InitPlan policy per command. Nobody
// can forget it, and `pnpm db:check` audits the result.
//
// Workspace scope (docs/tenancy-model.md, "Workspace scope"): a table with a workspace_id gets the active-workspace
// clause on every command, as projects and tasks have. A tenant-wide table (tenant_id, no
// workspace_id) is readable from any context of its tenant but writable only from a context that is
// not narrowed to a workspace (app.workspace_id unset), as invitations and memberships are: a
// narrowed context writes only inside its workspace, and a tenant-wide row it deleted or re-keyed
// could cascade (ON DELETE/UPDATE CASCADE, unchecked by RLS) into other workspaces' rows. Composite keys stay the schema's job (`@@id([tenantId, id])`):
// Prisma generates them, and db:check fails a tenant table without them.
//
// Workspace keys (docs/schema-rules.md): a foreign key the migration adds from a workspace-scoped
// table to a workspace-scoped one must include workspace_id on both sides, and a tenant-wide table
// must not reference a workspace-scoped one. Generation cannot fix the schema, so it prints a warning
// naming the foreign key and the @relation to write; `pnpm db:check` fails it (ws-keys).
//
// Policies are plain data (drizzle's words: `for`, `to`, `using`, `withCheck`) rendered to SQL.
import { AsyncLocalStorage } from 'node:async_hooks';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { addAuditToMigrationFile, describeAuditChange } from '../audit/migration.js';
import { addCitusToMigration, citusMigrationsWanted } from './citus-migration.js';
import type { AuditSchema } from '../audit/schema.js';
import { DEFAULT_TENANT_COLUMNS, type TenantColumns } from './columns.js';
import { prismaMigrate } from './prisma-modules.js';
import { tenantTablesCreatedIn, type TenantTable } from './tables.js';

export { tablesCreatedIn, tenantTablesCreatedIn, type TenantTable } from './tables.js';

export interface PolicySpec {
  name: string;
  for: 'select' | 'insert' | 'update' | 'delete';
  to: string;
  using?: string;
  withCheck?: string;
}

/** The runtime role the policies name: TENANTRY_RUNTIME_ROLE, default tenantry_app. */
export function runtimeRole(env: NodeJS.ProcessEnv = process.env): string {
  const role = env.TENANTRY_RUNTIME_ROLE || 'tenantry_app';
  if (!/^[a-z_][a-z0-9_]*$/.test(role)) {
    throw new Error(
      `Cannot generate policies because TENANTRY_RUNTIME_ROLE "${role}" is not a lower-case SQL identifier. Set it to the runtime role's name.`,
    );
  }
  return role;
}

import { type PolicyForm, policyFormFromEnv, settingSql, workspaceClauseSql } from './policy-form.js';

export { type PolicyForm, policyFormFromEnv };

/** A column as the policies write it: bare when it is a plain lower-case identifier (tenant_id), else quoted. */
const columnSql = (column: string) => (/^[a-z_][a-z0-9_]*$/.test(column) ? column : ident(column));

export function tenantPolicies(
  table: TenantTable,
  role: string,
  columns: TenantColumns = DEFAULT_TENANT_COLUMNS,
  form: PolicyForm = policyFormFromEnv(),
): PolicySpec[] {
  const setting = (name: string) => settingSql(name, form);
  const NOT_NARROWED = `${setting('app.workspace_id')} IS NULL`;
  const TENANT = `${columnSql(columns.tenant)} = ${setting('app.tenant_id')}`;
  // The workspace clause's form is chosen for the planner's estimate: see workspaceClauseSql.
  const WORKSPACE = workspaceClauseSql(columnSql(columns.workspace), form);
  if (table.workspaceScoped) {
    const rule = `${TENANT}\n    AND ${WORKSPACE}`;
    const name = (verb: string) => policyName(`tenant ${verb} only its own ${table.name}`, ' in the active workspace');
    return [
      { name: name('reads'), for: 'select', to: role, using: rule },
      { name: name('inserts'), for: 'insert', to: role, withCheck: rule },
      { name: name('updates'), for: 'update', to: role, using: rule, withCheck: rule },
      { name: name('deletes'), for: 'delete', to: role, using: rule },
    ];
  }
  // Tenant-wide: read from any context of the tenant, written only outside a workspace.
  const write = `${TENANT}\n    AND ${NOT_NARROWED}`;
  const name = (verb: string, suffix = ' outside a workspace') =>
    policyName(`tenant ${verb} only its own ${table.name}`, suffix);
  return [
    { name: name('reads', ''), for: 'select', to: role, using: TENANT },
    { name: name('inserts'), for: 'insert', to: role, withCheck: write },
    { name: name('updates'), for: 'update', to: role, using: write, withCheck: write },
    { name: name('deletes'), for: 'delete', to: role, using: write },
  ];
}

/** Postgres truncates identifiers at 63 bytes; drop the suffix first so the name stays a sentence. */
function policyName(base: string, suffix: string): string {
  if (Buffer.byteLength(base + suffix) <= 63) return base + suffix;
  return Buffer.from(base)
    .subarray(0, 63)
    .toString('utf8')
    .replace(/\uFFFD$/, '');
}

const ident = (name: string) => `"${name.replaceAll('"', '""')}"`;

export function renderRlsBlock(
  table: TenantTable,
  role: string,
  columns: TenantColumns = DEFAULT_TENANT_COLUMNS,
  form: PolicyForm = policyFormFromEnv(),
): string {
  const target = table.schema ? `${ident(table.schema)}.${ident(table.name)}` : ident(table.name);
  const lines = [
    `-- Row-Level Security for ${target}, generated by \`tenantry migrate dev\` (@tenantry/prisma, src/migrate/policies.ts):`,
    `-- tenant-scoped${table.workspaceScoped ? ' and workspace-scoped' : ', tenant-wide (written only outside a workspace)'}. \`tenantry check\` audits it.`,
    ...(form === 'citus'
      ? [
          '-- Citus form (DATABASE_DISTRIBUTED=citus): no subqueries; distribute the table with `pnpm db:citus` after deploying.',
        ]
      : []),
    `GRANT SELECT, INSERT, UPDATE, DELETE ON ${target} TO ${role};`,
    `ALTER TABLE ${target} ENABLE ROW LEVEL SECURITY;`,
    `ALTER TABLE ${target} FORCE ROW LEVEL SECURITY;`,
  ];
  for (const p of tenantPolicies(table, role, columns, form)) {
    lines.push(`CREATE POLICY ${ident(p.name)} ON ${target}`, `  FOR ${p.for.toUpperCase()} TO ${p.to}`);
    if (p.using) lines.push(`  USING (${p.using})`);
    if (p.withCheck) lines.push(`  WITH CHECK (${p.withCheck})`);
    lines[lines.length - 1] += ';';
  }
  return lines.join('\n');
}

/**
 * `sql` with the RLS of every tenant table it creates appended (tables already secured in it are
 * skipped). `skip` names tables secured another way: the audit log (`/// @tenantry.audit-log`),
 * which the runtime role only reads (src/audit/sql.ts writes its RLS).
 */
export function addRlsToMigration(
  sql: string,
  role = runtimeRole(),
  columns: TenantColumns = DEFAULT_TENANT_COLUMNS,
  skip: ReadonlyArray<{ schema?: string; table: string }> = [],
): { sql: string; tables: TenantTable[] } {
  const tables = tenantTablesCreatedIn(sql, columns).filter(
    (t) =>
      !new RegExp(`ALTER TABLE (?:"[^"]+"\\.)?${escapeRegExp(ident(t.name))} ENABLE ROW LEVEL SECURITY`).test(sql) &&
      !skip.some((s) => s.table === t.name && (s.schema ?? undefined) === (t.schema ?? undefined)),
  );
  if (tables.length === 0) return { sql, tables };
  return { sql: `${sql.trimEnd()}\n\n${tables.map((t) => renderRlsBlock(t, role, columns)).join('\n\n')}\n`, tables };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** What the migrations so far say about a table: its columns and the column sets of its unique keys. */
interface KnownTable {
  columns: Set<string>;
  uniques: string[][];
}

const QUOTED = /"((?:[^"]|"")+)"/g;
const names = (list: string) => [...list.matchAll(QUOTED)].map((m) => m[1]!.replaceAll('""', '"'));
const TABLE_REF = String.raw`(?:"(?:[^"]|"")+"\.)?"((?:[^"]|"")+)"`;

/**
 * Replays Prisma-generated migrations (oldest first) far enough to know, per table name, its columns
 * and unique keys: CREATE TABLE, ALTER TABLE ... ADD/DROP COLUMN, DROP TABLE, PRIMARY KEY and
 * CREATE UNIQUE INDEX. Hand-written SQL in other forms is ignored (db:check reads the real catalog).
 */
export function replayTables(migrations: string[]): Map<string, KnownTable> {
  const tables = new Map<string, KnownTable>();
  const statement = new RegExp(
    [
      String.raw`^CREATE TABLE ${TABLE_REF} \(
([\s\S]*?)
\);$`,
      String.raw`^ALTER TABLE ${TABLE_REF} ((?:ADD|DROP) COLUMN[\s\S]*?);$`,
      String.raw`^DROP TABLE ${TABLE_REF};$`,
      String.raw`^CREATE UNIQUE INDEX "(?:[^"]|"")+" ON ${TABLE_REF}\(([^)]*)\);$`,
    ].join('|'),
    'gm',
  );
  for (const sql of migrations) {
    for (const m of sql.matchAll(statement)) {
      const [, created, body, altered, change, dropped, indexed, indexColumns] = m;
      if (created !== undefined) {
        const name = created.replaceAll('""', '"');
        const columns = new Set([...body!.matchAll(/^\s+"((?:[^"]|"")+)" /gm)].map((c) => c[1]!.replaceAll('""', '"')));
        const pk = /CONSTRAINT "(?:[^"]|"")+" PRIMARY KEY \(([^)]*)\)/.exec(body!);
        tables.set(name, { columns, uniques: pk ? [names(pk[1]!)] : [] });
      } else if (altered !== undefined) {
        const table = tables.get(altered.replaceAll('""', '"'));
        if (!table) continue;
        for (const c of change!.matchAll(/(ADD|DROP) COLUMN\s+"((?:[^"]|"")+)"/g)) {
          const column = c[2]!.replaceAll('""', '"');
          if (c[1] === 'ADD') table.columns.add(column);
          else table.columns.delete(column);
        }
      } else if (dropped !== undefined) {
        tables.delete(dropped.replaceAll('""', '"'));
      } else if (indexed !== undefined) {
        tables.get(indexed.replaceAll('""', '"'))?.uniques.push(names(indexColumns!));
      }
    }
  }
  return tables;
}

export interface WorkspaceKeyWarning {
  constraint: string;
  table: string;
  parent: string;
  message: string;
}

const camel = (columns: string[]) =>
  columns.map((n) => n.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase())).join(', ');
const withWorkspace = (columns: string[], keys: TenantColumns = DEFAULT_TENANT_COLUMNS) => {
  const rest = columns.filter((n) => n !== keys.workspace);
  rest.splice(rest.indexOf(keys.tenant) + 1, 0, keys.workspace);
  return rest;
};

/**
 * The foreign keys `sql` adds that break the workspace rule, given the migrations before it
 * (oldest first): a workspace-scoped table's key to a workspace-scoped parent without workspace_id
 * paired on both sides, and any tenant-wide table's key to a workspace-scoped parent.
 */
export function workspaceKeyWarnings(
  sql: string,
  earlier: string[] = [],
  keys: TenantColumns = DEFAULT_TENANT_COLUMNS,
): WorkspaceKeyWarning[] {
  const tables = replayTables([...earlier, sql]);
  const workspaceScoped = (t: KnownTable | undefined) =>
    !!t && t.columns.has(keys.tenant) && t.columns.has(keys.workspace);
  const fk = new RegExp(
    String.raw`^ALTER TABLE ${TABLE_REF} ADD CONSTRAINT "((?:[^"]|"")+)" FOREIGN KEY \(([^)]*)\) REFERENCES ${TABLE_REF}\s*\(([^)]*)\)`,
    'gm',
  );
  const warnings: WorkspaceKeyWarning[] = [];
  for (const [, childName, constraintName, columnList, parentName, referenceList] of sql.matchAll(fk)) {
    const [table, constraint, parent] = [childName!, constraintName!, parentName!].map((n) =>
      n.replaceAll('""', '"'),
    ) as [string, string, string];
    const [child, target] = [tables.get(table), tables.get(parent)];
    if (!child?.columns.has(keys.tenant) || !workspaceScoped(target)) continue;
    const [columns, references] = [names(columnList!), names(referenceList!)];
    const see = 'db:check fails it as ws-keys; see docs/schema-rules.md';
    if (!child.columns.has(keys.workspace)) {
      warnings.push({
        constraint,
        table,
        parent,
        message:
          `Warning: tenant-wide table ${table} (no ${keys.workspace}) references workspace-scoped ${parent} by foreign key ${constraint}, so every context of the tenant, ` +
          `narrowed to a workspace or not, reads rows that expose every workspace's ${parent} (${see}). ` +
          `Fix: give the model a ${camel([keys.workspace])} (@map("${keys.workspace}"), defaulting from app.workspace_id) and put it in the relation: ` +
          `@relation(fields: [${camel(withWorkspace(columns, keys))}], references: [${camel(withWorkspace(references, keys))}]); then run pnpm db:migrate again.`,
      });
      continue;
    }
    const i = columns.indexOf(keys.workspace);
    if (i !== -1 && references[i] === keys.workspace) continue;
    const [fixedColumns, fixedReferences] = [withWorkspace(columns, keys), withWorkspace(references, keys)];
    const unique = target!.uniques.some(
      (u) => u.length === fixedReferences.length && fixedReferences.every((c) => u.includes(c)),
    );
    warnings.push({
      constraint,
      table,
      parent,
      message:
        `Warning: foreign key ${constraint} (${columns.join(', ')}) of workspace-scoped ${table} references workspace-scoped ${parent} (${references.join(', ')}) without pairing ${keys.workspace}, ` +
        `so a ${table} row can sit in another workspace than its ${parent} row and workspace scoping leaks (${see}). ` +
        `Fix in schema.prisma: @relation(fields: [${camel(fixedColumns)}], references: [${camel(fixedReferences)}])` +
        (unique ? '' : `, and @@unique([${camel(fixedReferences)}]) on the parent model`) +
        '; then run pnpm db:migrate again.',
    });
  }
  return warnings;
}

/** The migration.sql of every migration in `migrationsDir` named before `name`, oldest first. */
async function migrationsBefore(migrationsDir: string, name: string): Promise<string[]> {
  const entries = await readdir(migrationsDir, { withFileTypes: true }).catch(() => []);
  const earlier = entries
    .filter((e) => e.isDirectory() && e.name < name)
    .map((e) => e.name)
    .sort();
  return Promise.all(
    earlier.map((n) => readFile(path.join(migrationsDir, n, 'migration.sql'), 'utf8').catch(() => '')),
  );
}

/**
 * Appends RLS to `<dir>/migration.sql` in place; returns the tables it secured. Prints (to `warn`,
 * default stderr) a warning for each foreign key the migration adds that breaks the workspace rule.
 */
export async function addRlsToMigrationFile(
  migrationDir: string,
  warn: (message: string) => void = (message) => void process.stderr.write(`${message}\n`),
  columns: TenantColumns = DEFAULT_TENANT_COLUMNS,
  audit?: AuditGeneration,
): Promise<TenantTable[]> {
  const file = path.join(migrationDir, 'migration.sql');
  const original = await readFile(file, 'utf8');
  const skip = audit?.schema.log ? [audit.schema.log] : [];
  const { sql, tables } = addRlsToMigration(original, runtimeRole(), columns, skip);
  if (tables.length > 0) await writeFile(file, sql);
  if (audit) {
    // After the RLS: the audit triggers of a table created here come after its CREATE TABLE.
    const change = await addAuditToMigrationFile(migrationDir, audit.schema, runtimeRole(), columns);
    const line = describeAuditChange(change, path.basename(migrationDir));
    if (line) (audit.report ?? ((l: string) => void process.stdout.write(`${l}\n`)))(line);
  }
  // Last: on Citus the new tables are distributed after their RLS and triggers exist.
  if (await citusMigrationsWanted(path.dirname(migrationDir), path.basename(migrationDir))) {
    const change = addCitusToMigration(await readFile(file, 'utf8'), columns);
    if (change.distributed.length + change.reference.length > 0) {
      await writeFile(file, change.sql);
      (audit?.report ?? ((l: string) => void process.stdout.write(`${l}\n`)))(
        `Citus: ${path.basename(migrationDir)} distributes ${[...change.distributed, ...change.reference.map((t) => `${t} (reference)`)].join(', ')} on a Citus coordinator` +
          (change.foreignKeys > 0 ? `; its ${change.foreignKeys} foreign key(s) are added after the distribution` : ''),
      );
    }
  }
  const earlier = await migrationsBefore(path.dirname(migrationDir), path.basename(migrationDir));
  for (const w of workspaceKeyWarnings(original, earlier, columns))
    warn(`${w.message} (${path.basename(migrationDir)}/migration.sql)`);
  return tables;
}

/** The schema's audit markers (src/audit/schema.ts) for a generation, and where to report what was added. */
export interface AuditGeneration {
  schema: AuditSchema;
  report?: (line: string) => void;
}

type CreateMigration = (params: unknown) => Promise<{ generatedMigrationName?: string }>;
interface Generation {
  report: (tables: TenantTable[], migration: string) => void;
  columns: TenantColumns;
  audit?: AuditGeneration;
}
const generating = new AsyncLocalStorage<Generation>();
let hooked = false;

/**
 * Runs `fn` (Prisma's `migrate dev` class, in-process) with policy generation: Prisma's
 * `Migrate.createMigration` writes the new migration.sql and returns its name, and only then does
 * `migrate dev` apply it, so appending here puts the RLS into the same migration, checksummed and
 * applied with the table. Installed once; outside `fn` the hook does nothing.
 */
export async function withPolicyGeneration<T>(
  fn: () => Promise<T>,
  onGenerated: (tables: TenantTable[], migration: string) => void = () => {},
  columns: TenantColumns = DEFAULT_TENANT_COLUMNS,
  audit?: AuditGeneration,
): Promise<T> {
  if (!hooked) {
    const proto = prismaMigrate.Migrate.prototype as unknown as {
      createMigration: CreateMigration;
      migrationsDirectoryPath?: string;
    };
    const original = proto.createMigration;
    proto.createMigration = async function (this: { migrationsDirectoryPath?: string }, params: unknown) {
      const result = await original.call(this, params);
      const generation = generating.getStore();
      if (generation && result.generatedMigrationName && this.migrationsDirectoryPath) {
        const dir = path.join(this.migrationsDirectoryPath, result.generatedMigrationName);
        const tables = await addRlsToMigrationFile(dir, undefined, generation.columns, generation.audit);
        if (tables.length > 0) generation.report(tables, result.generatedMigrationName);
      }
      return result;
    };
    hooked = true;
  }
  return generating.run({ report: onGenerated, columns, ...(audit ? { audit } : {}) }, fn);
}
