/**
 * Which failures mean "the database cannot serve this now" and which typed error each becomes.
 *
 * Applied by the connection layer to every checkout and statement error, before adapter-pg and
 * Prisma see it: an error that is not a pg `DatabaseError` passes through both unchanged, so the
 * caller gets the typed error whatever the route (model query, raw SQL, batch or interactive
 * transaction, BEGIN/COMMIT). Also exported for apps, as `availabilityErrorOf`, to classify errors
 * that reach them by other paths (a Prisma error from an older client, a plain pg pool).
 *
 * Everything else (constraint violations, RLS refusals, syntax errors) is left alone: adapter-pg
 * maps those to Prisma's own codes (P2002, P2003, P2010 ...), which apps already handle.
 */
import {
  ConnectionLostError,
  DatabaseAvailabilityError,
  DatabaseUnreachableError,
  DeadlineExceededError,
  PoolExhaustedError,
  SQLSTATE,
  transactionConflict,
} from '../availability-errors.js';

/** The connection broke: the statement may or may not have run. */
const CONNECTION_LOST_CODES = new Set([
  '57P01', // admin_shutdown: pg_terminate_backend, a fast shutdown
  '57P02', // crash_shutdown: another backend crashed, the server restarts
  '57P05', // idle_session_timeout
  '08000',
  '08003',
  '08006',
  '08007',
  'ECONNRESET',
  'EPIPE',
  'ECONNABORTED',
  'ETIMEDOUT',
]);

