/**
 * Provisions what the benchmark measures against with the test rig (provisionTestRig): a Postgres server we
 * own as superuser (TEST_DATABASE_URL → testcontainers → embedded), the Tenantry roles, databases
 * migrated with the committed migrations, seeded tenants, and PgBouncer in session and in
 * transaction mode in front of the server.
 */
import pg from 'pg';
import { provisionTestRig, type PgBouncer, type PostgresServer } from '@tenantry/db/testing';
import { seedSql } from './dataset.js';

export interface BenchDatabase {
  name: string;
  /** tenantry_app straight to Postgres. */
  appUrl: string;
  /** tenantry_app through PgBouncer in session and in transaction mode. */
  appUrlSession: string;
  appUrlTransaction: string;
  /** tenantry_admin (BYPASSRLS), straight to Postgres: the baseline's role. */
  adminUrl: string;
  /** tenantry_admin through PgBouncer in session and in transaction mode (the same-route baselines). */
  adminUrlSession: string;
  adminUrlTransaction: string;
  superuserUrl: string;
  /** Grows the database to `tenants` seeded tenants (idempotent for the ones already there). */
  seedTo(tenants: number): Promise<void>;
}

export interface Rig {
  server: PostgresServer;
  bouncers: { session: PgBouncer; transaction: PgBouncer };
  /** Creates (or re-creates) a migrated database with no tenants. */
  database(suffix: string): Promise<BenchDatabase>;
  stop(): Promise<void>;
}

export async function provisionRig(log: (m: string) => void, poolSize: number): Promise<Rig> {
  // No database yet (database() creates them under the prefix); both PgBouncers are required: the
  // benchmark compares the pooled strategies.
  const rig = await provisionTestRig({
    purpose: 'the benchmark',
    prefix: `tenantry_bench${process.pid}`,
    database: false,
    pgbouncer: { modes: ['session', 'transaction'], poolSize },
    log,
  });
  return {
    server: rig.server,
    bouncers: { session: rig.bouncer('session'), transaction: rig.bouncer('transaction') },
    async database(suffix) {
      const name = await rig.createDatabase(suffix);
      let seeded = 0;
      return {
        name,
        appUrl: rig.url('app', 'direct', name),
        appUrlSession: rig.url('app', 'pgbouncer-session', name),
        appUrlTransaction: rig.url('app', 'pgbouncer-transaction', name),
        adminUrl: rig.url('admin', 'direct', name),
        adminUrlSession: rig.url('admin', 'pgbouncer-session', name),
        adminUrlTransaction: rig.url('admin', 'pgbouncer-transaction', name),
        superuserUrl: rig.url('superuser', 'direct', name),
        async seedTo(tenants) {
          if (tenants <= seeded) return;
          await seed(rig.url('superuser', 'direct', name), seeded, tenants);
          seeded = tenants;
        },
      };
    },
    stop: rig.stop,
  };
}

/** Seeds tenants [from, to) as the superuser (no RLS in the way) and refreshes planner statistics. */
export async function seed(superuserUrl: string, from: number, to: number): Promise<void> {
  const client = new pg.Client({ connectionString: superuserUrl });
  await client.connect();
  try {
    for (const sql of seedSql(from, to)) await client.query(sql);
  } finally {
    await client.end();
  }
}
