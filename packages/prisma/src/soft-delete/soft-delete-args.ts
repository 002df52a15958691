/**
 * Soft delete as a pure rewrite of one Prisma operation, before the tenant scoping runs: for a model
 * with the soft-delete field (`deletedAt DateTime?` unless configured, model-metadata.ts),
 * - `delete` becomes `update` and `deleteMany` becomes `updateMany`, setting the field to now (the
 *   results keep their shapes: the record, `{ count }`), and only live rows are taken;
 * - reads and updates (findMany, findFirst(OrThrow), findUnique(OrThrow), count, aggregate, groupBy,
 *   update, updateMany(AndReturn), upsert) get `deletedAt: null` in `where`;
 * - to-many relation reads in include/select (and `_count` of them) get the same filter;
 * - nested `delete`/`deleteMany` inside update/upsert data become nested `update`/`updateMany`.
 * `includeDeleted: true` in the arguments (stripped here, so Prisma never sees it) or `withDeleted`
 * turns the filters off for the call.
 *
 * Safety: this runs BEFORE scopeArgs and only ever adds conditions or turns a delete into an
 * update, so the tenant filters scopeArgs then adds (and its conflict checks) apply to the
 * rewritten operation exactly as to the original; RLS checks the resulting statement as always.
 *
 * @example
 * softDeleteArgs(meta, 'Note', 'delete', { where: { id } }, false, now)
 * // => { operation: 'update', args: { where: { id, deletedAt: null }, data: { deletedAt: now } } }
 * // then scopeArgs:  UPDATE notes SET deleted_at = $1 WHERE id = $2 AND deleted_at IS NULL AND organization_id = $3
 */
import type { ModelScope, TenantMetadata } from '../extension/model-metadata.js';
import { SoftDeleteError } from './errors.js';

type Args = Record<string, unknown>;

export const INCLUDE_DELETED = 'includeDeleted';

const FILTERED = new Set([
  'findMany',
  'findFirst',
  'findFirstOrThrow',
  'findUnique',
  'findUniqueOrThrow',
  'count',
  'aggregate',
  'groupBy',
  'update',
  'updateMany',
  'updateManyAndReturn',
  'upsert',
]);

export interface SoftDeleteRewrite {
  readonly operation: string;
  readonly args: unknown;
}

