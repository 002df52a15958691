/**
 * `purgeSoftDeleted`: the admin job that deletes, for good, one tenant's rows soft-deleted before a
 * cutoff. It runs on the admin client (BYPASSRLS, @tenantry/prisma/admin), so the tenant filter is
 * written here explicitly on every statement, and the job refuses to run without a tenant and a
 * cutoff: a purge of "everything" is never a default.
 *
 * Models are purged children first (a model whose foreign key points at another soft-deletable
 * model goes before it), in one batch transaction. A row that other rows still reference (live
 * children, or children deleted after the cutoff) is kept: deleting it would cascade into rows that
 * were not due, or fail on the foreign key.
 *
 * @example
 * const { deleted } = await purgeSoftDeleted({ client: admin, tenantId, before: new Date(Date.now() - 30 * 864e5) });
 * // DELETE FROM files   WHERE organization_id = $1 AND deleted_at < $2 ...
 * // DELETE FROM folders WHERE organization_id = $1 AND deleted_at < $2 AND NOT EXISTS (files of it)
 */
import { tenantMetadataOf, type TenantMetadata } from '../extension/model-metadata.js';
import { PurgeOptionsError } from './errors.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface PurgeSoftDeletedOptions {
  /** The admin client (createAdminPrismaClient): the purge crosses RLS, one tenant at a time. */
  client: object;
  /** The tenant whose rows are purged. Required. */
  tenantId: string;
  /** Rows soft-deleted strictly before this instant are purged. Required; not in the future. */
  before: Date;
  /** As given to createTenantPrismaClient. Defaults 'tenantId' and 'workspaceId'. */
  tenantField?: string;
  workspaceField?: string;
  /** As given to createTenantPrismaClient. Default 'deletedAt'. */
  softDeleteField?: string;
}

export interface PurgeSoftDeletedResult {
  tenantId: string;
  before: Date;
  /** Rows deleted per model, in the order the models were purged. */
  deleted: Record<string, number>;
  total: number;
}

type Delegate = { deleteMany(args: object): PromiseLike<{ count: number }> };

export async function purgeSoftDeleted(options: PurgeSoftDeletedOptions): Promise<PurgeSoftDeletedResult> {
  const { client, tenantId, before } = validate(options);
  const meta = tenantMetadataOf(client, {
    ...(options.tenantField ? { tenantField: options.tenantField } : {}),
    ...(options.workspaceField ? { workspaceField: options.workspaceField } : {}),
    ...(options.softDeleteField ? { softDeleteField: options.softDeleteField } : {}),
  });
  const tenantField = meta.fields?.tenantField ?? 'tenantId';
  const order = purgeOrder(meta);
  const statements = order.map((model) => {
    const scope = meta.get(model)!;
    const field = scope.softDelete!.field;
    // Keep rows something still references: every back-relation (the other side owns the key) must be empty.
    // A relation without `@relation(fields: ...)` on this side is a back-relation (the other side holds the key).
    const unreferenced = [...scope.relations.keys()].flatMap((relation) => {
      if (scope.foreignKeys.has(relation)) return [];
      return [scope.lists.has(relation) ? { [relation]: { none: {} } } : { [relation]: { is: null } }];
    });
    const delegate = (client as Record<string, Delegate>)[model[0]!.toLowerCase() + model.slice(1)]!;
    return delegate.deleteMany({
      where: {
        [tenantField]: tenantId,
        [field]: { lt: before },
        ...(unreferenced.length ? { AND: unreferenced } : {}),
      },
    });
  });
  const counts: Array<{ count: number }> = statements.length
    ? await (client as { $transaction(batch: unknown[]): Promise<Array<{ count: number }>> }).$transaction(statements)
    : [];
  const deleted = Object.fromEntries(order.map((model, i) => [model, counts[i]!.count]));
  return { tenantId, before, deleted, total: counts.reduce((sum, c) => sum + c.count, 0) };
}

function validate(options: PurgeSoftDeletedOptions): PurgeSoftDeletedOptions {
  if (!options || typeof options !== 'object') {
    throw new PurgeOptionsError(
      'options',
      'are missing',
      'Call purgeSoftDeleted({ client: adminClient, tenantId, before }).',
    );
  }
  const { client, tenantId, before } = options;
  if (typeof client !== 'object' || client === null || !('$transaction' in client)) {
    throw new PurgeOptionsError(
      'client',
      'is not a Prisma client',
      'Pass the admin client from createAdminPrismaClient (@tenantry/prisma/admin).',
    );
  }
  if (typeof tenantId !== 'string' || !UUID.test(tenantId)) {
    throw new PurgeOptionsError(
      'tenantId',
      tenantId === undefined ? 'is missing' : 'is not a UUID',
      'Pass the id of the one tenant to purge; the purge never runs across every tenant.',
    );
  }
  if (!(before instanceof Date) || Number.isNaN(before.getTime())) {
    throw new PurgeOptionsError(
      'before',
      before === undefined ? 'is missing' : 'is not a valid Date',
      'Pass the cutoff as a Date, e.g. new Date(Date.now() - 30 * 24 * 3600 * 1000) for rows deleted over 30 days ago.',
    );
  }
  if (before.getTime() > Date.now()) {
    throw new PurgeOptionsError(
      'before',
      'is in the future',
      'Pass a cutoff at or before now: only rows soft-deleted before it are purged.',
    );
  }
  return { ...options, tenantId: tenantId.toLowerCase() };
}

/**
 * The tenant's soft-deletable models, children first: a model that holds a foreign key to another
 * comes before it. Cycles (rare; self-relations are ignored) fall back to name order.
 */
export function purgeOrder(meta: TenantMetadata): string[] {
  const models = [...meta].filter(([, s]) => s.tenant && s.softDelete).map(([name]) => name);
  const parentsOf = new Map(
    models.map((m) => {
      const scope = meta.get(m)!;
      const parents = [...scope.relations]
        .filter(([r, t]) => t !== m && scope.foreignKeys.has(r) && models.includes(t))
        .map(([, t]) => t);
      return [m, new Set(parents)];
    }),
  );
  const order: string[] = [];
  const left = new Set(models.sort());
  while (left.size) {
    // A model goes next when no model still left points at it (all its children are placed).
    const next =
      [...left].find((m) => ![...left].some((other) => other !== m && parentsOf.get(other)!.has(m))) ?? [...left][0]!;
    order.push(next);
    left.delete(next);
  }
  return order;
}
