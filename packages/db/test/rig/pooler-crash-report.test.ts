/**
 * A pooler's "server conn crashed?" (08P01) where the server had ended an idle transaction.
 * PgBouncer, when the server ends a transaction left idle past its limit (25P03) just as the next
 * statement (often the COMMIT) arrives, may report only its own 08P01; the engine then reports the
 * idle limit (DeadlineExceededError, kind idle-in-transaction), not a lost connection, because
 * everything says so: the session was in a transaction, an idle limit was sent, and it ran out.
 * A connection really lost before the limit stays ConnectionLostError. Real Postgres behind a
 * proxy (test/support/crash-reporting-proxy.ts) that always reports the way PgBouncer sometimes
 * does, so both readings are tested every time. One route (the proxy is the pooler), so test/rig.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ConnectionLostError,
  createTenantPrismaClient,
  DeadlineExceededError,
  tenantContext,
  type TenantPrismaClient,
} from '../../src/index.js';
import { startCrashReportingProxy, type CrashReportingProxy } from '../support/crash-reporting-proxy.js';
import { seedTenants, type SeededTenant } from '../support/fixtures.js';
import { useTestDatabase, type TestDatabase } from '../support/test-database.js';
import { rejection } from '../support/errors.js';

let db: TestDatabase;
let alpha: SeededTenant;
let proxy: CrashReportingProxy;
let prisma: TenantPrismaClient;

beforeAll(async () => {
  db = await useTestDatabase();
  [alpha] = await seedTenants(db.admin(), ['alpha']);
  proxy = await startCrashReportingProxy(db.runtimeUrlVia('direct'));
  prisma = createTenantPrismaClient({ connectionString: proxy.url, poolSize: 1, pooler: 'transaction' });
});
afterAll(async () => {
  await prisma?.$disconnect();
  await proxy?.close();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('a pooler that reports only "server conn crashed?" (08P01)', () => {
  it('after the server ended the idle transaction: DeadlineExceededError idle-in-transaction, naming the deadline', async () => {
    const cut = await rejection(
      tenantContext.run({ tenantId: alpha.tenantId, deadlineMs: 300 }, () =>
        prisma.$transaction(
          async (tx) => {
            await tx.project.count();
            await sleep(800);
          },
          { timeout: 10_000 },
        ),
      ),
    );
    // The path under test was taken: the server's 25P03 never reached the client.
    expect(proxy.swallowed).toEqual(['25P03']);
    expect(cut, String(cut)).toBeInstanceOf(DeadlineExceededError);
    expect(cut).toMatchObject({ kind: 'idle-in-transaction', source: 'deadline', postgresCode: '08P01' });
    expect((cut as DeadlineExceededError).limitMillis).toBeLessThanOrEqual(300);
    expect((cut as Error).message).not.toContain(alpha.tenantId);
    // The pool replaced the connection; the next request works.
    expect(await tenantContext.run({ tenantId: alpha.tenantId }, () => prisma.project.count())).toBe(
      alpha.projectIds.length,
    );
  });

  it('a connection killed before the idle limit ran out stays ConnectionLostError', async () => {
    const superuser = db.pgPool('superuser', { max: 1 });
    const reportsBefore = proxy.swallowed.length;
    const lost = await rejection(
      tenantContext.run({ tenantId: alpha.tenantId, deadlineMs: 20_000 }, () =>
        prisma.$transaction(
          async (tx) => {
            await tx.project.count();
            const { rows } = await superuser.query<{ pid: number }>(
              `select pg_terminate_backend(pid), pid from pg_stat_activity
                where datname = current_database() and usename = 'tenantry_app' and state = 'idle in transaction'`,
            );
            expect(rows).toHaveLength(1);
            await proxy.reported(reportsBefore + 1);
            await sleep(50);
            await tx.project.count();
          },
          { timeout: 10_000 },
        ),
      ),
    );
    expect(proxy.swallowed.slice(reportsBefore)).toEqual(['57P01']);
    expect(lost, String(lost)).toBeInstanceOf(ConnectionLostError);
    expect(lost).not.toBeInstanceOf(DeadlineExceededError);
    expect(await tenantContext.run({ tenantId: alpha.tenantId }, () => prisma.project.count())).toBe(
      alpha.projectIds.length,
    );
  });
});
