/**
 * The fuzzer on a schema that is not Tenantry's: generic reads, generic writes (soft deletes and
 * restores of its soft-deletable folders and files included) and the session-state operations
 * derived from the organizationId fixture, through PgBouncer in transaction mode when it is
 * installed (direct otherwise), with backends terminated mid-flight. Nothing crosses over and the
 * writes prove something: acknowledged, rolled back and deleted rows were all checked against the
 * database at the end.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatIsolationReport, runIsolationFuzz, seedTenants, type SeededTenant } from '../src/index.js';
import { FIELDS, fixtureSchema, provisionFixtureRig, type FixtureRig } from './support/fixture-rig.js';

let db: FixtureRig;
let tenants: SeededTenant[];

beforeAll(async () => {
  db = await provisionFixtureRig('fuzz', ['transaction']);
  tenants = await seedTenants(db.admin, 12, { ...FIELDS, schema: fixtureSchema, seed: 7 });
});
afterAll(() => db?.stop());

describe('the isolation fuzzer on an organizationId schema', () => {
  it('finds nothing, with writes of every kind tracked and backends terminated', async () => {
    const route = db.rig.hasRoute('pgbouncer-transaction') ? 'pgbouncer-transaction' : 'direct';
    const superuser = new pg.Pool({ connectionString: db.rig.url('superuser'), max: 1 });
    try {
      const report = await runIsolationFuzz({
        client: db.client(route, 4),
        admin: db.admin,
        tenants,
        ops: 1500,
        seed: 20261202,
        concurrency: 12,
        ...FIELDS,
        schema: fixtureSchema,
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
      console.log(formatIsolationReport(report, `fixture ${route}`));
      expect(report.violations).toEqual([]);
      expect({
        crossTenantRows: report.crossTenantRows,
        noContextRows: report.noContextRows,
        lostWrites: report.lostWrites,
        phantomWrites: report.phantomWrites,
        inheritedSessionState: report.inheritedSessionState,
      }).toEqual({ crossTenantRows: 0, noContextRows: 0, lostWrites: 0, phantomWrites: 0, inheritedSessionState: 0 });
      expect(report.opsSucceeded / report.ops).toBeGreaterThan(0.8);
      // Not trivially 0: the generic writes created, rolled back and deleted rows the oracle then checked.
      expect(report.writes.acked).toBeGreaterThan(100);
      expect(report.writes.absent).toBeGreaterThan(20);
      expect(report.writes.deleted).toBeGreaterThan(10);
      // Soft-deleted rows the oracle then found still there and marked (and restored ones live).
      expect(report.writes.softDeleted).toBeGreaterThan(10);
      for (const kind of [
        'Note.create',
        'Member.create',
        'Team.nestedCreate.members',
        'Note.rollback',
        'Note.update',
        'Note.writeForeign',
        // Soft delete (folders and files have deletedAt DateTime?): deletes, restores, foreign attempts.
        'Folder.delete',
        'Folder.softDelete',
        'Folder.restore',
        'File.softDeleteForeign',
        'File.softDeleteNoContext',
      ]) {
        expect(report.opsByKind[kind] ?? 0, kind).toBeGreaterThan(0);
      }
      expect(report.faultsByKind.terminateBackends ?? 0).toBeGreaterThan(0);
    } finally {
      await superuser.end();
    }
  });
});
