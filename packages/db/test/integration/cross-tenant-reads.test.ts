/**
 * I1 for reads: every read operation inside tenant A's context returns only tenant A's rows, and an
 * explicit id of tenant B's row finds nothing.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { tenantContext } from '../../src/index.js';
import { useTestDatabase, type TestDatabase } from '../support/test-database.js';
import { foreignRows, seedTenants, type SeededTenant } from '../support/fixtures.js';

let db: TestDatabase;
let a: SeededTenant;
let b: SeededTenant;

beforeAll(async () => {
  db = await useTestDatabase();
  [a, b] = await seedTenants(db.admin(), ['alpha', 'bravo']);
});

describe('cross-tenant reads', () => {
  it('findMany, findFirst and include return only the context tenant rows', async () => {
    const prisma = db.client();
    for (const t of [a, b]) {
      await tenantContext.run({ tenantId: t.tenantId }, async () => {
        const projects = await prisma.project.findMany({ include: { tasks: true, workspace: true } });
        expect(foreignRows(projects, t.tenantId, 'project.findMany')).toEqual([]);
        expect(projects.map((p) => p.id).sort()).toEqual([...t.projectIds].sort());
        for (const p of projects) {
          expect(foreignRows(p.tasks, t.tenantId, 'project.findMany include tasks')).toEqual([]);
          expect(p.workspace.tenantId).toBe(t.tenantId);
        }
        const workspaces = await prisma.workspace.findMany({ include: { projects: { include: { tasks: true } } } });
        expect(workspaces.map((w) => w.id).sort()).toEqual([...t.workspaceIds].sort());
        const first = await prisma.task.findFirst({ orderBy: { title: 'asc' } });
        expect(first?.tenantId).toBe(t.tenantId);
        const members = await prisma.membership.findMany({ include: { user: true, tenant: true } });
        expect(members.map((m) => m.userId)).toEqual([t.userId]);
        expect(members[0]?.tenant.id).toBe(t.tenantId);
      });
    }
  });

  it('findUnique, findUniqueOrThrow and findFirst by another tenant id find nothing', async () => {
    const prisma = db.client();
    await tenantContext.run({ tenantId: a.tenantId }, async () => {
      const own = await prisma.project.findUnique({
        where: { tenantId_id: { tenantId: a.tenantId, id: a.projectIds[0]! } },
      });
      expect(own?.id).toBe(a.projectIds[0]);
      expect(await prisma.project.findFirst({ where: { id: b.projectIds[0]! } })).toBeNull();
      expect(await prisma.task.findFirst({ where: { id: { in: b.taskIds } } })).toBeNull();
      await expect(prisma.project.findFirstOrThrow({ where: { id: b.projectIds[0]! } })).rejects.toMatchObject({
        code: 'P2025',
      });
    });
  });

  it('count, aggregate and groupBy count only the context tenant rows', async () => {
    const prisma = db.client();
    await tenantContext.run({ tenantId: a.tenantId }, async () => {
      expect(await prisma.project.count()).toBe(a.projectIds.length);
      expect(await prisma.task.count({ where: { id: { in: [...a.taskIds, ...b.taskIds] } } })).toBe(a.taskIds.length);
      const agg = await prisma.task.aggregate({ _count: { _all: true } });
      expect(agg._count._all).toBe(a.taskIds.length);
      const groups = await prisma.project.groupBy({ by: ['tenantId', 'workspaceId'], _count: { _all: true } });
      expect(groups.map((g) => g.tenantId)).toEqual(groups.map(() => a.tenantId));
      expect(groups.map((g) => g.workspaceId).sort()).toEqual([...a.workspaceIds].sort());
    });
  });

  it('global models show only the context tenant and its members', async () => {
    const prisma = db.client();
    await tenantContext.run({ tenantId: a.tenantId }, async () => {
      expect((await prisma.tenant.findMany()).map((t) => t.id)).toEqual([a.tenantId]);
      expect((await prisma.user.findMany()).map((u) => u.id)).toEqual([a.userId]);
      expect(await prisma.tenant.findUnique({ where: { id: b.tenantId } })).toBeNull();
    });
  });

  it('batched findUnique calls of two tenants in the same tick each get their own row', async () => {
    const prisma = db.client();
    const [ra, rb] = await Promise.all([
      tenantContext.run({ tenantId: a.tenantId }, () =>
        prisma.project.findUnique({ where: { tenantId_id: { tenantId: a.tenantId, id: a.projectIds[0]! } } }),
      ),
      tenantContext.run({ tenantId: b.tenantId }, () =>
        prisma.project.findUnique({ where: { tenantId_id: { tenantId: b.tenantId, id: b.projectIds[0]! } } }),
      ),
    ]);
    expect(ra?.id).toBe(a.projectIds[0]);
    expect(rb?.id).toBe(b.projectIds[0]);
  });

  it('raw queries see only the context tenant rows', async () => {
    const prisma = db.client();
    await tenantContext.run({ tenantId: a.tenantId }, async () => {
      const rows = await prisma.$queryRaw<
        Array<{ tenant_id: string; id: string }>
      >`select tenant_id::text, id::text from projects`;
      expect(rows.length).toBe(a.projectIds.length);
      expect(rows.every((r) => r.tenant_id === a.tenantId)).toBe(true);
      const unsafe = await prisma.$queryRawUnsafe<Array<{ n: bigint }>>(
        'select count(*) as n from tasks where id = any($1::uuid[])',
        b.taskIds,
      );
      expect(Number(unsafe[0]!.n)).toBe(0);
      const setting = await prisma.$queryRaw<Array<{ t: string }>>`select current_setting('app.tenant_id') as t`;
      expect(setting[0]!.t).toBe(a.tenantId);
    });
  });
});

describe('findUnique batching', () => {
  it('still coalesces findUnique calls made in one context, and answers each', async () => {
    const prisma = db.client();
    const ids = [...a.projectIds];
    const rows = await tenantContext.run({ tenantId: a.tenantId }, () =>
      Promise.all(ids.map((id) => prisma.project.findUnique({ where: { tenantId_id: { tenantId: a.tenantId, id } } }))),
    );
    expect(rows.map((r) => r?.id)).toEqual(ids);
  });

  it('many tenants interleaved in one tick each get exactly their own rows', async () => {
    const prisma = db.client();
    const calls = [a, b, a, b, b, a].map((t, i) =>
      tenantContext
        .run({ tenantId: t.tenantId }, () =>
          prisma.project.findUnique({
            where: { tenantId_id: { tenantId: t.tenantId, id: t.projectIds[i % t.projectIds.length]! } },
          }),
        )
        .then((row) => ({
          expected: t.projectIds[i % t.projectIds.length],
          got: row?.id,
          tenant: row?.tenantId,
          want: t.tenantId,
        })),
    );
    const results = await Promise.all(calls);
    expect(results.filter((r) => r.got !== r.expected || r.tenant !== r.want)).toEqual([]);
  });
});
