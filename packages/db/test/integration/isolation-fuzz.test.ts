/**
 * The isolation fuzzer (`@tenantry/db/testing`) on our own suite: a CI-sized run per route with
 * backends terminated mid-flight finds nothing (no leaked rows, no lost or phantom writes, no
 * session state inherited from an earlier operation), and the same fuzzer does find problems where
 * they exist, so its oracle and its session-state probes can fail: against a deliberately broken
 * client (the tenant extension on an RLS-bypassing connection that is never reset), and with the
 * probes run on a plain pg connection where state was left on purpose. The full-size run is
 * `pnpm test:isolation` (scripts/isolation-fuzz.ts).
 */
import { PrismaPg } from '@prisma/adapter-pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { PrismaClient } from '../../src/generated/prisma/client.js';
import { createAdminPrismaClient } from '../../src/admin.js';
import { tenantExtension } from '../../../prisma/src/extension/tenant-extension.js';
import { tenantMetadataOf } from '../../../prisma/src/extension/model-metadata.js';
import { tenantContext } from '../../../prisma/src/tenant-context.js';
import {
  auditMismatches,
  formatIsolationReport,
  runIsolationFuzz,
  seedTenantryFuzzData,
  tenantryOperations,
  type FuzzTenant,
} from '../../src/testing/index.js';
import { Oracle, createRandom, sessionStateOperations, tenantModelsOf } from '../../src/testing/index.js';
import { useTestDatabase, type TestDatabase } from '../support/test-database.js';

let db: TestDatabase;
let tenants: FuzzTenant[];
const seed = Number(process.env.TENANTRY_FUZZ_SEED ?? 20261122);

beforeAll(async () => {
  db = await useTestDatabase();
  tenants = await seedTenantryFuzzData(db.admin(), { tenants: 50, seed });
});

