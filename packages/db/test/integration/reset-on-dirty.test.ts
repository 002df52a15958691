/**
 * The reset that a clean session skips (ResetPolicy 'when-dirty', tenant-query.ts): with pooler
 * 'none' (direct) and 'session' (PgBouncer session mode) a pipeline sends `DISCARD ALL` only when
 * its session may hold state. These tests attack exactly that decision: state left by every way a
 * statement can reach the pool other than a plain model operation (raw SQL, a raw statement in an
 * interactive or a batch transaction, the pool used by hand, raw SQL that waits for the connection
 * while a model operation holds it) must be gone for the next MODEL operation of another tenant,
 * the statement that skips the reset when the session is clean. On all three routes, each with the
 * pooler it really has (test-database.ts); one connection, so the next request meets the dirtied
 * session. The state left is a temp table named like a tenant table (pg_temp comes first in the
 * search path, so B's unqualified raw SQL would read A's copy; Prisma's own queries name the schema)
 * and a session `default_transaction_read_only` (B's next model write would fail with 25006).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { TenantPool, createTenantPrismaClient, tenantContext, type TenantPrismaClient } from '../../src/index.js';
import { useTestDatabase, type TestDatabase } from '../support/test-database.js';
import { foreignRows, seedTenants, type SeededTenant } from '../support/fixtures.js';

let db: TestDatabase;
let a: SeededTenant;
let b: SeededTenant;
let prisma: TenantPrismaClient;

beforeAll(async () => {
  db = await useTestDatabase();
  [a, b] = await seedTenants(db.admin(), ['alpha', 'bravo']);
  // The runtime role has no TEMPORARY privilege (the migrations revoke it); granted here, in this
  // file's own database, so that raw SQL CAN leave the most dangerous state there is.
  await db.pgPool('superuser', { max: 1 }).query(`grant temporary on database "${db.name}" to tenantry_app`);
  prisma = db.client({ poolSize: 1 });
});

const inA = <R>(fn: () => Promise<R>) => tenantContext.run({ tenantId: a.tenantId }, fn);
const inB = <R>(fn: () => Promise<R>) => tenantContext.run({ tenantId: b.tenantId }, fn);

/**
 * A's copy of every project it can see, as a temp table that shadows `projects`, renamed to say so,
 * and the session made read-only by default. One statement (a DO block), as raw SQL can send it.
 */
const SHADOW = `do $$ begin
  create temp table if not exists projects as
    select tenant_id, workspace_id, id, 'shadow ' || name as name, created_at, updated_at, deleted_at from public.projects;
  perform set_config('default_transaction_read_only', 'on', false);
end $$`;

let writes = 0;
/** B's model write must succeed (no read-only session) and land in the real table. */
async function expectWritable(label: string): Promise<void> {
  const name = `bravo write ${++writes}`;
  const created = await inB(() => prisma.project.create({ data: { workspaceId: b.workspaceIds[0]!, name } }));
  const stored = await db
    .admin()
    .project.findUnique({ where: { tenantId_id: { tenantId: b.tenantId, id: created.id } } });
  expect(stored?.name, label).toBe(name);
  await inB(() => prisma.$executeRaw`delete from projects where id = ${created.id}::uuid`);
}

/** B's model read must be B's real projects: none of A's, none renamed by the shadow. */
async function expectCleanModelRead(label: string): Promise<void> {
  const rows = await inB(() => prisma.project.findMany());
  expect(foreignRows(rows, b.tenantId, label)).toEqual([]);
  expect(
    rows.map((r) => r.name).filter((n) => n.startsWith('shadow ')),
    label,
  ).toEqual([]);
  expect(rows.length, label).toBe(b.projectIds.length);
  const one = await inB(() =>
    prisma.project.findUnique({ where: { tenantId_id: { tenantId: b.tenantId, id: b.projectIds[0]! } } }),
  );
  expect(one?.name.startsWith('shadow '), `${label}: findUnique`).toBe(false);
  await expectWritable(label);
}

/** Nothing of the shadow is left on the session (probed by raw SQL after B's model read). */
async function expectNoShadow(label: string): Promise<void> {
  const [seen] = await inB(() =>
    prisma.$queryRawUnsafe<Array<{ temp: boolean }>>(
      "select exists (select 1 from pg_class where relname = 'projects' and relpersistence = 't') as temp",
    ),
  );
  expect(seen?.temp, `${label}: a temp "projects" survived`).toBe(false);
}

