/**
 * The test rig, once: a PostgreSQL server we own as superuser (TEST_DATABASE_URL → testcontainers →
 * embedded), the Tenantry roles, a database migrated with the project's migrations (or a template that
 * others are copied from), optionally seeded, PgBouncer in the requested pool modes, the URL of every role on every
 * route, and ONE `stop()` that takes everything down in reverse order.
 *
 * In this repository the db, api and web suites, the fault test, the benchmark, the isolation fuzzer
 * and the CI database all provision through this (packages/db binds it to its schema and demo data);
 * `pnpm dev`'s persistent database reuses its steps (ensureRoles, startPgBouncer) but keeps its own
 * life cycle.
 *
 * @example
 * const rig = await provisionTestRig({
 *   prefix: `myapp_t${process.pid}`,
 *   migrations: { schemaPath: 'prisma/schema.prisma', migrationsDir: 'prisma/migrations' },
 *   pgbouncer: { modes: ['transaction'] },
 * });
 * try {
 *   const url = rig.url('app', 'pgbouncer-transaction'); // tenantry_app → PgBouncer → Postgres
 * } finally {
 *   await rig.stop();
 * }
 */
import {
  ROLES,
  createDatabaseFromTemplate,
  createMigratedDatabase,
  dropDatabases,
  ensureRoles,
  migrationSourceFromEnv,
  roleUrl,
  type MigrationSource,
  type RoleName,
} from './databases.js';
import { startPgBouncer, type PgBouncer, type PoolMode } from './pgbouncer.js';
import { provisionPostgres, type PostgresServer, type PostgresSource } from './postgres-server.js';

/** How a client reaches Postgres: straight, or through the rig's PgBouncer in one pool mode. */
export type Route = 'direct' | 'pgbouncer-session' | 'pgbouncer-transaction';
/** A role by its short name (`app`), its database name (`tenantry_app`), or the server's superuser. */
export type RigRole = keyof typeof ROLES | RoleName | 'superuser';

/** What PgBouncer connects to instead of the server itself (e.g. the fault test's pausable proxy). */
export interface RigUpstream {
  host: string;
  port: number;
  close(): Promise<void>;
}

export interface TestRigOptions<U extends RigUpstream | undefined = undefined> {
  log?: (message: string) => void;
  /** Who is provisioning, for error messages: "Cannot run <purpose> because ...". Default "the tests". */
  purpose?: string;
  /** Skip provisioning steps (see provisionPostgres); `'env'` insists on TEST_DATABASE_URL. */
  source?: PostgresSource;
  /**
   * Every database whose name starts with `<prefix>_` is this rig's: stop() drops them (and
   * `database`). Default: `database`, else `tenantry_rig<pid>`. Include the pid (or a random part)
   * so parallel runs on one shared server never touch each other's databases.
   */
  prefix?: string;
  /** The migrated database's name; `false` for none (create them later with createDatabase()). Default `<prefix>_template` with `template`, else `<prefix>`. */
  database?: string | false;
  /**
   * The database is a template: nothing stays connected to it, and createDatabase() copies it
   * (`CREATE DATABASE ... TEMPLATE`, ~50 ms) instead of running the migrations again.
   */
  template?: boolean;
  /**
   * Runs on the server after the Tenantry roles exist and before any migration, e.g. to create the role
   * a project's migrations grant to when it is not tenantry_app (`tenantry fuzz` does).
   */
  beforeMigrate?: (server: PostgresServer) => Promise<void>;
  /** The schema and migrations the database is migrated with. Default: {@link migrationSourceFromEnv} (the current directory's prisma/). */
  migrations?: MigrationSource;
  /**
   * Loads data into the freshly migrated database before anything copies it (a template's copies
   * have it too). Gets the database's URLs by role (`admin` bypasses RLS: seeding crosses tenants).
   */
  seed?: ((database: { name: string; url(role: keyof typeof ROLES): string }) => Promise<unknown>) | false;
  /** PgBouncer in front of the server, one per mode. Default: none. */
  pgbouncer?: {
    modes: readonly PoolMode[];
    /** default_pool_size of each. Default 10. */
    poolSize?: number;
    /** Roles clients log in as besides the Tenantry roles and the superuser (PgBouncer lists every user it accepts). */
    users?: readonly string[];
    /** max_db_connections of each (upstream connections per database). Default 30. */
    maxServerConnections?: number;
    /**
     * No pgbouncer binary: `'fail'` (default) throws, saying how to install it; `'direct'` logs
     * that and carries on without (the route is then missing from `bouncers`; ask `hasRoute`).
     */
    ifMissing?: 'fail' | 'direct';
    /** Started after the database and before the bouncers, which then connect to it, not to Postgres. stop() closes it. */
    upstream?: (server: PostgresServer) => Promise<U>;
  };
  /** Refuse a server that is not on loopback (tests whose load and faults must never cross a network). */
  requireLoopback?: boolean;
  /** stop() leaves the databases in place (a CI database that outlives the script). */
  keepDatabases?: boolean;
}