function isPlainObject(value: unknown): value is Args {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

function toArray(value: unknown): unknown[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** `where` AND `field IS NULL`, keeping every condition the caller wrote. */
export function liveOnly(where: unknown, field: string): Args {
  if (!isPlainObject(where)) return { [field]: null };
  if (where[field] === undefined) return { ...where, [field]: null };
  return { ...where, AND: [...toArray(where.AND), { [field]: null }] };
}

/**
 * Rewrites one operation of `model`. `visible` says whether deleted rows are visible (withDeleted);
 * `now` is the deletion time written by deletes.
 */
export function softDeleteArgs(
  meta: TenantMetadata,
  model: string,
  operation: string,
  args: unknown,
  visible: boolean,
  at?: Date,
): SoftDeleteRewrite {
  let next: Args | undefined = isPlainObject(args) ? args : undefined;
  if (next && INCLUDE_DELETED in next) {
    const { [INCLUDE_DELETED]: flag, ...rest } = next;
    if (flag !== true && flag !== false && flag !== undefined) {
      throw new SoftDeleteError(
        model,
        operation,
        'includeDeleted is neither true nor false',
        'Pass includeDeleted: true to see soft-deleted rows, or leave it out.',
      );
    }
    visible ||= flag === true;
    next = rest;
  }
  if (!meta.softDeletes) return { operation, args: next ?? args };
  const scope = meta.get(model);
  if (!scope) return { operation, args: next ?? args };
  const field = scope.softDelete?.field;
  const out: Args = { ...next };
  // Read only on the path that writes it: a schema without soft delete allocates nothing per operation.
  const now = at ?? new Date();

  if (field && (operation === 'delete' || operation === 'deleteMany')) {
    if (visible) {
      throw new SoftDeleteError(
        model,
        operation,
        `${model} is soft-deleted and deleting a deleted row again would move its deletion time`,
        'Remove includeDeleted (deletes only ever take live rows); to delete rows for good, run purgeSoftDeleted from @tenantry/prisma/admin.',
      );
    }
    out.where = liveOnly(out.where, field);
    out.data = { [field]: now };
    filterRelationReads(meta, scope, out);
    return { operation: operation === 'delete' ? 'update' : 'updateMany', args: out };
  }
  if (field && !visible && FILTERED.has(operation)) out.where = liveOnly(out.where, field);
  if (!visible) filterRelationReads(meta, scope, out);
  if (operation === 'update' || operation === 'updateMany' || operation === 'updateManyAndReturn') {
    if (isPlainObject(out.data)) out.data = nestedWrites(meta, scope, out.data, visible, now, model, operation);
  }
  if (operation === 'upsert' && isPlainObject(out.update)) {
    out.update = nestedWrites(meta, scope, out.update, visible, now, model, operation);
  }
  return { operation, args: out };
}

/** Filters the to-many relation reads of `args.include`/`args.select` (in place on the copy `args`). */
function filterRelationReads(meta: TenantMetadata, scope: ModelScope, args: Args): void {
  for (const key of ['include', 'select'] as const) {
    if (isPlainObject(args[key])) args[key] = relationReads(meta, scope, args[key]);
  }
}

function relationReads(meta: TenantMetadata, scope: ModelScope, selection: Args): Args {
  const out: Args = {};
  for (const [key, value] of Object.entries(selection)) {
    if (key === '_count') {
      out[key] = countReads(meta, scope, value);
      continue;
    }
    const target = scope.relations.get(key);
    const targetScope = target === undefined ? undefined : meta.get(target);
    if (!targetScope || (value !== true && !isPlainObject(value))) {
      out[key] = value;
      continue;
    }
    const sub: Args = value === true ? {} : { ...value };
    const field = targetScope.softDelete?.field;
    // To-one relations are not filtered: Prisma has no `where` for them, and a required relation
    // read as null would contradict its type. docs/soft-delete.md says so.
    if (field && scope.lists.has(key)) sub.where = liveOnly(sub.where, field);
    filterRelationReads(meta, targetScope, sub);
    out[key] = value === true && Object.keys(sub).length === 0 ? true : sub;
  }
  return out;
}

/** `_count: true` and `_count: { select: { notes: true } }` count live related rows only. */
function countReads(meta: TenantMetadata, scope: ModelScope, value: unknown): unknown {
  const select: Args | undefined =
    value === true
      ? Object.fromEntries([...scope.lists].map((r) => [r, true]))
      : isPlainObject(value) && isPlainObject(value.select)
        ? value.select
        : undefined;
  if (!select) return value;
  let changed = false;
  const out: Args = {};
  for (const [rel, v] of Object.entries(select)) {
    const target = scope.relations.get(rel);
    const field = target === undefined ? undefined : meta.get(target)?.softDelete?.field;
    if (field && (v === true || isPlainObject(v))) {
      out[rel] = { ...(isPlainObject(v) ? v : {}), where: liveOnly(isPlainObject(v) ? v.where : undefined, field) };
      changed = true;
    } else out[rel] = v;
  }
  if (!changed) return value;
  return { ...(isPlainObject(value) ? value : {}), select: out };
}

/**
 * Nested writes in update data: `delete`/`deleteMany` of a soft-deletable relation become
 * `update`/`updateMany` setting the field; nested updates take only live rows (unless visible).
 */
function nestedWrites(
  meta: TenantMetadata,
  scope: ModelScope,
  data: Args,
  visible: boolean,
  now: Date,
  model: string,
  operation: string,
): Args {
  const out: Args = { ...data };
  for (const [key, value] of Object.entries(data)) {
    const target = scope.relations.get(key);
    const targetScope = target === undefined ? undefined : meta.get(target);
    if (!targetScope || !isPlainObject(value)) continue;
    const write: Args = { ...value };
    const field = targetScope.softDelete?.field;
    const list = scope.lists.has(key);
    // Deeper nested writes first (an update of a child may delete a grandchild).
    if (list) {
      if (write.update !== undefined)
        write.update = toArray(write.update).map((u) =>
          isPlainObject(u) && isPlainObject(u.data)
            ? { ...u, data: nestedWrites(meta, targetScope, u.data, visible, now, model, operation) }
            : u,
        );
      if (write.upsert !== undefined)
        write.upsert = toArray(write.upsert).map((u) =>
          isPlainObject(u) && isPlainObject(u.update)
            ? { ...u, update: nestedWrites(meta, targetScope, u.update, visible, now, model, operation) }
            : u,
        );
    }
    if (field) {
      const stamp = { [field]: now };
      if (list) {
        if (!visible) {
          for (const k of ['update', 'updateMany', 'upsert'] as const) {
            if (write[k] !== undefined)
              write[k] = toArray(write[k]).map((u) =>
                isPlainObject(u) ? { ...u, where: liveOnly(u.where, field) } : u,
              );
          }
        }
        if (write.delete !== undefined) {
          const deletes = toArray(write.delete).map((where) => ({ where: liveOnly(where, field), data: stamp }));
          write.update = [...toArray(write.update), ...deletes];
          delete write.delete;
        }
        if (write.deleteMany !== undefined) {
          const deletes = toArray(write.deleteMany).map((where) => ({ where: liveOnly(where, field), data: stamp }));
          write.updateMany = [...toArray(write.updateMany), ...deletes];
          delete write.deleteMany;
        }
      } else if (write.delete !== undefined && write.delete !== false) {
        if (write.update !== undefined) {
          throw new SoftDeleteError(
            model,
            operation,
            `data.${key} both updates and deletes the soft-deleted ${target}`,
            `Send the update and the delete of ${key} as two operations.`,
          );
        }
        write.update = {
          where: liveOnly(write.delete === true ? undefined : write.delete, field),
          data: stamp,
        };
        delete write.delete;
      }
    }
    out[key] = write;
  }
  return out;
}