/** No connection: the server or the pooler is down, refuses, or is starting. */
const UNREACHABLE_CODES = new Set([
  '57P03', // cannot_connect_now: starting up, shutting down, in recovery
  '53300', // too_many_connections
  '08001',
  '08004',
  'ECONNREFUSED',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);

/** What node-postgres and pg-pool say when a socket ends under them (no code). */
const LOST_MESSAGES = [
  'Connection terminated unexpectedly',
  'Connection terminated',
  'Client has encountered a connection error and is not queryable',
  'Client was closed and is not queryable',
];

/** PgBouncer reports its own failures as 08P01 with a sentence; these mean it has no server for us. */
const POOLER_UNREACHABLE = /cannot connect|login|no more connections|query_wait_timeout|shutting down|pool/i;

interface ErrorLike {
  code?: unknown;
  message?: unknown;
  cause?: unknown;
  meta?: {
    code?: unknown;
    driverAdapterError?: {
      cause?: { originalCode?: unknown; code?: unknown; kind?: unknown; originalMessage?: unknown };
    };
  };
}

/**
 * The Postgres SQLSTATE of an error: a pg `DatabaseError`'s `code`, the one Prisma nests under
 * `meta.driverAdapterError.cause`, or a typed error's `code`. Undefined for anything else.
 */
export function postgresCodeOf(error: unknown): string | undefined {
  const e = error as ErrorLike | null | undefined;
  if (e === null || typeof e !== 'object') return undefined;
  const nested = e.meta?.driverAdapterError?.cause;
  const typed = (e as { postgresCode?: unknown }).postgresCode;
  for (const code of [typed, nested?.originalCode, nested?.code, e.meta?.code, e.code]) {
    if (typeof code === 'string' && SQLSTATE.test(code)) return code;
  }
  return undefined;
}

/**
 * The typed availability error for `error`, or undefined when it is not one (a constraint violation,
 * an RLS refusal, a bug). Already-typed errors are returned as they are.
 */
export function availabilityErrorOf(error: unknown): DatabaseAvailabilityError | undefined {
  if (error instanceof DatabaseAvailabilityError) return error;
  const e = error as ErrorLike | null | undefined;
  if (e === null || typeof e !== 'object') return undefined;
  const copy = fromAnotherCopy(error);
  if (copy) return copy;
  const nested = e.meta?.driverAdapterError?.cause;
  const code = postgresCodeOf(error) ?? (typeof e.code === 'string' ? e.code : undefined);
  const message = String(nested?.originalMessage ?? e.message ?? '');

  if (code === '57014' && /statement timeout/i.test(message)) {
    return new DeadlineExceededError({ kind: 'statement', source: 'option', code, cause: error });
  }
  if (code === '55P03' && /lock timeout/i.test(message)) {
    return new DeadlineExceededError({ kind: 'lock', source: 'option', code, cause: error });
  }
  if (code === '25P03')
    return new DeadlineExceededError({ kind: 'idle-in-transaction', source: 'option', code, cause: error });
  if (code === '40001' || code === '40P01') return transactionConflict(code, error);
  // Prisma's own code for a write conflict or deadlock, when the SQLSTATE did not survive.
  if (e.code === 'P2034') return transactionConflict('40001', error);
  if (code === '08P01') {
    return POOLER_UNREACHABLE.test(message)
      ? new DatabaseUnreachableError({ code, cause: error })
      : new ConnectionLostError({ code, cause: error });
  }
  if (code !== undefined && CONNECTION_LOST_CODES.has(code)) return new ConnectionLostError({ code, cause: error });
  if (code !== undefined && UNREACHABLE_CODES.has(code)) return new DatabaseUnreachableError({ code, cause: error });
  // Prisma's wrappers of the same (for errors that went through adapter-pg before reaching an app).
  // (Prisma's own P-codes stay on the cause: they are neither SQLSTATEs nor socket codes.)
  if (nested?.kind === 'DatabaseNotReachable' || e.code === 'P1001' || e.code === 'P1002') {
    return new DatabaseUnreachableError({ cause: error });
  }
  if (nested?.kind === 'ConnectionClosed' || nested?.kind === 'SocketTimeout' || e.code === 'P1017') {
    return new ConnectionLostError({ cause: error });
  }
  if (code === undefined && LOST_MESSAGES.includes(message)) return new ConnectionLostError({ cause: error });
  if (code === undefined && message === 'Connection terminated due to connection timeout') {
    return new DatabaseUnreachableError({ code: 'ETIMEDOUT', cause: error });
  }
  return undefined;
}

type Foreign = Error & {
  postgresCode?: string;
  systemCode?: string;
  retryAfterSeconds?: unknown;
  mayHaveCommitted?: unknown;
  poolSize?: number;
  waitedMillis?: number;
  kind?: DeadlineExceededError['kind'];
  source?: DeadlineExceededError['source'];
  limitMillis?: number;
};

/**
 * A typed error made by a second copy of this library (a bundler or `next dev` loading it twice):
 * not an `instanceof` this copy's classes, but the same class by name and fields. Rebuilt as this
 * copy's class, with the original as `cause`, so `instanceof` works for the caller.
 */
function fromAnotherCopy(error: unknown): DatabaseAvailabilityError | undefined {
  const e = error as Foreign;
  if (!(e instanceof Error) || typeof e.retryAfterSeconds !== 'number' || typeof e.mayHaveCommitted !== 'boolean')
    return undefined;
  const code = e.postgresCode ?? e.systemCode;
  switch (e.name) {
    case 'ConnectionLostError':
      return new ConnectionLostError({ code, cause: e });
    case 'DatabaseUnreachableError':
      return new DatabaseUnreachableError({ code, cause: e });
    case 'PoolExhaustedError':
      return new PoolExhaustedError({ poolSize: e.poolSize ?? 0, waitedMillis: e.waitedMillis ?? 0, cause: e });
    case 'DeadlineExceededError':
      return e.kind && e.source
        ? new DeadlineExceededError({ kind: e.kind, source: e.source, limitMillis: e.limitMillis, code, cause: e })
        : undefined;
    case 'TransactionConflictError':
    case 'SerializationFailureError':
    case 'DeadlockDetectedError':
      return code === '40001' || code === '40P01' ? transactionConflict(code, e) : undefined;
    default:
      return undefined;
  }
}
