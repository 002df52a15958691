/**
 * Provisions everything the integration tests share, once per run: a Postgres server (env URL →
 * testcontainers → embedded), the three roles, a template database migrated with the committed
 * migrations, and PgBouncer in session and transaction mode in front of it.
 */
import type { TestProject } from 'vitest/node';
import { provisionPostgres, type PostgresServer } from '../../src/testing/postgres-server.js';
import { startPgBouncer, type PgBouncer } from '../../src/testing/pgbouncer.js';
import { createMigratedDatabase, dropDatabases, ensureRoles } from '../../src/testing/databases.js';

export interface RigInfo {
  host: string;
  port: number;
  superuserUrl: string;
  template: string;
  prefix: string;
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
  const prefix = `tenantry_t${process.pid}`;
  const template = `${prefix}_template`;
  const started = Date.now();
  const server: PostgresServer = await provisionPostgres({ log });
  const bouncers: PgBouncer[] = [];
  try {
    await ensureRoles(server);
    await createMigratedDatabase(server, template);
    for (const mode of ['session', 'transaction'] as const) {
      const bouncer = await startPgBouncer({ upstreamHost: server.host, upstreamPort: server.port, mode, poolSize: 10, log });
      if (!bouncer) {
        throw new Error(
          'Cannot run the PgBouncer routes because the pgbouncer binary is not installed. ' +
            'Install it with `apt-get update && apt-get install -y pgbouncer` (Debian) and run the tests again.',
        );
      }
      bouncers.push(bouncer);
    }
  } catch (error) {
    await Promise.all(bouncers.map((b) => b.stop()));
    await server.stop();
    throw error;
  }
  log(`ready in ${Date.now() - started} ms: ${server.source} postgres ${server.host}:${server.port}, template ${template}, pgbouncer session :${bouncers[0]!.port} transaction :${bouncers[1]!.port}`);
  const info: RigInfo = {
    host: server.host,
    port: server.port,
    superuserUrl: server.superuserUrl(),
    template,
    prefix,
    pgbouncer: { session: bouncers[0]!.port, transaction: bouncers[1]!.port },
  };
  const stop = async () => {
    await Promise.all(bouncers.map((b) => b.stop()));
    await dropDatabases(server, { prefix });
    await server.stop();
  };
  return { info, stop };
}
