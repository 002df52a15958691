/**
 * Write operations for ANY schema, derived from the schema model (schema-model.ts): for every
 * tenant-scoped model with an `id`, creates with valid data (required scalars by type, required
 * relations to the tenant's own seeded rows, composite keys included), updates, deletes of rows the
 * fuzzer created, a nested create through a back-relation, an interactive transaction rolled back
 * by RollbackSignal, and writes aimed at another tenant's rows (updateMany and raw UPDATE/DELETE of
 * foreign ids, a create whose foreign key names a foreign row) that must affect nothing.
 *
 * Every id is drawn from the operation's seeded stream before the write, so the oracle knows what an
 * attempt would create even when its answer never arrives: acknowledged rows must be there at the
 * end (else lostWrites), failed, rolled-back and deleted ones must not (else phantomWrites).
 * Relation targets are seeded rows only, and deletes take only rows the plain creates made, which
 * nothing references: a cascade can never take a tracked row with it.
 *
 * A write the database refuses as designed (a policy, a check constraint of the schema) counts in
 * `refusedByKind`, not as a failure: refusals are not leaks.
 */
import { tenantContext, type TenantContext } from '@tenantry/prisma';
import { scalarValue } from '../row-values.js';
import type { FieldDef, ModelDef, SchemaModel } from '../schema-model.js';
import { fillRelations, requires, type Row } from '../seed.js';
import { inheritedStateError, isConclusiveFailure, isRejection, sqlstateOf } from './outcomes.js';
import { softDeleteFieldOf, softDeleteOperations } from './soft-delete-writes.js';
import {
  RollbackSignal,
  type AnyPrismaClient,
  type FuzzOperation,
  type FuzzTenant,
  type OperationEnv,
} from './types.js';

const quote = (identifier: string) => `"${identifier.replace(/"/g, '""')}"`;

/** Why a row cannot be built here (no seeded target in this workspace, ...): the operation skips. */
class CannotBuild extends Error {}

/**
 * Runs a write of `rows` (model, id) and settles them in the oracle by the outcome; a refusal as
 * designed resolves undefined.
 */
async function tracked<T>(
  env: OperationEnv,
  op: string,
  rows: Array<[string, string]>,
  write: () => Promise<T>,
): Promise<T | undefined> {
  for (const [model, id] of rows) env.oracle.attempt(model, id, env.tenant.tenantId);
  const ids = rows.map(([, id]) => id);
  try {
    const result = await write();
    env.oracle.settle(ids, 'acked');
    return result;
  } catch (error) {
    env.oracle.settle(ids, isConclusiveFailure(error) ? 'absent' : 'indeterminate');
    if (refusedAsDesigned(error)) {
      env.oracle.refused(`${op} ${sqlstateOf(error) ?? (error as { code?: string }).code ?? (error as Error).name}`);
      return undefined;
    }
    throw error;
  }
}

/** A policy (42501), a foreign key or check of the schema (23503, 23514, 23505): nothing committed, nothing leaked. */
function refusedAsDesigned(error: unknown): boolean {
  if (error instanceof RollbackSignal || inheritedStateError(error)) return false;
  const state = sqlstateOf(error);
  return isRejection(error) || state === '23514' || state === '23505' || (error as { code?: string })?.code === 'P2002';
}

export interface GenericWriteOptions {
  /** Models to leave out (e.g. ones a schema-specific set writes already). */
  exclude?: readonly string[];
  /**
   * The soft-delete field, as given to createTenantPrismaClient (default 'deletedAt'; false: none).
   * Models with it (an optional DateTime) get soft-delete and restore operations, and their deletes
   * are tracked as soft (the row stays, marked).
   */
  softDeleteField?: string | false;
}

