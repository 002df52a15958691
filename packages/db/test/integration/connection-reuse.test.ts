/**
 * I4: no tenant state outlives a query or a transaction on a connection. The next user of the same
 * server connection (our own pool, or any other client behind the same PgBouncer) inherits nothing,
 * on every route. The settings are transaction-local, so there is nothing to reset.
 */
import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { tenantContext } from '../../src/index.js';
import { useTestDatabase, type TestDatabase } from '../support/test-database.js';
import { seedTenants, type SeededTenant } from '../support/fixtures.js';

let db: TestDatabase;
let a: SeededTenant;
let b: SeededTenant;

beforeAll(async () => {
  db = await useTestDatabase();
  [a, b] = await seedTenants(db.admin(), ['alpha', 'bravo']);
});

type Probe = { pid: number; tenant: string | null; projects: number };
const PROBE = `select pg_backend_pid() as pid, current_setting('app.tenant_id', true) as tenant, (select count(*)::int from projects) as projects`;

describe('connection reuse', () => {
  it("a no-context query on the connection that just served tenant A sees nothing of A's", async () => {
    const prisma = db.client({ poolSize: 1 });
    for (let i = 0; i < 10; i++) {
      const inA = await tenantContext.run({ tenantId: a.tenantId }, () => prisma.$queryRawUnsafe<Probe[]>(PROBE));
      expect(inA[0]!.tenant).toBe(a.tenantId);
      expect(inA[0]!.projects).toBe(a.projectIds.length);
      const after = await prisma.$queryRawUnsafe<Probe[]>(PROBE);
      expect(after[0]!.tenant ?? '', `no-context query after tenant A (backend ${after[0]!.pid})`).toBe('');
      expect(after[0]!.projects).toBe(0);
    }
  });

  it('after an interactive transaction commits or rolls back, the connection carries nothing', async () => {
    const prisma = db.client({ poolSize: 1 });
    await tenantContext.run({ tenantId: a.tenantId }, () =>
      prisma.$transaction(async (tx) => {
        await tx.workspace.create({ data: { name: 'committed-reuse' } });
      }),
    );
    await expect(
      tenantContext.run({ tenantId: a.tenantId }, () =>
        prisma.$transaction(async (tx) => {
          await tx.workspace.create({ data: { name: 'rolled-back-reuse' } });
          throw new Error('roll back');
        }),
      ),
    ).rejects.toThrow('roll back');
    const after = await prisma.$queryRawUnsafe<Probe[]>(PROBE);
    expect(after[0]!.tenant ?? '').toBe('');
    expect(after[0]!.projects).toBe(0);
    const inB = await tenantContext.run({ tenantId: b.tenantId }, () => prisma.workspace.findMany());
    expect(inB.map((w) => w.tenantId)).toEqual(inB.map(() => b.tenantId));
  });

  it('a session-level set_config from raw SQL is overridden by every later query of the tenant pool', async () => {
    const prisma = db.client({ poolSize: 1 });
    // Raw SQL is trusted code and CAN write a session-level setting; the pool never relies on one.
    await tenantContext.run(
      { tenantId: a.tenantId },
      () => prisma.$queryRaw`select set_config('app.tenant_id', ${b.tenantId}, false)`,
    );
    const after = await prisma.$queryRawUnsafe<Probe[]>(PROBE);
    expect(after[0]!.projects, 'no-context query after a session-level set_config').toBe(0);
    const inA = await tenantContext.run({ tenantId: a.tenantId }, () => prisma.project.findMany());
    expect(inA.every((p) => p.tenantId === a.tenantId)).toBe(true);
    expect(inA.length).toBe(a.projectIds.length);
    // Leave the connection clean for the next test.
    await prisma.$queryRaw`select set_config('app.tenant_id', '', false)`;
  });

  it('another client behind the same pooler, sending no settings at all, inherits nothing', async () => {
    const prisma = db.client({ poolSize: 2 });
    const plain = new pg.Client({ connectionString: db.runtimeUrl });
    await plain.connect();
    try {
      const servedA = new Set<number>();
      const seenByPlain: Probe[] = [];
      for (let i = 0; i < 20; i++) {
        const rows = await tenantContext.run({ tenantId: a.tenantId }, () => prisma.$queryRawUnsafe<Probe[]>(PROBE));
        servedA.add(rows[0]!.pid);
        seenByPlain.push((await plain.query<Probe>(PROBE)).rows[0]!);
      }
      expect(seenByPlain.filter((p) => (p.tenant ?? '') !== '' || p.projects !== 0)).toEqual([]);
      if (db.route === 'pgbouncer-transaction') {
        // Transaction pooling really handed the plain client backends that had just served tenant A.
        expect(seenByPlain.some((p) => servedA.has(p.pid))).toBe(true);
      }
    } finally {
      await plain.end();
    }
  });
});
