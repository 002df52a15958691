/**
 * Which tables are audited, read from the Prisma schema, never from a list: a model opts in with a
 * documentation comment, which Prisma keeps in its data model (DMMF `documentation`):
 *
 *   /// @tenantry.audit                          every column of every written row
 *   /// @tenantry.audit(exclude: [email, token]) the same without these fields' values
 *   model Invitation { ... }
 *
 *   /// @tenantry.audit-log                      the table the trigger writes (one per schema)
 *   model AuditEvent { ... }
 *
 * An audited model must be tenant-scoped (have the tenant field): the event's tenant is the written
 * row's. A line that starts with `@tenantry.audit` but is neither form is refused, so a typo cannot
 * silently switch the audit off.
 */
import internals from '@prisma/internals';
import { tenantFieldsFrom, type TenantFields } from '../extension/model-metadata.js';
import { DEFAULT_TENANT_COLUMNS, type TenantColumns } from '../migrate/columns.js';
import { AuditSchemaError } from './errors.js';

export const AUDIT_MARKER = '@tenantry.audit';
export const AUDIT_LOG_MARKER = '@tenantry.audit-log';

export interface AuditedTable {
  readonly model: string;
  /** `@@schema`, when the model names one. */
  readonly schema?: string;
  readonly table: string;
  /** Primary-key columns, in key order: what an event's `row_key` holds. */
  readonly key: readonly string[];
  /** Columns whose values are left out of `changes` (the marker's `exclude`, as columns), sorted. */
  readonly exclude: readonly string[];
}

export interface AuditLogTable {
  readonly model: string;
  readonly schema?: string;
  readonly table: string;
}

export interface AuditSchema {
  /** The audit log model's table; undefined when no model carries `@tenantry.audit-log`. */
  readonly log?: AuditLogTable;
  /** The audited tables, sorted by schema and name. */
  readonly tables: readonly AuditedTable[];
  /** The tenant and workspace columns the trigger reads off each written row. */
  readonly columns: TenantColumns;
}

/** The audit log's columns the trigger writes (beyond the tenant and workspace columns). */
export const AUDIT_LOG_COLUMNS = ['table_name', 'operation', 'row_key', 'changes', 'user_id', 'txid'] as const;

/** The slice of a DMMF model this module reads. */
export interface DmmfModelLike {
  readonly name: string;
  readonly dbName?: string | null;
  readonly schema?: string | null;
  readonly documentation?: string;
  readonly primaryKey?: { readonly fields: readonly string[] } | null;
  readonly fields: ReadonlyArray<{
    readonly name: string;
    readonly dbName?: string | null;
    readonly kind: string;
    readonly isId?: boolean;
  }>;
}

type Marker = { kind: 'audit'; exclude: string[] } | { kind: 'log' };

const FIELD = /^[A-Za-z][A-Za-z0-9_]*$/;

/** The model's audit marker, if any; a malformed `@tenantry.audit...` line throws. */
function markerOf(model: DmmfModelLike): Marker | undefined {
  const found: Marker[] = [];
  for (const raw of (model.documentation ?? '').split('\n')) {
    const line = raw.trim();
    if (!line.startsWith(AUDIT_MARKER)) continue;
    if (line === AUDIT_LOG_MARKER) {
      found.push({ kind: 'log' });
      continue;
    }
    const m = /^@tenantry\.audit(?:\(\s*exclude\s*:\s*\[([^\]]*)\]\s*\))?$/.exec(line);
    if (!m) {
      throw new AuditSchemaError(
        model.name,
        `its documentation line "${line.slice(0, 80)}" is not an audit marker`,
        'Write `/// @tenantry.audit`, `/// @tenantry.audit(exclude: [field, ...])` or `/// @tenantry.audit-log` (docs/audit-log.md).',
      );
    }
    const exclude = (m[1] ?? '')
      .split(',')
      .map((f) => f.trim())
      .filter(Boolean);
    for (const f of exclude) {
      if (!FIELD.test(f))
        throw new AuditSchemaError(
          model.name,
          'its @tenantry.audit exclude list holds something that is not a field name',
          'List field names as in schema.prisma, separated by commas: `/// @tenantry.audit(exclude: [email, token])`.',
        );
    }
    found.push({ kind: 'audit', exclude });
  }
  if (found.length > 1)
    throw new AuditSchemaError(
      model.name,
      'it carries more than one audit marker',
      'Keep one: `@tenantry.audit` on a model to audit, `@tenantry.audit-log` on the audit log model.',
    );
  return found[0];
}

