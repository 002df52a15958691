/**
 * The connection layer's client: a `pg.Client` whose every data statement carries the RLS settings
 * (and the limits) of the tenant context its checkout was bound to, in one pipeline with the
 * statement (see tenant-query.ts). It refuses to run inside another context, refuses statements past
 * the context's deadline, and types availability failures (classify-errors.ts). The pool
 * (tenant-pool.ts) binds it at checkout.
 */
import pg from 'pg';
import { governingDeadlineOf, tenantContext, type TenantContext } from '../tenant-context.js';
import { ConnectionLostError, DatabaseAvailabilityError, DeadlineExceededError } from '../availability-errors.js';
import { availabilityErrorOf } from './classify-errors.js';
import { TenantContextMismatchError, UnsupportedQueryError } from '../errors.js';
import {
  fixedLimits,
  rlsSettingsFor,
  statementLimits,
  type RlsSettings,
  type SentLimit,
  type StatementLimits,
  type TimeoutSettings,
} from './rls-settings.js';
import { statementKeepsSessionClean, type CheckoutOrigin } from './statement-origin.js';
import {
  TenantQuery,
  dirtyKey,
  resetFailedKey,
  sentInTransactionKey,
  statusKey,
  type Connection,
  type ResetPolicy,
  type SettingsMode,
  type TransactionStatus,
} from './tenant-query.js';
import {
  connectionOf,
  destroySocket,
  isNotQueryableError,
  onReadyForQuery,
  queuedQueries,
} from '../internals/pg-internals.js';

export const boundKey = Symbol('tenantry.boundContext');
/**
 * What the checkout's statements may count as (CheckoutOrigin, statement-origin.ts), read in the
 * caller's context when it called connect(), like the tenant context (I3).
 */
export const modelCheckoutKey = Symbol('tenantry.modelCheckout');
export const timeoutsKey = Symbol('tenantry.timeoutSettings');
export const modeKey = Symbol('tenantry.settingsMode');
/** When pipelines reset the session (see ResetPolicy in tenant-query.ts). */
export const resetPolicyKey = Symbol('tenantry.resetPolicy');
const lostKey = Symbol('tenantry.connectionError');
const unansweredKey = Symbol('tenantry.unansweredStatement');
const lastLimitsKey = Symbol('tenantry.lastLimits');
const answeredAtKey = Symbol('tenantry.lastAnsweredSentAt');
const answeredStatusKey = Symbol('tenantry.lastAnsweredStatus');
const sentAtKey = Symbol('tenantry.lastSentAt');
const lostIdleCutKey = Symbol('tenantry.connectionErrorIdleCut');

/**
 * How much earlier than the idle limit a statement may have been written and still have reached
 * the server after the limit ended the session (the time a pipeline takes to arrive).
 */
const IDLE_ARRIVAL_SLACK_MS = 25;

/**
 * How long after a deadline's server-side limits should have fired this side stops waiting for an
 * answer: long enough that a server that is merely busy reports its own, more precise error first.
 */
const NO_ANSWER_GRACE_MS = 200;

/**
 * How often a pipeline cancelled before its statement ran is sent (see send() in query()), and what
 * runs before each retry: on its own, outside the next pipeline, so that its one message meets the
 * leftover timer instead of the reset (a session SET, which the retry's DISCARD ALL then resets).
 * Behind a transaction-mode pooler the clearing statement and the retry are two transactions, which
 * the pooler may give to different server sessions (another client may take the dirty one in
 * between, and meet its timer in turn): measured with three clients leaving 1 ms timeouts behind a
 * slow reset, three attempts were not always enough (1 of 120 operations failed); each further
 * attempt usually lands on the session it cleared (PgBouncer hands out the last-used server first).
 */
const RESET_ATTEMPTS = 6;
const CLEAR_SESSION_TIMEOUT = 'RESET statement_timeout';

/**
 * Transaction control passes through without settings: a set_config in front of ROLLBACK inside an
 * aborted transaction would fail (25P02) and the ROLLBACK would never run; in front of SET
 * TRANSACTION it would make the isolation level fail (25001). Inside a transaction the settings
 * travel with each data statement instead, so ROLLBACK TO SAVEPOINT cannot undo them.
 */
const TRANSACTION_CONTROL =
  /^\s*(BEGIN|START\s+TRANSACTION|SET\s+TRANSACTION|SAVEPOINT|RELEASE|ROLLBACK|ABORT|COMMIT|END)\b[^;]*;?\s*$/i;

