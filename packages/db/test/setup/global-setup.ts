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

export default async function setup(project: TestProject) {
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
  project.provide('rig', {
    host: server.host,
    port: server.port,
    superuserUrl: server.superuserUrl(),
    template,
    prefix,
    pgbouncer: { session: bouncers[0]!.port, transaction: bouncers[1]!.port },
  });
  return async () => {
    await Promise.all(bouncers.map((b) => b.stop()));
    await dropDatabases(server, { prefix });
    await server.stop();
  };
}
