/**
 * I4 for what a session can HOLD: raw SQL of one request leaves session state on its connection
 * (temp tables, WITH HOLD cursors, prepared statements, session SETs, LISTEN, advisory locks), and
 * the next request on that server connection, of another tenant or of no tenant, inherits none of
 * it. On all three routes; behind PgBouncer the server connection is the one that matters, so each
 * case records the backend pid and requires that the probe really ran on the dirtied backend.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { TenantPool, tenantContext, type TenantPrismaClient } from '../../src/index.js';
import { useTestDatabase, type TestDatabase } from '../support/test-database.js';
import { foreignRows, seedTenants, type SeededTenant } from '../support/fixtures.js';
import { postgresCode } from '../support/errors.js';

let db: TestDatabase;
let a: SeededTenant;
let b: SeededTenant;
let prisma: TenantPrismaClient;

beforeAll(async () => {
  db = await useTestDatabase();
  [a, b] = await seedTenants(db.admin(), ['alpha', 'bravo']);
  // The runtime role has no TEMPORARY privilege (the migrations revoke it; database-privileges
  // tests prove that). Granted here, in this file's own database only, to prove the second line of
  // defence: even a role that CAN create temp objects cannot hand them to the next request.
  const su = db.pgPool('superuser', { max: 1 });
  await su.query(`grant temporary on database "${db.name}" to tenantry_app`);
  // One connection, so the next request runs on the connection the previous one dirtied.
  prisma = db.client({ poolSize: 1 });
});

const inA = <R>(fn: () => Promise<R>) => tenantContext.run({ tenantId: a.tenantId }, fn);
const inB = <R>(fn: () => Promise<R>) => tenantContext.run({ tenantId: b.tenantId }, fn);
const pid = async (): Promise<number> =>
  (await prisma.$queryRaw<Array<{ pid: number }>>`select pg_backend_pid() as pid`)[0]!.pid;

/**
 * Leaves state with `leave` (in A), then probes in B and with no context. Repeats a few times so
 * that behind a transaction-mode pooler at least one probe lands on the backend that was dirtied;
 * fails if none did (the test would prove nothing) or if any probe inherited something.
 */
async function leaveThenProbe(
  leave: () => Promise<unknown>,
  probe: (who: 'B' | 'no context') => Promise<number | void>,
): Promise<void> {
  let sameBackend = 0;
  for (let i = 0; i < 4; i++) {
    const dirtied = await inA(async () => {
      await leave();
      return pid();
    });
    for (const [who, run] of [
      ['B', inB],
      ['no context', (fn: () => Promise<unknown>) => fn()],
    ] as const) {
      // The probe's own first statement reports its backend when it can (a failing statement
      // costs the connection on the direct route: pg-pool destroys a client released with an error).
      const ran = await run(async () => (await probe(who)) ?? pid());
      if (ran === dirtied) sameBackend++;
    }
  }
  expect(sameBackend, 'probes that ran on the backend the leave() dirtied').toBeGreaterThan(0);
}

async function failureCode(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    return postgresCode(error) ?? (error as Error).name;
  }
}

