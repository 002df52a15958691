/**
 * The typed availability errors, as callers get them through Prisma on every route: an exhausted
 * pool, an unreachable server, a connection lost mid-statement (backend terminated), a
 * serialization failure and a deadlock, an idle transaction cut by the server. A read that lost
 * its connection outside a transaction is retried once on a fresh one; a write, or anything in a
 * transaction, never. No message names a tenant or a parameter value, and after every fault the
 * next query works. Real Postgres, real PgBouncer, real terminated backends.
 */
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  ConnectionLostError,
  DatabaseAvailabilityError,
  DatabaseUnreachableError,
  DeadlineExceededError,
  PoolExhaustedError,
  TransactionConflictError,
  createTenantPrismaClient,
  onReadRetry,
  tenantContext,
  type ReadRetryEvent,
  type TenantPrismaClient,
} from '../../src/index.js';
import { freeLocalPort } from '../../src/testing/index.js';
import { useTestDatabase, type TestDatabase } from '../support/test-database.js';
import { foreignRows, seedTenants, type SeededTenant } from '../support/fixtures.js';
import { rejection } from '../support/errors.js';

let db: TestDatabase;
let a: SeededTenant;
let b: SeededTenant;
let superuser: pg.Pool;

beforeAll(async () => {
  db = await useTestDatabase();
  // Deadlocks are found after deadlock_timeout (1 s by default); this file's database checks sooner.
  const setup = db.pgPool('superuser', { max: 1 });
  await setup.query(`alter database "${db.name}" set deadlock_timeout = '100ms'`);
  [a, b] = await seedTenants(db.admin(), ['alpha', 'bravo']);
  superuser = db.pgPool('superuser', { max: 2 });
});

