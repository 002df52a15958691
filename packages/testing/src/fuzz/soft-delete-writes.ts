/**
 * Soft-delete operations for ANY schema, for every tenant-scoped model with the soft-delete field
 * (`deletedAt DateTime?` unless configured): a soft delete of a row the fuzzer created (the row must
 * come back marked, and a default read must then miss it), a restore of one it soft-deleted, and
 * soft deletes, restores and `withDeleted` reads aimed at another tenant's rows, which must reach
 * nothing. The oracle records each row's state (acked, softDeleted) and checks it against the
 * database at the end: a soft-deleted row must still be there, marked (else lostWrites), and never
 * live (else phantomWrites); a soft-deleted row returned by a default read is a phantom too.
 */
import { MissingTenantContextError, tenantContext, withDeleted } from '@tenantry/prisma';
import type { ModelDef, SchemaModel } from '../schema-model.js';
import { inheritedStateError, isConclusiveFailure, isRejection } from './outcomes.js';
import type { AnyPrismaClient, FuzzOperation, FuzzTenant, OperationEnv } from './types.js';

/** The model's soft-delete field, when it is an optional DateTime. */
export function softDeleteFieldOf(model: ModelDef, field: string | false | undefined): string | undefined {
  const name = field === false ? undefined : (field ?? 'deletedAt');
  const found = name === undefined ? undefined : model.scalars.find((f) => f.name === name);
  return found && found.type === 'DateTime' && !found.isRequired ? found.name : undefined;
}

/** The ids lists the generic writes keep per tenant and model (rows the plain creates made, rows soft-deleted). */
export interface TrackedIds {
  created(tenant: FuzzTenant, model: string): string[];
  softDeleted(tenant: FuzzTenant, model: string): string[];
}

