/**
 * Provisions what the e2e files share, once per run (provisionTestRig): PostgreSQL (TEST_DATABASE_URL → Docker →
 * embedded, as @tenantry/db's own tests), the Tenantry roles, one migrated database with the demo
 * data, and PgBouncer in session mode in front of it (the route `pnpm dev` and docker-compose use).
 * Each test file seeds its own tenants with random ids, so files can share the database.
 */
import type { TestProject } from 'vitest/node';
import { provisionTestRig } from '@tenantry/db/testing';

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
  // PgBouncer is optional here, deliberately: without the binary the e2e tests go straight to
  // Postgres (and `route` says so) rather than not running at all. The fault test requires it.
  const rig = await provisionTestRig({
    purpose: 'the e2e tests',
    database: `tenantry_api_t${process.pid}`,
    seed: 'demo',
    pgbouncer: { modes: ['session'], poolSize: 40, ifMissing: 'direct' },
    log,
  });
  const route = rig.hasRoute('pgbouncer-session') ? 'pgbouncer-session' : 'direct';
  project.provide('apiRig', {
    runtimeUrl: rig.url('app', route),
    adminUrl: rig.url('admin'),
    superuserUrl: rig.url('superuser'),
    route,
  });
  return rig.stop;
}
