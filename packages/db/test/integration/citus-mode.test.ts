/**
 * Citus mode (`distributed: 'citus'`, docs/citus.md): the settings go as `SET LOCAL` inside a
 * transaction block the pipeline opens itself, because Citus carries those to the workers and not
 * `set_config`. The block is ordinary PostgreSQL, so this file proves the mechanics on every route
 * of the normal suite (direct, PgBouncer session, PgBouncer transaction): the same isolation as the
 * default mode, still one round trip, nothing left open after an error, values that cannot become
 * SQL. `pnpm test:citus` runs the isolation tests on a real Citus cluster, where set_config would
 * return 0 rows.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TenantPool, createTenantPrismaClient, tenantContext, type TenantPrismaClient } from '../../src/index.js';
import { useTestDatabase, type TestDatabase } from '../support/test-database.js';
import { seedTenants, type SeededTenant } from '../support/fixtures.js';

let db: TestDatabase;
let a: SeededTenant;
let b: SeededTenant;
let pool: TenantPool;
let prisma: TenantPrismaClient;
let roundTrips = 0;

beforeAll(async () => {
  db = await useTestDatabase();
  [a, b] = (await seedTenants(db.admin(), ['citusA', 'citusB'])) as [SeededTenant, SeededTenant];
  pool = new TenantPool({ connectionString: db.runtimeUrl, max: 2, distributed: 'citus' });
  pool.on('connect', (client) => {
    (client as unknown as { connection: NodeJS.EventEmitter }).connection.on('readyForQuery', () => (roundTrips += 1));
  });
  prisma = createTenantPrismaClient({ pool });
});

afterAll(async () => {
  await prisma?.$disconnect();
});

async function trips(fn: () => Promise<unknown>): Promise<number> {
  await fn();
  const before = roundTrips;
  await fn();
  return roundTrips - before;
}

/** Every connection of the pool, checked out at once: none may be inside a transaction. */
async function idleStatuses(): Promise<string[]> {
  const clients = await Promise.all([pool.connect(), pool.connect()]);
  const statuses = clients.map((c) => (c as unknown as { transactionStatus: string }).transactionStatus);
  for (const c of clients) c.release();
  return statuses;
}