describe('a session that may hold state is reset before the next model operation', () => {
  it('model operations alone keep working across tenants (the path that skips the reset)', async () => {
    for (let i = 0; i < 5; i++) {
      await expectCleanModelRead(`model read ${i}`);
      const mine = await inA(() => prisma.project.findMany());
      expect(foreignRows(mine, a.tenantId, `A's model read ${i}`)).toEqual([]);
      expect(mine.length).toBe(a.projectIds.length);
    }
  });

  it('raw SQL of A, then a model read of B', async () => {
    await expectCleanModelRead('before');
    await inA(() => prisma.$executeRawUnsafe(SHADOW));
    await expectCleanModelRead('after raw SQL');
    await expectNoShadow('after raw SQL');
  });

  it('raw SQL inside an interactive transaction of A, then a model read of B', async () => {
    await inA(() =>
      prisma.$transaction(async (tx) => {
        await tx.project.findMany();
        await tx.$executeRawUnsafe(SHADOW);
        await tx.project.count();
      }),
    );
    await expectCleanModelRead('after an interactive transaction');
    await expectNoShadow('after an interactive transaction');
  });

  it('raw SQL in a batch transaction next to model operations, then a model read of B', async () => {
    for (const order of ['raw first', 'raw last'] as const) {
      await inA(async () => {
        if (order === 'raw first')
          await prisma.$transaction([prisma.$executeRawUnsafe(SHADOW), prisma.project.findMany()]);
        else
          await prisma.$transaction([
            prisma.project.findMany(),
            prisma.project.count(),
            prisma.$executeRawUnsafe(SHADOW),
          ]);
      });
      await expectCleanModelRead(`after a batch transaction, ${order}`);
      await expectNoShadow(`after a batch transaction, ${order}`);
    }
  });

  it('a session SET inside a transaction that commits (search_path to the shadow), then a model read of B', async () => {
    await inA(() =>
      prisma.$transaction(async (tx) => {
        await tx.$executeRawUnsafe(SHADOW);
        await tx.$executeRawUnsafe("select set_config('search_path', 'pg_temp, public', false)");
      }),
    );
    await expectCleanModelRead('after a session search_path set in a transaction');
    const [path] = await inB(() =>
      prisma.$queryRawUnsafe<Array<{ path: string }>>("select current_setting('search_path') as path"),
    );
    expect(path?.path).not.toContain('pg_temp,');
  });

  it('raw SQL waiting for the one connection while model operations of B hold it', async () => {
    // pg-pool hands the connection to a waiter from inside the releasing request: the waiter's raw
    // statement must still count as raw, and the model reads queued behind it must still reset.
    const results = await Promise.all([
      inB(() => prisma.project.findMany()),
      inA(() => prisma.$executeRawUnsafe(SHADOW)),
      inB(() => prisma.project.findMany()),
      inB(() => prisma.project.findMany()),
      inA(() => prisma.$executeRawUnsafe(SHADOW)),
      inB(() => prisma.project.findMany()),
    ]);
    for (const [i, rows] of results.entries()) {
      if (!Array.isArray(rows)) continue;
      expect(foreignRows(rows, b.tenantId, `concurrent model read ${i}`)).toEqual([]);
      expect(rows.filter((r) => r.name.startsWith('shadow ')).length, `concurrent model read ${i}`).toBe(0);
      expect(rows.length).toBe(b.projectIds.length);
    }
    await expectCleanModelRead('after the concurrent mix');
  });

  it('a pool used by hand (pool.query, a checked-out client) leaves nothing for the model operations on it', async () => {
    const pooler = db.route === 'direct' ? 'none' : db.route === 'pgbouncer-session' ? 'session' : 'transaction';
    const pool = new TenantPool({ connectionString: db.runtimeUrl, max: 1, pooler });
    const own = createTenantPrismaClient({ pool });
    try {
      const read = async () => {
        // A model write first: it fails (25006) on a session left read-only.
        const made = await inB(() =>
          own.project.create({ data: { workspaceId: b.workspaceIds[0]!, name: 'bravo by hand' } }),
        );
        await inB(() => own.project.deleteMany({ where: { id: made.id } }));
        return inB(() => own.project.findMany());
      };
      expect((await read()).length).toBe(b.projectIds.length);
      await inA(() => pool.query(SHADOW));
      let rows = await read();
      expect(foreignRows(rows, b.tenantId, 'after pool.query')).toEqual([]);
      expect(rows.filter((r) => r.name.startsWith('shadow ')).length).toBe(0);
      const client = await inA(() => pool.connect());
      try {
        await inA(() => client.query(SHADOW));
      } finally {
        client.release();
      }
      rows = await read();
      expect(foreignRows(rows, b.tenantId, 'after a checked-out client')).toEqual([]);
      expect(rows.filter((r) => r.name.startsWith('shadow ')).length).toBe(0);
      expect(rows.length).toBe(b.projectIds.length);
    } finally {
      await own.$disconnect();
      if (!pool.ending) await pool.end();
    }
  });

  it('a model write of B after raw SQL of A lands in the real table', async () => {
    await inA(() => prisma.$executeRawUnsafe(SHADOW));
    const created = await inB(() =>
      prisma.project.create({ data: { workspaceId: b.workspaceIds[0]!, name: 'bravo after shadow' } }),
    );
    const stored = await db.admin().project.findUnique({
      where: { tenantId_id: { tenantId: b.tenantId, id: created.id } },
    });
    expect(stored?.name).toBe('bravo after shadow');
    await expectNoShadow('after a model write');
    await inB(() => prisma.project.deleteMany({ where: { id: created.id } }));
  });
});

