/**
 * Provisions the fault test's world and takes it down again, also when a step fails halfway:
 *
 *   API (child process) ──► PgBouncer (session mode) ──► pausable proxy ──► Postgres
 *                       └──────────── admin URL ───────► pausable proxy ──┘
 *
 * Both of the API's routes to Postgres go through the proxy, so "Postgres paused" freezes all of
 * the API's database traffic, as a stopped server would. The test's own connections (seeding, the
 * oracle, the fault injectors) go straight to Postgres, so the harness never freezes itself.
 *
 * The server is shared (max_connections 100, other runs use it): PgBouncer may open at most 20
 * upstream connections and the API's pool holds at most 10.
 */
import { randomUUID } from 'node:crypto';
import {
  ROLES,
  provisionTestRig,
  roleUrl,
  seedTenants,
  type PgBouncer,
  type PostgresServer,
  type SeededTenant,
} from '@tenantry/db/testing';
import { createAdminPrismaClient, type AdminPrismaClient } from '@tenantry/db/admin';
import { startPausableProxy, type PausableProxy } from './pausable-proxy.js';

export interface FaultRig {
  server: PostgresServer;
  database: string;
  bouncer: PgBouncer;
  proxy: PausableProxy;
  tenants: SeededTenant[];
  /** tenantry_app → PgBouncer → proxy → Postgres: the API's DATABASE_URL. */
  runtimeUrl: string;
  /** tenantry_admin → proxy → Postgres: the API's DATABASE_ADMIN_URL (GET /me's cross-tenant read). */
  apiAdminUrl: string;
  /** tenantry_admin straight to Postgres: the oracle's view of what was really written (bypasses RLS). */
  oracle: AdminPrismaClient;
  /** A superuser URL straight to the test database: terminating backends, holding locks. */
  superuserUrl: string;
  close(): Promise<void>;
}

export interface RigOptions {
  tenantLabels: string[];
  log: (m: string) => void;
}

export async function provisionFaultRig(options: RigOptions): Promise<FaultRig> {
  // The kit's rig: Postgres, roles, the migrated database, the proxy (PgBouncer's upstream) and
  // PgBouncer, with one stop() that undoes whatever of that was started, also after a failure.
  // A database name of our own, so parallel runs on the shared server never touch each other's.
  const rig = await provisionTestRig({
    purpose: 'the fault test (it restarts PgBouncer on purpose)',
    // The issue bounds this test to loopback traffic: its load and its faults must never cross a network.
    requireLoopback: true,
    database: `tenantry_faults_${process.pid}_${randomUUID().slice(0, 8)}`,
    pgbouncer: {
      modes: ['session'],
      poolSize: 20,
      maxServerConnections: 20,
      upstream: (server) =>
        startPausableProxy({ host: server.host === 'localhost' ? '127.0.0.1' : server.host, port: server.port }),
    },
    log: options.log,
  });
  let oracle: AdminPrismaClient | undefined;
  const close = async () => {
    // The oracle first (its connections go to the database the rig drops), then the rig in reverse order.
    const errors: unknown[] = [];
    await oracle?.$disconnect().catch((error: unknown) => errors.push(error));
    oracle = undefined;
    await rig.stop().catch((error: unknown) => errors.push(error));
    if (errors.length)
      throw new AggregateError(errors, `Cannot clean up the fault rig: ${errors.length} step(s) failed`);
  };
  try {
    const proxy = rig.upstream;
    oracle = createAdminPrismaClient({ connectionString: rig.url('admin'), poolSize: 2 });
    const tenants = await seedTenants(oracle, options.tenantLabels);
    return {
      server: rig.server,
      database: rig.info.database!,
      bouncer: rig.bouncer('session'),
      proxy,
      tenants,
      runtimeUrl: rig.url('app', 'pgbouncer-session'),
      apiAdminUrl: roleUrl(rig.server, ROLES.admin, rig.info.database!, proxy.host, proxy.port),
      oracle,
      superuserUrl: rig.url('superuser'),
      close,
    };
  } catch (error) {
    await close().catch(() => {});
    throw error;
  }
}
