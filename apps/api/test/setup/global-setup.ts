/**
 * Provisions what the e2e files share, once per run: PostgreSQL (TEST_DATABASE_URL → Docker →
 * embedded, as @tenantry/db's own tests), the Tenantry roles, one migrated database with the demo
 * data, and PgBouncer in session mode in front of it (the route `pnpm dev` and docker-compose use).
 * Each test file seeds its own tenants with random ids, so files can share the database.
 */
import type { TestProject } from 'vitest/node';
import {
  ROLES,
  createMigratedDatabase,
  dropDatabases,
  ensureRoles,
  provisionPostgres,
  roleUrl,
  seedDemoData,
  startPgBouncer,
} from '@tenantry/db/testing';
import { createAdminPrismaClient } from '@tenantry/db/admin';

export interface ApiRig {
  /** tenantry_app, through PgBouncer when installed. */
  runtimeUrl: string;
  /** tenantry_admin, direct. */
  adminUrl: string;
  /** The server's superuser on the run's database, direct: for fault injection (locks, terminating backends). */
  superuserUrl: string;
  route: 'pgbouncer-session' | 'direct';
}

declare module 'vitest' {
  export interface ProvidedContext {
    apiRig: ApiRig;
  }
}

const log = (m: string) => console.log(`[api-rig] ${m}`);

export default async function setup(project: TestProject) {
  const server = await provisionPostgres({ log });
  const database = `tenantry_api_t${process.pid}`;
  let bouncer: Awaited<ReturnType<typeof startPgBouncer>>;
  try {
    await ensureRoles(server);
    await createMigratedDatabase(server, database);
    const admin = createAdminPrismaClient({ connectionString: roleUrl(server, ROLES.admin, database) });
    await seedDemoData(admin).finally(() => admin.$disconnect());
    bouncer = await startPgBouncer({ upstreamHost: server.host, upstreamPort: server.port, mode: 'session', poolSize: 40, log });
  } catch (error) {
    await dropDatabases(server, [database]).catch(() => {});
    await server.stop();
    throw error;
  }
  if (!bouncer) log('pgbouncer is not installed: the e2e tests go straight to Postgres (apt-get install pgbouncer to test the pooled route)');
  project.provide('apiRig', {
    runtimeUrl: bouncer ? roleUrl(server, ROLES.app, database, bouncer.host, bouncer.port) : roleUrl(server, ROLES.app, database),
    adminUrl: roleUrl(server, ROLES.admin, database),
    superuserUrl: server.superuserUrl(database),
    route: bouncer ? 'pgbouncer-session' : 'direct',
  });
  return async () => {
    await bouncer?.stop();
    await dropDatabases(server, [database]);
    await server.stop();
  };
}
