/**
 * The README promises TenantMismatchError for any foreign tenantId/workspaceId in a query's
 * arguments, anywhere in the tree: including `_count` subtrees of include/select, where RLS alone
 * would silently count 0.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { TenantMismatchError, tenantContext } from '../../src/index.js';
import { useTestDatabase, type TestDatabase } from '../support/test-database.js';
import { seedTenants, type SeededTenant } from '../support/fixtures.js';

let db: TestDatabase;
let a: SeededTenant;
let b: SeededTenant;

beforeAll(async () => {
  db = await useTestDatabase();
  [a, b] = await seedTenants(db.admin(), ['alpha', 'bravo']);
});

describe('foreign tenant in arguments', () => {
  it('is refused inside _count of include and select; the own tenant there counts normally', async () => {
    const prisma = db.client({ poolSize: 1 });
    const inA = <R>(fn: () => Promise<R>) => tenantContext.run({ tenantId: a.tenantId }, fn);
    await expect(
      inA(() =>
        prisma.project.findMany({ include: { _count: { select: { tasks: { where: { tenantId: b.tenantId } } } } } }),
      ),
    ).rejects.toThrow(TenantMismatchError);
    await expect(
      inA(() =>
        prisma.workspace.findMany({
          select: { id: true, _count: { select: { projects: { where: { tenantId: b.tenantId } } } } },
        }),
      ),
    ).rejects.toThrow(/_count\.select\.projects\.where\.tenantId/);
    const narrowed = { tenantId: a.tenantId, workspaceId: a.workspaceIds[0] };
    await expect(
      tenantContext.run(narrowed, () =>
        prisma.project.findMany({
          include: { _count: { select: { tasks: { where: { workspaceId: a.workspaceIds[1] } } } } },
        }),
      ),
    ).rejects.toThrow(TenantMismatchError);
    const own = await inA(() =>
      prisma.project.findMany({ include: { _count: { select: { tasks: { where: { tenantId: a.tenantId } } } } } }),
    );
    expect(own.length).toBe(a.projectIds.length);
    const tasks = own.reduce((n, p) => n + p._count.tasks, 0);
    expect(tasks).toBe(a.taskIds.length);
    await prisma.$disconnect();
  });
});
