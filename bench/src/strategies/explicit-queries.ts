/**
 * The workloads written as unscoped Prisma queries that name the tenant explicitly (`where:
 * { tenantId }`, `data: { tenantId, workspaceId }`). The baseline runs them as they are; the
 * prisma-example strategy runs the very same queries behind its `set_config` statement, so the
 * two differ only by the RLS mechanism.
 */
import type { Prisma } from '@tenantry/db';
import type { AdminPrismaClient } from '@tenantry/db/admin';
import type { Pick } from '../dataset.js';
import { NESTED_TASKS } from '../workloads.js';

export function explicitQueries(db: AdminPrismaClient) {
  return {
    findMany: (p: Pick) => db.task.findMany({ where: { tenantId: p.tenantId }, take: 20 }),
    findUnique: (p: Pick) => db.task.findUnique({ where: { tenantId_id: { tenantId: p.tenantId, id: p.taskId } } }),
    create: (p: Pick) =>
      db.project.create({ data: { tenantId: p.tenantId, workspaceId: p.workspaceId, name: `bench ${p.seq}` } }),
    nestedCreate: (p: Pick) =>
      db.project.create({
        data: {
          tenantId: p.tenantId,
          workspaceId: p.workspaceId,
          name: `bench nested ${p.seq}`,
          tasks: { create: Array.from({ length: NESTED_TASKS }, (_, i) => ({ title: `bench task ${i}` })) },
        },
        include: { tasks: true },
      }),
  };
}

/** The transaction workload's three statements, on a transaction client. */
export async function explicitTransactionBody(tx: Prisma.TransactionClient, p: Pick) {
  const key = { tenantId_id: { tenantId: p.tenantId, id: p.projectId } };
  const project = await tx.project.findUnique({ where: key });
  await tx.task.count({ where: { tenantId: p.tenantId, projectId: p.projectId } });
  const renamed = await tx.project.update({ where: key, data: { name: `renamed ${p.seq}` } });
  return project ? [project, renamed] : [];
}
