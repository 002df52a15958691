/**
 * What reaches the settings is exactly what was validated: a context whose fields change between
 * validation and use (getters, a Proxy), or one put into the process-wide storage without `run`,
 * fails closed with a typed error and never crashes the process. And a connection checked out for
 * one context refuses to run statements inside another.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  InvalidTenantContextError,
  TenantContextMismatchError,
  TenantPool,
  tenantContext,
  type TenantContext,
  type TenantPrismaClient,
} from '../../src/index.js';
import { useTestDatabase, type TestDatabase } from '../support/test-database.js';
import { seedTenants, type SeededTenant } from '../support/fixtures.js';

let db: TestDatabase;
let a: SeededTenant;
let b: SeededTenant;
let prisma: TenantPrismaClient;

beforeAll(async () => {
  db = await useTestDatabase();
  [a, b] = await seedTenants(db.admin(), ['alpha', 'bravo']);
  prisma = db.client({ poolSize: 2 });
});

// Any uncaught exception during a test is a failure of that test (the process would have died).
let uncaught: unknown[] = [];
const onUncaught = (error: unknown) => uncaught.push(error);
beforeEach(() => {
  uncaught = [];
  process.on('uncaughtException', onUncaught);
  process.on('unhandledRejection', onUncaught);
});
afterEach(async () => {
  await new Promise((r) => setTimeout(r, 20));
  process.off('uncaughtException', onUncaught);
  process.off('unhandledRejection', onUncaught);
  expect(uncaught, 'uncaught exceptions during the test').toEqual([]);
});

/** The process-wide storage `tenantContext` uses, as any code in the process can reach it. */
const sharedStorage = (globalThis as Record<symbol, unknown>)[
  Symbol.for('tenantry.db.tenantContext')
] as AsyncLocalStorage<unknown>;

describe('context integrity', () => {
  it('a context whose getters change after validation runs with the validated values', async () => {
    let reads = 0;
    const shifty = {
      get tenantId() {
        reads++;
        return reads === 1 ? a.tenantId : (42 as unknown as string);
      },
    };
    const rows = await tenantContext.run(
      shifty as TenantContext,
      () => prisma.$queryRaw<Array<{ t: string }>>`select current_setting('app.tenant_id') as t`,
    );
    expect(rows[0]!.t).toBe(a.tenantId);
    expect(reads, 'each field is read once').toBe(1);
    // A Proxy that answers differently per read is snapshotted the same way.
    let n = 0;
    const proxy = new Proxy(
      {},
      { get: (_t, key) => (key === 'tenantId' ? (n++ === 0 ? b.tenantId : a.tenantId) : undefined) },
    );
    const projects = await tenantContext.run(proxy as TenantContext, () => prisma.project.findMany());
    expect(projects.length).toBe(b.projectIds.length);
    expect(projects.every((p) => p.tenantId === b.tenantId)).toBe(true);
  });

  it('a getter that throws is an InvalidTenantContextError, not a crash', () => {
    const throwing = {
      get tenantId(): string {
        throw new Error('boom');
      },
    };
    expect(() => tenantContext.run(throwing, () => 1)).toThrow(InvalidTenantContextError);
  });

  it('a context put into the storage without run fails closed with a typed error, on model, raw and pool queries', async () => {
    const pool = new TenantPool({ connectionString: db.runtimeUrl, max: 1 });
    try {
      for (const bogus of [
        { tenantId: 42 },
        { tenantId: a.tenantId },
        { tenantId: b.tenantId, workspaceId: { toString: () => 'x' } },
      ]) {
        await sharedStorage.run(bogus, async () => {
          await expect(prisma.project.findMany()).rejects.toThrow(InvalidTenantContextError);
          await expect(prisma.$queryRaw`select 1`).rejects.toThrow(/was not entered with tenantContext.run/);
          await expect(pool.query('select 1')).rejects.toThrow(InvalidTenantContextError);
          await expect(pool.connect()).rejects.toThrow(InvalidTenantContextError);
        });
      }
      // A private AsyncLocalStorage of the app's own is not ours and changes nothing.
      const own = new AsyncLocalStorage<{ tenantId: number }>();
      await own.run({ tenantId: 42 }, async () => {
        expect(await prisma.$queryRaw<Array<{ n: number }>>`select count(*)::int as n from projects`).toEqual([
          { n: 0 },
        ]);
      });
      // The pool and the client are still healthy and scoped.
      const { rows } = await tenantContext.run({ tenantId: a.tenantId }, () =>
        pool.query('select count(*)::int as n from projects'),
      );
      expect(rows[0].n).toBe(a.projectIds.length);
    } finally {
      await pool.end();
    }
  });

  it('a pool client checked out for A refuses statements inside B, and one checked out with no context refuses them inside A', async () => {
    const pool = new TenantPool({ connectionString: db.runtimeUrl, max: 2 });
    try {
      const forA = await tenantContext.run({ tenantId: a.tenantId }, () => pool.connect());
      try {
        await tenantContext.run({ tenantId: b.tenantId }, async () => {
          const error = await forA.query('select count(*) from projects').catch((e: unknown) => e);
          expect(error).toBeInstanceOf(TenantContextMismatchError);
          expect((error as TenantContextMismatchError).fields).toEqual(['tenantId']);
          expect((error as Error).message).not.toContain(a.tenantId);
          expect((error as Error).message).not.toContain(b.tenantId);
        });
        // Outside any context the checkout's own context applies (it was bound at checkout).
        const { rows } = await forA.query('select count(*)::int as n from projects');
        expect(rows[0].n).toBe(a.projectIds.length);
      } finally {
        forA.release();
      }
      const unbound = await pool.connect();
      try {
        await expect(tenantContext.run({ tenantId: a.tenantId }, () => unbound.query('select 1'))).rejects.toThrow(
          TenantContextMismatchError,
        );
      } finally {
        unbound.release();
      }
    } finally {
      await pool.end();
    }
  });
});
