/**
 * tenantry-*: `createTenantPrismaClient` inside `tenantContext.run`, as an application writes it:
 * no tenant in `where` or `data` (the extension adds it), the settings sent by the TenantPool with
 * each statement. The same client, straight to Postgres or through PgBouncer in session or in
 * transaction mode.
 */
import { TenantPool, createTenantPrismaClient, tenantContext, type TenantPrismaClient } from '@tenantry/db';
import { NESTED_TASKS, type Operations } from '../workloads.js';
import type { Strategy, StrategyName, StrategyOptions } from './types.js';

export function tenantryStrategy(name: StrategyName, url: string, options: StrategyOptions): Strategy {
  // Each route declares the pooling mode it really has: direct and PgBouncer session mode let the
  // settings statement be prepared once per connection; transaction mode sends it unnamed.
  const pooler =
    name === 'tenantry-direct' ? 'none' : name === 'tenantry-pgbouncer-session' ? 'session' : 'transaction';
  const pool = new TenantPool({ connectionString: url, max: options.poolSize, pooler });
  const db = createTenantPrismaClient({ pool });
  return {
    name,
    ops: tenantryOperations(db),
    async close() {
      await db.$disconnect();
      // The pool is ours, not adapter-pg's: end it ourselves (a second end() would throw).
      if (!pool.ending) await pool.end();
    },
  };
}

/** The workloads as an application writes them under tenantry: no tenant in `where` or `data`. */
export function tenantryOperations(db: TenantPrismaClient): Operations {
  const inTenant = <R>(tenantId: string, fn: () => Promise<R>) => tenantContext.run({ tenantId }, fn);
  const inWorkspace = <R>(tenantId: string, workspaceId: string, fn: () => Promise<R>) =>
    tenantContext.run({ tenantId, workspaceId }, fn);
  return {
    findMany: (p) => inTenant(p.tenantId, () => db.task.findMany({ take: 20 })),
    findUnique: async (p) => {
      const row = await inTenant(p.tenantId, () =>
        db.task.findUnique({ where: { tenantId_id: { tenantId: p.tenantId, id: p.taskId } } }),
      );
      return row ? [row] : [];
    },
    create: async (p) => [
      await inWorkspace(p.tenantId, p.workspaceId, () => db.project.create({ data: { name: `bench ${p.seq}` } })),
    ],
    nestedCreate: async (p) => {
      const project = await inWorkspace(p.tenantId, p.workspaceId, () =>
        db.project.create({
          data: {
            name: `bench nested ${p.seq}`,
            tasks: { create: Array.from({ length: NESTED_TASKS }, (_, i) => ({ title: `bench task ${i}` })) },
          },
          include: { tasks: true },
        }),
      );
      return [project, ...project.tasks];
    },
    transaction: (p) =>
      inWorkspace(p.tenantId, p.workspaceId, () =>
        db.$transaction(async (tx) => {
          const key = { tenantId_id: { tenantId: p.tenantId, id: p.projectId } };
          const project = await tx.project.findUnique({ where: key });
          await tx.task.count({ where: { projectId: p.projectId } });
          const renamed = await tx.project.update({ where: key, data: { name: `renamed ${p.seq}` } });
          return project ? [project, renamed] : [];
        }),
      ),
  };
}
