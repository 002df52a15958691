/**
 * Sorting errors into "nothing was committed" (conclusive) and "the connection died mid-flight, the
 * server may or may not have committed" (indeterminate): the oracle only judges the former. Apart
 * from both: errors that only a connection poisoned by an earlier operation's session state
 * produces (inheritedStateError), which are findings, and refusals of session-state statements
 * (isSessionStatementRefused), which are rejections as designed.
 */
import { TenantryError } from '@tenantry/prisma';
import { ConnectionLostError, DatabaseAvailabilityError } from '@tenantry/prisma';
import { postgresCodeOf } from '@tenantry/prisma';
import { RollbackSignal } from './types.js';

const CONCLUSIVE_SQLSTATES = new Set([
  '42501',
  '23503',
  '23505',
  '23502',
  '22P02',
  '57014',
  '40001',
  '40P01',
  '25P02',
  // Refused before or by the statement, in a transaction that then rolled back: nothing committed.
  '25006',
  '42P01',
  '42883',
  '26000',
  '0A000',
]);
const CONCLUSIVE_PRISMA = new Set(['P2002', 'P2003', 'P2011', 'P2025', 'P2004']);

type DriverError = {
  code?: string;
  message?: string;
  meta?: {
    driverAdapterError?: {
      cause?: { originalCode?: string; code?: string; originalMessage?: string; message?: string };
    };
  };
};

export function sqlstateOf(error: unknown): string | undefined {
  return postgresCodeOf(error);
}

/** The server's own message (Prisma wraps it; a pg error carries it as its message). */
function serverMessageOf(error: unknown): string {
  const e = error as DriverError;
  const cause = e?.meta?.driverAdapterError?.cause;
  return cause?.originalMessage ?? cause?.message ?? (typeof e?.message === 'string' ? e.message : '');
}

/**
 * When `error` is what a statement gets on a connection that an earlier operation left in a bad
 * state, a short description of that state; otherwise undefined. None of these happen on a clean
 * session with the fuzzer's statements: every table they name exists, nothing is read-only, no
 * statement is prepared or declared twice, and row_security is on. `expected` lists SQLSTATEs the
 * operation provokes on purpose (e.g. 57014 for one that sets a statement_timeout).
 */
export function inheritedStateError(error: unknown, expected: readonly string[] = []): string | undefined {
  const state = sqlstateOf(error);
  if (state === undefined || expected.includes(state)) return undefined;
  switch (state) {
    case '25006':
      return 'read-only session (25006)';
    case '42P01':
      return 'relation missing, search_path changed (42P01)';
    case '42883':
      return 'function missing, search_path changed (42883)';
    case '26000':
      return 'prepared statement missing, deallocated (26000)';
    case '42P05':
      return 'prepared statement already exists (42P05)';
    case '42P07':
      return 'relation already exists, temp table left (42P07)';
    case '42P03':
      return 'cursor already exists (42P03)';
    case '57014':
      return 'statement timeout left on the session (57014)';
    case '42501':
      // row_security = off: Postgres raises instead of filtering for a role without BYPASSRLS.
      return /would be affected by row-level security/i.test(serverMessageOf(error))
        ? 'row_security off (42501)'
        : undefined;
    default:
      return undefined;
  }
}

export function isConclusiveFailure(error: unknown): boolean {
  // A lost connection is the one availability error that cannot say whether the write committed.
  if (error instanceof ConnectionLostError) return false;
  if (error instanceof RollbackSignal || error instanceof TenantryError) return true;
  const code = (error as { code?: string })?.code;
  if (typeof code === 'string' && CONCLUSIVE_PRISMA.has(code)) return true;
  const state = sqlstateOf(error);
  return state !== undefined && CONCLUSIVE_SQLSTATES.has(state);
}

/** True for errors that a rejected cross-tenant attempt is expected to raise. */
export function isRejection(error: unknown): boolean {
  if (inheritedStateError(error)) return false;
  // Faults are not refusals: an attempt cut by a lost connection or a timeout proves nothing.
  if (error instanceof DatabaseAvailabilityError) return false;
  if (error instanceof TenantryError) return true;
  const code = (error as { code?: string })?.code;
  if (code === 'P2025' || code === 'P2003') return true;
  const state = sqlstateOf(error);
  return state === '42501' || state === '23503';
}

/**
 * True when a statement that would leave session state was refused as designed: by the connection
 * layer (a TenantryError), for lack of privilege (42501: no TEMPORARY on the database, SET ROLE to
 * a role the runtime role is not a member of) or as unsupported (0A000).
 */
export function isSessionStatementRefused(error: unknown): boolean {
  if (inheritedStateError(error)) return false;
  if (error instanceof TenantryError) return true;
  const state = sqlstateOf(error);
  return state === '42501' || state === '0A000';
}
