/**
 * Citus lane only (vitest.citus.config.ts): the plans the workers run. The policy's tenant clause,
 * in the Citus form, reaches every shard a query fans out to and is used there as an index condition,
 * and a query the extension filtered by tenant_id is routed to the one shard that holds the tenant.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { tenantContext } from '../../src/index.js';
import { useTestDatabase, type TestDatabase } from '../support/test-database.js';
import { seedTenants, type SeededTenant } from '../support/fixtures.js';

let db: TestDatabase;
let a: SeededTenant;

beforeAll(async () => {
  if (process.env.TENANTRY_CITUS !== '1') {
    throw new Error(
      'Cannot check the workers’ plans outside the Citus lane. Run it with `pnpm test:citus` (CITUS_URL set).',
    );
  }
  db = await useTestDatabase();
  [a] = await seedTenants(db.admin(), ['plans']);
});

const plan = (sql: string) =>
  tenantContext.run({ tenantId: a.tenantId }, async () =>
    (await db.client().$queryRawUnsafe<{ 'QUERY PLAN': string }[]>(`explain (costs off) ${sql}`))
      .map((r) => r['QUERY PLAN'])
      .join('\n'),
  );

describe('plans on the workers', () => {
  it('fans an unfiltered read out to every shard, each applying the tenant clause as an index condition', async () => {
    const text = await plan('select count(*) from projects');
    const tasks = Number(/Task Count: (\d+)/.exec(text)?.[1]);
    expect(tasks).toBeGreaterThan(1);
    expect(text).toMatch(/Index Cond: \(tenant_id = \(NULLIF\(current_setting\('app\.tenant_id'::text, true\)/);
    expect(text).toMatch(/Node: host=\S+ port=\d+/);
  });

  it('routes a read filtered by tenant_id to one shard, with the policy still checked there', async () => {
    const text = await plan(`select id from projects where tenant_id = '${a.tenantId}' order by id limit 20`);
    expect(text).toContain('Task Count: 1');
    expect(text).toContain("current_setting('app.tenant_id'::text, true)");
    expect(text).toMatch(/Index (Only )?Scan|Bitmap Index Scan/);
  });

  it('answers the fanned-out read with exactly the context tenant’s rows', async () => {
    const rows = await tenantContext.run(
      { tenantId: a.tenantId },
      () => db.client().$queryRaw<{ n: number }[]>`select count(*)::int as n from projects`,
    );
    expect(rows[0]!.n).toBe(a.projectIds.length);
  });
});
