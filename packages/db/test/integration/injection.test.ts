/**
 * I7: tenant values reach SQL only as bind parameters, after validation. Hostile ids never get past
 * tenantContext.run, and hostile strings in data are stored as data.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { InvalidTenantContextError, tenantContext } from '../../src/index.js';
import { useTestDatabase, type TestDatabase } from '../support/test-database.js';
import { seedTenants, type SeededTenant } from '../support/fixtures.js';

let db: TestDatabase;
let a: SeededTenant;

beforeAll(async () => {
  db = await useTestDatabase();
  [a] = await seedTenants(db.admin(), ['alpha', 'bravo']);
});

const hostile = [
  "' OR '1'='1",
  `${'00000000-0000-4000-8000-000000000000'}' OR true --`,
  "'); select set_config('app.tenant_id', '', false); --",
  '00000000-0000-4000-8000-000000000000; drop table tasks',
  '\u0000',
  '１１１１１１１１-１１１１-４１１１-８１１１-１１１１１１１１１１１１',
  'x'.repeat(100_000),
];

describe('injection', () => {
  it.each(hostile.map((h) => [h.slice(0, 40), h]))(
    'rejects the tenant id %j before any SQL runs',
    async (_label, id) => {
      const prisma = db.client();
      let ran = false;
      expect(() =>
        tenantContext.run({ tenantId: id }, () => {
          ran = true;
          return prisma.project.findMany();
        }),
      ).toThrow(InvalidTenantContextError);
      expect(() => tenantContext.run({ tenantId: a.tenantId, workspaceId: id }, () => (ran = true))).toThrow(
        InvalidTenantContextError,
      );
      expect(ran).toBe(false);
    },
  );

  it('hostile strings in data and filters are stored and matched as plain data', async () => {
    const prisma = db.client();
    await tenantContext.run({ tenantId: a.tenantId, workspaceId: a.workspaceIds[0] }, async () => {
      for (const name of hostile.slice(0, 4)) {
        const created = await prisma.project.create({ data: { name } });
        expect(created.name).toBe(name);
        expect(await prisma.project.count({ where: { name } })).toBe(1);
        const raw = await prisma.$queryRaw<
          Array<{ n: number }>
        >`select count(*)::int as n from projects where name = ${name}`;
        expect(raw[0]!.n).toBe(1);
      }
    });
    // The tables are intact and nothing reached another tenant.
    expect(await db.admin().task.count()).toBeGreaterThan(0);
    expect(
      await db.admin().project.count({ where: { name: { in: hostile.slice(0, 4) }, tenantId: { not: a.tenantId } } }),
    ).toBe(0);
  });

  it('the tenant setting travels as a bind parameter, never inside the SQL text', async () => {
    const superuser = db.pgPool('superuser');
    await superuser.query('select pg_stat_reset()').catch(() => {});
    const prisma = db.client();
    const marker = `inj-marker-${Date.now()}`;
    await tenantContext.run({ tenantId: a.tenantId }, () => prisma.workspace.findMany({ where: { name: marker } }));
    // pg_stat_activity shows each backend's last statement text: it must not contain the tenant id.
    const { rows } = await superuser.query<{ query: string }>(
      `select query from pg_stat_activity where datname = current_database() and usename = 'tenantry_app'`,
    );
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) expect(r.query).not.toContain(a.tenantId);
  });
});
