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
import { deadlineOf, runInCapturedContext, tenantContext, type TenantContext } from '../tenant-context.js';
import { ConnectionLostError, DatabaseUnreachableError, DeadlineExceededError, PoolExhaustedError } from '../availability-errors.js';
import { availabilityErrorOf } from './classify-errors.js';
import {
  TenantClientClosedError,
  TenantContextMismatchError,
  TenantryConfigError,
  UnsupportedQueryError,
} from '../errors.js';
import {
  TIMEOUT_OPTIONS,
  fixedLimits,
  rlsSettingsFor,
  statementLimits,
  type RlsSettings,
  type StatementLimits,
  type TimeoutSettings,
} from './rls-settings.js';
import { TenantQuery, resetFailedKey, statusKey, type Connection, type TransactionStatus } from './tenant-query.js';

const boundKey = Symbol('tenantry.boundContext');
const timeoutsKey = Symbol('tenantry.timeoutSettings');
const lostKey = Symbol('tenantry.connectionError');

/**
 * How long after a deadline's server-side limits should have fired this side stops waiting for an
 * answer: long enough that a server that is merely busy reports its own, more precise error first.
 */
const NO_ANSWER_GRACE_MS = 200;

/**
 * Transaction control passes through without settings: a set_config in front of ROLLBACK inside an
 * aborted transaction would fail (25P02) and the ROLLBACK would never run; in front of SET
 * TRANSACTION it would make the isolation level fail (25001). Inside a transaction the settings
 * travel with each data statement instead, so ROLLBACK TO SAVEPOINT cannot undo them.
 */
const TRANSACTION_CONTROL =
  /^\s*(BEGIN|START\s+TRANSACTION|SET\s+TRANSACTION|SAVEPOINT|RELEASE|ROLLBACK|ABORT|COMMIT|END)\b[^;]*;?\s*$/i;

/** pg's own timeout options, which it sends as startup parameters; taken over, see below. */
const PG_STARTUP_TIMEOUTS = [
  ['statement_timeout', 'statementTimeoutMillis'],
  ['lock_timeout', 'lockTimeoutMillis'],
  ['idle_in_transaction_session_timeout', 'idleInTransactionTimeoutMillis'],
] as const;

type Callback = (err: Error | null, res?: unknown) => void;

export interface TenantPoolConfig extends pg.PoolConfig, TimeoutSettings {
  /**
   * What sits between this pool and Postgres: `'transaction'`, `'session'` or `'none'` (direct).
   * @deprecated Since every route now gets the same pipeline (an unnamed settings statement and a
   * session reset), the value no longer changes what is sent. Still validated, so a typo in
   * DATABASE_POOLER fails loudly; safe to remove.
   */
  pooler?: 'transaction' | 'session' | 'none';
  /**
   * `statementTimeoutMillis`, `lockTimeoutMillis`, `idleInTransactionTimeoutMillis` (and pg's own
   * `statement_timeout`, `lock_timeout`, `idle_in_transaction_session_timeout`, which are mapped to
   * them) travel transaction-locally with every statement, never as startup parameters: PgBouncer
   * refuses those.
   */
}

interface Bound {
  readonly ctx: TenantContext | undefined;
  readonly settings: RlsSettings;
}

const UNBOUND: Bound = Object.freeze({ ctx: undefined, settings: rlsSettingsFor(undefined) });

interface ClientTimeouts {
  readonly options: TimeoutSettings;
  /** What is sent when no deadline applies, computed once. */
  readonly fixed: StatementLimits;
}

const NO_TIMEOUTS: ClientTimeouts = { options: {}, fixed: fixedLimits({}) };

export class TenantClient extends pg.Client {
  [boundKey]: Bound = UNBOUND;
  [timeoutsKey]: ClientTimeouts;
  /** The error that broke this connection (e.g. 25P03 from an idle transaction), for later statements. */
  [lostKey]: unknown;

  constructor(config?: TenantPoolConfig & { [timeoutsKey]?: ClientTimeouts }) {
    super(config);
    this[timeoutsKey] = config?.[timeoutsKey] ?? NO_TIMEOUTS;
    this.on('error', (error) => {
      this[lostKey] ??= error;
    });
    // The session's transaction status, from every ReadyForQuery. Registered before pg's own
    // handler (which pulses the next query), so a query's submit always sees the status its
    // predecessor left: the reset may only run outside a transaction block.
    const connection = (this as unknown as { connection: Connection }).connection;
    connection.on('readyForQuery', (msg) => {
      connection[statusKey] = (msg.status ?? 'I') as TransactionStatus;
    });
  }

