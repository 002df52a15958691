/**
 * The database `pnpm dev` runs against, ready to serve: roles, migrations, demo data, pooler.
 *
 * - `DATABASE_URL` set (docker-compose, Supabase, your own server): those URLs as given. Migrations
 *   run when `DIRECT_URL` is set; demo data is seeded when `DATABASE_ADMIN_URL` is set.
 * - Unset: a persistent embedded PostgreSQL whose data lives in `dataDir` (survives restarts), on
 *   `EMBEDDED_PG_PORT` or a free port (never 5432, so it cannot collide with a server already
 *   there), with the three roles, the `tenantry` database migrated as the owner, the demo data
 *   (idempotent), and PgBouncer in session mode in front when the binary is installed (else the
 *   runtime URL goes straight to Postgres, and `pooler` says so).
 *
 * @example
 * const db = await provisionDevDatabase({ dataDir: '.tenantry/dev-db', log: console.log });
 * process.env.DATABASE_URL = db.databaseUrl; // tenantry_app through PgBouncer
 * // ... run the apps, then:
 * await db.stop();
 */
import { existsSync, readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { migrateDeploy } from '../../scripts/migrate/run.js';
import { createAdminPrismaClient } from '../admin.js';
import { ROLES, ensureRoles, roleUrl } from './databases.js';
import { seedDemoData } from './demo-data.js';
import { startPgBouncer } from './pgbouncer.js';
import { freeLocalPort, provisionPersistentEmbeddedPostgres, type PostgresServer } from './postgres-server.js';

export interface DevDatabase {
  source: 'embedded' | 'env';
  /** Runtime role (tenantry_app), through the pooler when there is one. */
  databaseUrl: string;
  /** Owner role, straight to Postgres (migrations). */
  directUrl: string | undefined;
  /** Admin role (BYPASSRLS), for @tenantry/db/admin. */
  adminUrl: string | undefined;
  /** How the runtime URL reaches Postgres, for people: "pgbouncer session mode on 127.0.0.1:6432". */
  route: string;
  /** Migrations applied by this call (empty when up to date, or when none ran). */
  appliedMigrations: string[];
  /** Row counts of the demo data, when it was seeded. */
  seeded: Record<string, number> | undefined;
  /** Stops what this call started (PgBouncer, the embedded server); the data stays. */
  stop(): Promise<void>;
}

export interface ProvisionDevDatabaseOptions {
  /** Where the embedded server keeps its data, e.g. `<repo>/.tenantry/dev-db`. */
  dataDir: string;
  /** Embedded server port; default EMBEDDED_PG_PORT, else a free one. */
  port?: number;
  /** Database name on the embedded server; default `tenantry`. */
  database?: string;
  /** Load the demo tenants; default true. */
  seed?: boolean;
  env?: NodeJS.ProcessEnv;
  log?: (message: string) => void;
}

export async function provisionDevDatabase(options: ProvisionDevDatabaseOptions): Promise<DevDatabase> {
  const env = options.env ?? process.env;
  const log = options.log ?? (() => {});
  const seed = options.seed ?? true;
  if (env.DATABASE_URL) return useConfiguredDatabase(env, seed, log);

  const database = options.database ?? 'tenantry';
  const dataDir = path.resolve(options.dataDir);
  // Running as root, the server runs as the `postgres` OS user, which must traverse every parent.
  await fs.mkdir(path.dirname(dataDir), { recursive: true, mode: 0o755 });
  const server = (await runningServer(dataDir)) ?? (await startServer(dataDir, options, env, log));
  let bouncer: Awaited<ReturnType<typeof startPgBouncer>>;
  try {
    await ensureRoles(server);
    await ensureDatabase(server, database);
    const directUrl = roleUrl(server, ROLES.owner, database);
    const adminUrl = roleUrl(server, ROLES.admin, database);
    const { appliedMigrationNames } = await migrateDeploy({ url: directUrl });
    const seeded = seed ? await seedWith(adminUrl) : undefined;
    bouncer = await startPgBouncer({ upstreamHost: server.host, upstreamPort: server.port, mode: 'session', poolSize: 20, log });
    const databaseUrl = bouncer
      ? roleUrl(server, ROLES.app, database, bouncer.host, bouncer.port)
      : roleUrl(server, ROLES.app, database);
    const route = bouncer
      ? `pgbouncer session mode on 127.0.0.1:${bouncer.port} → postgres 127.0.0.1:${server.port}`
      : `direct to postgres 127.0.0.1:${server.port} (pgbouncer is not installed: apt-get install pgbouncer)`;
    return {
      source: 'embedded',
      databaseUrl,
      directUrl,
      adminUrl,
      route,
      appliedMigrations: appliedMigrationNames,
      seeded,
      async stop() {
        await bouncer?.stop();
        await server.stop();
      },
    };
  } catch (error) {
    await server.stop();
    throw error;
  }
}

async function useConfiguredDatabase(env: NodeJS.ProcessEnv, seed: boolean, log: (m: string) => void): Promise<DevDatabase> {
  const directUrl = env.DIRECT_URL || undefined;
  const adminUrl = env.DATABASE_ADMIN_URL || undefined;
  let appliedMigrations: string[] = [];
  if (directUrl) appliedMigrations = (await migrateDeploy({ url: directUrl })).appliedMigrationNames;
  else log('DIRECT_URL is not set: not running migrations');
  const seeded = seed && adminUrl ? await seedWith(adminUrl) : undefined;
  if (seed && !adminUrl) log('DATABASE_ADMIN_URL is not set: not seeding demo data');
  const host = new URL(env.DATABASE_URL!);
  return {
    source: 'env',
    databaseUrl: env.DATABASE_URL!,
    directUrl,
    adminUrl,
    route: `DATABASE_URL (${host.hostname}:${host.port || 5432})`,
    appliedMigrations,
    seeded,
    stop: async () => {},
  };
}

async function seedWith(adminUrl: string): Promise<Record<string, number>> {
  const admin = createAdminPrismaClient({ connectionString: adminUrl, poolSize: 1 });
  try {
    return await seedDemoData(admin);
  } finally {
    await admin.$disconnect();
  }
}

async function startServer(dataDir: string, options: ProvisionDevDatabaseOptions, env: NodeJS.ProcessEnv, log: (m: string) => void): Promise<PostgresServer> {
  const port = options.port ?? (env.EMBEDDED_PG_PORT ? Number(env.EMBEDDED_PG_PORT) : await freeLocalPort());
  if (!Number.isInteger(port) || port <= 0 || port > 65_535 || port === 5432) {
    throw new Error('Cannot start the dev database because EMBEDDED_PG_PORT is not a port other than 5432. Unset it to pick a free port.');
  }
  const server = await provisionPersistentEmbeddedPostgres(dataDir, port, log);
  log(`postgres: embedded, data in ${dataDir}, port ${server.port}`);
  return server;
}

/**
 * A server left running on `dataDir` by an earlier run that did not stop it (killed with -9, say):
 * reuse it rather than fail on its lock file. Its postmaster.pid holds the pid and the port.
 */
async function runningServer(dataDir: string): Promise<PostgresServer | undefined> {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return undefined;
  const [pidLine, , , portLine] = readFileSync(pidFile, 'utf8').split('\n');
  const pid = Number(pidLine);
  const port = Number(portLine);
  try {
    process.kill(pid, 0);
  } catch {
    return undefined; // stale: postgres removes it itself on start
  }
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const probe = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  try {
    await probe.connect();
  } catch {
    return undefined;
  } finally {
    await probe.end().catch(() => {});
  }
  return {
    source: 'embedded',
    host: '127.0.0.1',
    port,
    superuserUrl(database) {
      const u = new URL(url);
      if (database !== undefined) u.pathname = `/${encodeURIComponent(database)}`;
      return u.href;
    },
    // Started by someone else: stop it the way it would have been stopped.
    async stop() {
      try {
        process.kill(pid, 'SIGINT');
      } catch {
        /* already gone */
      }
    },
  };
}

/** Creates `name` owned by tenantry_owner when it does not exist; never drops anything. */
async function ensureDatabase(server: PostgresServer, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: server.superuserUrl() });
  await client.connect();
  try {
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (rowCount) return;
    await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)} OWNER ${ROLES.owner}`);
  } finally {
    await client.end();
  }
  // PG 15 no longer lets every role create in public; the owner needs its schema.
  const db = new pg.Client({ connectionString: server.superuserUrl(name) });
  await db.connect();
  try {
    await db.query(`ALTER SCHEMA public OWNER TO ${ROLES.owner}`);
  } finally {
    await db.end();
  }
}