describe('session state left by raw SQL does not reach the next request', () => {
  it('a temp table (report) created by A is gone for B and for no context', async () => {
    await leaveThenProbe(
      () =>
        prisma.$executeRawUnsafe('create temp table if not exists report as select id, tenant_id, name from projects'),
      async (who) => {
        const [seen] = await prisma.$queryRawUnsafe<Array<{ pid: number; visible: boolean }>>(
          "select pg_backend_pid() as pid, to_regclass('report') is not null as visible",
        );
        expect(seen!.visible, `${who} sees A's temp table`).toBe(false);
        expect(await failureCode(prisma.$queryRawUnsafe('select * from report')), `${who} read A's temp table`).toBe(
          '42P01',
        );
        return seen!.pid;
      },
    );
  });

  it('a temp table named like a tenant table cannot shadow it for B (reads and writes hit the real table)', async () => {
    await leaveThenProbe(
      () => prisma.$executeRawUnsafe('create temp table if not exists projects as select * from public.projects'),
      async (who) => {
        if (who === 'no context') {
          const rows = await prisma.$queryRawUnsafe<Array<{ n: number }>>('select count(*)::int as n from projects');
          expect(rows[0]!.n, 'no-context rows through a shadowing temp table').toBe(0);
          return;
        }
        const rows = await prisma.$queryRawUnsafe<Array<{ tenantId: string; id: string }>>(
          'select tenant_id::text as "tenantId", id::text as id from projects',
        );
        expect(foreignRows(rows, b.tenantId, 'unqualified projects after A made a temp "projects"')).toEqual([]);
        expect(rows.length).toBe(b.projectIds.length);
      },
    );
    // A write by B through unqualified raw SQL lands in the real table, where the admin sees it.
    await inA(() =>
      prisma.$executeRawUnsafe('create temp table if not exists projects as select * from public.projects'),
    );
    const renamed = await inB(() => prisma.$executeRawUnsafe(`update projects set name = name || ' [b-write]'`));
    expect(renamed).toBe(b.projectIds.length);
    expect(await db.admin().project.count({ where: { tenantId: b.tenantId, name: { endsWith: '[b-write]' } } })).toBe(
      b.projectIds.length,
    );
  });

  it('a WITH HOLD cursor over A rows cannot be fetched by B or no context', async () => {
    await leaveThenProbe(
      () => prisma.$executeRawUnsafe('declare leak cursor with hold for select id, tenant_id from projects'),
      async (who) => {
        const [seen] = await prisma.$queryRawUnsafe<Array<{ pid: number; held: number }>>(
          'select pg_backend_pid() as pid, (select count(*)::int from pg_cursors where is_holdable) as held',
        );
        expect(seen!.held, `${who} sees a holdable cursor`).toBe(0);
        expect(await failureCode(prisma.$queryRawUnsafe('fetch all from leak')), `${who} fetched A's cursor`).toBe(
          '34000',
        );
        return seen!.pid;
      },
    );
  });

  it('a DO block that PREPAREs a statement named like the settings statement changes nothing later', async () => {
    const poison = `do $$ begin
        execute 'deallocate all';
        execute 'prepare tenantry_set_config_3(text, text, text, text, text, text) as '
          || 'select set_config(''app.tenant_id'', ''${a.tenantId}'', false), set_config($3, $4, true), set_config($5, $6, true)';
        perform set_config('app.tenant_id', '${a.tenantId}', false);
      end $$`;
    await leaveThenProbe(
      () => prisma.$executeRawUnsafe(poison),
      async (who) => {
        const statements = await prisma.$queryRawUnsafe<unknown[]>('select name from pg_prepared_statements');
        expect(statements, `${who} inherited a prepared statement`).toEqual([]);
        const rows = await prisma.$queryRawUnsafe<Array<{ tenantId: string; id: string }>>(
          'select tenant_id::text as "tenantId", id::text as id from projects',
        );
        if (who === 'no context') expect(rows, 'no-context rows after the poisoning DO block').toEqual([]);
        else {
          expect(foreignRows(rows, b.tenantId, 'projects after A poisoned the prepared settings')).toEqual([]);
          expect(rows.length).toBe(b.projectIds.length);
        }
        // Model queries too.
        if (who === 'B') {
          const models = await prisma.project.findMany();
          expect(models.map((p) => p.tenantId)).toEqual(models.map(() => b.tenantId));
          expect(models.length).toBe(b.projectIds.length);
        }
      },
    );
  });

  it('session SETs (search_path, row_security, read only, statement_timeout) do not change the next request', async () => {
    const sets = [
      'set search_path = pg_catalog',
      'set row_security = off',
      'set default_transaction_read_only = on',
      'set statement_timeout = 50',
      "set lock_timeout = '1ms'",
      "select set_config('search_path', 'pg_catalog', false)",
    ];
    for (const statement of sets) {
      await leaveThenProbe(
        // row_security = off makes the SET itself fine and later RLS-filtered queries fail (42501).
        () => prisma.$executeRawUnsafe(statement),
        async (who) => {
          const [s] = await prisma.$queryRawUnsafe<Array<Record<string, string>>>(
            `select current_setting('search_path') as search_path, current_setting('row_security') as row_security,
                    current_setting('transaction_read_only') as read_only, current_setting('statement_timeout') as statement_timeout,
                    current_setting('lock_timeout') as lock_timeout, current_user::text as "user"`,
          );
          expect(s, `${who} after "${statement}"`).toEqual({
            search_path: '"$user", public',
            row_security: 'on',
            read_only: 'off',
            statement_timeout: '0',
            lock_timeout: '0',
            user: 'tenantry_app',
          });
          // Unqualified names resolve, writes work, a slow statement is not cut.
          await prisma.$queryRawUnsafe('select pg_sleep(0.08)::text, count(*)::int from projects');
          if (who === 'B') {
            const ws = await prisma.workspace.create({ data: { name: `after ${statement} ${Math.random()}` } });
            expect(ws.tenantId).toBe(b.tenantId);
          }
        },
      );
    }
  });

  it('after a session SET, the very next request of B may be a write, raw or model (no read first)', async () => {
    const sets = [
      'set default_transaction_read_only = on',
      'set session characteristics as transaction read only',
      'set search_path = pg_catalog',
      'set statement_timeout = 50',
    ];
    for (const statement of sets) {
      const writes: Array<() => Promise<unknown>> = [
        () => prisma.workspace.create({ data: { name: `first write after ${statement} ${Math.random()}` } }),
        () =>
          prisma.$executeRawUnsafe(
            `insert into workspaces (id, name) values (gen_random_uuid(), 'raw after ${statement} ' || random())`,
          ),
        () => prisma.$executeRawUnsafe('update projects set name = name where pg_sleep(0.06) is not null'),
      ];
      for (const write of writes) {
        await inA(() => prisma.$executeRawUnsafe(statement));
        await expect(inB(write), `B's first write after A ran "${statement}"`).resolves.toBeDefined();
      }
    }
  });

  it('a session statement_timeout short enough to cancel the next request own reset does not fail that request', async () => {
    // 2,000 WITH HOLD cursors make the next DISCARD ALL take well over 1 ms, so the 1 ms timeout A
    // leaves fires inside the next pipeline's reset every time (on a busy machine even an empty
    // session's reset can outlast it). Nothing of B's ran then: the engine must clear the timeout
    // and run B's statement again, not hand B a 57014 caused by A.
    const poison = `do $$ begin
      for i in 1..2000 loop execute pg_catalog.format('declare poison_%s cursor with hold for select %s', i, i); end loop;
      set statement_timeout = 1;
    end $$`;
    const requests: Array<[string, () => Promise<unknown>]> = [
      ['a model read', () => prisma.project.findMany()],
      ['a raw read', () => prisma.$queryRawUnsafe('select count(*)::int as n from projects')],
      ['a model write', () => prisma.workspace.create({ data: { name: `after poison ${Math.random()}` } })],
      [
        'an interactive transaction',
        () =>
          prisma.$transaction(async (tx) => {
            const ws = await tx.workspace.create({ data: { name: `tx after poison ${Math.random()}` } });
            return tx.workspace.findUniqueOrThrow({ where: { tenantId_id: { tenantId: ws.tenantId, id: ws.id } } });
          }),
      ],
    ];
    for (const [what, request] of requests) {
      await leaveThenProbe(
        () => prisma.$executeRawUnsafe(poison),
        async (who) => {
          const code = await failureCode(who === 'B' ? request() : prisma.project.findMany());
          expect(code, `${who}: ${what} after A left a 1 ms statement_timeout`).toBe(
            who === 'B' ? undefined : 'MissingTenantContextError',
          );
          const [s] = await prisma.$queryRawUnsafe<Array<{ timeout: string; cursors: number; pid: number }>>(
            `select current_setting('statement_timeout') as timeout,
                    (select count(*)::int from pg_cursors where name like 'poison%') as cursors, pg_backend_pid() as pid`,
          );
          expect({ timeout: s!.timeout, cursors: s!.cursors }, `${who} inherited A's session`).toEqual({
            timeout: '0',
            cursors: 0,
          });
          return s!.pid;
        },
      );
    }
  });

  it('LISTEN and session advisory locks are released before the next request runs', async () => {
    const observer = db.pgPool('superuser', { max: 1 });
    await leaveThenProbe(
      () =>
        prisma
          .$queryRawUnsafe('select pg_advisory_lock(4242)::text')
          .then(() => prisma.$executeRawUnsafe('listen tenant_alpha_events')),
      async (who) => {
        const [state] = await prisma.$queryRawUnsafe<Array<{ channels: number; locks: number }>>(
          `select (select count(*)::int from pg_listening_channels()) as channels,
                  (select count(*)::int from pg_locks where locktype = 'advisory' and pid = pg_backend_pid()) as locks`,
        );
        expect(state, `${who} inherited LISTEN or an advisory lock`).toEqual({ channels: 0, locks: 0 });
        // And the lock is free for everyone else once the dirtied connection served a request.
        const { rows } = await observer.query('select pg_try_advisory_lock(4242) as got');
        if (rows[0].got) await observer.query('select pg_advisory_unlock(4242)');
      },
    );
  });
});

