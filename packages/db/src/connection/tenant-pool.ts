/**
 * The connection layer: a `pg.Pool` whose every data statement carries the RLS settings of the
 * tenant context that was active when the operation STARTED.
 *
 * Why capture at `connect()` and not later: when the pool is exhausted, pg-pool hands a freed
 * connection to the next waiter from inside the *releasing* request's callback, so reading
 * AsyncLocalStorage there reads the wrong tenant (measured: 1,550 of 1,600 rows leaked with max 2).
 * `pool.query()` calls `this.connect()` synchronously, so overriding `connect` covers both Prisma's
 * ordinary queries (`pool.query`) and its interactive transactions (`pool.connect` + BEGIN): the
 * captured settings are bound to the client for the length of that checkout.
 *
 * Pass this pool to `new PrismaPg(pool)`: adapter-pg accepts it because it is a `pg.Pool`
 * (an `instanceof` check that fails silently, building its own unscoped pool, if the app resolves
 * a second copy of `pg`; keep one).
 */
import { createRequire } from 'node:module';
import pg from 'pg';
import { tenantContext } from '../tenant-context.js';
import { TenantClientClosedError, TenantryConfigError, UnsupportedQueryError } from '../errors.js';
import { rlsSettingsFor, type RlsSettings } from './rls-settings.js';
import { TenantQuery } from './tenant-query.js';

const settingsKey = Symbol('tenantry.rlsSettings');

/**
 * Transaction control passes through untouched: a set_config in front of ROLLBACK inside an aborted
 * transaction would fail (25P02) and the ROLLBACK would never run; in front of SET TRANSACTION it
 * would make the isolation level fail (25001). Inside a transaction the settings travel with each
 * data statement instead, so ROLLBACK TO SAVEPOINT cannot undo them.
 */
const TRANSACTION_CONTROL =
  /^\s*(BEGIN|START\s+TRANSACTION|SET\s+TRANSACTION|SAVEPOINT|RELEASE|ROLLBACK|ABORT|COMMIT|END)\b[^;]*;?\s*$/i;

type Callback = (err: Error | null, res?: unknown) => void;

export interface TenantPoolConfig extends pg.PoolConfig {
  /**
   * What sits between this pool and Postgres. `'transaction'` (default, safe everywhere) sends the
   * settings as an unnamed statement with every query. `'session'` or `'none'` (direct) may use a
   * named prepared statement, parsed once per connection, which saves re-parsing it each time; do
   * not use them behind a transaction-mode pooler (PgBouncer < 1.21 or Supavisor 6543).
   */
  pooler?: 'transaction' | 'session' | 'none';
}

export class TenantClient extends pg.Client {
  [settingsKey]: RlsSettings = rlsSettingsFor(undefined);
  private readonly preparedSettings: boolean;

  constructor(config?: TenantPoolConfig) {
    super(config);
    this.preparedSettings = config?.pooler === 'session' || config?.pooler === 'none';
  }

  // pg's typings model query() as a family of overloads; this override keeps its runtime contract
  // (callback when given, promise otherwise) and routes every data statement through TenantQuery.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  override query(config: any, values?: any, callback?: any): any {
    if (config !== null && typeof config === 'object' && typeof config.submit === 'function') {
      if (config instanceof TenantQuery) return super.query(config as never, values, callback);
      return fail(callback ?? values, new UnsupportedQueryError(
        'Cannot run a custom query object (pg-cursor, pg-query-stream) on the tenant pool because it would ' +
          'run without the tenant settings. Use Prisma queries or pool.query(text, values).',
      ));
    }
    const text: unknown = typeof config === 'string' ? config : config?.text;
    if (typeof values === 'function') {
      callback = values;
      values = undefined;
    }
    const normalized = typeof config === 'string' ? { text: config } : { ...config };
    if (values !== undefined) normalized.values = values;
    if (typeof text === 'string' && TRANSACTION_CONTROL.test(text) && !normalized.values?.length) {
      // Extended protocol even without parameters: it refuses multi-statement strings, so
      // "COMMIT; <data statement>" cannot smuggle a statement past the settings.
      return super.query({ ...normalized, queryMode: 'extended' }, callback);
    }
    if (normalized.name || normalized.rows) {
      return fail(callback, new UnsupportedQueryError(
        'Cannot run a named prepared statement or a portal (rows) on the tenant pool because the tenant ' +
          'settings travel in the same unnamed pipeline. Remove `name`/`rows` from the query config.',
      ));
    }
    let promise: Promise<unknown> | undefined;
    let cb = callback as Callback | undefined;
    if (!cb && typeof normalized.callback !== 'function') {
      promise = new Promise((resolve, reject) => {
        cb = (err, res) => (err ? reject(err) : resolve(res));
      });
    }
    super.query(new TenantQuery(normalized, undefined, cb, this[settingsKey], this.preparedSettings) as never);
    return promise;
  }
}

/** Reports an error the way pg does: through the callback, or as a rejected promise. */
function fail(callback: unknown, error: Error): Promise<never> | undefined {
  if (typeof callback === 'function') {
    process.nextTick(() => (callback as Callback)(error));
    return undefined;
  }
  return Promise.reject(error);
}

export class TenantPool extends pg.Pool {
  constructor(config: TenantPoolConfig = {}) {
    if (config.pooler !== undefined && !['transaction', 'session', 'none'].includes(config.pooler)) {
      throw new TenantryConfigError(
        `Cannot create the tenant pool because pooler must be 'transaction', 'session' or 'none'. Use 'transaction' when unsure.`,
      );
    }
    assertSupportedPg();
    super({ ...config, Client: TenantClient } as pg.PoolConfig);
    // pg-pool and adapter-pg attach their own 'error' listeners while a client is idle or in use,
    // but a backend terminated (57P01) in the gap between theirs would emit an unhandled 'error'
    // and crash the process. This listener only closes that gap: the client is unusable after such
    // an error (`_queryable` is false), so pg-pool discards it when it is released.
    this.on('connect', (client) => {
      client.on('error', () => {});
    });
  }

  override connect(): Promise<pg.PoolClient>;
  override connect(
    callback: (err: Error | undefined, client: pg.PoolClient | undefined, done: (release?: unknown) => void) => void,
  ): void;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  override connect(callback?: any): any {
    if (this.ending) {
      const error = new TenantClientClosedError();
      if (typeof callback === 'function') return void process.nextTick(() => callback(error));
      return Promise.reject(error);
    }
    // Read the context NOW, synchronously, in the caller's async context (I3).
    const settings = rlsSettingsFor(tenantContext.get());
    const bind = (client: unknown) => {
      if (client) (client as TenantClient)[settingsKey] = settings;
    };
    if (typeof callback === 'function') {
      return super.connect((err, client, done) => {
        bind(client);
        callback(err, client, done);
      });
    }
    return super.connect().then((client) => {
      bind(client);
      return client;
    });
  }
}

/**
 * pg before 8.19 ignores the callback that pg-pool passes with a custom query object, and pg
 * before 8.15 does not export `utils.prepareValue`: fail at construction, not with a hung query.
 */
function assertSupportedPg(): void {
  const require = createRequire(import.meta.url);
  const { version } = require('pg/package.json') as { version: string };
  const [major, minor] = version.split('.').map(Number) as [number, number];
  if (major !== 8 || minor < 19) {
    throw new UnsupportedQueryError(
      `Cannot create the tenant pool because pg ${version} is installed. Install pg >= 8.19 < 9 (tested with 8.23).`,
    );
  }
}