export function genericWriteOperations(schema: SchemaModel, options: GenericWriteOptions = {}): FuzzOperation[] {
  const { tenantField, workspaceField } = schema.fields;
  // Tracked by a String `id` the operation draws (uuid-shaped: fits uuid and text columns alike).
  const models = [...schema.models.values()].filter(
    (m) =>
      m.tenant && m.scalars.some((f) => f.name === 'id' && f.type === 'String') && !options.exclude?.includes(m.name),
  );
  if (models.length === 0) return [];
  /** Rows the plain creates made, per tenant and model: the only rows the deletes take. */
  const created = new Map<string, Map<string, string[]>>();
  /** Rows the fuzzer soft-deleted (and not restored since), per tenant and model. */
  const softDeleted = new Map<string, Map<string, string[]>>();
  const listOf = (lists: Map<string, Map<string, string[]>>, tenant: FuzzTenant, model: string) => {
    const byModel = lists.get(tenant.tenantId) ?? new Map<string, string[]>();
    lists.set(tenant.tenantId, byModel);
    const list = byModel.get(model) ?? [];
    byModel.set(model, list);
    return list;
  };
  const createdOf = (tenant: FuzzTenant, model: string) => listOf(created, tenant, model);
  const trackedIds = {
    created: createdOf,
    softDeleted: (tenant: FuzzTenant, model: string) => listOf(softDeleted, tenant, model),
  };

  /** Seeded rows of `target` for this tenant; without seeded rows, the root and the workspaces from the ids. */
  const candidates =
    (tenant: FuzzTenant, extra?: [string, Row]) =>
    (target: string): Row[] => {
      if (extra && extra[0] === target) return [extra[1], ...(tenant.rows?.get(target) ?? [])];
      const seeded = tenant.rows?.get(target);
      if (seeded) return seeded;
      if (target === schema.root?.model) return [{ [schema.root.field]: tenant.tenantId }];
      if (target === schema.workspaceModel?.model) {
        return tenant.workspaceIds.map((w) => ({ [tenantField]: tenant.tenantId, [schema.workspaceModel!.field]: w }));
      }
      return [];
    };

  /** Valid data for a new `model` row of the context's tenant (and workspace), with its id. */
  const build = (
    env: OperationEnv,
    model: ModelDef,
    ctx: TenantContext,
    preset: Row = {},
    extra?: [string, Row],
    skip?: Set<string>,
  ): Row => {
    const row: Row = { ...preset, id: env.rng.uuid(), [tenantField]: ctx.tenantId };
    if (model.workspace && ctx.workspaceId) row[workspaceField] = ctx.workspaceId;
    else if (model.workspace && !row[workspaceField]) {
      // Pick the workspace through the relations (below) or at random.
      const ws = env.tenant.workspaceIds;
      if (ws.length && !model.relations.some((r) => requires(r) && r.fromFields.includes(workspaceField)))
        row[workspaceField] = env.rng.pick(ws);
    }
    try {
      fillRelations(
        schema,
        model,
        row,
        env.rng.int(1000),
        candidates(env.tenant, extra),
        `tenant ${env.tenant.tenantId}`,
        skip,
      );
    } catch (error) {
      throw new CannotBuild((error as Error).message);
    }
    for (const field of model.scalars) {
      if (row[field.name] !== undefined) continue;
      const value = scalarValue(field, {
        label: env.tenant.label ?? 'fuzz',
        index: env.rng.int(1_000_000),
        rng: env.rng,
        enums: schema.enums,
      });
      if (value !== undefined) row[field.name] = value;
    }
    return row;
  };

  /** Tenant-wide models are written outside a workspace (their policies allow writes only there). */
  const contextFor = (env: OperationEnv, model: ModelDef): TenantContext =>
    model.workspace ? env.ctx : { tenantId: env.ctx.tenantId };
  const inContext = <T>(ctx: TenantContext, fn: () => Promise<T>) => tenantContext.run(ctx, fn);
  const d = (client: AnyPrismaClient, model: ModelDef) => (client as Record<string, AnyPrismaClient>)[model.delegate];
  const skipUnbuildable = async (fn: () => Promise<void>) => {
    try {
      await fn();
    } catch (error) {
      if (!(error instanceof CannotBuild)) throw error;
    }
  };

  const ops: FuzzOperation[] = [];
  for (const model of models) {
    const softDeleteField = softDeleteFieldOf(model, options.softDeleteField);
    if (softDeleteField) ops.push(...softDeleteOperations(schema, model, softDeleteField, trackedIds));
    const updatable = model.scalars.find((f) => isUpdatable(schema, model, f));
    const idColumn = quote(model.scalars.find((f) => f.name === 'id')!.column);
    ops.push(
      {
        name: `${model.name}.create`,
        weight: 2,
        run: (env) =>
          skipUnbuildable(async () => {
            const ctx = contextFor(env, model);
            const data = build(env, model, ctx);
            const id = String(data.id);
            const row = await inContext(ctx, () =>
              tracked(env, `${model.name}.create`, [[model.name, id]], () => d(env.client, model).create({ data })),
            );
            if (row === undefined) return;
            env.oracle.checkRows(`${model.name}.create`, ctx, [row]);
            const mine = createdOf(env.tenant, model.name);
            mine.push(id);
            if (mine.length > 200) mine.shift();
          }),
      },
      {
        name: `${model.name}.delete`,
        weight: 1,
        run: async (env) => {
          const mine = createdOf(env.tenant, model.name);
          if (mine.length === 0) return;
          const id = mine.splice(env.rng.int(mine.length), 1)[0]!;
          const ctx = contextFor(env, model);
          try {
            // No workspace filter: the row may be in another workspace of this tenant.
            const { count } = (await inContext({ tenantId: ctx.tenantId }, () =>
              d(env.client, model).deleteMany({ where: { id } }),
            )) as { count: number };
            // A soft-deletable model's delete is an update: the row stays, marked, and can be restored.
            if (count === 1 && softDeleteField) {
              env.oracle.softDeleted([id]);
              trackedIds.softDeleted(env.tenant, model.name).push(id);
            } else if (count === 1) env.oracle.settle([id], 'deleted');
          } catch (error) {
            if (isConclusiveFailure(error) && !inheritedStateError(error)) return;
            if (!isConclusiveFailure(error)) env.oracle.uncertain([id]);
            throw error;
          }
        },
      },
      {
        name: `${model.name}.createWithForeignKey`,
        weight: 1,
        run: (env) =>
          skipUnbuildable(async () => {
            // A relation whose key has a column besides the tenant's, pointed at another tenant's row.
            const relation = model.relations.find(
              (r) =>
                requires(r) &&
                r.fromFields.some((f) => f !== tenantField && f !== workspaceField) &&
                schema.models.get(r.target)?.tenant,
            );
            const foreign = relation && env.other.rows?.get(relation.target);
            if (!relation || !foreign?.length) return;
            const target = env.rng.pick(foreign);
            const preset = Object.fromEntries(
              relation.fromFields.flatMap((f, i) =>
                f === tenantField || f === workspaceField ? [] : [[f, target[relation.toFields[i]!]]],
              ),
            );
            const ctx = contextFor(env, model);
            const data = build(env, model, ctx, preset, undefined, new Set([relation.name]));
            const id = String(data.id);
            const row = await inContext(ctx, () =>
              tracked(env, `${model.name}.createWithForeignKey`, [[model.name, id]], () =>
                d(env.client, model).create({ data }),
              ),
            );
            // Accepted: this tenant's row now references another tenant's (a key without the tenant column).
            if (row !== undefined)
              env.oracle.checkForeignCount(
                `${model.name}.create with ${relation.name} of another tenant`,
                env.tenant.tenantId,
                1,
              );
          }),
      },
      {
        name: `${model.name}.writeForeign`,
        weight: 1,
        run: async (env) => {
          // Other tenants' rows, seeded and created by the fuzzer: updates and deletes must reach none.
          const seeded = env.other.known.get(model.name)?.slice(0, 3) ?? [];
          const theirs = createdOf(env.other, model.name).slice(-3);
          const ids = [...seeded, ...theirs];
          if (ids.length === 0) return;
          if (updatable) {
            const value = scalarValue(
              { ...updatable, hasDefault: false, isRequired: true },
              { label: 'stolen', index: 0, rng: env.rng, enums: schema.enums },
            );
            const { count } = await d(env.client, model).updateMany({
              where: { id: { in: ids } },
              data: { [updatable.name]: value },
            });
            env.oracle.checkForeignCount(`${model.name}.updateMany(foreign ids)`, env.tenant.tenantId, count);
            const raw = await env.client.$executeRawUnsafe(
              `update ${quote(model.table)} set ${quote(updatable.column)} = ${quote(updatable.column)} where ${idColumn}::text = any($1::text[])`,
              ids,
            );
            env.oracle.checkForeignCount(`raw update of ${model.table}(foreign ids)`, env.tenant.tenantId, raw);
          }
          // Only rows nothing references (the fuzzer's own creates): a foreign-key error proves nothing.
          if (theirs.length) {
            const raw = await env.client.$executeRawUnsafe(
              `delete from ${quote(model.table)} where ${idColumn}::text = any($1::text[])`,
              theirs,
            );
            env.oracle.checkForeignCount(`raw delete from ${model.table}(foreign ids)`, env.tenant.tenantId, raw);
          }
        },
      },
      {
        name: `${model.name}.rollback`,
        weight: 1,
        run: (env) =>
          skipUnbuildable(async () => {
            const ctx = contextFor(env, model);
            const data = build(env, model, ctx);
            try {
              await inContext(ctx, () =>
                tracked(env, `${model.name}.rollback`, [[model.name, String(data.id)]], () =>
                  env.client.$transaction(async (tx: AnyPrismaClient) => {
                    const row = await d(tx, model).create({ data });
                    env.oracle.checkRows(`${model.name}.create in a transaction`, ctx, [row]);
                    throw new RollbackSignal('rolled back on purpose');
                  }),
                ),
              );
            } catch (error) {
              if (!(error instanceof RollbackSignal)) throw error;
            }
          }),
      },
    );
    if (updatable) {
      ops.push({
        name: `${model.name}.update`,
        weight: 1,
        run: async (env) => {
          const own = [
            ...(env.tenant.known.get(model.name) ?? []).slice(0, 5),
            ...createdOf(env.tenant, model.name).slice(-5),
          ];
          if (own.length === 0) return;
          const id = env.rng.pick(own);
          const value = scalarValue(
            { ...updatable, hasDefault: false, isRequired: true },
            { label: env.tenant.label ?? 'fuzz', index: env.rng.int(1000), rng: env.rng, enums: schema.enums },
          );
          const ctx = contextFor(env, model);
          const rows = await inContext(ctx, () =>
            d(env.client, model).updateManyAndReturn({ where: { id }, data: { [updatable.name]: value } }),
          );
          env.oracle.checkRows(`${model.name}.updateManyAndReturn`, ctx, rows as unknown[]);
          if ((rows as unknown[]).length > 1)
            env.oracle.checkForeignCount(
              `${model.name}.update of one id`,
              env.tenant.tenantId,
              (rows as unknown[]).length - 1,
            );
        },
      });
    }
  }

  // Nested creates: a parent with children through a back-relation (`team.create({ data: { members: { create } } })`).
  for (const parent of models) {
    for (const back of parent.relations.filter((r) => r.isList)) {
      const child = schema.models.get(back.target);
      const owning = child?.relations.find((r) => r.relationName === back.relationName && r.fromFields.length > 0);
      if (!child || !owning || !models.includes(child)) continue;
      ops.push({
        name: `${parent.name}.nestedCreate.${back.name}`,
        weight: 1,
        run: (env) =>
          skipUnbuildable(async () => {
            const ctx = contextFor(env, parent);
            const data = build(env, parent, ctx);
            // The child's key to the parent comes from the parent; build it as if it were set, then leave it out.
            const linked = Object.fromEntries(owning.fromFields.map((f, i) => [f, data[owning.toFields[i]!]]));
            const childCtx = {
              tenantId: ctx.tenantId,
              ...(child.workspace && linked[workspaceField] ? { workspaceId: String(linked[workspaceField]) } : {}),
            };
            const childRow = build(env, child, childCtx, linked, [parent.name, data]);
            if (child.workspace && ctx.workspaceId && childRow[workspaceField] !== ctx.workspaceId) return;
            for (const f of owning.fromFields) delete childRow[f];
            const ids: Array<[string, string]> = [
              [parent.name, String(data.id)],
              [child.name, String(childRow.id)],
            ];
            const row = (await inContext(ctx, () =>
              tracked(env, `${parent.name}.nestedCreate`, ids, () =>
                d(env.client, parent).create({
                  data: { ...data, [back.name]: { create: [childRow] } },
                  include: { [back.name]: true },
                }),
              ),
            )) as Row | undefined;
            if (row)
              env.oracle.checkRows(`${parent.name}.create nested ${back.name}`, ctx, [
                row,
                ...((row[back.name] as unknown[]) ?? []),
              ]);
          }),
      });
    }
  }
  return ops;
}

/** A plain column to overwrite: not a key, not a foreign key, not unique, not the tenant's or the workspace's. */
function isUpdatable(schema: SchemaModel, model: ModelDef, f: FieldDef): boolean {
  if (f.isId || f.isUnique || f.isUpdatedAt || f.isList || f.kind !== 'scalar') return false;
  if (f.name === schema.fields.tenantField || f.name === schema.fields.workspaceField) return false;
  if (model.relations.some((r) => r.fromFields.includes(f.name))) return false;
  if (model.uniqueKeys.some((k) => k.includes(f.name))) return false;
  return ['String', 'Int', 'Boolean', 'Float'].includes(f.type) && f.nativeType !== 'Uuid';
}