/**
 * After A's listener ran SHADOW on `client`'s one connection: B's model read has B's `before` rows,
 * B's model write succeeds (it fails with 25006 on a session left read-only), and no temp
 * "projects" is left on the session (probed by raw SQL last).
 */
async function expectBravoUnaffected(client: TenantPrismaClient, before: number, label: string): Promise<void> {
  const rows = await inB(() => client.project.findMany());
  expect(foreignRows(rows, b.tenantId, label)).toEqual([]);
  expect(rows.length, label).toBe(before);
  const made = await inB(() =>
    client.project.create({ data: { workspaceId: b.workspaceIds[0]!, name: `bravo ${label}` } }),
  );
  await inB(() => client.project.deleteMany({ where: { id: made.id } }));
  const [seen] = await inB(() =>
    client.$queryRawUnsafe<Array<{ temp: boolean }>>(
      "select exists (select 1 from pg_class where relname = 'projects' and relpersistence = 't') as temp",
    ),
  );
  expect(seen?.temp, `${label}: a temp "projects" survived`).toBe(false);
}

describe('user code that Prisma runs inside a model operation does not inherit its mark', () => {
  it("raw SQL from a query-event listener ($on('query')) during A's model read, then a model read of B", async () => {
    const listening = db.client({ poolSize: 1, log: [{ emit: 'event', level: 'query' }] });
    let fired = 0;
    const pending: Array<Promise<unknown>> = [];
    (listening as unknown as { $on(e: 'query', cb: () => void): void }).$on('query', () => {
      // The listener runs while the model operation's statement is being reported, in its async
      // context; whatever it sends is raw SQL and must leave the session dirty.
      if (fired++ > 0) return;
      // Prisma's promises are lazy: then() here, so that it runs now, in the listener's context.
      pending.push(listening.$executeRawUnsafe(SHADOW).then((n) => n));
    });
    const before = (await inB(() => prisma.project.findMany())).length;
    await inA(() => listening.project.findMany());
    await Promise.all(pending);
    expect(fired).toBeGreaterThan(0);
    await expectBravoUnaffected(listening, before, 'after a listener ran raw SQL');
  });

  it("SQL sent by hand on the client's own pool from a query-event listener, then a model read of B", async () => {
    const pooler = db.route === 'direct' ? 'none' : db.route === 'pgbouncer-session' ? 'session' : 'transaction';
    const pool = new TenantPool({ connectionString: db.runtimeUrl, max: 1, pooler });
    const own = createTenantPrismaClient({ pool, log: [{ emit: 'event', level: 'query' }] });
    try {
      let armed = false;
      const pending: Array<Promise<unknown>> = [];
      (own as unknown as { $on(e: 'query', cb: () => void): void }).$on('query', () => {
        if (!armed) return;
        armed = false;
        pending.push(
          pool.query(SHADOW),
          pool.connect().then((c) => c.query(SHADOW).finally(() => c.release())),
        );
      });
      const before = (await inB(() => own.project.findMany())).length;
      armed = true;
      await inA(() => own.project.findMany());
      expect(pending).toHaveLength(2);
      await Promise.all(pending);
      await expectBravoUnaffected(own, before, 'after a listener used the pool');
    } finally {
      await own.$disconnect();
      if (!pool.ending) await pool.end();
    }
  });

  it('raw SQL started in the same tick as model operations of an interactive transaction (one batch), then a model read of B', async () => {
    // Prisma batches a transaction's requests of one tick and runs them from one callback, in the
    // first request's async context: the raw one must not run under the model operations' mark.
    for (const order of ['model first', 'raw first'] as const) {
      await inA(() =>
        prisma.$transaction(async (tx) => {
          await tx.project.count();
          if (order === 'model first')
            await Promise.all([tx.project.findMany(), tx.$executeRawUnsafe(SHADOW), tx.project.count()]);
          else await Promise.all([tx.$executeRawUnsafe(SHADOW), tx.project.findMany()]);
        }),
      );
      await expectCleanModelRead(`after ${order}`);
      await expectNoShadow(`after ${order}`);
    }
  });
});