export type Callback = (err: Error | null, res?: unknown) => void;

export interface Bound {
  readonly ctx: TenantContext | undefined;
  readonly settings: RlsSettings;
}

export const UNBOUND: Bound = Object.freeze({ ctx: undefined, settings: rlsSettingsFor(undefined) });

export interface ClientTimeouts {
  readonly options: TimeoutSettings;
  /** What is sent when no deadline applies, computed once. */
  readonly fixed: StatementLimits;
}

const NO_TIMEOUTS: ClientTimeouts = { options: {}, fixed: fixedLimits({}) };

export class TenantClient extends pg.Client {
  [boundKey]: Bound = UNBOUND;
  [modelCheckoutKey]: CheckoutOrigin = false;
  [timeoutsKey]: ClientTimeouts;
  /** The error that broke this connection (e.g. 25P03 from an idle transaction), for later statements. */
  [lostKey]: unknown;
  /** That error read as the idle limit (see idleCutByPooler), decided when it arrived. */
  [lostIdleCutKey]: DeadlineExceededError | undefined;
  /** Set when this side closed the connection because a statement outlived its deadline unanswered. */
  [unansweredKey]: { limitMillis: number } | undefined;
  /** The limits sent with the last data statement, which are the ones an idle transaction ends by. */
  [lastLimitsKey]: StatementLimits | undefined;
  /** When the last answered statement was written, and the session's transaction status after it. */
  [answeredAtKey]: number | undefined;
  [answeredStatusKey]: TransactionStatus | undefined;
  /** When the last statement was written (answered or not). */
  [sentAtKey]: number | undefined;
  /** How the settings are sent: set_config (default) or SET LOCAL in a transaction block (Citus). */
  [modeKey]: SettingsMode;
  [resetPolicyKey]: ResetPolicy;

  constructor(
    config?: pg.ClientConfig & {
      [timeoutsKey]?: ClientTimeouts;
      [modeKey]?: SettingsMode;
      [resetPolicyKey]?: ResetPolicy;
    },
  ) {
    super(config);
    this[timeoutsKey] = config?.[timeoutsKey] ?? NO_TIMEOUTS;
    this[modeKey] = config?.[modeKey] ?? 'set-config';
    this[resetPolicyKey] = config?.[resetPolicyKey] ?? 'always';
    // Without a listener an 'error' event would crash the process; what it carries is recorded
    // by emit() below for the statements that follow on this (now unusable) connection.
    this.on('error', () => {});
    // The session's transaction status, from every ReadyForQuery. Registered before pg's own
    // handler (which pulses the next query), so a query's submit always sees the status its
    // predecessor left: the reset may only run outside a transaction block.
    const connection: Connection = connectionOf(this);
    onReadyForQuery(connection, (status) => {
      connection[statusKey] = status;
      // Out of the transaction block (or failed in it): no transaction-local settings are in force.
      if (status !== 'T') connection[sentInTransactionKey] = undefined;
    });
  }

  /** 'I' when the server session is outside a transaction, 'T' inside one, 'E' in a failed one. */
  get transactionStatus(): TransactionStatus {
    return (connectionOf(this) as Connection)[statusKey] ?? 'I';
  }

  /** True when the session may hold state that a reset could not clear; the pool then drops it. */
  get mustNotBeReused(): boolean {
    const connection: Connection = connectionOf(this);
    return this.transactionStatus !== 'I' || connection[resetFailedKey] === true;
  }

