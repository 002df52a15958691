/**
 * The isolation fuzzer (`@tenantry/db/testing`) on our own suite: a CI-sized run per route with
 * backends terminated mid-flight finds nothing, and the same run against a deliberately broken
 * client (the tenant extension on an RLS-bypassing connection) does find leaks, so the oracle can
 * fail. The full-size run is `pnpm test:isolation` (scripts/isolation-fuzz.ts).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { tenantExtension } from '../../src/extension/tenant-extension.js';
import { tenantMetadataOf } from '../../src/extension/model-metadata.js';
import {
  formatIsolationReport, runIsolationFuzz, seedTenantryFuzzData, tenantryOperations, type FuzzTenant,
} from '../../src/testing/index.js';
import { useTestDatabase, type TestDatabase } from '../support/test-database.js';

let db: TestDatabase;
let tenants: FuzzTenant[];
const seed = Number(process.env.TENANTRY_FUZZ_SEED ?? 20261122);

beforeAll(async () => {
  db = await useTestDatabase();
  tenants = await seedTenantryFuzzData(db.admin(), { tenants: 50, seed });
});

describe('isolation fuzzer', () => {
  it('finds no cross-tenant, no-context, lost or phantom rows with backends terminated mid-flight', async () => {
    const superuser = db.pgPool('superuser');
    const report = await runIsolationFuzz({
      client: db.client({ poolSize: 8, connectionTimeoutMillis: 30_000 }),
      admin: db.admin(),
      tenants,
      ops: Number(process.env.TENANTRY_FUZZ_OPS ?? 1500),
      seed,
      concurrency: 32,
      extraOperations: tenantryOperations(),
      faults: {
        terminateBackends: async () =>
          (await superuser.query(
            `select pg_terminate_backend(pid) from pg_stat_activity
              where datname = current_database() and usename = 'tenantry_app' and pid <> pg_backend_pid() order by random() limit 1`,
          )).rowCount ?? 0,
        intervalMs: 200,
      },
    });
    console.log(formatIsolationReport(report, db.route));
    expect(report.violations).toEqual([]);
    expect({ crossTenantRows: report.crossTenantRows, noContextRows: report.noContextRows, lostWrites: report.lostWrites, phantomWrites: report.phantomWrites })
      .toEqual({ crossTenantRows: 0, noContextRows: 0, lostWrites: 0, phantomWrites: 0 });
    // The run proved something: most operations completed, writes were acknowledged, faults hit.
    expect(report.opsSucceeded / report.ops).toBeGreaterThan(0.7);
    expect(report.writes.acked).toBeGreaterThan(100);
    expect(report.faultsByKind.terminateBackends ?? 0).toBeGreaterThan(0);
  });

  it('catches a client whose connection bypasses RLS', async () => {
    const admin = db.admin();
    const broken = admin.$extends(tenantExtension(tenantMetadataOf(admin)));
    const report = await runIsolationFuzz({ client: broken, admin, tenants, ops: 400, seed, concurrency: 8, extraOperations: tenantryOperations() });
    expect(report.crossTenantRows).toBeGreaterThan(0);
    expect(report.noContextRows).toBeGreaterThan(0);
    expect(report.violations[0]?.detail).toMatch(/^tenant [0-9a-f-]{36} .* returned row|^no-context|written by tenant/);
  });
});
