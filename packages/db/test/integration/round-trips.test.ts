/**
 * The connection layer's promise: the RLS settings travel WITH the query, so a tenant-scoped
 * operation costs the same number of round trips as an unscoped one. A round trip here is one
 * Sync answered by one ReadyForQuery; we count ReadyForQuery messages on the pool's connections.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { TenantPool, createTenantPrismaClient, tenantContext } from '../../src/index.js';
import { useTestDatabase, type TestDatabase } from '../support/test-database.js';
import { seedTenants, type SeededTenant } from '../support/fixtures.js';

let db: TestDatabase;
let a: SeededTenant;

beforeAll(async () => {
  db = await useTestDatabase();
  [a] = await seedTenants(db.admin(), ['alpha']);
});

function countingClient() {
  const pool = new TenantPool({ connectionString: db.runtimeUrl, max: 1 });
  let roundTrips = 0;
  pool.on('connect', (client) => {
    (client as unknown as { connection: NodeJS.EventEmitter }).connection.on('readyForQuery', () => (roundTrips += 1));
  });
  const prisma = createTenantPrismaClient({ pool });
  return {
    prisma,
    async measure(fn: () => Promise<unknown>): Promise<number> {
      await fn(); // warm: connect, Prisma's first-query setup
      const before = roundTrips;
      await fn();
      return roundTrips - before;
    },
    close: () => prisma.$disconnect(),
  };
}

describe('round trips per operation', () => {
  it('findMany, findUnique, count, create, update and a raw query each take exactly one round trip', async () => {
    const c = countingClient();
    const ctx = { tenantId: a.tenantId, workspaceId: a.workspaceIds[0] };
    const trips = await tenantContext.run(ctx, async () => ({
      findMany: await c.measure(() => c.prisma.project.findMany({ take: 20 })),
      findUnique: await c.measure(() =>
        c.prisma.project.findUnique({ where: { tenantId_id: { tenantId: a.tenantId, id: a.projectIds[0]! } } }),
      ),
      count: await c.measure(() => c.prisma.task.count()),
      create: await c.measure(() => c.prisma.project.create({ data: { name: 'rt' } })),
      updateMany: await c.measure(() => c.prisma.project.updateMany({ where: { name: 'rt' }, data: { name: 'rt2' } })),
      queryRaw: await c.measure(() => c.prisma.$queryRaw`select 1`),
    }));
    await c.close();
    expect(trips).toEqual({ findMany: 1, findUnique: 1, count: 1, create: 1, updateMany: 1, queryRaw: 1 });
  });

  it('an interactive transaction of 3 statements takes BEGIN + 3 + COMMIT = 5 round trips, no extra for the context', async () => {
    const c = countingClient();
    const trips = await tenantContext.run({ tenantId: a.tenantId, workspaceId: a.workspaceIds[0] }, () =>
      c.measure(() =>
        c.prisma.$transaction(async (tx) => {
          await tx.project.findMany({ take: 1 });
          await tx.task.count();
          await tx.workspace.findMany();
        }),
      ),
    );
    await c.close();
    expect(trips).toBe(5);
  });
});