describe('isolation fuzzer', () => {
  it('finds no cross-tenant, no-context, lost or phantom rows and no inherited session state with backends terminated mid-flight', async () => {
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
          (
            await superuser.query(
              `select pg_terminate_backend(pid) from pg_stat_activity
              where datname = current_database() and usename = 'tenantry_app' and pid <> pg_backend_pid() order by random() limit 1`,
            )
          ).rowCount ?? 0,
        intervalMs: 200,
      },
    });
    // The audit log accounts for every write of the run, exactly (src/testing/fuzz/audit-mismatches.ts).
    const audit = await auditMismatches(superuser);
    console.log(formatIsolationReport(report, db.route));
    console.log(`  audit: events ${audit.events}, rows ${audit.rows}, auditMismatches ${audit.auditMismatches}`);
    expect(report.violations).toEqual([]);
    expect(audit.samples).toEqual([]);
    expect({
      crossTenantRows: report.crossTenantRows,
      noContextRows: report.noContextRows,
      lostWrites: report.lostWrites,
      phantomWrites: report.phantomWrites,
      inheritedSessionState: report.inheritedSessionState,
      auditMismatches: audit.auditMismatches,
    }).toEqual({
      crossTenantRows: 0,
      noContextRows: 0,
      lostWrites: 0,
      phantomWrites: 0,
      inheritedSessionState: 0,
      auditMismatches: 0,
    });
    // The audit check saw the run's writes: events beyond the seeded rows' inserts.
    expect(audit.events).toBeGreaterThan(audit.rows);
    // And the counter can fail: a write the triggers did not see, and a lost event, are each counted.
    const tamper = await superuser.connect();
    try {
      await tamper.query('begin');
      await tamper.query('set local session_replication_role = replica');
      await tamper.query(
        `update tasks set title = title || ' (unaudited)' where id = (select id from tasks order by id limit 1)`,
      );
      await tamper.query('commit');
      await tamper.query(
        `delete from audit_events where id = (select max(id) from audit_events where table_name = 'projects')`,
      );
    } finally {
      tamper.release();
    }
    expect((await auditMismatches(superuser)).auditMismatches).toBeGreaterThanOrEqual(2);
    // The run proved something: most operations completed, writes were acknowledged, faults hit,
    // and state-leaving statements ran before probes of other tenants and of no context.
    expect(report.opsSucceeded / report.ops).toBeGreaterThan(0.7);
    expect(report.writes.acked).toBeGreaterThan(100);
    expect(report.faultsByKind.terminateBackends ?? 0).toBeGreaterThan(0);
    const sessionOps = (prefix: string) =>
      Object.entries(report.opsByKind)
        .filter(([k]) => k.startsWith(prefix))
        .reduce((n, [, v]) => n + v, 0);
    expect(sessionOps('session.probe')).toBeGreaterThan(20);
    expect(sessionOps('session.') - sessionOps('session.probe')).toBeGreaterThan(30);
  });

  it('catches a client whose connection bypasses RLS and is never reset', async () => {
    // Its own admin client: the session state the run leaves on it must not reach the shared one
    // that seeds and reconciles.
    const leaky = createAdminPrismaClient({ connectionString: db.adminUrl, poolSize: 2 });
    try {
      const broken = leaky.$extends(tenantExtension(tenantMetadataOf(leaky)));
      const report = await runIsolationFuzz({
        client: broken,
        admin: db.admin(),
        tenants,
        ops: 400,
        seed,
        concurrency: 8,
        extraOperations: tenantryOperations(),
      });
      expect(report.crossTenantRows).toBeGreaterThan(0);
      expect(report.noContextRows).toBeGreaterThan(0);
      expect(report.inheritedSessionState).toBeGreaterThan(0);
      expect(report.violations.find((v) => v.kind !== 'inheritedSessionState')?.detail).toMatch(
        /^tenant [0-9a-f-]{36} .* returned row|^no-context|written by tenant/,
      );
      expect(report.violations.find((v) => v.kind === 'inheritedSessionState')?.detail).toMatch(
        /^(tenant [0-9a-f-]{36}|no-context operation) \S+ (inherited|failed)/,
      );
    } finally {
      await leaky.$disconnect();
    }
  });

  it('reports every kind of session state left on a connection that is not reset, and the rows it holds', async () => {
    // One plain connection (no Tenantry pool, so no reset) as a role that bypasses RLS and may
    // create temp tables (the runtime and admin roles have no TEMPORARY): what it leaves holds every
    // tenant's rows. The probes run on the same connection afterwards.
    const pool = db.pgPool('superuser', { max: 1 });
    const plain = new PrismaClient({ adapter: new PrismaPg(pool) });
    try {
      const ops = sessionStateOperations(tenantModelsOf(plain));
      const probes = ops.filter((op) => op.name.startsWith('session.probe'));
      expect(probes.map((p) => p.name)).toEqual([
        'session.probe',
        'session.probeInTransaction',
        'session.probeNoContext',
      ]);
      const oracle = new Oracle();
      const [tenant, other] = tenants as [FuzzTenant, FuzzTenant];
      // What a clean connection looks like, before anything is left on it.
      await probes[0]!.before!({
        client: plain,
        oracle,
        tenants,
        runInContext: (fn) => tenantContext.run({ tenantId: tenant.tenantId }, fn),
      });
      expect(oracle.inheritedSessionState).toBe(0);

      for (const sql of [
        'create temp table projects as select * from projects',
        'create temp table report as select tenant_id::text as tenant_id, count(*)::int as n from tasks group by 1',
        'declare c_left cursor with hold for select * from tasks',
        'prepare fuzz_left as select 1',
        'listen fuzz_left',
        'select pg_advisory_lock(32330, 1)',
        'set search_path = fuzz_nowhere',
        'set row_security = off',
        'set default_transaction_read_only = on',
        'set statement_timeout = 600000',
        `do $$ begin execute pg_catalog.format('set role %I', current_user); end $$`,
      ]) {
        await pool.query(sql);
      }

      const env = (i: number) => ({
        client: plain,
        rng: createRandom(i),
        oracle,
        tenant,
        other,
        ctx: { tenantId: tenant.tenantId },
      });
      for (const [i, probe] of probes.entries()) {
        await (probe.noContext
          ? probe.run(env(i))
          : tenantContext.run({ tenantId: tenant.tenantId }, () => probe.run(env(i))));
      }
      // Each probe sees each piece of state once: 3 probes.
      expect(oracle.inheritedByKind).toMatchObject({
        tempTable: 6,
        cursor: 3,
        preparedStatement: 3,
        listen: 3,
        advisoryLock: 3,
        'setting search_path': 3,
        'setting row_security': 3,
        'setting default_transaction_read_only': 3,
        'setting transaction_read_only': 3,
        'setting statement_timeout': 3,
        'setting role': 3,
      });
      expect(oracle.inheritedSessionState).toBe(Object.values(oracle.inheritedByKind).reduce((a, b) => a + b, 0));
      // The temp tables and the cursor hold other tenants' rows: leaks as any read's.
      expect(oracle.crossTenantRows).toBeGreaterThan(0);
      expect(oracle.noContextRows).toBeGreaterThan(0);
      expect(oracle.violations.map((v) => v.detail)).toContainEqual(
        expect.stringMatching(
          /^tenant [0-9a-f-]{36} session\.probeInTransaction: inherited tempTable projects returned row [0-9a-f-]{36} of tenant /,
        ),
      );

      // The same state through the runner: counted in the report and its one line.
      const report = await runIsolationFuzz({
        client: plain,
        admin: db.admin(),
        tenants,
        ops: 30,
        seed,
        concurrency: 1,
        operations: probes,
        abandonRate: 0,
      });
      expect(report.inheritedSessionState).toBeGreaterThanOrEqual(30 * 11);
      expect(formatIsolationReport(report)).toMatch(/inheritedSessionState=[1-9]\d* seed=/);
    } finally {
      await plain.$disconnect();
    }
  });
});
