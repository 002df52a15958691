/**
 * Provisions what the benchmark measures against, the way the test rig does: a Postgres server we
 * own as superuser (TEST_DATABASE_URL → testcontainers → embedded), the Tenantry roles, databases
 * migrated with the committed migrations, seeded tenants, and PgBouncer in session and in
 * transaction mode in front of the server.
 */
import pg from 'pg';
import {
  ROLES,
  createMigratedDatabase,
  dropDatabases,
  ensureRoles,
  provisionPostgres,
  roleUrl,
  startPgBouncer,
  type PgBouncer,
  type PostgresServer,
} from '@tenantry/db/testing';
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
  const server = await provisionPostgres({ log });
  const prefix = `tenantry_bench${process.pid}`;
  const bouncers: PgBouncer[] = [];
  try {
    await ensureRoles(server);
    for (const mode of ['session', 'transaction'] as const) {
      const bouncer = await startPgBouncer({ upstreamHost: server.host, upstreamPort: server.port, mode, poolSize, log });
      if (!bouncer) {
        throw new Error(
          'Cannot benchmark the PgBouncer strategies because the pgbouncer binary is not installed. ' +
            'Install it with `apt-get update && apt-get install -y pgbouncer` (Debian) and run `pnpm bench` again.',
        );
      }
      bouncers.push(bouncer);
    }
  } catch (error) {
    await Promise.all(bouncers.map((b) => b.stop()));
    await server.stop();
    throw error;
  }
  const [session, transaction] = bouncers as [PgBouncer, PgBouncer];
  return {
    server,
    bouncers: { session, transaction },
    async database(suffix) {
      const name = `${prefix}_${suffix}`;
      await createMigratedDatabase(server, name);
      let seeded = 0;
      return {
        name,
        appUrl: roleUrl(server, ROLES.app, name),
        appUrlSession: roleUrl(server, ROLES.app, name, '127.0.0.1', session.port),
        appUrlTransaction: roleUrl(server, ROLES.app, name, '127.0.0.1', transaction.port),
        adminUrl: roleUrl(server, ROLES.admin, name),
        superuserUrl: server.superuserUrl(name),
        async seedTo(tenants) {
          if (tenants <= seeded) return;
          await seed(server.superuserUrl(name), seeded, tenants);
          seeded = tenants;
        },
      };
    },
    async stop() {
      await Promise.all(bouncers.map((b) => b.stop()));
      await dropDatabases(server, { prefix }).catch(() => {});
      await server.stop();
    },
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
