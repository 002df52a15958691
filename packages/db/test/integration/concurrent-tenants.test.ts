/**
 * I3: the context is bound when an operation starts. Waiting for a pooled connection cannot switch
 * it: pg-pool hands a freed connection to the next waiter from inside the releasing request's
 * callback, where AsyncLocalStorage still holds the releasing request's tenant.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { tenantContext } from '../../src/index.js';
import { useTestDatabase, type TestDatabase } from '../support/test-database.js';
import { seedTenants, type SeededTenant } from '../support/fixtures.js';

let db: TestDatabase;
let tenants: SeededTenant[];

beforeAll(async () => {
  db = await useTestDatabase();
  tenants = await seedTenants(
    db.admin(),
    Array.from({ length: 20 }, (_, i) => `t${i}`),
    1,
  );
});

describe('concurrent tenants', () => {
  it('Promise.all over two tenants gives each its own rows', async () => {
    const prisma = db.client();
    const [x, y] = tenants as [SeededTenant, SeededTenant];
    const [rx, ry] = await Promise.all([
      tenantContext.run({ tenantId: x.tenantId }, () => prisma.project.findMany()),
      tenantContext.run({ tenantId: y.tenantId }, () => prisma.project.findMany()),
    ]);
    expect(rx.map((p) => p.tenantId)).toEqual(rx.map(() => x.tenantId));
    expect(ry.map((p) => p.tenantId)).toEqual(ry.map(() => y.tenantId));
    expect(rx.length).toBe(x.projectIds.length);
    expect(ry.length).toBe(y.projectIds.length);
  });

  it('32 concurrent mixed operations over 20 tenants on a pool of 5 never cross tenants', async () => {
    const prisma = db.client({ poolSize: 5 });
    const leaks: string[] = [];
    const created: Array<{ tenantId: string; id: string }> = [];
    const rounds = 4;
    for (let round = 0; round < rounds; round++) {
      await Promise.all(
        Array.from({ length: 32 }, async (_, i) => {
          const t = tenants[(i * 7 + round) % tenants.length]!;
          await tenantContext.run({ tenantId: t.tenantId }, async () => {
            switch (i % 4) {
              case 0: {
                const rows = await prisma.task.findMany();
                for (const r of rows)
                  if (r.tenantId !== t.tenantId)
                    leaks.push(`task.findMany in ${t.tenantId} got ${r.id} of ${r.tenantId}`);
                break;
              }
              case 1: {
                const rows = await prisma.$queryRaw<
                  Array<{ tenant_id: string; id: string }>
                >`select tenant_id::text, id::text from projects`;
                for (const r of rows)
                  if (r.tenant_id !== t.tenantId)
                    leaks.push(`raw select in ${t.tenantId} got ${r.id} of ${r.tenant_id}`);
                break;
              }
              case 2: {
                const w = await prisma.workspace.create({ data: { name: `c-${round}-${i}` } });
                created.push({ tenantId: t.tenantId, id: w.id });
                if (w.tenantId !== t.tenantId)
                  leaks.push(`workspace.create in ${t.tenantId} wrote ${w.id} to ${w.tenantId}`);
                break;
              }
              default: {
                const rows = await prisma.$transaction(async (tx) => {
                  await tx.project.count();
                  return tx.project.findMany({ select: { id: true, tenantId: true } });
                });
                for (const r of rows)
                  if (r.tenantId !== t.tenantId)
                    leaks.push(`tx findMany in ${t.tenantId} got ${r.id} of ${r.tenantId}`);
              }
            }
          });
        }),
      );
    }
    expect(leaks).toEqual([]);
    // The database agrees: every created workspace is in the tenant that created it.
    const rows = await db.admin().workspace.findMany({ where: { id: { in: created.map((c) => c.id) } } });
    expect(rows.length).toBe(created.length);
    for (const c of created) expect(rows.find((r) => r.id === c.id)?.tenantId, `workspace ${c.id}`).toBe(c.tenantId);
  });

  it('a context read after the pool wait (in the releasing callback) would be wrong, but ours is bound at start', async () => {
    // Pool of 1: every query waits for the previous one's release, so each checkout happens inside
    // another tenant's callback. Each must still see only its own tenant setting.
    const prisma = db.client({ poolSize: 1 });
    const results = await Promise.all(
      tenants.map((t) =>
        tenantContext.run({ tenantId: t.tenantId }, async () => {
          const rows = await prisma.$queryRaw<Array<{ t: string }>>`select current_setting('app.tenant_id') as t`;
          return { expected: t.tenantId, got: rows[0]!.t };
        }),
      ),
    );
    expect(results.filter((r) => r.expected !== r.got)).toEqual([]);
  });
});
