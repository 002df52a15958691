/**
 * Provisions everything the integration tests share, once per run (provisionTestRig): a Postgres
 * server (env URL → testcontainers → embedded), the three roles, a template database migrated with
 * the committed migrations, and PgBouncer in session and transaction mode in front of it. PgBouncer
 * is required here: every integration file runs on both pooled routes.
 */
import type { TestProject } from 'vitest/node';
import { provisionTestRig, type TestRigInfo } from '../../src/testing/index.js';
import { citusUrlFromEnv } from '../../src/testing/citus.js';

/** The kit's TestRigInfo, with the template's name and both PgBouncer ports always there. */
export interface RigInfo extends TestRigInfo {
  template: string;
  pgbouncer: { session: number; transaction: number };
}

declare module 'vitest' {
  export interface ProvidedContext {
    rig: RigInfo;
  }
}

const log = (msg: string) => console.log(`[rig] ${msg}`);

// Vitest runs a root globalSetup once per project (four here), in one process. The rig is shared:
// the first call provisions it, the others wait for it, and the last teardown stops it.
type Shared = { ready: Promise<{ info: RigInfo; stop: () => Promise<void> }>; users: number };
const sharedKey = Symbol.for('tenantry.test.rig');

export default async function setup(project: TestProject) {
  const g = globalThis as typeof globalThis & { [sharedKey]?: Shared };
  const shared = (g[sharedKey] ??= { ready: provision(), users: 0 });
  shared.users += 1;
  const { info, stop } = await shared.ready;
  project.provide('rig', info);
  return async () => {
    shared.users -= 1;
    if (shared.users === 0) {
      delete g[sharedKey];
      await stop();
    }
  };
}

async function provision(): Promise<{ info: RigInfo; stop: () => Promise<void> }> {
  // The Citus lane (vitest.citus.config.ts): the server is the coordinator at CITUS_URL, and every
  // test database is migrated afresh (a template's copy would not have the template's shards) and
  // then distributed (test/support/test-database.ts).
  const citus = process.env.TENANTRY_CITUS === '1';
  if (citus) process.env.TEST_DATABASE_URL = citusUrlFromEnv();
  const rig = await provisionTestRig({
    prefix: `tenantry_t${process.pid}`,
    ...(citus ? { source: 'env' as const, database: false as const } : {}),
    template: !citus,
    pgbouncer: { modes: ['session', 'transaction'], poolSize: 10 },
    log,
  });
  const info: RigInfo = {
    ...rig.info,
    template: rig.info.template ?? '',
    pgbouncer: { session: rig.bouncer('session').port, transaction: rig.bouncer('transaction').port },
  };
  return { info, stop: rig.stop };
}
