/**
 * Availability errors: the database could not serve this statement now, and the same request may
 * well succeed a moment later. Each one is a `TenantryError` subclass that carries the Postgres
 * SQLSTATE in `postgresCode` (or, for a connection that never reached Postgres, the socket error in
 * `systemCode`), so an app maps them by class, never by parsing a
 * message: `DeadlineExceededError` is a 504, the others a 503 with `Retry-After: retryAfterSeconds`.
 *
 * The connection layer raises them itself (see connection/classify-errors.ts, applied to every
 * statement's and every checkout's error), so they reach the caller unchanged through Prisma: model
 * queries, raw SQL, batch and interactive transactions alike. Why the code is not called `code`:
 * Prisma turns any error with a `code` into a PrismaClientKnownRequestError, which would hide the
 * class. Like every error of the library their messages
 * never hold row data or parameter values; the original error is kept as `cause`.
 */
import { TenantryError } from './errors.js';

/** A SQLSTATE: five characters whose class is one Postgres defines (so `EPIPE` is not one). */
export const SQLSTATE = /^(?:[0-9][0-9A-Z]|F0|HV|P0|XX)[0-9A-Z]{3}$/;

export abstract class DatabaseAvailabilityError extends TenantryError {
  /** The SQLSTATE Postgres or the pooler sent (`57P01`, `55P03`), or undefined. */
  readonly postgresCode: string | undefined;
  /** Node's socket error code (`ECONNREFUSED`, `ECONNRESET`) when the failure was below Postgres. */
  readonly systemCode: string | undefined;
  /** How long a client should wait before trying again; the example apps send it as `Retry-After`. */
  readonly retryAfterSeconds: number;
  /**
   * True when the statement may have run and committed before the failure (the connection broke
   * after it was sent): a retried write could then be written twice. False when nothing of it can
   * have been committed (never sent, or cancelled and rolled back by Postgres).
   */
  readonly mayHaveCommitted: boolean;
  constructor(
    message: string,
    options: { code?: string; retryAfterSeconds: number; cause?: unknown; mayHaveCommitted?: boolean },
  ) {
    super(message, { cause: options.cause });
    this.mayHaveCommitted = options.mayHaveCommitted ?? false;
    const sqlState = options.code !== undefined && SQLSTATE.test(options.code);
    this.postgresCode = sqlState ? options.code : undefined;
    this.systemCode = sqlState ? undefined : options.code;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

/** The connection broke while a statement ran or was about to (backend terminated, pooler restarted). */
export class ConnectionLostError extends DatabaseAvailabilityError {
  override name = 'ConnectionLostError';
  constructor(options: { code?: string; cause?: unknown }) {
    super(
      'Cannot finish the statement because the connection to the database was lost' +
        `${options.code ? ` (${options.code})` : ''}; whether a write committed is unknown. ` +
        'Retry the request: the pool opens a fresh connection. Reads outside transactions are retried once automatically.',
      { ...options, retryAfterSeconds: 1, mayHaveCommitted: true },
    );
  }
}

/** No connection could be opened: the server or the pooler refuses, is down, or is starting up. */
export class DatabaseUnreachableError extends DatabaseAvailabilityError {
  override name = 'DatabaseUnreachableError';
  constructor(options: { code?: string; cause?: unknown }) {
    super(
      'Cannot connect to the database because the server or its pooler did not accept the connection' +
        `${options.code ? ` (${options.code})` : ''}. Retry shortly; if it persists, check that Postgres and the pooler ` +
        'behind DATABASE_URL are running and accept connections (and that max_connections / the pool size are not exhausted).',
      { ...options, retryAfterSeconds: 2 },
    );
  }
}

/** All of the pool's connections stayed busy for the whole wait (`connectionTimeoutMillis`). */
export class PoolExhaustedError extends DatabaseAvailabilityError {
  override name = 'PoolExhaustedError';
  /** The pool's size and how long this checkout waited, for the log line. */
  readonly poolSize: number;
  readonly waitedMillis: number;
  constructor(options: { poolSize: number; waitedMillis: number; cause?: unknown }) {
    super(
      `Cannot get a database connection because all ${options.poolSize} connections of the pool stayed busy for ` +
        `${options.waitedMillis} ms (connectionTimeoutMillis). Retry shortly; if it persists, find what holds ` +
        'connections (slow statements, lock waits, long transactions: set statementTimeoutMillis and lockTimeoutMillis) ' +
        'or raise poolSize (DATABASE_POOL_SIZE) within what the server and pooler allow.',
      { retryAfterSeconds: 1, cause: options.cause },
    );
    this.poolSize = options.poolSize;
    this.waitedMillis = options.waitedMillis;
  }
}

/** What ran out of time. */
export type DeadlineKind = 'statement' | 'lock' | 'idle-in-transaction' | 'pool-wait' | 'deadline' | 'no-answer';

/** Which limit expired: the client's option (e.g. `statementTimeoutMillis`) or the context's `deadlineMs`. */
export type DeadlineSource = 'option' | 'deadline';

const DEADLINE_TEXT: Record<DeadlineKind, { action: string; option: string; setting?: string }> = {
  statement: {
    action: 'finish the statement because it ran longer than',
    option: 'statementTimeoutMillis (DATABASE_STATEMENT_TIMEOUT_MS)',
    setting: 'statement_timeout',
  },
  lock: {
    action: 'run the statement because it waited for a lock held by another transaction longer than',
    option: 'lockTimeoutMillis (DATABASE_LOCK_TIMEOUT_MS)',
    setting: 'lock_timeout',
  },
  'idle-in-transaction': {
    action: 'continue the transaction because it sat idle longer than',
    option: 'idleInTransactionTimeoutMillis (DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS)',
    setting: 'idle_in_transaction_session_timeout',
  },
  'pool-wait': {
    action: 'get a database connection because none became free (all busy, or a new one still opening) within',
    option: 'connectionTimeoutMillis (DATABASE_POOL_TIMEOUT_MS)',
  },
  deadline: {
    action: 'start the statement because the time allowed for this work had already run out:',
    option: 'deadlineMs',
  },
  'no-answer': {
    action: 'finish the statement because the database sent no answer (paused, overloaded or cut off) within',
    option: 'deadlineMs',
  },
};

/** A statement, a lock wait, an idle transaction or the wait for a connection ran out of time. */
export class DeadlineExceededError extends DatabaseAvailabilityError {
  override name = 'DeadlineExceededError';
  readonly kind: DeadlineKind;
  readonly source: DeadlineSource;
  /** The limit that expired, in ms, when known. */
  readonly limitMillis: number | undefined;
  constructor(options: {
    kind: DeadlineKind;
    source: DeadlineSource;
    limitMillis?: number;
    code?: string;
    cause?: unknown;
  }) {
    const noAnswer = options.kind === 'no-answer';
    const text = DEADLINE_TEXT[options.kind];
    const limit = options.limitMillis === undefined ? '' : ` ${options.limitMillis} ms`;
    const which =
      options.source === 'deadline'
        ? options.kind === 'deadline'
          ? `the tenant context's deadlineMs${limit ? ` of${limit}` : ''}`
          : `the tenant context's deadlineMs${limit ? ` (${limit.trim()} left)` : ''}`
        : `${text.option}${limit ? `,${limit}` : ''}${text.setting ? `, Postgres ${text.setting}` : ''}`;
    const fix =
      options.kind === 'lock'
        ? 'Retry later, and find the transaction that holds the lock (pg_stat_activity, pg_locks); '
        : options.kind === 'pool-wait'
          ? 'Retry later, and find what holds the connections (slow statements, lock waits, long transactions); '
          : noAnswer
            ? 'The connection was closed, so whether a write committed is unknown. Check that the database answers (readiness), '
            : 'Make the work cheaper (an index, a smaller page, a shorter transaction), ';
    const tune =
      options.source === 'deadline'
        ? 'or give the work more time with tenantContext.run({ ..., deadlineMs }, fn).'
        : `or raise ${text.option.split(' ')[0]}.`;
    super(`Cannot ${text.action} ${which}. ${fix}${tune}`, {
      code: options.code,
      retryAfterSeconds: 1,
      cause: options.cause,
      // Cut on our side after it was sent: the server may have run it. Every other kind was either
      // never sent or cancelled by Postgres itself, which rolls the statement back.
      mayHaveCommitted: noAnswer,
    });
    this.kind = options.kind;
    this.source = options.source;
    this.limitMillis = options.limitMillis;
  }
}

/** Postgres aborted a transaction to keep it serializable (40001) or to break a deadlock (40P01). */
export class TransactionConflictError extends DatabaseAvailabilityError {
  override name = 'TransactionConflictError';
  constructor(options: { code: '40001' | '40P01'; cause?: unknown }) {
    super(
      `Cannot commit the transaction because ${options.code === '40P01' ? 'it deadlocked with another transaction' : 'a concurrent transaction changed what it read (serialization failure)'} ` +
        `(${options.code}); nothing of it was written. Run the whole transaction again; touch rows in a consistent order to avoid deadlocks.`,
      { ...options, retryAfterSeconds: 1 },
    );
  }
}

/** 40001: a SERIALIZABLE (or REPEATABLE READ) transaction read something a concurrent one changed. */
export class SerializationFailureError extends TransactionConflictError {
  override name = 'SerializationFailureError';
  constructor(options: { cause?: unknown } = {}) {
    super({ code: '40001', cause: options.cause });
  }
}

/** 40P01: Postgres broke a deadlock by aborting this transaction. */
export class DeadlockDetectedError extends TransactionConflictError {
  override name = 'DeadlockDetectedError';
  constructor(options: { cause?: unknown } = {}) {
    super({ code: '40P01', cause: options.cause });
  }
}

/** The conflict error for a SQLSTATE: the specific subclass of TransactionConflictError. */
export function transactionConflict(code: '40001' | '40P01', cause?: unknown): TransactionConflictError {
  return code === '40P01' ? new DeadlockDetectedError({ cause }) : new SerializationFailureError({ cause });
}
