/**
 * The fuzzer's checks can fail: on the organizationId fixture, a client whose connection bypasses RLS
 * (the tenant extension over the admin role) returns and rewrites other tenants' rows, and a client
 * whose interactive transactions never roll back keeps writes it reported as rolled back.
 */
import { tenantExtension, tenantMetadataOf } from '@tenantry/prisma';
import { createAdminPrismaClient } from '@tenantry/prisma/admin';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runIsolationFuzz, seedTenants, type AnyPrismaClient, type SeededTenant } from '../src/index.js';
import { PrismaClient } from './fixture/generated/prisma/client.js';
import { FIELDS, fixtureSchema, provisionFixtureRig, type FixtureRig } from './support/fixture-rig.js';

let db: FixtureRig;
let tenants: SeededTenant[];

beforeAll(async () => {
  db = await provisionFixtureRig('broken');
  tenants = await seedTenants(db.admin, 6, { ...FIELDS, schema: fixtureSchema, seed: 3 });
});
afterAll(() => db?.stop());

const fuzz = (client: AnyPrismaClient, ops: number) =>
  runIsolationFuzz({
    client,
    admin: db.admin,
    tenants,
    ops,
    seed: 99,
    concurrency: 6,
    ...FIELDS,
    schema: fixtureSchema,
    sessionState: false,
  });

describe('the fuzzer against broken clients', () => {
  it('counts cross-tenant rows and lost writes for a client that bypasses RLS', async () => {
    const leaky = createAdminPrismaClient({ PrismaClient, connectionString: db.rig.url('admin'), poolSize: 2 });
    try {
      const report = await fuzz(leaky.$extends(tenantExtension(tenantMetadataOf(leaky, FIELDS))), 800);
      expect(report.crossTenantRows).toBeGreaterThan(0);
      expect(report.noContextRows).toBeGreaterThan(0);
      // Its deletes of other tenants' ids took rows those tenants were told they wrote.
      expect(report.lostWrites).toBeGreaterThan(0);
      expect(report.violations.find((v) => v.kind === 'crossTenantRow')?.detail).toMatch(
        /^tenant [0-9a-f-]{36} .*(returned row|affected \d+ rows)/,
      );
      expect(report.violations.find((v) => v.kind === 'lostWrite')?.detail).toMatch(
        /acknowledged to tenant [0-9a-f-]{36} is missing/,
      );
    } finally {
      await leaky.$disconnect();
    }
  });

  it('counts phantom writes for a client whose interactive transactions do not roll back', async () => {
    const client = db.client('direct', 3);
    // `$transaction(fn)` runs fn on the client itself: RollbackSignal no longer undoes the create.
    const noRollback = new Proxy(client, {
      get: (target, key) =>
        key === '$transaction'
          ? (arg: unknown) =>
              typeof arg === 'function' ? (arg as (tx: unknown) => unknown)(target) : target.$transaction(arg as never)
          : Reflect.get(target, key),
    });
    const report = await fuzz(noRollback, 600);
    expect(report.phantomWrites).toBeGreaterThan(0);
    expect(report.violations.find((v) => v.kind === 'phantomWrite')?.detail).toMatch(
      /is present although its write failed or rolled back/,
    );
    expect(report.crossTenantRows + report.lostWrites).toBe(0);
  });
});
