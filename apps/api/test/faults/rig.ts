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
  createMigratedDatabase,
  dropDatabases,
  ensureRoles,
  provisionPostgres,
  roleUrl,
  startPgBouncer,
  type PgBouncer,
  type PostgresServer,
} from '@tenantry/db/testing';
import { createAdminPrismaClient, type AdminPrismaClient } from '@tenantry/db/admin';
import { seedTenants, type SeededTenant } from '../support/fixtures.js';
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
  const cleanups: Array<() => Promise<unknown>> = [];
  const close = async () => {
    // Reverse order, every step attempted: one failing cleanup must not leak the rest.
    const errors: unknown[] = [];
    for (const cleanup of cleanups.reverse()) await cleanup().catch((error: unknown) => errors.push(error));
    cleanups.length = 0;
    if (errors.length) throw new AggregateError(errors, `Cannot clean up the fault rig: ${errors.length} step(s) failed`);
  };
  try {
    const server = await provisionPostgres({ log: options.log });
    cleanups.push(() => server.stop());
    // The issue bounds this test to loopback traffic: its load and its faults must never cross a network.
    if (!['127.0.0.1', 'localhost', '::1', '[::1]'].includes(server.host)) {
      throw new Error(`Cannot run the fault test against ${server.host} because it keeps all its traffic on loopback. Point TEST_DATABASE_URL at a server on 127.0.0.1.`);
    }
    // A name of our own, so parallel runs on the shared server never touch each other's database.
    const database = `tenantry_faults_${process.pid}_${randomUUID().slice(0, 8)}`;
    await ensureRoles(server);
    cleanups.push(() => dropDatabases(server, [database]));
    await createMigratedDatabase(server, database);

    const oracle = createAdminPrismaClient({ connectionString: roleUrl(server, ROLES.admin, database), poolSize: 2 });
    cleanups.push(() => oracle.$disconnect());
    const tenants = await seedTenants(oracle, options.tenantLabels);

    const proxy = await startPausableProxy({ host: server.host === 'localhost' ? '127.0.0.1' : server.host, port: server.port });
    cleanups.push(() => proxy.close());

    const bouncer = await startPgBouncer({
      upstreamHost: proxy.host,
      upstreamPort: proxy.port,
      mode: 'session',
      poolSize: 20,
      maxServerConnections: 20,
      log: options.log,
    });
    if (!bouncer) {
      throw new Error('Cannot run the fault test because PgBouncer is not installed: it restarts PgBouncer on purpose. Install it with `apt-get install pgbouncer` (Debian ships 1.18 in /usr/sbin).');
    }
    cleanups.push(() => bouncer.stop());

    return {
      server,
      database,
      bouncer,
      proxy,
      tenants,
      runtimeUrl: roleUrl(server, ROLES.app, database, bouncer.host, bouncer.port),
      apiAdminUrl: roleUrl(server, ROLES.admin, database, proxy.host, proxy.port),
      oracle,
      superuserUrl: server.superuserUrl(database),
      close,
    };
  } catch (error) {
    await close().catch(() => {});
    throw error;
  }
}
