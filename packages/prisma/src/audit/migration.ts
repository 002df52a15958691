/**
 * The audit log's part of `tenantry migrate dev`: after Prisma wrote a new migration.sql (and
 * policies.ts appended the RLS of its new tenant tables), this appends what the schema's audit
 * markers ask for and the migrations so far do not yet have:
 *
 * - the audit log block (grants, RLS, the two functions), in the migration that creates the table
 *   marked `/// @tenantry.audit-log`;
 * - the three triggers of every `/// @tenantry.audit` model that has none yet, or whose trigger
 *   arguments (key, excluded columns) changed since (dropped and created again);
 * - DROP TRIGGER for a table whose marker was removed.
 *
 * "So far" is read from the earlier migrations' text (our own generated statements, in order), as
 * workspaceKeyWarnings reads their tables: the migration files are the source of truth, and
 * `tenantry check` then reads the live catalog. Adding only a marker changes no table, so Prisma
 * writes no migration for it: run `tenantry migrate dev --create-only --name audit_<model>`, which
 * writes an empty one that this fills (docs/audit-log.md).
 */
import { readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DEFAULT_TENANT_COLUMNS, type TenantColumns } from '../migrate/columns.js';
import type { AuditLogTable, AuditSchema } from './schema.js';
import {
  AUDIT_TRIGGERS,
  CAPTURE_FUNCTION,
  renderAuditLogBlock,
  renderAuditTriggers,
  renderDropAuditFunctions,
  renderDropAuditTriggers,
  tableSql,
  triggerArguments,
} from './sql.js';

export interface AuditMigrationChange {
  /** The audit log block was added (the log table is created in this migration). */
  log: boolean;
  /** `schema.table` (or `table`) of the tables whose triggers were created. */
  audited: string[];
  /** Tables whose triggers were dropped (marker removed). */
  unaudited: string[];
}

const keyOf = (t: { schema?: string; table: string }) => `${t.schema ?? ''}.${t.table}`;
const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const TABLE_REF = String.raw`((?:"(?:[^"]|"")+"\.)?"(?:[^"]|"")+")`;

/** `"schema"."table"` / `"table"` as written in a migration, back to its parts. */
function parseTableRef(ref: string): { schema?: string; table: string } {
  const parts = [...ref.matchAll(/"((?:[^"]|"")+)"/g)].map((m) => m[1]!.replaceAll('""', '"'));
  return parts.length === 2 ? { schema: parts[0]!, table: parts[1]! } : { table: parts[0]! };
}

/** What the migrations (oldest first) left audited: table key -> its trigger arguments; and whether the functions exist. */
export function replayAudit(migrations: readonly string[]): { triggers: Map<string, string>; functions: boolean } {
  const triggers = new Map<string, string>();
  let functions = false;
  const statement = new RegExp(
    [
      String.raw`^CREATE TRIGGER "${AUDIT_TRIGGERS.insert}" AFTER INSERT ON ${TABLE_REF}(?: [^\n]*)?\n\s*FOR EACH (?:ROW|STATEMENT) EXECUTE FUNCTION [^(]+\((.*)\);$`,
      `^DROP TRIGGER IF EXISTS "${AUDIT_TRIGGERS.insert}" ON ${TABLE_REF};$`,
      `^DROP TABLE ${TABLE_REF};$`,
      String.raw`^CREATE OR REPLACE FUNCTION [^\n]*"${CAPTURE_FUNCTION}"\(\)`,
      String.raw`^DROP FUNCTION IF EXISTS [^\n]*"${CAPTURE_FUNCTION}"\(\);$`,
    ].join('|'),
    'gm',
  );
  for (const sql of migrations) {
    for (const m of sql.matchAll(statement)) {
      const [whole, created, args, droppedTrigger, droppedTable] = m;
      if (created !== undefined) triggers.set(keyOf(parseTableRef(created)), args!);
      else if (droppedTrigger !== undefined) triggers.delete(keyOf(parseTableRef(droppedTrigger)));
      else if (droppedTable !== undefined) triggers.delete(keyOf(parseTableRef(droppedTable)));
      else if (whole.startsWith('CREATE')) functions = true;
      else functions = false;
    }
  }
  return { triggers, functions };
}