export function softDeleteOperations(
  schema: SchemaModel,
  model: ModelDef,
  field: string,
  ids: TrackedIds,
): FuzzOperation[] {
  const { tenantField } = schema.fields;
  const d = (client: AnyPrismaClient) => (client as Record<string, AnyPrismaClient>)[model.delegate];
  // The unique key `delete` and `$restore` take, when the primary key is the tenant and the id.
  const pk = model.primaryKey;
  const byKey = pk.every((f) => f === 'id' || f === tenantField) && pk.includes('id');
  const unique = (tenantId: string, id: string) =>
    pk.length === 1 ? { id } : { [pk.join('_')]: Object.fromEntries(pk.map((f) => [f, f === 'id' ? id : tenantId])) };
  const restore = (client: AnyPrismaClient, tenantId: string, id: string) =>
    typeof client.$restore === 'function' && byKey
      ? client.$restore(model.delegate, unique(tenantId, id))
      : // A hand-built client without $restore: the same update, by hand.
        withDeleted(() =>
          d(client).update({ where: { ...unique(tenantId, id), [field]: { not: null } }, data: { [field]: null } }),
        );
  // Deletes ignore the workspace: the row may be in another workspace of this tenant.
  const tenantWide = (env: OperationEnv) => ({ tenantId: env.ctx.tenantId });

  const ops: FuzzOperation[] = [
    {
      name: `${model.name}.softDelete`,
      weight: 1,
      run: async (env) => {
        const mine = ids.created(env.tenant, model.name);
        if (mine.length === 0) return;
        const id = mine.splice(env.rng.int(mine.length), 1)[0]!;
        const ctx = tenantWide(env);
        let deleted: Record<string, unknown> | undefined;
        try {
          deleted = await tenantContext.run(ctx, async () =>
            byKey
              ? ((await d(env.client).delete({ where: unique(ctx.tenantId, id) })) as Record<string, unknown>)
              : (await d(env.client).deleteMany({ where: { id } })).count === 1
                ? { id, [tenantField]: ctx.tenantId, [field]: new Date() }
                : undefined,
          );
        } catch (error) {
          if (!isConclusiveFailure(error) || inheritedStateError(error)) env.oracle.uncertain([id]);
          if (isConclusiveFailure(error) && !inheritedStateError(error)) return;
          throw error;
        }
        if (!deleted) return;
        env.oracle.checkRows(`${model.name}.delete (soft)`, ctx, [deleted]);
        if (deleted[field] === null || deleted[field] === undefined)
          env.oracle.lostSoftDelete(`${model.name}.delete`, ctx.tenantId, id);
        env.oracle.softDeleted([id]);
        // A default read must now miss it (nothing else can restore it: it is in neither list yet).
        const seen = await tenantContext.run(ctx, () => d(env.client).findMany({ where: { id } }));
        env.oracle.checkLive(`${model.name}.findMany after its soft delete`, ctx, seen, field, [id]);
        ids.softDeleted(env.tenant, model.name).push(id);
      },
    },
    {
      name: `${model.name}.restore`,
      weight: 1,
      run: async (env) => {
        const deleted = ids.softDeleted(env.tenant, model.name);
        if (deleted.length === 0) return;
        const id = deleted.splice(env.rng.int(deleted.length), 1)[0]!;
        const ctx = tenantWide(env);
        try {
          const row = (await tenantContext.run(ctx, () => restore(env.client, ctx.tenantId, id))) as Record<
            string,
            unknown
          >;
          env.oracle.checkRows(`${model.name}.restore`, ctx, [row]);
          env.oracle.restored([id]);
          ids.created(env.tenant, model.name).push(id);
        } catch (error) {
          if (!isConclusiveFailure(error) || inheritedStateError(error)) {
            env.oracle.uncertain([id]);
            throw error;
          }
          // Refused (P2025 would mean the oracle lost track): the row stays soft-deleted.
          deleted.push(id);
          if ((error as { code?: string }).code === 'P2025')
            env.oracle.lostSoftDelete(`${model.name}.restore`, ctx.tenantId, id);
          else throw error;
        }
      },
    },
    {
      name: `${model.name}.softDeleteForeign`,
      weight: 1,
      run: async (env) => {
        // Another tenant's rows: seeded, live ones the fuzzer made, and ones it soft-deleted.
        const theirs = [
          ...(env.other.known.get(model.name)?.slice(0, 2) ?? []),
          ...ids.created(env.other, model.name).slice(-2),
        ];
        const theirDeleted = ids.softDeleted(env.other, model.name).slice(-3);
        const all = [...theirs, ...theirDeleted];
        if (all.length === 0) return;
        const me = env.tenant.tenantId;
        const visible = await withDeleted(() => d(env.client).findMany({ where: { id: { in: all } } }));
        env.oracle.checkRows(`${model.name}.findMany withDeleted(foreign ids)`, env.ctx, visible);
        try {
          const { count } = await d(env.client).deleteMany({ where: { id: { in: theirs } } });
          env.oracle.checkForeignCount(`${model.name}.deleteMany soft (foreign ids)`, me, count);
        } catch (error) {
          if (!isRejection(error)) throw error;
        }
        if (!byKey) return;
        // By this tenant's key (the extension fills it): no row of ours has their id.
        for (const [id, kind] of [
          ...theirs.slice(0, 1).map((id) => [id, 'delete'] as const),
          ...theirDeleted.slice(0, 1).map((id) => [id, 'restore'] as const),
        ]) {
          try {
            const row =
              kind === 'delete'
                ? await d(env.client).delete({ where: unique(me, id) })
                : await restore(env.client, me, id);
            env.oracle.checkForeignCount(`${model.name}.${kind} (foreign id ${id})`, me, row ? 1 : 0);
          } catch (error) {
            if ((error as { code?: string }).code !== 'P2025' && !isRejection(error)) throw error;
          }
        }
      },
    },
    {
      name: `${model.name}.softDeleteNoContext`,
      weight: 1,
      noContext: true,
      run: async (env) => {
        const all = [
          ...ids.created(env.other, model.name).slice(-2),
          ...ids.softDeleted(env.other, model.name).slice(-2),
        ];
        if (all.length === 0) return;
        for (const attempt of [
          () => d(env.client).deleteMany({ where: { id: { in: all } } }),
          () => withDeleted(() => d(env.client).findMany({ where: { id: { in: all } } })),
        ]) {
          try {
            const result = (await attempt()) as { count?: number } | unknown[];
            env.oracle.checkNoContext(
              `${model.name} soft delete or withDeleted read (the extension did not throw)`,
              Array.isArray(result) ? result.length : (result.count ?? 0),
            );
          } catch (error) {
            if (!(error instanceof MissingTenantContextError) && !isRejection(error)) throw error;
          }
        }
      },
    },
  ];
  return ops;
}
