/**
 * Inside a transaction block the tenant settings are sent with the first model statement only
 * (tenant-query.ts, `sentInTransactionKey`): set transaction-locally, they stay in force until the
 * block ends. These tests watch the wire (Execute messages per Sync, on every route with its real
 * pooler) to show the later statements go without them, and attack each way they could then be
 * wrong: raw SQL that sets another tenant inside the transaction, a savepoint rolled back to (which
 * reverts what was set after it), an error, and a deadline whose limits change per statement.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { TenantPool, createTenantPrismaClient, tenantContext, type TenantPrismaClient } from '../../src/index.js';
import { useTestDatabase, type TestDatabase } from '../support/test-database.js';
import { foreignRows, seedTenants, type SeededTenant } from '../support/fixtures.js';

let db: TestDatabase;
let a: SeededTenant;
let b: SeededTenant;
let pool: TenantPool;
let prisma: TenantPrismaClient;
/** Per Sync written on the pool's one connection: how many Execute messages it closed. */
let executesPerSync: number[] = [];

beforeAll(async () => {
  db = await useTestDatabase();
  [a, b] = await seedTenants(db.admin(), ['alpha', 'bravo']);
  const pooler = db.route === 'direct' ? 'none' : db.route === 'pgbouncer-session' ? 'session' : 'transaction';
  pool = new TenantPool({ connectionString: db.runtimeUrl, max: 1, pooler });
  pool.on('connect', (client) => {
    const stream = (client as unknown as { connection: { stream: { write: (b: Buffer) => boolean } } }).connection
      .stream;
    const write = stream.write.bind(stream);
    let executes = 0;
    stream.write = (buffer: Buffer) => {
      // One frontend message per write (pg's Connection#_send): its type is the first byte.
      const type = String.fromCharCode(buffer[0]!);
      if (type === 'E') executes++;
      if (type === 'S') {
        executesPerSync.push(executes);
        executes = 0;
      }
      return write(buffer);
    };
  });
  prisma = createTenantPrismaClient({ pool });
  return async () => {
    await prisma.$disconnect();
    if (!pool.ending) await pool.end();
  };
});

const inA = <R>(fn: () => Promise<R>) => tenantContext.run({ tenantId: a.tenantId }, fn);

/** The Execute counts of the pipelines `fn` wrote. */
async function wire<R>(fn: () => Promise<R>): Promise<{ result: R; executes: number[] }> {
  executesPerSync = [];
  const result = await fn();
  return { result, executes: executesPerSync };
}

describe('the settings inside a transaction block', () => {
  it('go with the first model statement only; the later ones of the block go without them', async () => {
    await inA(() => prisma.project.count()); // a connection, reset and clean
    const { result, executes } = await wire(() =>
      inA(() =>
        prisma.$transaction(async (tx) => {
          const first = await tx.project.findMany();
          const count = await tx.project.count();
          const again = await tx.project.findMany();
          return { first, count, again };
        }),
      ),
    );
    expect(foreignRows(result.first, a.tenantId, 'first')).toEqual([]);
    expect(foreignRows(result.again, a.tenantId, 'again')).toEqual([]);
    expect(result.count).toBe(a.projectIds.length);
    expect(result.again).toHaveLength(a.projectIds.length);
    // BEGIN (behind a transaction-mode pooler after DISCARD ALL: 2), the first statement with the
    // settings (2), the two others alone (1, 1), COMMIT (1).
    const begin = db.route === 'pgbouncer-transaction' ? 2 : 1;
    expect(executes).toEqual([begin, 2, 1, 1, 1]);
  });

  it('are sent again after raw SQL in the block, which cannot choose the tenant of the later statements', async () => {
    const { result, executes } = await wire(() =>
      inA(() =>
        prisma.$transaction(async (tx) => {
          await tx.project.count();
          await tx.$executeRawUnsafe(`select set_config('app.tenant_id', '${b.tenantId}', true)`);
          const models = await tx.project.findMany();
          const count = await tx.project.count();
          return { models, count };
        }),
      ),
    );
    expect(foreignRows(result.models, a.tenantId, 'after raw set_config')).toEqual([]);
    expect(result.models).toHaveLength(a.projectIds.length);
    expect(result.count).toBe(a.projectIds.length);
    // The raw statement and every model statement after it carry the settings (2 each).
    expect(executes.slice(1, 5)).toEqual([2, 2, 2, 2]);
  });

  it('are sent again after ROLLBACK TO SAVEPOINT, which reverts what was set after the savepoint', async () => {
    const { result, executes } = await wire(() =>
      inA(() =>
        prisma.$transaction(async (tx) => {
          await tx.$executeRawUnsafe('savepoint before_settings');
          const inside = await tx.project.findMany();
          await tx.$executeRawUnsafe('rollback to savepoint before_settings');
          const after = await tx.project.findMany();
          return { inside, after };
        }),
      ),
    );
    expect(result.inside).toHaveLength(a.projectIds.length);
    // Without the settings again this would read nothing (the policies see no tenant).
    expect(result.after).toHaveLength(a.projectIds.length);
    expect(foreignRows(result.after, a.tenantId, 'after the rollback to the savepoint')).toEqual([]);
    // SAVEPOINT (1), findMany with settings (2), ROLLBACK TO (1), findMany with settings again (2).
    expect(executes.slice(1, 5)).toEqual([1, 2, 1, 2]);
  });

  it('are sent again in the next transaction, and after a failed statement the block ends as before', async () => {
    await expect(
      inA(() =>
        prisma.$transaction(async (tx) => {
          await tx.project.count();
          await tx.project.create({ data: { workspaceId: b.workspaceIds[0]!, name: 'not mine' } });
        }),
      ),
    ).rejects.toThrow();
    const { result, executes } = await wire(() =>
      inA(() => prisma.$transaction(async (tx) => [await tx.project.count(), await tx.project.count()])),
    );
    expect(result).toEqual([a.projectIds.length, a.projectIds.length]);
    expect(executes.slice(1, 3)).toEqual([2, 1]);
    const bRows = await tenantContext.run({ tenantId: b.tenantId }, () => prisma.project.findMany());
    expect(foreignRows(bRows, b.tenantId, "B after A's failed transaction")).toEqual([]);
    expect(bRows.map((p) => p.name)).not.toContain('not mine');
  });

  it('with a deadline, every statement sends its own (shrinking) limits', async () => {
    const { executes } = await wire(() =>
      tenantContext.run({ tenantId: a.tenantId, deadlineMs: 20_000 }, () =>
        prisma.$transaction(async (tx) => {
          await tx.project.count();
          await new Promise((resolve) => setTimeout(resolve, 5));
          await tx.project.count();
        }),
      ),
    );
    expect(executes.slice(1, 3)).toEqual([2, 2]);
  });
});