describe('a connection given back inside a transaction is not handed out again', () => {
  it('BEGIN without COMMIT: the next request runs on a fresh session and A locks are gone', async () => {
    const pool = new TenantPool({ connectionString: db.runtimeUrl, max: 1 });
    try {
      const client = await inA(() => pool.connect());
      await client.query('begin');
      await client.query('update projects set name = name');
      client.release();
      const { rows } = await inB(() =>
        pool.query(`select txid_current_if_assigned()::text as xid, current_setting('app.tenant_id') as tenant,
                           (select count(*)::int from projects) as projects`),
      );
      expect(rows[0], "B's statement ran inside A's open transaction").toEqual({
        xid: null,
        tenant: b.tenantId,
        projects: b.projectIds.length,
      });
      // A's row locks went with its session: another connection can lock the same rows at once.
      const admin = db.pgPool('superuser', { max: 1 });
      const c = await admin.connect();
      try {
        await c.query("set lock_timeout = '2s'");
        const locked = await c.query('update projects set name = name where tenant_id = $1', [a.tenantId]);
        expect(locked.rowCount).toBe(a.projectIds.length);
      } finally {
        c.release();
      }
      // Through Prisma too: a raw BEGIN leaves nothing open for the next request.
      await inA(() => prisma.$executeRawUnsafe('begin'));
      const [next] = await inB(
        () => prisma.$queryRaw<Array<{ xid: string | null; tenant: string }>>`
        select txid_current_if_assigned()::text as xid, current_setting('app.tenant_id') as tenant`,
      );
      expect(next).toEqual({ xid: null, tenant: b.tenantId });
    } finally {
      await pool.end();
    }
  });
});

