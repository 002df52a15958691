/**
 * "The database cannot serve this now": which failures those are, and what the web app answers.
 * The engine types them (DatabaseAvailabilityError and its subclasses); `availabilityErrorOf` also
 * classifies the raw Prisma and pg errors that reach the app by other paths (the admin client of the
 * dev sign-in, an error Prisma wrapped). A DeadlineExceededError is a 504, every other one a 503;
 * both carry `Retry-After`. The app's own RequestDeadlineError (deadline.ts: the request outlived its
 * deadline while the database said nothing) is a 504 deadline_exceeded too.
 */
import { availabilityErrorOf } from '@tenantry/db';

/** The machine-readable `cause` of a 503/504 body, one per error class. */
export const AVAILABILITY_CAUSES = {
  ConnectionLostError: 'connection_lost',
  DatabaseUnreachableError: 'database_unreachable',
  PoolExhaustedError: 'pool_exhausted',
  TransactionConflictError: 'transaction_conflict',
  SerializationFailureError: 'transaction_conflict',
  DeadlockDetectedError: 'transaction_conflict',
  DeadlineExceededError: 'deadline_exceeded',
  RequestDeadlineError: 'deadline_exceeded',
} as const;

export type AvailabilityCause = (typeof AVAILABILITY_CAUSES)[keyof typeof AVAILABILITY_CAUSES];

/** The fields of a DatabaseAvailabilityError the app reads (structural: see `typedError`). */
export interface AvailabilityErrorLike extends Error {
  readonly postgresCode: string | undefined;
  readonly systemCode: string | undefined;
  readonly retryAfterSeconds: number;
  /** The statement may have run before the failure (the connection broke after it was sent). */
  readonly mayHaveCommitted?: boolean;
  /** DeadlineExceededError only. */
  readonly kind?: string;
  readonly source?: string;
  readonly limitMillis?: number;
}

export interface Availability {
  status: 503 | 504;
  cause: AvailabilityCause;
  /** Whole seconds, at least 1: what `Retry-After` says. */
  retryAfterSeconds: number;
  /** A retried write could be written twice: the client should look before it retries. */
  mayHaveCommitted: boolean;
  /** For a deadline, which limit expired (`lock`, `statement`, `pool-wait`, `no-answer`, `request`, ...). */
  kind: string | undefined;
  /** The typed error (the original is its `cause`), for the log line. */
  error: AvailabilityErrorLike;
}

function isCauseName(name: string): name is keyof typeof AVAILABILITY_CAUSES {
  return Object.hasOwn(AVAILABILITY_CAUSES, name);
}

/**
 * Recognised by name before asking the engine: under `next dev` the library is loaded more than once
 * (see db.ts), an error thrown by one copy is no `instanceof` another copy's class, and
 * `availabilityErrorOf` of the other copy would find neither a class nor a code on it (typed errors
 * keep the SQLSTATE in `postgresCode`, not `code`) and call it "not an availability error": a 500.
 */
function typedError(error: unknown): AvailabilityErrorLike | undefined {
  if (
    error instanceof Error &&
    isCauseName(error.name) &&
    typeof (error as Partial<AvailabilityErrorLike>).retryAfterSeconds === 'number'
  ) {
    return error as AvailabilityErrorLike;
  }
  return availabilityErrorOf(error);
}

/** The availability failure behind `error`, or undefined when it is not one (a bug, a constraint). */
export function availabilityOf(error: unknown): Availability | undefined {
  const typed = typedError(error);
  if (!typed || !isCauseName(typed.name)) return undefined;
  return {
    status: AVAILABILITY_CAUSES[typed.name] === 'deadline_exceeded' ? 504 : 503,
    cause: AVAILABILITY_CAUSES[typed.name],
    retryAfterSeconds: Math.max(1, Math.ceil(typed.retryAfterSeconds)),
    mayHaveCommitted: typed.mayHaveCommitted === true,
    kind: typed.kind,
    error: typed,
  };
}
