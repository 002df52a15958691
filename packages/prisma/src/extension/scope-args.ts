/**
 * The tenant extension's logic, as a pure function over Prisma operation arguments: adds the
 * context's tenantId (and workspaceId) to filters and created data, in the model fields the metadata
 * names (`tenantId`/`workspaceId` by default, e.g. `organizationId` when configured), and rejects
 * arguments that name another tenant or workspace. Pure so it can be unit-tested without a database.
 *
 * This layer gives clear errors and correct results. It is NOT the security boundary: the database's
 * RLS policies are, and they hold even when this function is bypassed (raw SQL, a bug here).
 *
 * @example
 * scopeArgs(meta, 'Project', 'findMany', { where: { name: 'x' } }, { tenantId: T })
 * // => { where: { name: 'x', tenantId: T } }
 */
import { MissingTenantContextError, MissingWorkspaceError, TenantMismatchError } from '../errors.js';
import type { TenantContext } from '../tenant-context.js';
import { fieldsOf, type ModelScope, type TenantFields, type TenantMetadata } from './model-metadata.js';

type Args = Record<string, unknown>;

const FILTER_OPERATIONS = new Set([
  'findMany',
  'findFirst',
  'findFirstOrThrow',
  'count',
  'aggregate',
  'groupBy',
  'updateMany',
  'updateManyAndReturn',
  'deleteMany',
]);
const UNIQUE_OPERATIONS = new Set(['findUnique', 'findUniqueOrThrow', 'update', 'delete', 'upsert']);
const CREATE_OPERATIONS = new Set(['create', 'createMany', 'createManyAndReturn']);

// Keys whose subtrees name fields with 'asc' | 'desc' | true as values, never tenant values.
// `_count` is NOT among them: besides `{ _count: { tenantId: true } }` (booleans, harmless) it takes
// `{ _count: { select: { tasks: { where: { tenantId } } } } }`, a filter that must be checked.
const NOT_FILTERS = new Set(['orderBy', 'distinct', 'by', '_sum', '_avg', '_min', '_max', 'omit']);