describe('the prepared settings statement (pooler none and session: prepared once on a clean session)', () => {
  const replaceWith = (tenantId: string) => `do $$ begin
      begin execute 'deallocate tenantry_set_config_3'; exception when invalid_sql_statement_name then null; end;
      execute 'prepare tenantry_set_config_3(text, text, text, text, text, text) as '
        || 'select set_config($1, ''${tenantId}'', true), set_config($3, $4, true), set_config($5, $6, true)';
    end $$`;

  it('is prepared by model operations on a clean session and bound after; never behind a transaction-mode pooler', async () => {
    // Model operations only (plus the raw probe itself, which comes last and sees what was there).
    for (let i = 0; i < 3; i++) expect(await inA(() => prisma.project.count())).toBe(a.projectIds.length);
    const statements = await inA(() =>
      prisma.$queryRawUnsafe<Array<{ name: string; from_sql: boolean }>>(
        'select name, from_sql from pg_prepared_statements order by name',
      ),
    );
    if (db.route === 'pgbouncer-transaction') expect(statements).toEqual([]);
    else expect(statements).toEqual([{ name: 'tenantry_set_config_3', from_sql: false }]);
    // That probe was raw SQL: the next request starts from a reset, and nothing of it is left.
    const after = await inB(() => prisma.$queryRawUnsafe<unknown[]>('select name from pg_prepared_statements'));
    expect(after).toEqual([]);
  });

  it('an interactive or batch transaction of model operations alone keeps the session clean (no reset after it)', async () => {
    for (let i = 0; i < 2; i++) await inA(() => prisma.project.count());
    const inTx = await inA(() =>
      prisma.$transaction(async (tx) => {
        const rows = await tx.project.findMany();
        const made = await tx.project.create({ data: { workspaceId: a.workspaceIds[0]!, name: 'alpha in tx' } });
        await tx.project.deleteMany({ where: { id: made.id } });
        return rows;
      }),
    );
    expect(foreignRows(inTx, a.tenantId, 'interactive transaction')).toEqual([]);
    await inA(() => prisma.$transaction([prisma.project.count(), prisma.project.findMany()]));
    // The raw probe comes last: had anything reset the session since the model operations
    // prepared the settings statement, it would be gone.
    const statements = await inA(() =>
      prisma.$queryRawUnsafe<Array<{ name: string }>>('select name from pg_prepared_statements order by name'),
    );
    if (db.route === 'pgbouncer-transaction') expect(statements).toEqual([]);
    else expect(statements.map((s) => s.name)).toEqual(['tenantry_set_config_3']);
    const after = await inB(() => prisma.$queryRawUnsafe<unknown[]>('select name from pg_prepared_statements'));
    expect(after).toEqual([]);
    // deleteMany soft-deletes; the row goes for good here, so that the later tests count as before.
    await db.pgPool('superuser', { max: 1 }).query("delete from projects where name = 'alpha in tx'");
  });

  it("replaced from SQL inside a transaction, the transaction's later statements do not use it", async () => {
    for (let i = 0; i < 2; i++) await inA(() => prisma.project.count());
    const seen = await inA(() =>
      prisma.$transaction(async (tx) => {
        const first = await tx.project.findMany();
        // A replacement that would set ANOTHER tenant (B) for every statement that binds it.
        await tx.$executeRawUnsafe(replaceWith(b.tenantId));
        const models = await tx.project.findMany();
        const raw = await tx.$queryRawUnsafe<Array<{ tenantId: string }>>(
          `select tenant_id::text as "tenantId", current_setting('app.tenant_id') as setting from projects`,
        );
        return { first, models, raw };
      }),
    );
    expect(seen.first.map((p) => p.tenantId)).toEqual(a.projectIds.map(() => a.tenantId));
    expect(seen.models.map((p) => p.tenantId)).toEqual(a.projectIds.map(() => a.tenantId));
    expect(foreignRows(seen.raw, a.tenantId, 'raw read after the replacement')).toEqual([]);
    expect(seen.raw).toHaveLength(a.projectIds.length);
    // After the transaction: B's and no-context requests do not run the replacement either.
    const bRows = await inB(() => prisma.project.findMany());
    expect(bRows.map((p) => p.tenantId)).toEqual(b.projectIds.map(() => b.tenantId));
    const none = await prisma.$queryRawUnsafe<unknown[]>('select id from projects');
    expect(none).toEqual([]);
  });

  it('DEALLOCATE ALL inside a transaction takes nothing the next statements need', async () => {
    for (let i = 0; i < 2; i++) await inA(() => prisma.project.count());
    const counts = await inA(() =>
      prisma.$transaction(async (tx) => {
        const before = await tx.project.count();
        await tx.$executeRawUnsafe('deallocate all');
        const after = await tx.project.count();
        return [before, after];
      }),
    );
    expect(counts).toEqual([a.projectIds.length, a.projectIds.length]);
    // And outside one, on the same (now reset) connection, the statement is prepared again.
    for (let i = 0; i < 2; i++) expect(await inA(() => prisma.project.count())).toBe(a.projectIds.length);
  });
});

