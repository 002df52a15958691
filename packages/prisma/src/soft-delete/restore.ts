/**
 * `$restore(model, where)`: brings one soft-deleted row back, on the client createTenantPrismaClient
 * returns (and on its interactive transaction clients). It is an update of a row that IS deleted,
 * setting the soft-delete field to null, through the same scoping as every operation: another
 * tenant's row, a live row or no row at all is Prisma's P2025 ("record not found").
 *
 * @example
 * await tenantContext.run({ tenantId }, () => prisma.$restore('note', { id }));
 * // UPDATE notes SET deleted_at = NULL WHERE id = $1 AND deleted_at IS NOT NULL AND organization_id = $2
 */
import type { TenantMetadata } from '../extension/model-metadata.js';
import { TenantryError } from '../errors.js';
import { SoftDeleteError } from './errors.js';
import { withDeleted } from './with-deleted.js';

type AnyFn = (...args: never[]) => unknown;

/** The model properties of a client (`note` for model Note), those that have an `update`. */
export type ModelKey<C> = {
  [K in keyof C]: K extends `$${string}` | `_${string}` ? never : C[K] extends { update: AnyFn } ? K : never;
}[keyof C] &
  string;

type UpdateArgs<D> = D extends { update: (args: infer A) => unknown } ? A : never;
/** The unique filter the model's `update` takes (`NoteWhereUniqueInput`). */
export type RestoreWhere<D> = UpdateArgs<D> extends { where: infer W } ? W : never;
/** The row the model's `update` returns. */
export type RestoredRow<D> = D extends { update: AnyFn } ? Awaited<ReturnType<D['update']>> : never;

export interface SoftDeleteMethods<C> {
  /**
   * Restores the soft-deleted row of `model` (the client property, e.g. 'note') that `where`
   * names, in the active tenant context; returns it. Throws Prisma's P2025 when no deleted row of
   * this tenant matches. Inside `$transaction(async (tx) => ...)`, call `tx.$restore`.
   */
  $restore<K extends ModelKey<C>>(model: K, where: RestoreWhere<C[K]>): Promise<RestoredRow<C[K]>>;
}

/** The `$restore` method for `meta`'s models, run on whatever client `this` is (the client or a transaction's). */
export function restoreMethod(meta: TenantMetadata) {
  const byDelegate = new Map(
    [...meta].flatMap(([name, scope]) =>
      scope.softDelete ? [[name[0]!.toLowerCase() + name.slice(1), { name, field: scope.softDelete.field }]] : [],
    ),
  );
  return function $restore(this: Record<string, unknown>, model: string, where: unknown): Promise<unknown> {
    const found = typeof model === 'string' ? byDelegate.get(model) : undefined;
    if (!found) {
      return Promise.reject(
        new SoftDeleteError(
          String(model),
          'restore',
          'it is not a soft-deletable model of this client',
          `Pass the client property of a model with the soft-delete field (${[...byDelegate.keys()].join(', ') || 'this schema has none'}).`,
        ),
      );
    }
    if (typeof where !== 'object' || where === null || Array.isArray(where)) {
      return Promise.reject(
        new SoftDeleteError(
          found.name,
          'restore',
          'where is not a unique filter',
          `Pass the row's unique key, e.g. prisma.$restore('${model}', { id }).`,
        ),
      );
    }
    const delegate = this[model] as { update?: (args: unknown) => PromiseLike<unknown> } | undefined;
    if (typeof delegate?.update !== 'function') {
      return Promise.reject(
        new TenantryError(
          `Cannot restore a ${found.name} because this client has no ${model} model. Call $restore on the tenant client or its transaction client.`,
        ),
      );
    }
    const given = where as { AND?: unknown };
    const and = given.AND === undefined ? [] : Array.isArray(given.AND) ? given.AND : [given.AND];
    const deletedOnly = { ...given, AND: [...and, { [found.field]: { not: null } }] };
    return withDeleted(() => delegate.update!({ where: deletedOnly, data: { [found.field]: null } }));
  };
}