// This file's clients; each test's are disconnected after it: PgBouncer in session mode gives
// every open client connection a server connection of its own, and the shared server has few.
const opened: TenantPrismaClient[] = [];
const client = (options: Parameters<TestDatabase['client']>[0]): TenantPrismaClient => {
  const prisma = db.client(options);
  opened.push(prisma);
  return prisma;
};
afterEach(async () => {
  for (const prisma of opened.splice(0)) await prisma.$disconnect().catch(() => {});
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const inA = <R>(fn: () => R): R => tenantContext.run({ tenantId: a.tenantId }, fn);

/** A typed availability error whose message names neither a tenant nor any of `values`. */
function expectClean(error: unknown, values: string[] = []): void {
  expect(error, String(error)).toBeInstanceOf(DatabaseAvailabilityError);
  const message = (error as Error).message;
  for (const secret of [a.tenantId, b.tenantId, ...values]) expect(message).not.toContain(secret);
}

/** The next query after a fault works and sees exactly the tenant's rows. */
async function expectHealthy(prisma: TenantPrismaClient): Promise<void> {
  const rows = await inA(() => prisma.project.findMany());
  expect(rows.map((r) => r.id).sort()).toEqual([...a.projectIds].sort());
}

/**
 * Terminates the runtime role's backends of this database that match `where` (and are not in
 * `exclude`: a terminated backend stays in pg_stat_activity for a moment), polling until one does.
 * Through PgBouncer the backend is PgBouncer's server connection: same user, same database.
 * Returns the pids it terminated.
 */
async function terminateWhen(where: string, exclude: number[] = []): Promise<number[]> {
  for (let i = 0; i < 150; i++) {
    const { rows } = await superuser.query<{ pid: number }>(
      `select pid, pg_terminate_backend(pid) from pg_stat_activity
        where datname = current_database() and usename = 'tenantry_app' and pid <> pg_backend_pid()
          and not (pid = any($1::int[])) and ${where}`,
      [exclude],
    );
    if (rows.length > 0) return rows.map((r) => r.pid);
    await sleep(20);
  }
  return [];
}

/** Holds ACCESS EXCLUSIVE on `table` from a superuser connection until the returned function runs. */
async function lockTable(table: string): Promise<() => Promise<void>> {
  const holder = await superuser.connect();
  await holder.query('begin');
  await holder.query(`lock table ${table} in access exclusive mode`);
  let done = false;
  return async () => {
    if (done) return;
    done = true;
    await holder.query('rollback');
    holder.release();
  };
}

/** Holds a client's only connection in an interactive transaction until `release()`. */
async function holdConnection(prisma: TenantPrismaClient): Promise<{ release: () => void; finished: Promise<number> }> {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let started!: () => void;
  const holding = new Promise<void>((resolve) => (started = resolve));
  const finished = inA(() =>
    prisma.$transaction(
      async (tx) => {
        const n = await tx.project.count();
        started();
        await released;
        return n;
      },
      { timeout: 20_000, maxWait: 10_000 },
    ),
  );
  await holding;
  return { release, finished };
}

describe('PoolExhaustedError', () => {
  it('every connection busy for connectionTimeoutMillis: through a model query, raw SQL and $transaction', async () => {
    const prisma = client({ poolSize: 1, connectionTimeoutMillis: 250 });
    const held = await holdConnection(prisma);
    const errors: Array<[string, unknown]> = [];
    try {
      errors.push(['project.findMany', await rejection(inA(() => prisma.project.findMany()))]);
      errors.push(['$queryRaw', await rejection(inA(() => prisma.$queryRaw`select ${'param-value-1'}::text as v`))]);
      errors.push([
        '$executeRaw',
        await rejection(inA(() => prisma.$executeRaw`update projects set name = ${'param-value-2'} where false`)),
      ]);
      errors.push([
        'interactive $transaction',
        await rejection(inA(() => prisma.$transaction(async (tx) => tx.project.count()))),
      ]);
      errors.push([
        'batch $transaction',
        await rejection(inA(() => prisma.$transaction([prisma.project.count(), prisma.task.count()]))),
      ]);
    } finally {
      held.release();
    }
    for (const [route, error] of errors) {
      expect(error, `${route}: ${String(error)}`).toBeInstanceOf(PoolExhaustedError);
      const exhausted = error as PoolExhaustedError;
      expect(exhausted).toMatchObject({
        name: 'PoolExhaustedError',
        poolSize: 1,
        retryAfterSeconds: 1,
        postgresCode: undefined,
        systemCode: undefined,
      });
      expect(exhausted.waitedMillis, route).toBeGreaterThanOrEqual(200);
      expect(exhausted.waitedMillis, route).toBeLessThan(250 + 1500);
      expectClean(error, ['param-value-1', 'param-value-2']);
    }
    expect(await held.finished).toBe(a.projectIds.length);
    await expectHealthy(prisma);
  });
});

describe('DatabaseUnreachableError', () => {
  it('a closed port: through a model query, raw SQL and $transaction, with systemCode ECONNREFUSED', async () => {
    const closed = `postgres://tenantry_app@127.0.0.1:${await freeLocalPort()}/nowhere`;
    const prisma = createTenantPrismaClient({ connectionString: closed, poolSize: 1 });
    try {
      const errors: Array<[string, unknown]> = [
        ['project.findMany', await rejection(inA(() => prisma.project.findMany()))],
        ['$queryRaw', await rejection(inA(() => prisma.$queryRaw`select ${'param-value-3'}::text`))],
        ['$queryRaw without a context', await rejection(prisma.$queryRaw`select 1`)],
        ['interactive $transaction', await rejection(inA(() => prisma.$transaction(async (tx) => tx.project.count())))],
        ['batch $transaction', await rejection(inA(() => prisma.$transaction([prisma.project.count()])))],
      ];
      for (const [route, error] of errors) {
        expect(error, `${route}: ${String(error)}`).toBeInstanceOf(DatabaseUnreachableError);
        expect(error).toMatchObject({
          name: 'DatabaseUnreachableError',
          systemCode: 'ECONNREFUSED',
          postgresCode: undefined,
          retryAfterSeconds: 2,
        });
        expectClean(error, ['param-value-3']);
      }
    } finally {
      await prisma.$disconnect();
    }
  });
});

describe('ConnectionLostError', () => {
  it('raw SQL whose backend is terminated mid-flight', async () => {
    const prisma = client({ poolSize: 1 });
    const pending = rejection(
      inA(() => prisma.$queryRawUnsafe(`select pg_sleep(3)::text, $1::text as marker`, 'param-value-4')),
    );
    expect(await terminateWhen(`state = 'active' and query like '%pg_sleep(3)%'`)).toHaveLength(1);
    const error = await pending;
    // PgBouncer (session and transaction mode) passes the server's FATAL on before it closes the
    // client, so every route reports admin_shutdown, not PgBouncer's own 08P01.
    expect(error, String(error)).toBeInstanceOf(ConnectionLostError);
    expect(error).toMatchObject({
      name: 'ConnectionLostError',
      postgresCode: '57P01',
      systemCode: undefined,
      retryAfterSeconds: 1,
    });
    expectClean(error, ['param-value-4']);
    await expectHealthy(prisma);
  });

  /** Starts `start` behind a lock on `table`, terminates its backend while it waits, then unlocks. */
  async function lostWhileWaiting<R>(
    table: string,
    start: () => Promise<R>,
  ): Promise<{ outcome: Promise<R>; killed: number }> {
    const unlock = await lockTable(table);
    try {
      const outcome = start();
      // Handled at once, so that a rejection before the caller awaits it is not unhandled.
      outcome.catch(() => {});
      const killed = (await terminateWhen(`wait_event_type = 'Lock'`)).length;
      await sleep(50);
      await unlock();
      return { outcome, killed };
    } finally {
      await unlock();
    }
  }

  it("a READ that lost its connection is retried once: the caller's rows only, onRetry called once", async () => {
    const retries: ReadRetryEvent[] = [];
    const global: ReadRetryEvent[] = [];
    const unsubscribe = onReadRetry((event) => global.push(event));
    const prisma = client({ poolSize: 2, onRetry: (event) => retries.push(event) });
    try {
      const { outcome, killed } = await lostWhileWaiting('projects', () =>
        inA(() => prisma.project.findMany({ orderBy: { name: 'asc' } })),
      );
      expect(killed).toBe(1);
      const rows = await outcome;
      expect(rows.map((r) => r.id).sort()).toEqual([...a.projectIds].sort());
      expect(foreignRows(rows, a.tenantId, 'retried project.findMany')).toEqual([]);
      expect(retries).toHaveLength(1);
      expect(retries[0]).toMatchObject({ model: 'Project', operation: 'findMany' });
      expect(retries[0]!.error).toBeInstanceOf(ConnectionLostError);
      expect(retries[0]!.error.postgresCode).toBe('57P01');
      expectClean(retries[0]!.error);
      // The process-wide listener hears the same retry.
      expect(global).toHaveLength(1);
      expect(global[0]).toBe(retries[0]);
    } finally {
      unsubscribe();
    }
    // A count is a read too.
    const { outcome, killed } = await lostWhileWaiting('tasks', () => inA(() => prisma.task.count()));
    expect(killed).toBe(1);
    expect(await outcome).toBe(a.taskIds.length);
    expect(retries.map((r) => `${r.model}.${r.operation}`)).toEqual(['Project.findMany', 'Task.count']);
    expect(global).toHaveLength(1);
    await expectHealthy(prisma);
  });

  it('a READ lost twice fails with ConnectionLostError after its one retry', async () => {
    const retries: ReadRetryEvent[] = [];
    const prisma = client({ poolSize: 2, onRetry: (event) => retries.push(event) });
    const unlock = await lockTable('projects');
    let error: unknown;
    try {
      const outcome = rejection(inA(() => prisma.project.findMany()));
      const first = await terminateWhen(`wait_event_type = 'Lock'`);
      expect(first).toHaveLength(1);
      // The retry waits on the same lock, on a fresh backend: terminate that one as well.
      expect(await terminateWhen(`wait_event_type = 'Lock'`, first)).toHaveLength(1);
      error = await outcome;
    } finally {
      await unlock();
    }
    expect(error, String(error)).toBeInstanceOf(ConnectionLostError);
    expect(retries).toHaveLength(1);
    expectClean(error);
    await expectHealthy(prisma);
  });

  it('a WRITE that lost its connection is not retried: ConnectionLostError, and the row exists at most once', async () => {
    const retries: ReadRetryEvent[] = [];
    const prisma = client({ poolSize: 2, onRetry: (event) => retries.push(event) });
    const name = `lost-write-${randomUUID()}`;
    const { outcome, killed } = await lostWhileWaiting('projects', () =>
      inA(() => prisma.project.create({ data: { name, workspaceId: a.workspaceIds[0] } })),
    );
    expect(killed).toBe(1);
    const error = await rejection(outcome);
    expect(error, String(error)).toBeInstanceOf(ConnectionLostError);
    expect(error).toMatchObject({ postgresCode: '57P01' });
    expectClean(error, [name]);
    expect(retries).toEqual([]);
    // Terminated while it waited for the lock, before the insert ran, and not run again.
    expect(await db.admin().project.count({ where: { name } })).toBe(0);

    // Raw SQL is never retried either, even a read.
    const raw = await lostWhileWaiting('projects', () =>
      inA(() => prisma.$queryRaw`select id from projects where name <> ${name}`),
    );
    expect(raw.killed).toBe(1);
    const rawError = await rejection(raw.outcome);
    expect(rawError, String(rawError)).toBeInstanceOf(ConnectionLostError);
    expectClean(rawError, [name]);
    expect(retries).toEqual([]);
    await expectHealthy(prisma);
  });

  it('a read inside an interactive or a batch transaction is not retried', async () => {
    const retries: ReadRetryEvent[] = [];
    const prisma = client({ poolSize: 2, onRetry: (event) => retries.push(event) });
    const interactive = await lostWhileWaiting('projects', () =>
      inA(() => prisma.$transaction(async (tx) => tx.project.findMany())),
    );
    expect(interactive.killed).toBe(1);
    const interactiveError = await rejection(interactive.outcome);
    expect(interactiveError, String(interactiveError)).toBeInstanceOf(ConnectionLostError);
    expect(interactiveError).toMatchObject({ postgresCode: '57P01', mayHaveCommitted: true });
    expectClean(interactiveError);

    const batch = await lostWhileWaiting('projects', () =>
      inA(() => prisma.$transaction([prisma.project.findMany(), prisma.task.count()])),
    );
    expect(batch.killed).toBe(1);
    const batchError = await rejection(batch.outcome);
    // What the batch reports is the failure of a statement queued behind the terminated one: pg's
    // code-less "Connection terminated" directly, PgBouncer's 08P01 behind PgBouncer. Lost either way.
    expect(batchError, String(batchError)).toBeInstanceOf(ConnectionLostError);
    expect([undefined, '57P01', '08P01']).toContain((batchError as ConnectionLostError).postgresCode);
    expectClean(batchError);
    expect(retries).toEqual([]);
    await expectHealthy(prisma);
  });
});

describe('TransactionConflictError', () => {
  it('a serialization failure between two SERIALIZABLE interactive transactions (40001)', async () => {
    const prisma = client({ poolSize: 2 });
    const target = a.projectIds[0]!;
    let firstRead!: () => void;
    const readByFirst = new Promise<void>((resolve) => (firstRead = resolve));
    let secondRead!: () => void;
    const readBySecond = new Promise<void>((resolve) => (secondRead = resolve));
    const options = { isolationLevel: 'Serializable' as const, timeout: 10_000, maxWait: 5_000 };
    const first = inA(() =>
      prisma.$transaction(async (tx) => {
        await tx.project.findUnique({ where: { tenantId_id: { tenantId: a.tenantId, id: target } } });
        firstRead();
        await readBySecond;
        await tx.project.update({
          where: { tenantId_id: { tenantId: a.tenantId, id: target } },
          data: { name: 'alpha renamed by first' },
        });
      }, options),
    );
    const second = inA(() =>
      prisma.$transaction(async (tx) => {
        await readByFirst;
        await tx.project.findUnique({ where: { tenantId_id: { tenantId: a.tenantId, id: target } } });
        secondRead();
        // Waits for the first to commit, then cannot serialize after it.
        await first;
        await tx.project.update({
          where: { tenantId_id: { tenantId: a.tenantId, id: target } },
          data: { name: 'param-value-5' },
        });
      }, options),
    );
    await first;
    const error = await rejection(second);
    expect(error, String(error)).toBeInstanceOf(TransactionConflictError);
    expect(error).toMatchObject({ name: 'SerializationFailureError', postgresCode: '40001', retryAfterSeconds: 1 });
    expectClean(error, ['param-value-5']);
    expect((await db.admin().project.findFirst({ where: { id: target } }))!.name).toBe('alpha renamed by first');
    await db.admin().project.updateMany({ where: { id: target }, data: { name: 'alpha ws0 p0' } });
    await expectHealthy(prisma);
  });

  it('a deadlock (40P01): one transaction fails with it, the other commits', async () => {
    const prisma = client({ poolSize: 2 });
    const [p1, p2] = [a.projectIds[0]!, a.projectIds[1]!];
    let locked = 0;
    let bothLocked!: () => void;
    const both = new Promise<void>((resolve) => (bothLocked = resolve));
    const rename = (first: string, second: string, label: string) =>
      inA(() =>
        prisma.$transaction(
          async (tx) => {
            await tx.$executeRaw`update projects set name = name where id = ${first}::uuid`;
            if (++locked === 2) bothLocked();
            await both;
            await tx.$executeRaw`update projects set name = ${label} where id = ${second}::uuid`;
          },
          { timeout: 10_000, maxWait: 5_000 },
        ),
      );
    const outcomes = await Promise.allSettled([rename(p1, p2, 'param-value-6'), rename(p2, p1, 'param-value-7')]);
    const failed = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    expect(failed, JSON.stringify(outcomes.map((o) => o.status))).toHaveLength(1);
    const error = failed[0]!.reason;
    expect(error, String(error)).toBeInstanceOf(TransactionConflictError);
    expect(error).toMatchObject({ name: 'DeadlockDetectedError', postgresCode: '40P01' });
    expect((error as Error).message).toMatch(/deadlocked/);
    expectClean(error, ['param-value-6', 'param-value-7']);
    for (const id of [p1, p2]) {
      const project = await db.admin().project.findFirst({ where: { id } });
      await db.admin().project.updateMany({
        where: { id },
        data: { name: project!.name.startsWith('param-value') ? 'restored' : project!.name },
      });
    }
    await expectHealthy(prisma);
  });
});

describe('idle in transaction', () => {
  it('a transaction idle longer than idleInTransactionTimeoutMillis: DeadlineExceededError kind idle-in-transaction', async () => {
    const prisma = client({ poolSize: 1, idleInTransactionTimeoutMillis: 200 });
    const error = await rejection(
      inA(() =>
        prisma.$transaction(
          async (tx) => {
            await tx.project.count();
            await sleep(600);
            await tx.project.count();
          },
          { timeout: 10_000 },
        ),
      ),
    );
    // Postgres closes the idle session (FATAL 25P03) before the second statement; the engine reports
    // that recorded cause for it, on every route (PgBouncer passes the FATAL on as well).
    expect(error, String(error)).toBeInstanceOf(DeadlineExceededError);
    expect(error).toMatchObject({
      kind: 'idle-in-transaction',
      source: 'option',
      limitMillis: 200,
      postgresCode: '25P03',
      mayHaveCommitted: false,
    });
    expectClean(error);
    await expectHealthy(prisma);
  });
});
