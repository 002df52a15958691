/**
 * Maps what tenant-scoped work can throw to an HTTP status and a message a person can act on.
 * Another tenant's id is a 404, exactly like a missing one: RLS makes the row invisible, so Prisma
 * reports P2025 (or a find returns null) either way. The database being busy or down is a 503 (a
 * deadline that ran out a 504) with the seconds to wait. Messages never quote row data or input values.
 */
import { postgresCodeOf } from '@tenantry/db';
import { availabilityOf, type Availability } from './availability';

// By `name`, not `instanceof`: under `next dev` the library can be loaded more than once (see db.ts),
// and an error thrown by one copy is not an instance of another copy's class.
const errorName = (error: unknown) => (error instanceof Error ? error.name : undefined);

export interface MappedError {
  status: number;
  message: string;
  /** A bug, not the caller's mistake and not an outage: log it as an error. */
  unexpected: boolean;
  /** The database could not serve the request now: answer with Retry-After, log it as a warning. */
  availability?: Availability;
}

function prismaCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  const version = (error as { clientVersion?: unknown } | null)?.clientVersion;
  return typeof code === 'string' && /^P\d{4}$/.test(code) && typeof version === 'string' ? code : undefined;
}

/** The sentence a form shows (and a route handler sends) when the database cannot serve the request. */
export function availabilityMessage(
  availability: Pick<Availability, 'status' | 'retryAfterSeconds' | 'mayHaveCommitted'>,
): string {
  const wait = `try again in ${availability.retryAfterSeconds} s.`;
  const message =
    availability.status === 504
      ? `The database is busy and did not answer in time; ${wait}`
      : `The database is busy or unreachable; ${wait}`;
  // The connection broke after the statement was sent: a blind retry of a write can save it twice.
  return availability.mayHaveCommitted
    ? `${message} The change may have been saved: reload to check before trying again.`
    : message;
}

export function mapError(error: unknown, what = 'item'): MappedError {
  // First: Prisma's P2034 (a write conflict) is an availability error, not a code to map below.
  const availability = availabilityOf(error);
  if (availability)
    return { status: availability.status, message: availabilityMessage(availability), unexpected: false, availability };
  // A text value Postgres cannot store (NUL: 22021; 22P05 untranslatable): the caller's input, so a
  // 422, never a logged 500. The forms and routes refuse control characters first (action-state.ts).
  const sqlState = postgresCodeOf(error);
  if (sqlState === '22021' || sqlState === '22P05')
    return {
      status: 422,
      message: `Cannot save this ${what} because a text contains a character the database cannot store (such as NUL). Remove control characters.`,
      unexpected: false,
    };
  switch (prismaCode(error)) {
    case 'P2025':
      return { status: 404, message: `Cannot find this ${what}. It may have been deleted.`, unexpected: false };
    case 'P2002':
      return {
        status: 409,
        message: `Cannot save this ${what} because the name is already taken. Pick another name.`,
        unexpected: false,
      };
    case 'P2003':
      return {
        status: 422,
        message: `Cannot save this ${what} because what it belongs to does not exist (any more).`,
        unexpected: false,
      };
  }
  if (errorName(error) === 'InvalidTenantContextError')
    return { status: 400, message: 'Cannot use this id because it is not a valid id.', unexpected: false };
  if (errorName(error) === 'TenantMismatchError' || errorName(error) === 'MissingWorkspaceError')
    return { status: 422, message: (error as Error).message, unexpected: false };
  if (errorName(error) === 'MissingTenantContextError')
    return {
      status: 500,
      message: 'Something went wrong on our side (a query ran outside its tenant context).',
      unexpected: true,
    };
  return { status: 500, message: 'Something went wrong on our side. Try again in a moment.', unexpected: true };
}