const columnOf = (model: DmmfModelLike, field: string) => {
  const f = model.fields.find((c) => c.name === field && c.kind !== 'object');
  return f ? (f.dbName ?? f.name) : undefined;
};

/** The audit markers of `models` (a DMMF data model), validated. */
export function auditSchemaFrom(models: readonly DmmfModelLike[], fields: Partial<TenantFields> = {}): AuditSchema {
  const names = tenantFieldsFrom(fields);
  const tenantColumns = models.map((m) => columnOf(m, names.tenantField)).filter((c) => c !== undefined);
  const workspaceColumns = models.map((m) => columnOf(m, names.workspaceField)).filter((c) => c !== undefined);
  const columns: TenantColumns = {
    tenant: tenantColumns[0] ?? DEFAULT_TENANT_COLUMNS.tenant,
    workspace: workspaceColumns[0] ?? DEFAULT_TENANT_COLUMNS.workspace,
  };
  const tables: AuditedTable[] = [];
  const logs: AuditLogTable[] = [];
  for (const model of models) {
    const marker = markerOf(model);
    if (!marker) continue;
    const where = {
      model: model.name,
      ...(model.schema ? { schema: model.schema } : {}),
      table: model.dbName ?? model.name,
    };
    if (columnOf(model, names.tenantField) === undefined) {
      throw new AuditSchemaError(
        model.name,
        `it has no ${names.tenantField} field, and audit events are tenant rows (each event belongs to the written row's tenant)`,
        marker.kind === 'log'
          ? `Give the audit log model a ${names.tenantField} field (see docs/audit-log.md for the model).`
          : `Audit tenant-scoped models only, or add the ${names.tenantField} field to ${model.name}.`,
      );
    }
    if (marker.kind === 'log') {
      const missing = [columns.workspace, ...AUDIT_LOG_COLUMNS].filter(
        (c) => !model.fields.some((f) => f.kind !== 'object' && (f.dbName ?? f.name) === c),
      );
      if (missing.length > 0)
        throw new AuditSchemaError(
          model.name,
          `the audit log model has no column ${missing.join(', ')}, which the audit trigger writes`,
          'Declare the audit log model as docs/audit-log.md shows (fields mapped to these column names).',
        );
      logs.push(where);
      continue;
    }
    const keyFields = model.primaryKey?.fields ?? model.fields.filter((f) => f.isId).map((f) => f.name);
    if (keyFields.length === 0)
      throw new AuditSchemaError(
        model.name,
        'it has no primary key, and an audit event names its row by the primary key',
        'Give the model an @id or @@id (with the tenant field first: @@id([tenantId, id])).',
      );
    const exclude = marker.exclude.map((f) => {
      const column = columnOf(model, f);
      if (column === undefined)
        throw new AuditSchemaError(
          model.name,
          `its @tenantry.audit exclude list names ${f}, which is not a scalar field of ${model.name}`,
          `List ${model.name}'s own scalar fields (as written in schema.prisma), or remove ${f} from the list.`,
        );
      return column;
    });
    tables.push({
      ...where,
      key: keyFields.map((f) => columnOf(model, f)!),
      exclude: [...new Set(exclude)].sort(),
    });
  }
  if (logs.length > 1)
    throw new AuditSchemaError(
      logs[1]!.model,
      `${logs[0]!.model} already carries @tenantry.audit-log, and one audit log serves the whole schema`,
      'Keep the marker on one model.',
    );
  const log = logs[0];
  if (tables.length > 0 && !log)
    throw new AuditSchemaError(
      tables[0]!.model,
      'no model of the schema carries /// @tenantry.audit-log, so there is no table to write its events to',
      'Add the audit log model (docs/audit-log.md) with `/// @tenantry.audit-log` above it.',
    );
  const order = (t: { schema?: string; table: string }) => `${t.schema ?? 'public'}.${t.table}`;
  tables.sort((a, b) => (order(a) < order(b) ? -1 : order(a) > order(b) ? 1 : 0));
  return { ...(log ? { log } : {}), tables, columns };
}

/** The audit markers of the Prisma schema at `schemaPath` (a file or a folder). */
export async function readAuditSchema(schemaPath: string, fields: Partial<TenantFields> = {}): Promise<AuditSchema> {
  const context = await internals.loadSchemaContext({
    schemaPath: internals.createSchemaPathInput({ schemaPathFromArgs: schemaPath, baseDir: process.cwd() }),
    printLoadMessage: false,
  });
  const dmmf = await internals.getDMMF({ datamodel: context.schemaFiles });
  return auditSchemaFrom(dmmf.datamodel.models as unknown as DmmfModelLike[], fields);
}