describe('Citus mode on PostgreSQL', () => {
  it('scopes reads and writes to the context, and no context sees nothing', async () => {
    const mine = await tenantContext.run({ tenantId: a.tenantId }, () => prisma.project.findMany());
    expect(mine.length).toBe(a.projectIds.length);
    expect(mine.every((p) => p.tenantId === a.tenantId)).toBe(true);
    const raw = await tenantContext.run(
      { tenantId: a.tenantId },
      () =>
        prisma.$queryRaw<
          { n: number }[]
        >`select count(*)::int as n from projects where tenant_id = ${b.tenantId}::uuid`,
    );
    expect(raw[0]!.n).toBe(0);
    expect(await prisma.$queryRaw<{ n: number }[]>`select count(*)::int as n from projects`).toEqual([{ n: 0 }]);
    const created = await tenantContext.run({ tenantId: a.tenantId, workspaceId: a.workspaceIds[0] }, () =>
      prisma.project.create({ data: { name: 'citus mode' } }),
    );
    expect(created.tenantId).toBe(a.tenantId);
    await expect(
      tenantContext.run(
        { tenantId: a.tenantId },
        () =>
          prisma.$executeRaw`insert into workspaces (tenant_id, id, name) values (${b.tenantId}::uuid, gen_random_uuid(), 'x')`,
      ),
    ).rejects.toThrow(/row-level security/);
  });

  it('keeps one round trip per statement (BEGIN, SET LOCAL, the statement and COMMIT under one Sync)', async () => {
    const ctx = { tenantId: a.tenantId, workspaceId: a.workspaceIds[0] };
    const counts = await tenantContext.run(ctx, async () => ({
      findMany: await trips(() => prisma.project.findMany({ take: 5 })),
      create: await trips(() => prisma.task.create({ data: { projectId: a.projectIds[0]!, title: 'rt' } })),
      raw: await trips(() => prisma.$queryRaw`select 1`),
    }));
    expect(counts).toEqual({ findMany: 1, create: 1, raw: 1 });
  });

  it('returns the statement’s own result, not the COMMIT’s', async () => {
    const updated = await tenantContext.run(
      { tenantId: a.tenantId },
      () => prisma.$executeRaw`update projects set name = name where tenant_id = ${a.tenantId}::uuid`,
    );
    expect(updated).toBeGreaterThan(0);
  });

  it('commits what a statement wrote: another connection sees it', async () => {
    const name = `committed-${Date.now()}`;
    await tenantContext.run({ tenantId: a.tenantId }, () => prisma.workspace.create({ data: { name } }));
    expect(await db.admin().workspace.count({ where: { tenantId: a.tenantId, name } })).toBe(1);
  });

  it('ends the block it opened when the statement fails: the error is the caller’s, the connection comes back idle', async () => {
    await expect(tenantContext.run({ tenantId: a.tenantId }, () => prisma.$queryRaw`select 1 / 0`)).rejects.toThrow(
      /division by zero/,
    );
    expect(await idleStatuses()).toEqual(['I', 'I']);
    const after = await tenantContext.run({ tenantId: a.tenantId }, () => prisma.workspace.count());
    expect(after).toBeGreaterThan(0);
  });

  it('writes nothing of a failed statement (a unique conflict in the middle of the block)', async () => {
    const name = `dupe-${Date.now()}`;
    await tenantContext.run({ tenantId: a.tenantId }, () => prisma.workspace.create({ data: { name } }));
    await expect(
      tenantContext.run(
        { tenantId: a.tenantId },
        () =>
          prisma.$executeRaw`insert into workspaces (tenant_id, id, name) values (${a.tenantId}::uuid, gen_random_uuid(), ${`${name}-new`}), (${a.tenantId}::uuid, gen_random_uuid(), ${name})`,
      ),
    ).rejects.toThrow();
    expect(await db.admin().workspace.count({ where: { tenantId: a.tenantId, name: `${name}-new` } })).toBe(0);
  });

  it('scopes every statement of an interactive transaction and rolls it back on error', async () => {
    const name = `tx-${Date.now()}`;
    await expect(
      tenantContext.run({ tenantId: a.tenantId }, () =>
        prisma.$transaction(async (tx) => {
          await tx.workspace.create({ data: { name } });
          const seen = await tx.$queryRaw<
            { n: number }[]
          >`select count(*)::int as n from workspaces where name = ${name}`;
          expect(seen[0]!.n).toBe(1);
          const foreign = await tx.$queryRaw<
            { n: number }[]
          >`select count(*)::int as n from workspaces where tenant_id = ${b.tenantId}::uuid`;
          expect(foreign[0]!.n).toBe(0);
          throw new Error('roll back');
        }),
      ),
    ).rejects.toThrow('roll back');
    expect(await db.admin().workspace.count({ where: { name } })).toBe(0);
    expect(await idleStatuses()).toEqual(['I', 'I']);
  });

  it('sends claims that try to break out of the literal as data, not SQL', async () => {
    const hostile = ["'; select pg_sleep(10); --", "\\'; drop table projects; --", "E'\\\\'", '$$;--', '\u2019 or 1=1'];
    for (const value of hostile) {
      const claims = { sub: a.userId, note: value };
      // The claims arrive byte for byte in request.jwt.claims: the literal held, whatever it contained.
      const seen = await tenantContext.run(
        { tenantId: a.tenantId, userId: a.userId, claims },
        () => prisma.$queryRaw<{ claims: string }[]>`select current_setting('request.jwt.claims', true) as claims`,
      );
      expect(JSON.parse(seen[0]!.claims)).toEqual(claims);
    }
    expect(await db.admin().project.count({ where: { tenantId: a.tenantId } })).toBeGreaterThan(0);
  });

  it('keeps the literal intact when raw SQL earlier in the transaction turned standard_conforming_strings off', async () => {
    const claims = { sub: a.userId, note: "back\\slash ' quote" };
    const seen = await tenantContext.run({ tenantId: a.tenantId, userId: a.userId, claims }, () =>
      prisma.$transaction(async (tx) => {
        await tx.$executeRawUnsafe('set local standard_conforming_strings = off');
        return tx.$queryRaw<{ claims: string }[]>`select current_setting('request.jwt.claims', true) as claims`;
      }),
    );
    expect(JSON.parse(seen[0]!.claims)).toEqual(claims);
  });

  it('runs many tenants concurrently beyond the pool size without crossing', async () => {
    const tenants = [a, b];
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) => {
        const t = tenants[i % 2]!;
        return tenantContext.run({ tenantId: t.tenantId }, async () => ({
          expected: t.tenantId,
          seen: (await prisma.workspace.findMany({ select: { tenantId: true } })).map((w) => w.tenantId),
        }));
      }),
    );
    for (const r of results) {
      expect(r.seen.length).toBeGreaterThan(0);
      expect(new Set(r.seen)).toEqual(new Set([r.expected]));
    }
  });
});