  // pg's typings model query() as a family of overloads; this override keeps its runtime contract
  // (callback when given, promise otherwise) and routes every statement through TenantQuery.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  override query(config: any, values?: any, callback?: any): any {
    if (config !== null && typeof config === 'object' && typeof config.submit === 'function') {
      if (config instanceof TenantQuery) return super.query(config as never, values, callback);
      return fail(
        callback ?? values,
        new UnsupportedQueryError(
          'Cannot run a custom query object (pg-cursor, pg-query-stream) on the tenant pool because it would ' +
            'run without the tenant settings. Use Prisma queries or pool.query(text, values).',
        ),
      );
    }
    const text: unknown = typeof config === 'string' ? config : config?.text;
    if (typeof values === 'function') {
      callback = values;
      values = undefined;
    }
    // A copy without the callback (a rest copy, not `delete`, which would turn the object into a
    // dictionary that pg's Query then clones slowly, once per statement).
    let configCallback: unknown;
    let normalized: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    if (typeof config === 'string') normalized = { text: config };
    else {
      const { callback: given, ...rest } = config ?? {};
      configCallback = given;
      normalized = rest;
    }
    if (values !== undefined) normalized.values = values;
    const control = typeof text === 'string' && TRANSACTION_CONTROL.test(text) && !normalized.values?.length;
    if (normalized.name || normalized.rows) {
      return fail(
        callback,
        new UnsupportedQueryError(
          'Cannot run a named prepared statement or a portal (rows) on the tenant pool because the tenant ' +
            'settings travel in the same unnamed pipeline. Remove `name`/`rows` from the query config.',
        ),
      );
    }
    const bound = this[boundKey];
    let limits = this[timeoutsKey].fixed;
    let remaining: number | undefined;
    let idleLimits = this[lastLimitsKey];
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
      const deadline = governingDeadlineOf(governing);
      if (deadline !== undefined) {
        remaining = Math.floor(deadline.at - performance.now());
        if (remaining < 1) {
          return fail(
            callback,
            new DeadlineExceededError({ kind: 'deadline', source: 'deadline', limitMillis: deadline.budgetMs }),
          );
        }
        limits = statementLimits(this[timeoutsKey].options, remaining, limits);
      }
      // What an idle transaction ends by is what the LAST data statement sent: a 25P03 arrives with
      // the next statement (often a COMMIT, which carries no limits) or as a connection error.
      idleLimits = this[lastLimitsKey];
      this[lastLimitsKey] = limits;
    }
    let promise: Promise<unknown> | undefined;
    let cb = (callback ?? configCallback) as Callback | undefined;
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
    if (remaining !== undefined) {
      const limitMillis = remaining;
      noAnswer = setTimeout(() => {
        this[unansweredKey] = { limitMillis };
        destroySocket(connectionOf(this));
      }, limitMillis + NO_ANSWER_GRACE_MS);
      noAnswer.unref?.();
    }
    let sentAt = performance.now();
    const typed: Callback = (err, res) => {
      if (noAnswer) clearTimeout(noAnswer);
      const error = err ? this.typedError(err, limits, idleLimits, sentAt) : null;
      this[answeredAtKey] = sentAt;
      this[answeredStatusKey] = this.transactionStatus;
      if (error) return done(error);
      done(null, res);
    };
    const settings = control ? null : limits.pairs.length ? [...limits.pairs, ...bound.settings] : bound.settings;
    // Transaction control and model operations' driver statements leave nothing on the session;
    // anything else (raw SQL above all) makes the next pipeline reset it (statement-origin.ts).
    // pg-pool runs its one statement from the connect callback, possibly from inside another
    // request's release and in that request's async context: for such a checkout ('statement')
    // the mark read where the caller asked for the connection decides, for that one statement.
    const origin = this[modelCheckoutKey];
    const keepsSessionClean = control || statementKeepsSessionClean(origin);
    if (origin === 'statement' && !control) this[modelCheckoutKey] = false;
    const deadlineAt = remaining === undefined ? undefined : performance.now() + remaining;
    const send = (attempt: number): void => {
      sentAt = performance.now();
      this[sentAtKey] = sentAt;
      const query: TenantQuery = new TenantQuery(
        normalized,
        undefined,
        (err: Error | null, res?: unknown) => {
          // A timeout another request left on the session cancelled this pipeline before the
          // statement ran (see TenantQuery.cancelledBeforeStatement): clear it and run the same
          // pipeline again, reset first, in place and in order. Only when nothing else waits on
          // this client (a retry must not overtake a later statement), within the deadline, and a
          // few times at most: a session that cannot be reset is then reported and closed.
          // Citus mode: a pipeline that opened its own transaction block and failed left it aborted.
          // End it here, before anything else is queued on this client, so the connection goes
          // back to the pool idle (the pool drops a client that is still in a transaction).
          const abortedOwnBlock = err !== null && query.openedTransaction && this.transactionStatus === 'E';
          if (
            err &&
            attempt < RESET_ATTEMPTS &&
            query.cancelledBeforeStatement(err) &&
            queuedQueries(this) === 0 &&
            (deadlineAt === undefined || performance.now() < deadlineAt)
          ) {
            if (abortedOwnBlock) super.query('ROLLBACK', () => {});
            super.query(CLEAR_SESSION_TIMEOUT, () => {});
            // The session held a timeout: the retry resets it first, whatever the policy.
            (connectionOf(this) as Connection)[dirtyKey] = true;
            return send(attempt + 1);
          }
          if (abortedOwnBlock) {
            super.query('ROLLBACK', () => typed(err, res));
            return;
          }
          typed(err, res);
        },
        settings,
        this[modeKey],
        this[resetPolicyKey],
        keepsSessionClean,
      );
      super.query(query as never);
    };
    send(1);
    return promise;
  }

  /**
   * The connection's own 'error' event carries the typed error too: pg-pool's `query()` listens to
   * it and hands what it gets to the caller, and for a socket that breaks (or that this side closed)
   * that event comes before the statement's own error.
   */
  override emit(event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'error' && args[0] instanceof Error) {
      const first = this[lostKey] === undefined;
      this[lostKey] ??= args[0];
      args[0] = this.typedError(args[0], this[timeoutsKey].fixed, this[lastLimitsKey], this[sentAtKey]);
      if (first && args[0] instanceof DeadlineExceededError && args[0].postgresCode === '08P01') {
        this[lostIdleCutKey] = args[0];
      }
    }
    return super.emit(event, ...args);
  }

  /**
   * PgBouncer, when the server ends an idle transaction (25P03) just as the client sends its next
   * statement (often the COMMIT), may report only its own "server conn crashed?" (08P01). That is
   * the idle limit, not a lost connection, when everything says so: the last answer left the session
   * in a transaction, an idle limit was sent with it, that limit has run out since, and the
   * statement now in flight (if any) was written too late to reach the server before it did.
   */
  private idleCutByPooler(
    typed: DatabaseAvailabilityError,
    idle: SentLimit | undefined,
    sentAt: number | undefined,
    cause: unknown,
  ): DeadlineExceededError | undefined {
    const answeredAt = this[answeredAtKey];
    if (!(typed instanceof ConnectionLostError) || typed.postgresCode !== '08P01') return undefined;
    if (!idle || answeredAt === undefined || this[answeredStatusKey] === 'I') return undefined;
    if (performance.now() - answeredAt < idle.millis) return undefined;
    if (sentAt !== undefined && sentAt > answeredAt && sentAt - answeredAt < idle.millis - IDLE_ARRIVAL_SLACK_MS)
      return undefined;
    return new DeadlineExceededError({
      kind: 'idle-in-transaction',
      source: idle.source,
      limitMillis: idle.millis,
      code: typed.postgresCode,
      cause,
    });
  }

  /**
   * A statement's error as the caller should see it: availability failures typed (naming the limit
   * that expired, when one did), everything else untouched for adapter-pg to map (P2002, ...).
   */
  private typedError(
    error: Error,
    limits: StatementLimits,
    idleLimits = this[lastLimitsKey],
    sentAt: number | undefined = undefined,
  ): Error {
    if (error instanceof DatabaseAvailabilityError) return error;
    const unanswered = this[unansweredKey];
    if (unanswered) {
      return new DeadlineExceededError({
        kind: 'no-answer',
        source: 'deadline',
        limitMillis: unanswered.limitMillis,
        cause: error,
      });
    }
    // A statement on a connection that an earlier error broke (pg: "not queryable") reports that
    // earlier error's cause: an idle transaction cut by idle_in_transaction_session_timeout (25P03).
    const earlier = isNotQueryableError(error) && this[lostKey] !== undefined;
    const original = earlier ? this[lostKey] : error;
    const typed = availabilityErrorOf(original);
    if (!typed) return error;
    const idleCut = earlier
      ? this[lostIdleCutKey]
      : this.idleCutByPooler(typed, (idleLimits ?? limits).idle, sentAt, original);
    if (idleCut) return idleCut;
    if (typed instanceof DeadlineExceededError && typed.kind !== 'deadline' && typed.kind !== 'pool-wait') {
      const sent =
        typed.kind === 'statement'
          ? limits.statement
          : typed.kind === 'lock'
            ? limits.lock
            : (idleLimits ?? limits).idle;
      if (sent) {
        return new DeadlineExceededError({
          kind: typed.kind,
          source: sent.source,
          limitMillis: sent.millis,
          code: typed.postgresCode,
          cause: original,
        });
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
export function fail(callback: unknown, error: Error): Promise<never> | undefined {
  if (typeof callback === 'function') {
    process.nextTick(() => (callback as Callback)(error));
    return undefined;
  }
  return Promise.reject(error);
}
