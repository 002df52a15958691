/**
 * `tenantContext.run({ tenantId, deadlineMs }, fn)`: the time the work may spend in the database.
 * It bounds every statement (statement_timeout), every lock wait (lock_timeout), an idle
 * transaction and the wait for a pooled connection, each sent transaction-locally with the time
 * that is left, and it refuses a statement outright once it has run out, before anything is sent.
 * A nested run shortens it and never extends it; the client's own limit wins when it is shorter.
 * Real Postgres, on every route, with real sleeps and real locks.
 */
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  DatabaseAvailabilityError,
  DeadlineExceededError,
  InvalidTenantContextError,
  MissingTenantContextError,
  TenantContextMismatchError,
  TenantPool,
  tenantContext,
  type TenantContext,
  type TenantPrismaClient,
} from '../../src/index.js';
import { useTestDatabase, type TestDatabase } from '../support/test-database.js';
import { foreignRows, seedTenants, type SeededTenant } from '../support/fixtures.js';
import { rejection } from '../support/errors.js';

let db: TestDatabase;
let a: SeededTenant;
let b: SeededTenant;
/** The tenant the write tests write to, so that the others' counts stay fixed. */
let c: SeededTenant;
let superuser: pg.Pool;

beforeAll(async () => {
  db = await useTestDatabase();
  [a, b, c] = await seedTenants(db.admin(), ['alpha', 'bravo', 'charlie']);
  superuser = db.pgPool('superuser', { max: 1 });
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
const ctxA = (): TenantContext => ({ tenantId: a.tenantId });
const inC = <R>(deadlineMs: number, fn: () => R): R => tenantContext.run({ tenantId: c.tenantId, deadlineMs }, fn);
const inA = <R>(deadlineMs: number | undefined, fn: () => R): R =>
  tenantContext.run(deadlineMs === undefined ? ctxA() : { ...ctxA(), deadlineMs }, fn);

/** Runs `fn` and returns its error and how long it took to fail. */
async function timedRejection(fn: () => PromiseLike<unknown>): Promise<{ error: DeadlineExceededError; took: number }> {
  const started = performance.now();
  const error = await rejection(fn());
  const took = performance.now() - started;
  expect(error, String(error)).toBeInstanceOf(DeadlineExceededError);
  return { error: error as DeadlineExceededError, took };
}

type Limits = { statement_timeout: string; lock_timeout: string; idle: string };
const SHOW = `select current_setting('statement_timeout') as statement_timeout, current_setting('lock_timeout') as lock_timeout,
  current_setting('idle_in_transaction_session_timeout') as idle`;

/** A GUC's displayed value ('0', '250ms', '2s', '1min') in ms. */
function millis(value: string): number {
  const match = /^(\d+)(ms|s|min)?$/.exec(value);
  if (!match) throw new Error(`unexpected setting value ${value}`);
  return Number(match[1]) * (match[2] === 's' ? 1000 : match[2] === 'min' ? 60_000 : 1);
}
const asMillis = (seen: Limits) => ({
  statement: millis(seen.statement_timeout),
  lock: millis(seen.lock_timeout),
  idle: millis(seen.idle),
});

/** Holds ACCESS EXCLUSIVE on `table` from a superuser connection until the returned function runs. */
async function lockTable(table: string): Promise<() => Promise<void>> {
  const holder = await superuser.connect();
  await holder.query('begin');
  await holder.query(`lock table ${table} in access exclusive mode`);
  return async () => {
    await holder.query('rollback');
    holder.release();
  };
}

describe('a deadline cuts the work that runs out of time', () => {
  it('a slow statement: kind statement, source deadline, in about the deadline (57014)', async () => {
    const prisma = client({ poolSize: 1 });
    const { error, took } = await timedRejection(() =>
      inA(400, () => prisma.$queryRawUnsafe('select pg_sleep(5)::text')),
    );
    expect(error).toMatchObject({ kind: 'statement', source: 'deadline', postgresCode: '57014', retryAfterSeconds: 1 });
    expect(error).toBeInstanceOf(DatabaseAvailabilityError);
    expect(error.limitMillis).toBeGreaterThan(200);
    expect(error.limitMillis).toBeLessThanOrEqual(400);
    expect(error.message).toMatch(/deadlineMs/);
    expect(took).toBeGreaterThanOrEqual(300);
    expect(took).toBeLessThan(400 + 1500);
    // The connection survives a cancelled statement.
    expect(await inA(undefined, () => prisma.project.count())).toBe(a.projectIds.length);
  });

  it('a lock wait (ACCESS EXCLUSIVE held by another session): kind lock, before the statement limit (55P03)', async () => {
    const prisma = client({ poolSize: 1 });
    const unlock = await lockTable('projects');
    let result: { error: DeadlineExceededError; took: number };
    try {
      result = await timedRejection(() => inA(500, () => prisma.project.findMany()));
    } finally {
      await unlock();
    }
    expect(result.error).toMatchObject({ kind: 'lock', source: 'deadline', postgresCode: '55P03' });
    // The lock wait gets slightly less than the statement, so the cause is named as the lock.
    expect(result.error.limitMillis).toBeLessThan(500);
    expect(result.error.limitMillis).toBeGreaterThan(250);
    expect(result.took).toBeGreaterThanOrEqual(300);
    expect(result.took).toBeLessThan(500 + 1500);
    expect(await inA(undefined, () => prisma.project.findMany())).toHaveLength(a.projectIds.length);
  });

  it('the wait for a pooled connection: kind pool-wait within the deadline; the held connection is not lost', async () => {
    const pool = new TenantPool({ connectionString: db.runtimeUrl, max: 1, connectionTimeoutMillis: 10_000 });
    const prisma = client({ pool });
    try {
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      let started!: () => void;
      const holding = new Promise<void>((resolve) => (started = resolve));
      // An interactive transaction holds the only connection.
      const holder = inA(undefined, () =>
        prisma.$transaction(
          async (tx) => {
            const before = await tx.project.count();
            started();
            await released;
            return before + (await tx.project.count());
          },
          { timeout: 15_000, maxWait: 5_000 },
        ),
      );
      await holding;
      expect(pool.totalCount).toBe(1);
      const { error, took } = await timedRejection(() => inA(300, () => prisma.project.count()));
      expect(error).toMatchObject({ kind: 'pool-wait', source: 'deadline', postgresCode: undefined });
      expect(error.limitMillis).toBeLessThanOrEqual(300);
      expect(error.limitMillis).toBeGreaterThan(200);
      expect(took).toBeGreaterThanOrEqual(200);
      // Well before connectionTimeoutMillis (10 s): the deadline decided.
      expect(took).toBeLessThan(300 + 1000);
      release();
      // The transaction that held the connection finishes normally on it.
      expect(await holder).toBe(2 * a.projectIds.length);
      // The abandoned checkout gave the connection straight back: nothing waits, nothing leaked.
      expect(await inA(300, () => prisma.project.count())).toBe(a.projectIds.length);
      expect(pool.totalCount).toBe(1);
      expect(pool.waitingCount).toBe(0);
      expect(pool.idleCount).toBe(1);
    } finally {
      await prisma.$disconnect();
      await pool.end();
    }
  });

  it('an already expired deadline: kind deadline, and nothing reaches the server', async () => {
    const prisma = client({ poolSize: 1 });
    const name = `expired-${randomUUID()}`;
    const insert = () =>
      prisma.$executeRaw`insert into projects (tenant_id, workspace_id, id, name, updated_at)
        values (${c.tenantId}::uuid, ${c.workspaceIds[0]}::uuid, gen_random_uuid(), ${name}, now())`;
    // Outside a transaction: refused at checkout.
    const outside = await rejection(
      inC(5, async () => {
        await sleep(25);
        return insert();
      }),
    );
    expect(outside).toBeInstanceOf(DeadlineExceededError);
    expect(outside).toMatchObject({ kind: 'deadline', source: 'deadline', limitMillis: 5, postgresCode: undefined });
    const create = await rejection(
      inC(5, async () => {
        await sleep(25);
        return prisma.project.create({ data: { name, workspaceId: c.workspaceIds[0] } });
      }),
    );
    expect(create).toMatchObject({ name: 'DeadlineExceededError', kind: 'deadline' });
    expect(await db.admin().project.count({ where: { name } })).toBe(0);

    // Inside a transaction, on a connection already checked out: refused before it is sent. Had
    // it reached Postgres, it would have been committed with the rest (or, failing there, aborted
    // the transaction so that the commit rolled back): the commit succeeds and only `before` exists.
    const before = `${name}-before`;
    const refused = await inC(10_000, () =>
      prisma.$transaction(async (tx) => {
        await tx.$executeRaw`insert into projects (tenant_id, workspace_id, id, name, updated_at)
          values (${c.tenantId}::uuid, ${c.workspaceIds[0]}::uuid, gen_random_uuid(), ${before}, now())`;
        return rejection(
          tenantContext.run({ tenantId: c.tenantId, deadlineMs: 1 }, async () => {
            await sleep(15);
            return tx.$executeRaw`insert into projects (tenant_id, workspace_id, id, name, updated_at)
            values (${c.tenantId}::uuid, ${c.workspaceIds[0]}::uuid, gen_random_uuid(), ${name}, now())`;
          }),
        );
      }),
    );
    expect(refused).toBeInstanceOf(DeadlineExceededError);
    expect(refused).toMatchObject({ kind: 'deadline', limitMillis: 1 });
    expect(await db.admin().project.count({ where: { name: before } })).toBe(1);
    expect(await db.admin().project.count({ where: { name } })).toBe(0);
    expect((refused as Error).message).not.toContain(c.tenantId);
    expect((refused as Error).message).not.toContain(name);
  });
});

describe('which limit applies', () => {
  it('a nested run shortens the deadline but never extends it', async () => {
    const prisma = client({ poolSize: 1 });
    // Longer inner deadline: the outer one still applies.
    const [extended] = await inA(800, () =>
      tenantContext.run({ ...ctxA(), deadlineMs: 60_000 }, () => prisma.$queryRawUnsafe<Limits[]>(SHOW)),
    );
    expect(millis(extended!.statement_timeout)).toBeLessThanOrEqual(800);
    expect(millis(extended!.statement_timeout)).toBeGreaterThan(500);
    // Shorter inner deadline: it applies, and the outer one again after it returns.
    const [inner, outer] = await inA(60_000, async () => {
      const shortened = await tenantContext.run({ ...ctxA(), deadlineMs: 700 }, () =>
        prisma.$queryRawUnsafe<Limits[]>(SHOW),
      );
      return [shortened[0]!, (await prisma.$queryRawUnsafe<Limits[]>(SHOW))[0]!];
    });
    expect(millis(inner.statement_timeout)).toBeLessThanOrEqual(700);
    expect(millis(outer.statement_timeout)).toBeGreaterThan(50_000);
    // A slow statement in a longer nested run fails at the outer deadline.
    const { error, took } = await timedRejection(() =>
      inA(300, () =>
        tenantContext.run({ ...ctxA(), deadlineMs: 60_000 }, () => prisma.$queryRawUnsafe('select pg_sleep(5)::text')),
      ),
    );
    expect(error).toMatchObject({ kind: 'statement', source: 'deadline' });
    expect(error.limitMillis).toBeLessThanOrEqual(300);
    expect(took).toBeLessThan(300 + 1500);
    // An expired outer deadline stays expired in a nested run with a fresh budget.
    const expired = await rejection(
      inA(5, async () => {
        await sleep(25);
        return tenantContext.run({ ...ctxA(), deadlineMs: 60_000 }, () => prisma.project.count());
      }),
    );
    expect(expired).toMatchObject({ name: 'DeadlineExceededError', kind: 'deadline', source: 'deadline' });
  });

  it("the client's option wins when it is shorter (source option, limitMillis the option), the deadline when it is", async () => {
    const prisma = client({ poolSize: 1, statementTimeoutMillis: 250, lockTimeoutMillis: 200 });
    const [seen] = await inA(30_000, () => prisma.$queryRawUnsafe<Limits[]>(SHOW));
    const limits = asMillis(seen!);
    expect(limits.statement).toBe(250);
    expect(limits.lock).toBe(200);
    // No idle option: the deadline caps it alone.
    expect(limits.idle).toBeGreaterThan(25_000);
    expect(limits.idle).toBeLessThanOrEqual(30_000);

    const statement = await timedRejection(() => inA(30_000, () => prisma.$queryRawUnsafe('select pg_sleep(5)::text')));
    expect(statement.error).toMatchObject({
      kind: 'statement',
      source: 'option',
      limitMillis: 250,
      postgresCode: '57014',
    });
    expect(statement.error.message).toMatch(/statementTimeoutMillis/);
    expect(statement.took).toBeLessThan(250 + 1500);

    const unlock = await lockTable('projects');
    try {
      const lock = await timedRejection(() => inA(30_000, () => prisma.project.count()));
      expect(lock.error).toMatchObject({ kind: 'lock', source: 'option', limitMillis: 200, postgresCode: '55P03' });
      // The deadline is shorter than the options now: it is named instead.
      const byDeadline = await timedRejection(() => inA(150, () => prisma.project.count()));
      expect(byDeadline.error).toMatchObject({ kind: 'lock', source: 'deadline', postgresCode: '55P03' });
      expect(byDeadline.error.limitMillis).toBeLessThan(150);
    } finally {
      await unlock();
    }
    const short = await timedRejection(() => inA(150, () => prisma.$queryRawUnsafe('select pg_sleep(5)::text')));
    expect(short.error).toMatchObject({ kind: 'statement', source: 'deadline' });
    expect(short.error.limitMillis).toBeLessThanOrEqual(150);
  });

  it('inside an interactive transaction every statement gets the time that is left', async () => {
    const prisma = client({ poolSize: 1 });
    const error = await rejection(
      inA(1500, () =>
        prisma.$transaction(
          async (tx) => {
            const first = asMillis((await tx.$queryRawUnsafe<Limits[]>(SHOW))[0]!);
            await tx.$queryRawUnsafe('select pg_sleep(0.4)::text');
            const second = asMillis((await tx.$queryRawUnsafe<Limits[]>(SHOW))[0]!);
            for (const limits of [first, second]) {
              expect(limits.lock).toBeLessThan(limits.statement);
              expect(limits.idle).toBe(limits.statement);
            }
            expect(first.statement).toBeLessThanOrEqual(1500);
            expect(first.statement).toBeGreaterThan(1000);
            expect(second.statement).toBeLessThanOrEqual(first.statement - 400);
            // The last statement is cut at what remains, well before its 5 s.
            await tx.$queryRawUnsafe('select pg_sleep(5)::text');
          },
          { timeout: 10_000 },
        ),
      ),
    );
    expect(error).toBeInstanceOf(DeadlineExceededError);
    expect(error).toMatchObject({ kind: 'statement', source: 'deadline', postgresCode: '57014' });
    expect((error as DeadlineExceededError).limitMillis).toBeLessThan(1100);
    expect(await inA(undefined, () => prisma.project.count())).toBe(a.projectIds.length);
  });

  it('a transaction left idle is cut by the server, and the error names the limit that was in force while it idled', async () => {
    // No idle option: the deadline alone set idle_in_transaction_session_timeout (the time left)
    // with the transaction's only statement. Postgres ends the idle session; the COMMIT reports it.
    const byDeadline = client({ poolSize: 1 });
    const cut = await rejection(
      inA(300, () =>
        byDeadline.$transaction(
          async (tx) => {
            await tx.project.count();
            await sleep(700);
          },
          { timeout: 10_000 },
        ),
      ),
    );
    expect(cut, String(cut)).toBeInstanceOf(DeadlineExceededError);
    expect(cut).toMatchObject({ kind: 'idle-in-transaction', postgresCode: '25P03' });
    expect(cut).toMatchObject({ source: 'deadline' });
    expect((cut as DeadlineExceededError).limitMillis).toBeLessThanOrEqual(300);
    expect((cut as Error).message).not.toMatch(/raise idleInTransactionTimeoutMillis/);
    expect(await inA(undefined, () => byDeadline.project.count())).toBe(a.projectIds.length);

    // The option (500 ms, shorter than the 1.5 s left) was in force while it idled; by the next
    // statement less than 500 ms are left, but that is not what cut it.
    const byOption = client({ poolSize: 1, idleInTransactionTimeoutMillis: 500 });
    const optionCut = await rejection(
      inA(1500, () =>
        byOption.$transaction(
          async (tx) => {
            await tx.project.count();
            await sleep(1100);
            await tx.project.count();
          },
          { timeout: 10_000 },
        ),
      ),
    );
    expect(optionCut, String(optionCut)).toBeInstanceOf(DeadlineExceededError);
    expect(optionCut).toMatchObject({
      kind: 'idle-in-transaction',
      postgresCode: '25P03',
      source: 'option',
      limitMillis: 500,
    });
  });

  it('nothing outlives the statement: a later statement without a deadline sees the server defaults', async () => {
    const prisma = client({ poolSize: 1 });
    const [baseline] = await inA(undefined, () => prisma.$queryRawUnsafe<Limits[]>(SHOW));
    const [during] = await inA(700, () => prisma.$queryRawUnsafe<Limits[]>(SHOW));
    await inA(700, () => prisma.$transaction(async (tx) => tx.$queryRawUnsafe(SHOW)));
    const [after] = await inA(undefined, () => prisma.$queryRawUnsafe<Limits[]>(SHOW));
    const [noContext] = await prisma.$queryRawUnsafe<Limits[]>(SHOW);
    expect(millis(during!.statement_timeout)).toBeLessThanOrEqual(700);
    expect(baseline).toEqual({ statement_timeout: '0', lock_timeout: '0', idle: '0' });
    expect(after).toEqual(baseline);
    expect(noContext).toEqual(baseline);
  });

  it.each<[string, unknown]>([
    ['0', 0],
    ['-1', -1],
    ['1.5', 1.5],
    ["'100'", '100'],
    ['NaN', Number.NaN],
    ['Infinity', Infinity],
    ['2^31', 2 ** 31],
  ])('deadlineMs %s is refused with InvalidTenantContextError naming deadlineMs', (_label, deadlineMs) => {
    let called = false;
    let error: unknown;
    try {
      tenantContext.run({ tenantId: a.tenantId, deadlineMs } as never, () => (called = true));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidTenantContextError);
    expect((error as InvalidTenantContextError).field).toBe('deadlineMs');
    expect((error as Error).message).toMatch(/deadlineMs is not a whole number of milliseconds above 0/);
    expect(called).toBe(false);
  });

  it('a transaction client used in a nested run that only adds deadlineMs is not a context mismatch, and the deadline applies', async () => {
    const prisma = client({ poolSize: 1 });
    const { rows, limits } = await inA(undefined, () =>
      prisma.$transaction(async (tx) =>
        tenantContext.run({ ...ctxA(), deadlineMs: 600 }, async () => ({
          rows: await tx.project.findMany(),
          limits: asMillis((await tx.$queryRawUnsafe<Limits[]>(SHOW))[0]!),
        })),
      ),
    );
    expect(rows).toHaveLength(a.projectIds.length);
    expect(foreignRows(rows, a.tenantId, 'tx.project.findMany in a nested deadline run')).toEqual([]);
    expect(limits.statement).toBeLessThanOrEqual(600);
    // A nested run for another tenant still is one.
    const mismatch = await rejection(
      inA(undefined, () =>
        prisma.$transaction(async (tx) =>
          tenantContext.run({ tenantId: b.tenantId, deadlineMs: 600 }, () => tx.$queryRawUnsafe('select 1')),
        ),
      ),
    );
    expect(mismatch).toBeInstanceOf(TenantContextMismatchError);
  });
});

describe('isolation under deadlines', () => {
  it("many tenants (more than the pool size) with short deadlines, some expiring: every row is the caller's, no-context reads none", async () => {
    const tenants = await seedTenants(db.admin(), ['d0', 'd1', 'd2', 'd3', 'd4', 'd5', 'd6', 'd7'], 1);
    const pool = new TenantPool({ connectionString: db.runtimeUrl, max: 3, connectionTimeoutMillis: 10_000 });
    const prisma = client({ pool });
    const deadlines = [3, 10, 25, 60, 150, 5_000];
    type Row = { tenantId: string; id: string };
    const ops: Array<(p: typeof prisma) => Promise<Row[]>> = [
      (p) => p.project.findMany(),
      (p) => p.task.findMany(),
      (p) =>
        p.$queryRawUnsafe<Row[]>(
          'select tenant_id::text as "tenantId", id::text as id, pg_sleep(0.01)::text from projects',
        ),
      (p) =>
        p.$transaction(async (tx) => [...(await tx.project.findMany()), ...(await tx.task.findMany())], {
          maxWait: 10_000,
          timeout: 10_000,
        }),
      (p) => p.$transaction([p.workspace.findMany(), p.project.findMany()]).then(([w, pr]) => [...w, ...pr]),
    ];
    const violations: string[] = [];
    const unexpected: string[] = [];
    const outcomes = { ok: 0, expired: 0, noContext: 0, longDeadlines: 0, longDeadlinesOk: 0 };
    const kinds = new Set<string>();
    try {
      await Promise.all(
        Array.from({ length: 150 }, async (_, i) => {
          // Staggered, so that deadlines expire at every stage: in the queue for a connection,
          // before a statement, during one, between the statements of a transaction.
          await sleep(i * 2);
          if (i % 10 === 9) {
            // No context: the extension refuses model reads, RLS returns no rows to raw SQL.
            const rows = await prisma.$queryRawUnsafe<Row[]>(
              'select tenant_id::text as "tenantId", id::text as id from projects',
            );
            if (rows.length) violations.push(`no-context raw read returned ${rows.length} rows`);
            await expect(prisma.project.findMany()).rejects.toThrow(MissingTenantContextError);
            outcomes.noContext++;
            return;
          }
          const tenant = tenants[i % tenants.length]!;
          const deadlineMs = deadlines[i % deadlines.length]!;
          const op = ops[Math.floor(i / deadlines.length) % ops.length]!;
          if (deadlineMs === 5_000) outcomes.longDeadlines++;
          try {
            const rows = await tenantContext.run({ tenantId: tenant.tenantId, deadlineMs }, () => op(prisma));
            violations.push(...foreignRows(rows, tenant.tenantId, `op ${i} (deadline ${deadlineMs} ms)`));
            if (rows.length === 0) violations.push(`op ${i} of ${tenant.label} returned no rows`);
            outcomes.ok++;
            if (deadlineMs === 5_000) outcomes.longDeadlinesOk++;
          } catch (error) {
            if (error instanceof DeadlineExceededError) {
              outcomes.expired++;
              kinds.add(error.kind);
              if (error.message.includes(tenant.tenantId)) violations.push(`op ${i}: error message names the tenant`);
            } else {
              unexpected.push(
                `op ${i} (deadline ${deadlineMs} ms): ${(error as Error).name}: ${(error as Error).message}`,
              );
            }
          }
        }),
      );
      expect(violations).toEqual([]);
      expect(unexpected).toEqual([]);
      // Both happened: work that ran out of time, and work with time enough that all finished
      // (150 short operations on 3 connections take well under 5 s).
      expect(outcomes.longDeadlines).toBe(20);
      expect(outcomes.longDeadlinesOk).toBe(outcomes.longDeadlines);
      expect(outcomes.expired).toBeGreaterThan(10);
      expect(outcomes.ok + outcomes.expired + outcomes.noContext).toBe(150);
      expect(outcomes.noContext).toBe(15);
      // idle-in-transaction: a transaction whose time ran out between two of its statements is
      // ended by the server (the idle limit is the time left, too); no-answer: a loaded server's
      // reply to a cancelled statement came later than the engine waits for it.
      const expected = ['pool-wait', 'deadline', 'statement', 'lock', 'idle-in-transaction', 'no-answer'];
      expect(
        [...kinds].every((k) => expected.includes(k)),
        [...kinds].join(),
      ).toBe(true);
      expect(kinds.has('pool-wait')).toBe(true);
      // Afterwards every tenant still reads exactly its own rows, and the pool is whole.
      for (const tenant of tenants) {
        const rows = await tenantContext.run({ tenantId: tenant.tenantId, deadlineMs: 5_000 }, () =>
          prisma.project.findMany(),
        );
        expect(rows.map((r) => r.id).sort()).toEqual([...tenant.projectIds].sort());
      }
      expect(pool.totalCount).toBeLessThanOrEqual(3);
      expect(pool.waitingCount).toBe(0);
    } finally {
      await prisma.$disconnect();
      await pool.end();
    }
  });
});
