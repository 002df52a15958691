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
import pg from 'pg';
import { governingDeadlineOf, runInCapturedContext, tenantContext } from '../tenant-context.js';
import {
  ConnectionLostError,
  DatabaseUnreachableError,
  DeadlineExceededError,
  PoolExhaustedError,
} from '../availability-errors.js';
import { availabilityErrorOf } from './classify-errors.js';
import { TenantClientClosedError, TenantryConfigError } from '../errors.js';
import { TIMEOUT_OPTIONS, fixedLimits, rlsSettingsFor, type TimeoutSettings } from './rls-settings.js';
import { assertSupportedPg, isPoolWaitTimeout } from '../internals/pg-internals.js';
import { distributedFromEnv } from '../config.js';
import { checkoutOrigin } from './statement-origin.js';
import {
  TenantClient,
  UNBOUND,
  boundKey,
  modelCheckoutKey,
  modeKey,
  resetPolicyKey,
  timeoutsKey,
  type Bound,
  type ClientTimeouts,
} from './tenant-client.js';

export { TenantClient } from './tenant-client.js';

/** pg's own timeout options, which it sends as startup parameters; taken over, see below. */
const PG_STARTUP_TIMEOUTS = [
  ['statement_timeout', 'statementTimeoutMillis'],
  ['lock_timeout', 'lockTimeoutMillis'],
  ['idle_in_transaction_session_timeout', 'idleInTransactionTimeoutMillis'],
] as const;

export interface TenantPoolConfig extends pg.PoolConfig, TimeoutSettings {
  /**
   * What sits between this pool and Postgres: `'transaction'` (the default, safe everywhere),
   * `'session'` or `'none'` (direct). With `'none'` or `'session'` each server session belongs to
   * one connection of this pool for the connection's lifetime, so the session reset (`DISCARD
   * ALL`) runs only when the session may hold state: on a new connection, and after raw SQL or
   * anything else but a model operation's statements (ResetPolicy in tenant-query.ts,
   * statement-origin.ts). Behind a transaction-mode pooler
   * (PgBouncer `pool_mode = transaction`, Supavisor's port 6543) other clients share the server
   * sessions: declare `'transaction'` there, or the next statement could meet their state.
   */
  pooler?: 'transaction' | 'session' | 'none';
  /**
   * `'citus'`: the database is a Citus coordinator. The settings then go as `SET LOCAL` statements
   * inside a transaction block the pipeline opens (BEGIN ... COMMIT under one Sync, still one round
   * trip), which Citus propagates to the workers; `set_config` is not propagated, and every query
   * on a distributed table would see no tenant (0 rows). See docs/citus.md.
   */
  distributed?: 'citus';
  /**
   * `statementTimeoutMillis`, `lockTimeoutMillis`, `idleInTransactionTimeoutMillis` (and pg's own
   * `statement_timeout`, `lock_timeout`, `idle_in_transaction_session_timeout`, which are mapped to
   * them) travel transaction-locally with every statement, never as startup parameters: PgBouncer
   * refuses those.
   */
}

function validTimeout(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 2_147_483_647) {
    throw new TenantryConfigError(
      `Cannot create the tenant pool because ${name} is not a whole number of milliseconds. ` +
        `Pass an integer from 0 (no limit) to 2147483647, e.g. ${name}: 5000.`,
    );
  }
  return value;
}

/** Takes the timeouts out of the pg config (no startup parameters) and validates them. */
function takeTimeouts(config: TenantPoolConfig): { rest: pg.PoolConfig; timeouts: TimeoutSettings } {
  const rest: Record<string, unknown> = { ...config };
  const timeouts: Record<string, number> = {};
  for (const [pgName, option] of PG_STARTUP_TIMEOUTS) {
    const value = rest[pgName];
    delete rest[pgName];
    // pg accepts `false` for "not set".
    if (value !== undefined && value !== false && rest[option] === undefined) rest[option] = value;
  }
  for (const [option] of TIMEOUT_OPTIONS) {
    const value = rest[option];
    delete rest[option];
    if (value !== undefined) timeouts[option] = validTimeout(option, value);
  }
  delete rest.pooler;
  delete rest.distributed;
  return { rest: rest as pg.PoolConfig, timeouts };
}

