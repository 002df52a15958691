/**
 * Batch transactions (`$transaction([...])`): Prisma runs the listed operations in one database
 * transaction on one connection, checked out when the batch starts, so every operation in it is
 * bound to the context that started the batch (I1, I3). One failure rolls back all of them.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { TenantMismatchError, tenantContext } from '../../src/index.js';
import type { AdminPrismaClient } from '../../src/admin.js';
import { useTestDatabase, type TestDatabase } from '../support/test-database.js';
import { foreignRows, seedTenants, type SeededTenant } from '../support/fixtures.js';

let db: TestDatabase;
let admin: AdminPrismaClient;
let a: SeededTenant;
let b: SeededTenant;
let bBefore: string;

beforeAll(async () => {
  db = await useTestDatabase();
  admin = db.admin();
  [a, b] = await seedTenants(admin, ['alpha', 'bravo']);
  bBefore = await holdingsOf(b.tenantId);
});

/** Every row a tenant owns, read past RLS, as one comparable string. */
async function holdingsOf(tenantId: string): Promise<string> {
  const where = { tenantId };
  return JSON.stringify({
    workspaces: await admin.workspace.findMany({ where, orderBy: { id: 'asc' } }),
    projects: await admin.project.findMany({ where, orderBy: { id: 'asc' } }),
    tasks: await admin.task.findMany({ where, orderBy: { id: 'asc' } }),
  });
}

async function expectBUntouched(operation: string): Promise<void> {
  expect(await holdingsOf(b.tenantId), `tenant ${a.tenantId} ${operation} changed rows of tenant ${b.tenantId}`).toBe(
    bBefore,
  );
}

type RawRow = { tenantId: string; id: string };

