/**
 * I2: without a tenant context the extension throws, and the database itself returns no tenant rows
 * and rejects writes (raw SQL skips the extension, so this is RLS alone).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { MissingTenantContextError } from '../../src/index.js';
import { useTestDatabase, type TestDatabase } from '../support/test-database.js';
import { seedTenants, type SeededTenant } from '../support/fixtures.js';
import { expectPostgresError } from '../support/errors.js';
import { onCitus } from '../support/citus.js';

let db: TestDatabase;
let a: SeededTenant;

beforeAll(async () => {
  db = await useTestDatabase();
  [a] = await seedTenants(db.admin(), ['alpha', 'bravo']);
});

describe('no tenant context', () => {
  it.each([
    ['project.findMany', (p: ReturnType<TestDatabase['client']>) => p.project.findMany()],
    ['task.count', (p: ReturnType<TestDatabase['client']>) => p.task.count()],
    ['workspace.create', (p: ReturnType<TestDatabase['client']>) => p.workspace.create({ data: { name: 'x' } })],
    ['project.deleteMany', (p: ReturnType<TestDatabase['client']>) => p.project.deleteMany()],
    ['membership.groupBy', (p: ReturnType<TestDatabase['client']>) => p.membership.groupBy({ by: ['role'] })],
  ])('%s throws MissingTenantContextError before reaching the database', async (operation, run) => {
    const prisma = db.client();
    await expect(run(prisma)).rejects.toThrow(MissingTenantContextError);
    await expect(run(prisma)).rejects.toThrow(/tenantContext\.run/);
  });

  it('raw reads return no tenant rows and no global rows', async () => {
    const prisma = db.client();
    for (const table of ['projects', 'tasks', 'workspaces', 'memberships', 'tenants', 'users']) {
      const rows = await prisma.$queryRawUnsafe<Array<{ n: bigint }>>(`select count(*) as n from ${table}`);
      expect(Number(rows[0]!.n), `no-context raw count(*) on ${table}`).toBe(0);
    }
    // The data is there: the admin client (BYPASSRLS) sees it.
    expect(await db.admin().project.count()).toBeGreaterThan(0);
  });

  it('raw writes are rejected or touch nothing', async () => {
    const prisma = db.client();
    await expectPostgresError(
      prisma.$executeRaw`insert into workspaces (tenant_id, id, name) values (${a.tenantId}::uuid, gen_random_uuid(), 'sneaky')`,
      '42501',
    );
    // Without a tenant the column default is NULL; the WITH CHECK policy rejects it (before NOT NULL).
    // Citus refuses it first: it cannot route a row with no distribution value (22004).
    await expectPostgresError(
      prisma.$executeRaw`insert into workspaces (name) values ('no tenant')`,
      onCitus ? '22004' : '42501',
    );
    expect(await prisma.$executeRaw`update projects set name = 'owned'`).toBe(0);
    expect(await prisma.$executeRaw`delete from tasks`).toBe(0);
    const names = await db.admin().workspace.findMany({ where: { name: { in: ['sneaky', 'no tenant'] } } });
    expect(names).toEqual([]);
    expect(await db.admin().project.count({ where: { name: 'owned' } })).toBe(0);
  });

  it('an ordinary pg query on the tenant pool also runs with the settings cleared', async () => {
    const prisma = db.client();
    const rows = await prisma.$queryRaw<
      Array<{ t: string | null }>
    >`select current_setting('app.tenant_id', true) as t`;
    expect(rows[0]!.t ?? '').toBe('');
  });
});