function isPlainObject(value: unknown): value is Args {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

/**
 * Walks any argument tree and throws when the tenant or workspace field (`tenantId`/`workspaceId`
 * unless configured) names a value other than the context's: in where filters (also inside relation
 * filters and compound keys like `tenantId_id`), in data, nested writes, include/select.
 * Comparisons are case-insensitive (UUIDs).
 */
function rejectConflicts(
  node: unknown,
  ctx: TenantContext,
  fields: TenantFields,
  model: string,
  operation: string,
  path: string,
): void {
  if (Array.isArray(node)) {
    node.forEach((item, i) => rejectConflicts(item, ctx, fields, model, operation, `${path}[${i}]`));
    return;
  }
  if (!isPlainObject(node)) return;
  for (const [key, value] of Object.entries(node)) {
    // Sorting and aggregate selections name fields as keys with 'asc' | 'desc' | true as values.
    if (NOT_FILTERS.has(key)) continue;
    const here = path ? `${path}.${key}` : key;
    const kind = key === fields.tenantField ? 'tenant' : key === fields.workspaceField ? 'workspace' : undefined;
    const expected = kind === 'tenant' ? ctx.tenantId : kind === 'workspace' ? ctx.workspaceId : undefined;
    if (expected !== undefined && !sameIdentity(value, expected)) {
      throw new TenantMismatchError(model, operation, key, here, kind);
    }
    if (typeof value === 'object' && value !== null) rejectConflicts(value, ctx, fields, model, operation, here);
  }
}

/** True when `value` (a literal, `{ equals }` or `{ in }`) can only match `expected`. */
function sameIdentity(value: unknown, expected: string): boolean {
  if (typeof value === 'string') return value.toLowerCase() === expected;
  if (isPlainObject(value)) {
    if (typeof value.equals === 'string' && value.equals.toLowerCase() !== expected) return false;
    if (Array.isArray(value.in) && value.in.some((v) => typeof v !== 'string' || v.toLowerCase() !== expected))
      return false;
    if (typeof value.set === 'string' && value.set.toLowerCase() !== expected) return false;
  }
  return true;
}

/** The equality filter for the context, for this model's scoped fields. */
function scopeFilter(scope: ModelScope, ctx: TenantContext, fields: TenantFields): Args {
  const filter: Args = { [fields.tenantField]: ctx.tenantId };
  if (scope.workspace && ctx.workspaceId) filter[fields.workspaceField] = ctx.workspaceId;
  return filter;
}

function withFilter(where: unknown, filter: Args): Args {
  if (!isPlainObject(where)) return { ...filter };
  const merged: Args = { ...where };
  const extra: Args[] = [];
  for (const [field, value] of Object.entries(filter)) {
    // A literal that passed rejectConflicts equals the context's value; an operator object
    // (`{ not: ... }`, `{ in: [...] }`) is kept and AND-ed with the scope.
    if (merged[field] === undefined || typeof merged[field] === 'string') merged[field] = value;
    else extra.push({ [field]: value });
  }
  if (extra.length > 0) merged.AND = [...toArray(merged.AND), ...extra];
  return merged;
}

function toArray(value: unknown): unknown[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/**
 * Fills the scoped fields into one created row. Prisma's "checked" input form (to-one relations
 * given as `{ connect }`/`{ create }` instead of foreign-key scalars) rejects scalar foreign keys, so
 * there the row takes tenantId/workspaceId from the relation it connects to, or from the column
 * default that reads the same transaction-local settings.
 */
function withData(
  row: unknown,
  scope: ModelScope,
  ctx: TenantContext,
  fields: TenantFields,
  model: string,
  operation: string,
): Args {
  const data: Args = isPlainObject(row) ? { ...row } : {};
  // Relations this row sets through `{ connect | create | connectOrCreate }` (Prisma's "checked"
  // input), and the foreign-key scalars they provide.
  const viaRelations = new Set(
    Object.keys(data).flatMap(
      (k) => scope.foreignKeys.get(k) ?? (scope.foreignKeys.size === 0 && scope.relations.has(k) ? [k] : []),
    ),
  );
  const checkedForm = viaRelations.size > 0;
  if (!checkedForm) {
    data[fields.tenantField] = ctx.tenantId;
    if (scope.workspace && ctx.workspaceId) data[fields.workspaceField] = ctx.workspaceId;
  }
  // Checked input cannot take scalar foreign keys: the row then takes tenantId/workspaceId from the
  // relation it connects to, or from the column defaults that read the same transaction-local settings.
  const workspaceGiven =
    ctx.workspaceId !== undefined ||
    data[fields.workspaceField] !== undefined ||
    viaRelations.has(fields.workspaceField);
  if (scope.workspace && !workspaceGiven && (scope.foreignKeys.size > 0 || !checkedForm)) {
    throw new MissingWorkspaceError(model, operation, fields.workspaceField);
  }
  return data;
}

export function scopeArgs(
  meta: TenantMetadata,
  model: string,
  operation: string,
  args: unknown,
  ctx: TenantContext | undefined,
): unknown {
  const scope = meta.get(model);
  const fields = fieldsOf(meta);
  if (!scope?.tenant) {
    // Global model (Tenant, User). Relation filters into tenant tables stay checked when a context
    // is active; without one, RLS returns none of their rows.
    if (ctx) rejectConflicts(args, ctx, fields, model, operation, '');
    return args;
  }
  if (!ctx) throw new MissingTenantContextError(`run ${model}.${operation}`);
  rejectConflicts(args, ctx, fields, model, operation, '');

  const next: Args = isPlainObject(args) ? { ...args } : {};
  const filter = scopeFilter(scope, ctx, fields);
  if (FILTER_OPERATIONS.has(operation) || UNIQUE_OPERATIONS.has(operation)) {
    // Prisma accepts extra non-unique filters beside a unique key in WhereUniqueInput.
    next.where = withFilter(next.where, filter);
  }
  if (CREATE_OPERATIONS.has(operation)) {
    next.data = Array.isArray(next.data)
      ? next.data.map((row) => withData(row, scope, ctx, fields, model, operation))
      : withData(next.data, scope, ctx, fields, model, operation);
  }
  if (operation === 'upsert') next.create = withData(next.create, scope, ctx, fields, model, operation);
  return next;
}