  /** 'I' when the server session is outside a transaction, 'T' inside one, 'E' in a failed one. */
  get transactionStatus(): TransactionStatus {
    return (this as unknown as { connection: Connection }).connection[statusKey] ?? 'I';
  }

  /** True when the session may hold state that a reset could not clear; the pool then drops it. */
  get mustNotBeReused(): boolean {
    const connection = (this as unknown as { connection: Connection }).connection;
    return this.transactionStatus !== 'I' || connection[resetFailedKey] === true;
  }

  // pg's typings model query() as a family of overloads; this override keeps its runtime contract
  // (callback when given, promise otherwise) and routes every statement through TenantQuery.
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
    const control = typeof text === 'string' && TRANSACTION_CONTROL.test(text) && !normalized.values?.length;
    if (normalized.name || normalized.rows) {
      return fail(callback, new UnsupportedQueryError(
        'Cannot run a named prepared statement or a portal (rows) on the tenant pool because the tenant ' +
          'settings travel in the same unnamed pipeline. Remove `name`/`rows` from the query config.',
      ));
    }
    const bound = this[boundKey];
    let limits = this[timeoutsKey].fixed;
    let remaining: number | undefined;
    if (!control) {
      // A client checked out in one context and used in another would act for the first (raw SQL)
      // while the extension filters by the second. Transaction control is exempt: a ROLLBACK must
      // always be able to end what was started.
      let active: TenantContext | undefined;
      try {
        active = tenantContext.get();
      } catch (error) {
        return fail(callback, error as Error);
      }
      // No active context (a callback Prisma or pg runs outside any request, or a client used
      // after its `run` returned) keeps the checkout's context: that was bound when the operation
      // started (I3). An active context that differs from it is refused.
      const differing = active === undefined || active === bound.ctx ? [] : differingFields(active, bound.ctx);
      if (differing.length > 0) return fail(callback, new TenantContextMismatchError(differing));
      // The deadline of the work this statement belongs to: the active context's (a nested run may
      // have shortened it), else the checkout's. Past it, nothing is sent.
      const governing = active ?? bound.ctx;
      const deadline = deadlineOf(governing);
      if (deadline !== undefined) {
        remaining = Math.floor(deadline - performance.now());
        if (remaining < 1) {
          return fail(callback, new DeadlineExceededError({ kind: 'deadline', source: 'deadline', limitMillis: governing?.deadlineMs }));
        }
        limits = statementLimits(this[timeoutsKey].options, remaining, limits);
      }
    }
    let promise: Promise<unknown> | undefined;
    let cb = (callback ?? normalized.callback) as Callback | undefined;
    delete normalized.callback;
    if (!cb) {
      promise = new Promise((resolve, reject) => {
        cb = (err, res) => (err ? reject(err) : resolve(res));
      });
    }
    const done = cb!;
    // The server enforces the deadline (statement_timeout, lock_timeout), but a server that answers
    // nothing (paused, overloaded, a cut network) enforces nothing. Shortly after the server should
    // have given up, this side gives up too: it closes the connection, so the statement cannot hold
    // it (or its pool slot) any longer, and reports that whether it ran is unknown.
    let noAnswer: NodeJS.Timeout | undefined;
    let unanswered = false;
    if (remaining !== undefined) {
      const limit = remaining;
      noAnswer = setTimeout(() => {
        unanswered = true;
        (this as unknown as { connection: Connection }).connection.stream.destroy?.();
      }, limit + NO_ANSWER_GRACE_MS);
      noAnswer.unref?.();
    }
    const typed: Callback = (err, res) => {
      if (noAnswer) clearTimeout(noAnswer);
      if (!err) return done(null, res);
      if (unanswered) return done(new DeadlineExceededError({ kind: 'no-answer', source: 'deadline', limitMillis: remaining, cause: err }));
      done(this.typedError(err, limits));
    };
    const settings = control ? null : limits.pairs.length ? [...limits.pairs, ...bound.settings] : bound.settings;
    super.query(new TenantQuery(normalized, undefined, typed, settings) as never);
    return promise;
  }

  /**
   * A statement's error as the caller should see it: availability failures typed (naming the limit
   * that expired, when one did), everything else untouched for adapter-pg to map (P2002, ...).
   */
  private typedError(error: Error, limits: StatementLimits): Error {
    // A statement on a connection that an earlier error broke (pg: "not queryable") reports that
    // earlier error's cause: an idle transaction cut by idle_in_transaction_session_timeout (25P03).
    const original = /not queryable/.test(error.message) && this[lostKey] ? this[lostKey] : error;
    const typed = availabilityErrorOf(original);
    if (!typed) return error;
    if (typed instanceof DeadlineExceededError && typed.kind !== 'deadline' && typed.kind !== 'pool-wait') {
      const sent = typed.kind === 'statement' ? limits.statement : typed.kind === 'lock' ? limits.lock : limits.idle;
      if (sent) {
        return new DeadlineExceededError({ kind: typed.kind, source: sent.source, limitMillis: sent.millis, code: typed.postgresCode, cause: original });
      }
    }
    return typed;
  }
}