/** The rig's coordinates, JSON-serializable: pass it to vitest workers (`provide`) and attachTestRig() it there. */
export interface TestRigInfo {
  source: PostgresSource;
  host: string;
  port: number;
  /** Superuser on the server's default database. */
  superuserUrl: string;
  prefix: string;
  /** The migrated database (undefined with `database: false`). */
  database: string | undefined;
  /** The same database's name when it is a template (`template: true`), else undefined. */
  template: string | undefined;
  /** PgBouncer ports by pool mode, for the modes that run. */
  pgbouncer: Partial<Record<PoolMode, number>>;
  /** What createDatabase() migrates a non-template copy with. */
  migrations?: MigrationSource;
}

/** What a worker process can do with a TestRigInfo: URLs and databases, but no stop(). */
export interface AttachedTestRig {
  info: TestRigInfo;
  /** The server, as a handle whose stop() does nothing (the rig's owner stops it). */
  server: PostgresServer;
  /** `role` on `route` to `database` (default the rig's database). Throws for a route with no PgBouncer. */
  url(role: RigRole, route?: Route, database?: string): string;
  hasRoute(route: Route): boolean;
  /**
   * Creates `<prefix>_<suffix>`, a copy of the template (template rigs) or freshly migrated, and
   * returns its name. It is dropped by the rig's stop(); drop it earlier with dropDatabases.
   */
  createDatabase(suffix: string): Promise<string>;
}

export interface TestRig<U extends RigUpstream | undefined = undefined> extends AttachedTestRig {
  bouncers: Partial<Record<PoolMode, PgBouncer>>;
  /** The bouncer of `mode`; throws when the rig has none in that mode. */
  bouncer(mode: PoolMode): PgBouncer;
  /** What `pgbouncer.upstream` returned. */
  upstream: U;
  /**
   * Stops the bouncers and the upstream, drops the rig's databases, stops the server: reverse
   * order, every step attempted (an AggregateError names the ones that failed). Idempotent.
   */
  stop(): Promise<void>;
}

const ROUTE_MODE: Record<Exclude<Route, 'direct'>, PoolMode> = {
  'pgbouncer-session': 'session',
  'pgbouncer-transaction': 'transaction',
};

export function pgbouncerMissingError(purpose: string): Error {
  return new Error(
    `Cannot run ${purpose} through PgBouncer because the pgbouncer binary is not installed (looked in PATH, /usr/sbin and /usr/local/sbin). ` +
      'Install it with `apt-get update && apt-get install -y pgbouncer` (Debian ships 1.18 in /usr/sbin) and run again.',
  );
}