export class TenantPool extends pg.Pool {
  constructor(config: TenantPoolConfig = {}) {
    if (config.pooler !== undefined && !['transaction', 'session', 'none'].includes(config.pooler)) {
      throw new TenantryConfigError(
        `Cannot create the tenant pool because pooler must be 'transaction', 'session' or 'none'. Use 'transaction' when unsure.`,
      );
    }
    // Validated here, and DATABASE_DISTRIBUTED is the default: a pool built by hand on a Citus
    // coordinator must not silently send settings the workers never see.
    const distributed = config.distributed ?? distributedFromEnv();
    if (distributed !== undefined && distributed !== 'citus') {
      throw new TenantryConfigError(
        `Cannot create the tenant pool because distributed must be 'citus' or left out (got ${JSON.stringify(distributed)}). ` +
          "Set distributed: 'citus' (DATABASE_DISTRIBUTED=citus) only when DATABASE_URL is a Citus coordinator.",
      );
    }
    assertSupportedPg();
    const { rest, timeouts } = takeTimeouts(config);
    const clientTimeouts: ClientTimeouts = { options: timeouts, fixed: fixedLimits(timeouts) };
    super({
      ...rest,
      Client: TenantClient,
      [timeoutsKey]: clientTimeouts,
      [modeKey]: distributed === 'citus' ? 'citus' : 'set-config',
      [resetPolicyKey]: config.pooler === 'none' || config.pooler === 'session' ? 'when-dirty' : 'always',
    } as pg.PoolConfig);
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
    const refuse = (error: Error) => {
      if (typeof callback === 'function') return void process.nextTick(() => callback(error));
      return Promise.reject(error);
    };
    if (this.ending) return refuse(new TenantClientClosedError());
    // Read the context NOW, synchronously, in the caller's async context (I3). A storage that holds
    // anything but a validated context fails this checkout, closed, with a typed error.
    let bound: Bound;
    try {
      const ctx = tenantContext.get();
      bound = ctx === undefined ? UNBOUND : { ctx, settings: rlsSettingsFor(ctx) };
    } catch (error) {
      return refuse(error as Error);
    }
    // What this checkout's statements may count as (statement-origin.ts), read now, synchronously,
    // like the context: the driver's window is open only while the driver's own call runs.
    const origin = checkoutOrigin(typeof callback === 'function');
    const bind = (client: pg.PoolClient | undefined) => {
      if (!client) return client;
      (client as unknown as TenantClient)[boundKey] = bound;
      (client as unknown as TenantClient)[modelCheckoutKey] = origin;
      const release = client.release;
      // A client given back inside a transaction (raw BEGIN without COMMIT) holds that caller's
      // transaction, locks and state, and the reset cannot run inside a transaction block: destroy
      // it instead of handing it to the next caller. The same when its last reset failed.
      // Given back, it counts as nobody's until the next checkout binds it (pg-pool's 'acquire'
      // listeners see it before that).
      const guarded = (err?: Error | boolean) => {
        (client as unknown as TenantClient)[modelCheckoutKey] = false;
        return release.call(
          client,
          err ||
            ((client as unknown as TenantClient).mustNotBeReused
              ? new Error(
                  'Cannot reuse this connection because it was released inside a transaction or its session reset failed; it is closed instead.',
                )
              : undefined),
        );
      };
      client.release = guarded as typeof client.release;
      return client;
    };
    if (typeof callback === 'function') {
      // pg-pool may run this callback from inside the request that released the connection; run it
      // in the captured context instead, so that the statement pg-pool's query() issues here is
      // checked against the context it was bound to, not the releasing request's.
      return this.checkout(bound, (err, client, done) => {
        const bound_ = bind(client);
        runInCapturedContext(bound.ctx, () => callback(err, bound_, bound_ ? bound_.release : done));
      });
    }
    return new Promise<pg.PoolClient>((resolve, reject) => {
      this.checkout(bound, (err, client) => (err || !client ? reject(err) : resolve(bind(client)!)));
    });
  }

  /**
   * pg-pool's checkout, bounded by the context's deadline as well as by connectionTimeoutMillis, and
   * with its failures typed: the pool's own timeout is a PoolExhaustedError, a refused or broken
   * connection attempt a DatabaseUnreachableError, the deadline a DeadlineExceededError.
   *
   * pg-pool's wait limit is one number for the whole pool, so a shorter deadline gets a timer of its
   * own: when it fires first the caller gets its error at once, and the connection pg-pool hands over
   * later is given straight back (to the next waiter) instead of being used.
   */
  private checkout(
    bound: Bound,
    callback: (err: Error | undefined, client: pg.PoolClient | undefined, done: (release?: unknown) => void) => void,
  ): void {
    const started = performance.now();
    const poolWait = this.options.connectionTimeoutMillis ?? 0;
    const deadline = governingDeadlineOf(bound.ctx);
    const remaining = deadline === undefined ? undefined : Math.floor(deadline.at - started);
    if (remaining !== undefined && remaining < 1) {
      const error = new DeadlineExceededError({
        kind: 'deadline',
        source: 'deadline',
        limitMillis: deadline?.budgetMs,
      });
      return void process.nextTick(() => callback(error, undefined, () => {}));
    }
    let settled = false;
    const cut =
      remaining !== undefined && (poolWait === 0 || remaining < poolWait)
        ? setTimeout(() => {
            settled = true;
            callback(
              new DeadlineExceededError({ kind: 'pool-wait', source: 'deadline', limitMillis: remaining }),
              undefined,
              () => {},
            );
          }, remaining)
        : undefined;
    super.connect((err, client, done) => {
      if (settled) {
        if (client) done();
        return;
      }
      settled = true;
      if (cut) clearTimeout(cut);
      callback(err ? this.checkoutError(err, Math.round(performance.now() - started)) : undefined, client, done);
    });
  }

  private checkoutError(error: Error, waitedMillis: number): Error {
    if (isPoolWaitTimeout(error)) {
      return new PoolExhaustedError({ poolSize: this.options.max ?? 10, waitedMillis, cause: error });
    }
    const typed = availabilityErrorOf(error);
    // A connection that breaks while it is being opened never reached the database: unreachable.
    if (typed instanceof ConnectionLostError)
      return new DatabaseUnreachableError({ code: typed.postgresCode ?? typed.systemCode, cause: error });
    return typed ?? error;
  }
}
