/**
 * statementTimeoutMillis (and lock/idle-in-transaction timeouts) work on every route. They used to
 * go as startup parameters, which PgBouncer refuses ("unsupported startup parameter"), so every
 * query behind it failed; now they travel transaction-locally with the tenant settings.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { TenantPool, TenantryConfigError, tenantContext } from '../../src/index.js';
import { useTestDatabase, type TestDatabase } from '../support/test-database.js';
import { seedTenants, type SeededTenant } from '../support/fixtures.js';
import { expectPostgresError } from '../support/errors.js';

let db: TestDatabase;
let a: SeededTenant;

beforeAll(async () => {
  db = await useTestDatabase();
  [a] = await seedTenants(db.admin(), ['alpha']);
});

const inA = <R>(fn: () => Promise<R>) => tenantContext.run({ tenantId: a.tenantId }, fn);
type Timeouts = { statement_timeout: string; lock_timeout: string; idle: string };
const SHOW = `select current_setting('statement_timeout') as statement_timeout, current_setting('lock_timeout') as lock_timeout,
  current_setting('idle_in_transaction_session_timeout') as idle`;

describe('statement timeouts', () => {
  it('statementTimeoutMillis cuts a slow statement (57014) and leaves fast ones, in and out of a context', async () => {
    const prisma = db.client({
      poolSize: 1,
      statementTimeoutMillis: 150,
      lockTimeoutMillis: 100,
      idleInTransactionTimeoutMillis: 5000,
    });
    const [seen] = await inA(() => prisma.$queryRawUnsafe<Timeouts[]>(SHOW));
    expect(seen).toEqual({ statement_timeout: '150ms', lock_timeout: '100ms', idle: '5s' });
    await expectPostgresError(
      inA(() => prisma.$queryRawUnsafe('select pg_sleep(1)::text')),
      '57014',
    );
    await expectPostgresError(prisma.$queryRawUnsafe('select pg_sleep(1)::text'), '57014');
    expect(await inA(() => prisma.project.count())).toBe(a.projectIds.length);
    await prisma.$disconnect();
  });

  it('applies inside interactive transactions, to every statement', async () => {
    const prisma = db.client({ poolSize: 1, statementTimeoutMillis: 150 });
    await expect(
      inA(() =>
        prisma.$transaction(async (tx) => {
          const [seen] = await tx.$queryRawUnsafe<Timeouts[]>(SHOW);
          expect(seen!.statement_timeout).toBe('150ms');
          await tx.$queryRawUnsafe('select pg_sleep(1)::text');
        }),
      ),
    ).rejects.toThrow();
    await prisma.$disconnect();
  });

  it('a lock wait longer than lockTimeoutMillis fails with 55P03 instead of hanging', async () => {
    const prisma = db.client({ poolSize: 1, lockTimeoutMillis: 100 });
    const holder = db.pgPool('superuser', { max: 1 });
    const c = await holder.connect();
    try {
      await c.query('begin');
      await c.query('lock table projects in access exclusive mode');
      await expectPostgresError(
        inA(() => prisma.project.count()),
        '55P03',
      );
    } finally {
      await c.query('rollback');
      c.release();
      await prisma.$disconnect();
    }
  });

  it('nothing of it outlives the statement: a client without the option sees the server defaults', async () => {
    const timed = db.client({ poolSize: 1, statementTimeoutMillis: 150 });
    const plain = db.client({ poolSize: 1 });
    await inA(() => timed.$queryRawUnsafe(SHOW));
    const [seen] = await inA(() => plain.$queryRawUnsafe<Timeouts[]>(SHOW));
    expect(seen).toEqual({ statement_timeout: '0', lock_timeout: '0', idle: '0' });
    await timed.$disconnect();
    await plain.$disconnect();
  });

  it("pg's own statement_timeout option on a TenantPool is sent the same way (not as a startup parameter)", async () => {
    const pool = new TenantPool({ connectionString: db.runtimeUrl, max: 1, statement_timeout: 150 });
    try {
      const { rows } = await inA(() => pool.query(SHOW));
      expect(rows[0].statement_timeout).toBe('150ms');
      await expectPostgresError(
        inA(() => pool.query('select pg_sleep(1)')),
        '57014',
      );
    } finally {
      await pool.end();
    }
  });

  it('refuses a timeout that is not a whole number of milliseconds', () => {
    for (const bad of [-1, 1.5, Number.NaN, '100' as never, 2 ** 31]) {
      expect(() => new TenantPool({ statementTimeoutMillis: bad })).toThrow(TenantryConfigError);
    }
    expect(() => new TenantPool({ lockTimeoutMillis: -5 })).toThrow(
      /lockTimeoutMillis is not a whole number of milliseconds/,
    );
  });
});