const creates = (sql: string, t: { schema?: string; table: string }) =>
  new RegExp(`^CREATE TABLE ${escapeRegExp(tableSql(t))} \\(`, 'm').test(sql);
const drops = (sql: string, t: { schema?: string; table: string }) =>
  new RegExp(`^DROP TABLE ${escapeRegExp(tableSql(t))};`, 'm').test(sql);

/**
 * `sql` (a new migration) with the audit SQL the schema asks for and `earlier` (the migrations
 * before it, oldest first) lacks. Idempotent: a migration that already holds it gets nothing more.
 */
export function addAuditToMigration(
  sql: string,
  earlier: readonly string[],
  audit: AuditSchema,
  role: string,
  columns: TenantColumns = audit.columns ?? DEFAULT_TENANT_COLUMNS,
): { sql: string; change: AuditMigrationChange } {
  const before = replayAudit(earlier);
  const now = replayAudit([...earlier, sql]);
  const blocks: string[] = [];
  const change: AuditMigrationChange = { log: false, audited: [], unaudited: [] };
  const log: AuditLogTable | undefined = audit.log;
  if (log && !now.functions && (creates(sql, log) || !before.functions)) {
    blocks.push(renderAuditLogBlock(log, { role, columns }));
    change.log = true;
  }
  const wanted = new Map(audit.tables.map((t) => [keyOf(t), t]));
  for (const [key, args] of now.triggers) {
    const table = wanted.get(key);
    if (table && triggerArguments(table) === args) continue;
    const [schema, name] = [key.slice(0, key.indexOf('.')), key.slice(key.indexOf('.') + 1)];
    const target = { ...(schema ? { schema } : {}), table: name };
    if (drops(sql, target)) continue;
    blocks.push(
      renderDropAuditTriggers(
        target,
        table
          ? `${tableSql(target)}: the audit marker's exclude list or the primary key changed; its triggers are created again below.`
          : `${tableSql(target)} is no longer marked /// @tenantry.audit: its audit triggers go (its events stay in the log).`,
      ),
    );
    if (!table) change.unaudited.push(tableSql(target));
    else now.triggers.delete(key);
  }
  if (log) {
    for (const table of audit.tables) {
      if (now.triggers.get(keyOf(table)) === triggerArguments(table)) continue;
      blocks.push(renderAuditTriggers(table, log));
      change.audited.push(tableSql(table));
    }
  } else if (now.functions && audit.tables.length === 0) {
    // The log model is gone: policies.ts's view of it (a dropped table) takes its RLS; the functions go here.
    const dropped = [...sql.matchAll(new RegExp(`^DROP TABLE ${TABLE_REF};$`, 'gm'))].map((m) => parseTableRef(m[1]!));
    if (dropped.length > 0) blocks.push(renderDropAuditFunctions(dropped[0]!));
  }
  if (blocks.length === 0) return { sql, change };
  return { sql: `${sql.trimEnd()}\n\n${blocks.join('\n\n')}\n`, change };
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

/** Appends the audit SQL to `<dir>/migration.sql` in place; returns what it added. */
export async function addAuditToMigrationFile(
  migrationDir: string,
  audit: AuditSchema,
  role: string,
  columns?: TenantColumns,
): Promise<AuditMigrationChange> {
  const file = path.join(migrationDir, 'migration.sql');
  const original = await readFile(file, 'utf8');
  const earlier = await migrationsBefore(path.dirname(migrationDir), path.basename(migrationDir));
  const { sql, change } = addAuditToMigration(original, earlier, audit, role, columns);
  if (sql !== original) await writeFile(file, sql);
  return change;
}

/** One line for the `migrate dev` output, or undefined when nothing was added. */
export function describeAuditChange(change: AuditMigrationChange, migration: string): string | undefined {
  const parts: string[] = [];
  if (change.log) parts.push('added the audit log (grants, RLS, tenantry_audit_capture/erasure)');
  if (change.audited.length > 0) parts.push(`added audit triggers for ${change.audited.join(', ')}`);
  if (change.unaudited.length > 0) parts.push(`dropped the audit triggers of ${change.unaudited.join(', ')}`);
  return parts.length === 0 ? undefined : `Audit log (${migration}/migration.sql): ${parts.join('; ')}`;
}