describe('batch transactions', () => {
  it('a batch of reads and writes in a tenant context reads and writes only that tenant rows', async () => {
    const prisma = db.client();
    const ownedProjects = (await admin.project.findMany({ where: { tenantId: a.tenantId } })).map((p) => p.id).sort();
    const [projects, created, updated, [setting], tasks, own, foreign, count] = await tenantContext.run(
      { tenantId: a.tenantId },
      () =>
        prisma.$transaction([
          prisma.project.findMany(),
          prisma.workspace.create({ data: { name: 'alpha batch' } }),
          prisma.task.updateMany({ where: { id: { in: b.taskIds } }, data: { done: true } }),
          prisma.$queryRaw<Array<{ tenant: string }>>`select current_setting('app.tenant_id') as tenant`,
          prisma.$queryRaw<RawRow[]>`select tenant_id::text as "tenantId", id::text from tasks`,
          // Prisma batches findUnique calls inside a transaction into one statement.
          prisma.project.findUnique({ where: { tenantId_id: { tenantId: a.tenantId, id: a.projectIds[0]! } } }),
          prisma.project.findUnique({ where: { tenantId_id: { tenantId: a.tenantId, id: b.projectIds[0]! } } }),
          prisma.workspace.count(),
        ]),
    );
    expect(foreignRows(projects, a.tenantId, 'batch project.findMany')).toEqual([]);
    expect(projects.map((p) => p.id).sort()).toEqual(ownedProjects);
    expect(updated).toEqual({ count: 0 });
    expect(setting?.tenant).toBe(a.tenantId);
    expect(foreignRows(tasks, a.tenantId, 'batch $queryRaw tasks')).toEqual([]);
    expect(tasks.map((t) => t.id).sort()).toEqual([...a.taskIds].sort());
    expect(own?.id).toBe(a.projectIds[0]);
    expect(foreign).toBeNull();
    expect(count).toBe(a.workspaceIds.length + 1);
    const [written] = await admin.workspace.findMany({ where: { id: created.id } });
    expect(written?.tenantId).toBe(a.tenantId);
    await expectBUntouched('batch of reads and writes');
  });

  it('a batch with an isolation level runs at that level in the tenant context', async () => {
    const prisma = db.client();
    const [[row], created] = await tenantContext.run({ tenantId: a.tenantId }, () =>
      prisma.$transaction(
        [
          prisma.$queryRaw<Array<{ level: string; tenant: string }>>`
            select current_setting('transaction_isolation') as level, current_setting('app.tenant_id') as tenant`,
          prisma.workspace.create({ data: { name: 'alpha batch serializable' } }),
        ],
        { isolationLevel: 'Serializable' },
      ),
    );
    expect(row).toEqual({ level: 'serializable', tenant: a.tenantId });
    expect((await admin.workspace.findMany({ where: { id: created.id } })).map((w) => w.tenantId)).toEqual([
      a.tenantId,
    ]);
  });

  it('one failing operation rolls back the whole batch', async () => {
    const prisma = db.client();
    await tenantContext.run({ tenantId: a.tenantId }, async () => {
      // Record not found: an update by B's id, the last operation of the batch.
      await expect(
        prisma.$transaction([
          prisma.workspace.create({ data: { name: 'alpha batch doomed 0' } }),
          prisma.task.updateMany({ data: { done: true } }),
          prisma.project.update({
            where: { tenantId_id: { tenantId: a.tenantId, id: b.projectIds[0]! } },
            data: { name: 'hijacked' },
          }),
        ]),
      ).rejects.toMatchObject({ code: 'P2025' });
      // Unique violation: workspace names are unique per tenant, and "alpha ws0" exists.
      await expect(
        prisma.$transaction([
          prisma.workspace.create({ data: { name: 'alpha batch doomed 1' } }),
          prisma.workspace.create({ data: { name: 'alpha ws0' } }),
        ]),
      ).rejects.toMatchObject({ code: 'P2002' });
      // Row-level security refusing a raw insert for B.
      await expect(
        prisma.$transaction([
          prisma.workspace.create({ data: { name: 'alpha batch doomed 2' } }),
          prisma.$executeRaw`insert into workspaces (tenant_id, id, name) values (${b.tenantId}::uuid, gen_random_uuid(), 'alpha batch doomed 3')`,
        ]),
      ).rejects.toMatchObject({ code: 'P2010', meta: { driverAdapterError: { cause: { originalCode: '42501' } } } });
      // The extension refusing B's tenantId: nothing of the batch may have run.
      await expect(
        prisma.$transaction([
          prisma.workspace.create({ data: { name: 'alpha batch doomed 4' } }),
          prisma.workspace.create({ data: { tenantId: b.tenantId, name: 'alpha batch doomed 5' } }),
        ]),
      ).rejects.toBeInstanceOf(TenantMismatchError);
    });
    expect(await admin.workspace.findMany({ where: { name: { startsWith: 'alpha batch doomed' } } })).toEqual([]);
    expect(await admin.task.count({ where: { tenantId: a.tenantId, done: true } })).toBe(0);
    await expectBUntouched('failed batches');
  });

  // Two batches started in the same tick, as two concurrent requests would: Prisma's request loader
  // collects batch requests per tick and dispatches them from one callback, so a batch must still
  // check out its connection bound to ITS caller's context, not to whichever caller came first.
  it('read batches of two tenants running concurrently each see only their own rows', async () => {
    const prisma = db.client();
    const owned = new Map<string, string[]>();
    for (const t of [a, b]) {
      owned.set(
        t.tenantId,
        (await admin.project.findMany({ where: { tenantId: t.tenantId } })).map((p) => p.id).sort(),
      );
    }
    const batch = (t: SeededTenant) =>
      tenantContext.run({ tenantId: t.tenantId }, () =>
        prisma.$transaction([
          prisma.$queryRaw<RawRow[]>`select tenant_id::text as "tenantId", id::text from tasks`,
          prisma.project.findMany(),
          prisma.project.findUnique({ where: { tenantId_id: { tenantId: t.tenantId, id: t.projectIds[0]! } } }),
        ]),
      );
    for (let round = 0; round < 10; round++) {
      const results = await Promise.all([batch(a), batch(b)]);
      for (const [t, [tasks, projects, own]] of [
        [a, results[0]],
        [b, results[1]],
      ] as const) {
        expect(foreignRows(tasks, t.tenantId, `round ${round} concurrent batch $queryRaw tasks`)).toEqual([]);
        expect(tasks.map((r) => r.id).sort(), `round ${round}: ${t.label} $queryRaw tasks`).toEqual(
          [...t.taskIds].sort(),
        );
        expect(foreignRows(projects, t.tenantId, `round ${round} concurrent batch project.findMany`)).toEqual([]);
        expect(projects.map((p) => p.id).sort(), `round ${round}: ${t.label} project.findMany`).toEqual(
          owned.get(t.tenantId),
        );
        expect(own?.id, `round ${round}: ${t.label} findUnique of its own project`).toBe(t.projectIds[0]);
      }
    }
  });

  it('raw write batches of two tenants running concurrently each change only their own rows', async () => {
    const prisma = db.client();
    const batch = (t: SeededTenant) =>
      tenantContext.run({ tenantId: t.tenantId }, () =>
        prisma.$transaction([
          prisma.$queryRaw<
            RawRow[]
          >`update tasks set updated_at = now() returning tenant_id::text as "tenantId", id::text`,
        ]),
      );
    for (let round = 0; round < 10; round++) {
      const [[touchedByA], [touchedByB]] = await Promise.all([batch(a), batch(b)]);
      expect(foreignRows(touchedByA, a.tenantId, `round ${round} concurrent batch update tasks`)).toEqual([]);
      expect(foreignRows(touchedByB, b.tenantId, `round ${round} concurrent batch update tasks`)).toEqual([]);
      expect(touchedByA.map((r) => r.id).sort(), `round ${round}: tasks alpha updated`).toEqual([...a.taskIds].sort());
      expect(touchedByB.map((r) => r.id).sort(), `round ${round}: tasks bravo updated`).toEqual([...b.taskIds].sort());
    }
  });

  it('model write batches of two tenants running concurrently each write into their own tenant', async () => {
    const prisma = db.client();
    const batch = (t: SeededTenant, round: number) =>
      tenantContext.run({ tenantId: t.tenantId }, () =>
        prisma.$transaction([
          prisma.workspace.create({ data: { name: `${t.label} batch concurrent ${round}` } }),
          prisma.workspace.count(),
        ]),
      );
    for (let round = 0; round < 10; round++) {
      const settled = await Promise.allSettled([batch(a, round), batch(b, round)]);
      // A batch bound to the other tenant's settings fails RLS's WITH CHECK; name who and where.
      const failures = settled.flatMap((s, i) =>
        s.status === 'rejected'
          ? [
              `round ${round}: tenant ${[a, b][i]!.tenantId} workspace.create batch failed: ${String(s.reason?.message).trim().split('\n').at(-1)}`,
            ]
          : [],
      );
      expect(failures).toEqual([]);
      for (const [t, s] of [
        [a, settled[0]],
        [b, settled[1]],
      ] as const) {
        const [created] = (s as PromiseFulfilledResult<Awaited<ReturnType<typeof batch>>>).value;
        const [written] = await admin.workspace.findMany({ where: { id: created.id } });
        expect(written?.tenantId, `round ${round}: workspace ${created.id} created by ${t.label}`).toBe(t.tenantId);
      }
    }
    expect(
      await admin.workspace.count({ where: { tenantId: a.tenantId, name: { startsWith: 'alpha batch concurrent' } } }),
    ).toBe(10);
    expect(
      await admin.workspace.count({ where: { tenantId: b.tenantId, name: { startsWith: 'bravo batch concurrent' } } }),
    ).toBe(10);
  });
});
