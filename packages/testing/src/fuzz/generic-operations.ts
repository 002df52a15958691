/**
 * Read operations for ANY schema, derived from the client's data model: for every tenant-scoped
 * model (one with the tenant field, `tenantId` unless configured), reads of every kind whose results
 * the oracle checks, and no-context operations that must throw or see nothing. The writes, which
 * need valid data, are derived from the schema file (generic-writes.ts).
 */
import { MissingTenantContextError, tenantMetadataOf } from '@tenantry/prisma';
import { isRejection } from './outcomes.js';
import type { AnyPrismaClient, FuzzOperation, OperationEnv } from './types.js';

export interface ModelInfo {
  name: string;
  /** The client property, e.g. `project` for `Project`. */
  delegate: string;
  table: string;
  /** The tenant field (e.g. `organizationId`) and its column (`@map`, e.g. `organization_id`). */
  tenantField: string;
  tenantColumn: string;
  workspaceField?: string;
  workspaceColumn?: string;
  hasId: boolean;
  /** The soft-delete field (`deletedAt`), when the model is soft-deletable. */
  softDeleteField?: string;
}

export interface TenantFieldOptions {
  /** The model field that holds the tenant. Default 'tenantId'. */
  tenantField?: string;
  /** The model field that holds the workspace. Default 'workspaceId'. */
  workspaceField?: string;
  /** The soft-delete field, as given to createTenantPrismaClient. Default 'deletedAt'; false: none. */
  softDeleteField?: string | false;
}

/** Every tenant-scoped model of `client`, read with the engine's own metadata (the fields it scopes by). */
export function tenantModelsOf(client: AnyPrismaClient, fields: TenantFieldOptions = {}): ModelInfo[] {
  const meta = tenantMetadataOf(client, fields);
  const { tenantField, workspaceField } = meta.fields ?? { tenantField: 'tenantId', workspaceField: 'workspaceId' };
  return [...meta].flatMap(([name, scope]) => {
    if (!scope.tenant) return [];
    return [
      {
        name,
        delegate: name[0]!.toLowerCase() + name.slice(1),
        table: scope.table,
        tenantField,
        tenantColumn: scope.tenantColumn ?? tenantField,
        ...(scope.workspace ? { workspaceField, workspaceColumn: scope.workspaceColumn ?? workspaceField } : {}),
        hasId: scope.scalars.has('id'),
        ...(scope.softDelete ? { softDeleteField: scope.softDelete.field } : {}),
      },
    ];
  });
}

const quote = (identifier: string) => `"${identifier.replace(/"/g, '""')}"`;

function foreignIds(env: OperationEnv, model: string): string[] {
  return env.other.known.get(model)?.slice(0, 5) ?? [];
}

export function genericReadOperations(models: ModelInfo[]): FuzzOperation[] {
  const ops: FuzzOperation[] = [];
  for (const m of models) {
    const d = (env: OperationEnv) => (env.client as Record<string, AnyPrismaClient>)[m.delegate];
    ops.push(
      {
        name: `${m.name}.findMany`,
        weight: 3,
        run: async (env) => {
          const rows = await d(env).findMany({ take: 20 });
          env.oracle.checkRows(`${m.name}.findMany`, env.ctx, rows);
          if (m.softDeleteField) env.oracle.checkLive(`${m.name}.findMany`, env.ctx, rows, m.softDeleteField);
        },
      },
      {
        name: `${m.name}.findFirst`,
        weight: 1,
        run: async (env) => {
          const row = await d(env).findFirst({ orderBy: { [m.tenantField]: 'desc' } });
          env.oracle.checkRows(`${m.name}.findFirst`, env.ctx, row ? [row] : []);
          if (m.softDeleteField)
            env.oracle.checkLive(`${m.name}.findFirst`, env.ctx, row ? [row] : [], m.softDeleteField);
        },
      },
      {
        name: `${m.name}.groupBy`,
        weight: 1,
        run: async (env) => {
          const by = m.workspaceField ? [m.tenantField, m.workspaceField] : [m.tenantField];
          env.oracle.checkRows(`${m.name}.groupBy`, env.ctx, await d(env).groupBy({ by, _count: { _all: true } }));
        },
      },
      {
        name: `${m.name}.rawRead`,
        weight: 2,
        run: async (env) => {
          const cols = [m.tenantColumn, ...(m.workspaceColumn ? [m.workspaceColumn] : [])].map(quote);
          const rows = await env.client.$queryRawUnsafe(
            `select ${cols.map((c, i) => `${c}::text as ${i === 0 ? 'tenant_id' : 'workspace_id'}`).join(', ')} from ${quote(m.table)} limit 50`,
          );
          env.oracle.checkRows(`${m.name} raw select`, env.ctx, rows as unknown[]);
        },
      },
      {
        name: `${m.name}.noContext`,
        weight: 1,
        noContext: true,
        run: async (env) => {
          try {
            await d(env).findMany({ take: 5 });
            env.oracle.checkNoContext(`${m.name}.findMany (the extension did not throw)`, 1);
          } catch (error) {
            if (!(error instanceof MissingTenantContextError)) throw error;
          }
          const rows = (await env.client.$queryRawUnsafe(`select count(*)::int as n from ${quote(m.table)}`)) as Array<{
            n: number;
          }>;
          env.oracle.checkNoContext(`${m.name} raw count`, rows[0]?.n ?? 0);
        },
      },
    );
    if (m.hasId) {
      ops.push(
        {
          name: `${m.name}.findForeign`,
          weight: 1,
          run: async (env) => {
            const ids = foreignIds(env, m.name);
            if (ids.length === 0) return;
            const rows = await d(env).findMany({ where: { id: { in: ids } } });
            env.oracle.checkRows(`${m.name}.findMany(foreign ids)`, env.ctx, rows);
            env.oracle.checkForeignCount(
              `${m.name}.count(foreign ids)`,
              env.tenant.tenantId,
              await d(env).count({ where: { id: { in: ids } } }),
            );
          },
        },
        {
          name: `${m.name}.deleteManyForeign`,
          weight: 1,
          run: async (env) => {
            const ids = foreignIds(env, m.name);
            if (ids.length === 0) return;
            try {
              const { count } = await d(env).deleteMany({ where: { id: { in: ids } } });
              env.oracle.checkForeignCount(`${m.name}.deleteMany(foreign ids)`, env.tenant.tenantId, count);
            } catch (error) {
              if (!isRejection(error)) throw error;
            }
          },
        },
      );
    }
  }
  return ops;
}