export async function provisionTestRig<U extends RigUpstream | undefined = undefined>(
  options: TestRigOptions<U> = {},
): Promise<TestRig<U>> {
  const log = options.log ?? (() => {});
  const purpose = options.purpose ?? 'the tests';
  const template = options.template ?? false;
  const prefix =
    options.prefix ?? (typeof options.database === 'string' ? options.database : `tenantry_rig${process.pid}`);
  const database =
    options.database === false ? undefined : (options.database ?? (template ? `${prefix}_template` : prefix));
  const started = Date.now();

  // Each step that starts something pushes how to undo it; stop() (or a failure) runs them backwards.
  const cleanups: Array<() => Promise<unknown>> = [];
  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      const errors: unknown[] = [];
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch((error: unknown) => errors.push(error));
      if (errors.length)
        throw new AggregateError(
          errors,
          `Cannot take down the test rig of ${purpose}: ${errors.length} step(s) failed (${errors.map(messageOf).join('; ')})`,
        );
    })());

  try {
    const server = await provisionPostgres({ log, source: options.source });
    cleanups.push(() => server.stop());
    if (options.requireLoopback && !['127.0.0.1', 'localhost', '::1', '[::1]'].includes(server.host)) {
      throw new Error(
        `Cannot run ${purpose} against ${server.host} because it keeps all its traffic on loopback. Point TEST_DATABASE_URL at a server on 127.0.0.1.`,
      );
    }
    await ensureRoles(server);
    await options.beforeMigrate?.(server);
    if (!options.keepDatabases) {
      cleanups.push(async () => {
        if (database) await dropDatabases(server, [database]);
        await dropDatabases(server, { prefix: `${prefix}_` });
      });
    }
    const migrations = options.migrations ?? migrationSourceFromEnv();
    if (database) {
      await createMigratedDatabase(server, database, migrations);
      if (options.seed) await options.seed({ name: database, url: (role) => roleUrl(server, ROLES[role], database) });
    }

    const bouncers: Partial<Record<PoolMode, PgBouncer>> = {};
    let upstream = undefined as U;
    const spec = options.pgbouncer;
    if (spec?.modes.length) {
      if (spec.upstream) {
        upstream = await spec.upstream(server);
        const u = upstream!;
        cleanups.push(() => u.close());
      }
      const target = upstream ?? { host: server.host, port: server.port };
      for (const mode of spec.modes) {
        const bouncer = await startPgBouncer({
          upstreamHost: target.host,
          upstreamPort: target.port,
          mode,
          poolSize: spec.poolSize ?? 10,
          maxServerConnections: spec.maxServerConnections,
          ...(spec.users?.length ? { users: ['postgres', ...Object.values(ROLES), ...spec.users] } : {}),
          log,
        });
        if (!bouncer) {
          if ((spec.ifMissing ?? 'fail') === 'fail') throw pgbouncerMissingError(purpose);
          log(
            `pgbouncer is not installed: ${purpose} go straight to Postgres (apt-get install pgbouncer to test the pooled route)`,
          );
          break;
        }
        cleanups.push(() => bouncer.stop());
        bouncers[mode] = bouncer;
      }
    }

    const info: TestRigInfo = {
      source: server.source,
      host: server.host,
      port: server.port,
      superuserUrl: server.superuserUrl(),
      prefix,
      database,
      template: template ? database : undefined,
      pgbouncer: Object.fromEntries(Object.entries(bouncers).map(([mode, b]) => [mode, b.port])),
      migrations,
    };
    const attached = attach(info, server, migrations);
    const via = Object.entries(bouncers).map(([mode, b]) => `pgbouncer ${mode} :${b.port}`);
    log(
      `ready in ${Date.now() - started} ms: ${server.source} postgres ${server.host}:${server.port}${database ? `, ${template ? 'template' : 'database'} ${database}` : ''}${via.length ? `, ${via.join(', ')}` : ''}`,
    );
    return {
      ...attached,
      bouncers,
      bouncer(mode) {
        const bouncer = bouncers[mode];
        if (!bouncer)
          throw new Error(
            `Cannot use PgBouncer in ${mode} mode because this rig did not start one (pgbouncer.modes: ${spec?.modes.join(', ') || 'none'}).`,
          );
        return bouncer;
      },
      upstream,
      stop,
    };
  } catch (error) {
    await stop().catch((cleanupError: unknown) => log(`cleanup after a failed start: ${messageOf(cleanupError)}`));
    throw error;
  }
}

/** The rig of `info` (from provisionTestRig, passed to this process): URLs and databases, no stop(). */
export function attachTestRig(info: TestRigInfo): AttachedTestRig {
  const migrations = info.migrations ?? migrationSourceFromEnv();
  const server: PostgresServer = {
    source: info.source,
    host: info.host,
    port: info.port,
    superuserUrl(database?: string) {
      const url = new URL(info.superuserUrl);
      if (database) url.pathname = `/${encodeURIComponent(database)}`;
      return url.toString();
    },
    async stop() {},
  };
  return attach(info, server, migrations);
}

function attach(info: TestRigInfo, server: PostgresServer, migrations: MigrationSource): AttachedTestRig {
  const hasRoute = (route: Route) => route === 'direct' || info.pgbouncer[ROUTE_MODE[route]] !== undefined;
  return {
    info,
    server,
    hasRoute,
    url(role, route = 'direct', database = info.database) {
      if (database === undefined)
        throw new Error('Cannot build a URL because this rig has no database of its own (database: false): name one.');
      let host = server.host;
      let port = server.port;
      if (route !== 'direct') {
        const bouncerPort = info.pgbouncer[ROUTE_MODE[route]];
        if (bouncerPort === undefined)
          throw new Error(
            `Cannot build a URL on route ${route} because this rig runs no PgBouncer in ${ROUTE_MODE[route]} mode.`,
          );
        host = '127.0.0.1';
        port = bouncerPort;
      }
      if (role === 'superuser') {
        const url = new URL(server.superuserUrl(database));
        url.hostname = host;
        url.port = String(port);
        return url.toString();
      }
      const name: RoleName = role in ROLES ? ROLES[role as keyof typeof ROLES] : (role as RoleName);
      return roleUrl(server, name, database, host, port);
    },
    async createDatabase(suffix) {
      const name = `${info.prefix}_${suffix}`;
      if (info.template) await createDatabaseFromTemplate(server, name, info.template);
      else await createMigratedDatabase(server, name, migrations);
      return name;
    },
  };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