describe('a session statement_timeout left behind a slow reset, by several clients at once', () => {
  it("never fails another tenant's next operation, on any route (behind a transaction-mode pooler the retry may meet another dirty session)", async () => {
    // 500 holdable cursors make the next reset outlast the 1 ms timer; three workers on three
    // connections keep leaving it, and after each, tenant B runs a transaction.
    const slowReset = `do $$ begin
        for i in 1..500 loop execute pg_catalog.format('declare slow_reset_%s cursor with hold for select %s', i, i); end loop;
        set statement_timeout = 1;
      end $$`;
    const several = db.client({ poolSize: 3 });
    const failures: string[] = [];
    let nextOk = 0;
    await Promise.all(
      Array.from({ length: 3 }, async () => {
        for (let i = 0; i < 30; i++) {
          await inA(() =>
            i % 2 === 0
              ? several.$transaction((tx) => tx.$executeRawUnsafe(slowReset))
              : several.$executeRawUnsafe(slowReset),
          ).catch((error: unknown) => {
            // Its own COMMIT, under the timeout it set itself, may be cancelled: that is A's doing.
            if (i % 2 !== 0 || postgresCode(error) !== '57014') failures.push(`A: ${String(error)}`);
          });
          try {
            const [row] = await inB(() =>
              several.$transaction((tx) =>
                tx.$queryRawUnsafe<Array<{ t: string; n: number }>>(
                  `select current_setting('app.tenant_id') as t, (select count(*)::int from projects) as n`,
                ),
              ),
            );
            expect(row).toEqual({ t: b.tenantId, n: b.projectIds.length });
            nextOk++;
          } catch (error) {
            failures.push(`B: ${String(error)}`);
          }
        }
      }),
    );
    expect(failures).toEqual([]);
    expect(nextOk).toBe(90);
  }, 60_000);
});