const CONTEXT_FIELDS = ['tenantId', 'workspaceId', 'userId', 'role'] as const;

/** The fields in which two contexts differ (no context differs from any context in tenantId). */
function differingFields(a: TenantContext | undefined, b: TenantContext | undefined): string[] {
  if (!a || !b) return ['tenantId'];
  const fields: string[] = CONTEXT_FIELDS.filter((f) => a[f] !== b[f]);
  if (JSON.stringify(a.claims) !== JSON.stringify(b.claims)) fields.push('claims');
  return fields;
}

/** Reports an error the way pg does: through the callback, or as a rejected promise. */
function fail(callback: unknown, error: Error): Promise<never> | undefined {
  if (typeof callback === 'function') {
    process.nextTick(() => (callback as Callback)(error));
    return undefined;
  }
  return Promise.reject(error);
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
  return { rest: rest as pg.PoolConfig, timeouts };
}

export class TenantPool extends pg.Pool {
  constructor(config: TenantPoolConfig = {}) {
    if (config.pooler !== undefined && !['transaction', 'session', 'none'].includes(config.pooler)) {
      throw new TenantryConfigError(
        `Cannot create the tenant pool because pooler must be 'transaction', 'session' or 'none'. Use 'transaction' when unsure.`,
      );
    }
    assertSupportedPg();
    const { rest, timeouts } = takeTimeouts(config);
    const clientTimeouts: ClientTimeouts = { options: timeouts, fixed: fixedLimits(timeouts) };
    super({ ...rest, Client: TenantClient, [timeoutsKey]: clientTimeouts } as pg.PoolConfig);
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
    const bind = (client: pg.PoolClient | undefined) => {
      if (!client) return client;
      (client as unknown as TenantClient)[boundKey] = bound;
      const release = client.release;
      // A client given back inside a transaction (raw BEGIN without COMMIT) holds that caller's
      // transaction, locks and state, and the reset cannot run inside a transaction block: destroy
      // it instead of handing it to the next caller. The same when its last reset failed.
      const guarded = (err?: Error | boolean) =>
        release.call(client, err || ((client as unknown as TenantClient).mustNotBeReused ? new Error(
          'Cannot reuse this connection because it was released inside a transaction or its session reset failed; it is closed instead.',
        ) : undefined));
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
    const deadline = deadlineOf(bound.ctx);
    const remaining = deadline === undefined ? undefined : Math.floor(deadline - started);
    if (remaining !== undefined && remaining < 1) {
      const error = new DeadlineExceededError({ kind: 'deadline', source: 'deadline', limitMillis: bound.ctx?.deadlineMs });
      return void process.nextTick(() => callback(error, undefined, () => {}));
    }
    let settled = false;
    const cut = remaining !== undefined && (poolWait === 0 || remaining < poolWait)
      ? setTimeout(() => {
        settled = true;
        callback(new DeadlineExceededError({ kind: 'pool-wait', source: 'deadline', limitMillis: remaining }), undefined, () => {});
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
    if (error.message === 'timeout exceeded when trying to connect') {
      return new PoolExhaustedError({ poolSize: this.options.max ?? 10, waitedMillis, cause: error });
    }
    const typed = availabilityErrorOf(error);
    // A connection that breaks while it is being opened never reached the database: unreachable.
    if (typed instanceof ConnectionLostError) return new DatabaseUnreachableError({ code: typed.postgresCode ?? typed.systemCode, cause: error });
    return typed ?? error;
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
