/**
 * Maps what a handler can throw to an HTTP answer. Pure, so the mapping is easy to read in one place.
 *
 * - Another tenant's id answers 404, exactly as a missing id does: RLS makes the row invisible, so
 *   Prisma reports P2025 (or a find returns null) either way, and the body says nothing more.
 * - Unique conflicts (P2002) answer 409; a reference to a row the tenant does not have (P2003) 422.
 * - The library's errors map by class. MissingTenantContextError is a bug in the API (a query ran
 *   outside the request's context), so it is a 500, never a silent unscoped read.
 * - Messages never carry row data or the values the client sent.
 */
import { HttpException, HttpStatus } from '@nestjs/common';
import {
  ConnectionLostError,
  DatabaseUnreachableError,
  DeadlineExceededError,
  InvalidTenantContextError,
  PoolExhaustedError,
  TransactionConflictError,
  availabilityErrorOf,
  type DatabaseAvailabilityError,
  MissingTenantContextError,
  MissingWorkspaceError,
  TenantMismatchError,
  TenantryError,
  postgresCodeOf,
  SearchQueryError,
} from '@tenantry/db';

export interface HttpErrorBody {
  statusCode: number;
  error: string;
  message: string | string[];
  [extra: string]: unknown;
}

export interface MappedError {
  status: number;
  body: HttpErrorBody;
  /** Unexpected: log it as an error with its class and code (never its message, which may hold values). */
  unexpected: boolean;
  /** Extra response headers (`Retry-After` on 503/504). */
  headers?: Record<string, string>;
  /** Machine-readable cause for the log line and the body, e.g. `deadline_exceeded`. */
  cause?: string;
}

/** Thrown by the API itself when a route group is at its share of the pool (see RouteBulkhead). */
export class RouteBusyError extends Error {
  override name = 'RouteBusyError';
  constructor(
    readonly group: string,
    readonly retryAfterSeconds = 1,
  ) {
    super(
      `Cannot serve this request now because its routes (${group}) already use their share of the database connections. Retry shortly.`,
    );
  }
}

/** The request ran out of its route's time before the handler answered (see RequestDeadlineInterceptor). */
export class RequestDeadlineError extends Error {
  override name = 'RequestDeadlineError';
  constructor(readonly deadlineMs: number) {
    super(
      `Cannot answer this request because it took longer than its deadline of ${deadlineMs} ms. Retry shortly; narrow the request (a smaller page) if it persists.`,
    );
  }
}

/** The cause names clients and dashboards can switch on; stable, unlike messages. */
export function availabilityCause(error: DatabaseAvailabilityError): string {
  if (error instanceof DeadlineExceededError) return 'deadline_exceeded';
  if (error instanceof ConnectionLostError) return 'connection_lost';
  if (error instanceof DatabaseUnreachableError) return 'database_unreachable';
  if (error instanceof PoolExhaustedError) return 'pool_exhausted';
  if (error instanceof TransactionConflictError) return 'transaction_conflict';
  return 'database_unavailable';
}

/**
 * Availability failures: 504 when a deadline expired (the gateway-timeout of a load balancer, which
 * a client may retry), 503 otherwise; both with `Retry-After`, so a balancer keeps the instance and
 * clients back off instead of hammering a database that is restarting.
 */
function mapAvailability(error: DatabaseAvailabilityError): MappedError {
  const cause = availabilityCause(error);
  const status = error instanceof DeadlineExceededError ? 504 : 503;
  const unknown = error.mayHaveCommitted
    ? ' Whether a change of this request was saved is unknown: check before sending a write again.'
    : '';
  const message =
    status === 504
      ? `Cannot answer in time because the database did not finish within the time allowed for this request.${unknown} Retry shortly.`
      : cause === 'transaction_conflict'
        ? 'Cannot save because a concurrent change conflicted with this one; nothing was written. Retry the request.'
        : `Cannot reach the database right now (it is restarting, overloaded or unreachable).${unknown} Retry shortly.`;
  const extra: Record<string, unknown> = {
    cause,
    retryAfterSeconds: error.retryAfterSeconds,
    mayHaveCommitted: error.mayHaveCommitted,
  };
  if (error instanceof DeadlineExceededError) extra.kind = error.kind;
  return {
    status,
    body: body(status, message, extra),
    unexpected: false,
    headers: { 'Retry-After': String(error.retryAfterSeconds) },
    cause,
  };
}

interface PrismaKnownError {
  code: string;
  clientVersion: string;
  meta?: {
    modelName?: string;
    driverAdapterError?: {
      cause?: { constraint?: { fields?: string[]; index?: string }; table?: string; originalCode?: string };
    };
  };
}

function isPrismaKnownError(error: unknown): error is PrismaKnownError {
  const e = error as Partial<PrismaKnownError> | null;
  return typeof e?.code === 'string' && /^P\d{4}$/.test(e.code) && typeof e.clientVersion === 'string';
}

function body(status: number, message: string | string[], extra: Record<string, unknown> = {}): HttpErrorBody {
  const error = (HttpStatus[status] ?? 'Error')
    .toLowerCase()
    .split('_')
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join(' ');
  return { statusCode: status, error, message, ...extra };
}

const known = (status: number, message: string, extra?: Record<string, unknown>): MappedError => ({
  status,
  body: body(status, message, extra),
  unexpected: false,
});

/**
 * The client-facing fields of a P2002's unique key, from the constraint's name (never from values).
 * Through adapter-pg Prisma reports only the index name, which Prisma Migrate writes as
 * `<table>_<columns>_key`; tenant_id leads every tenant unique key (I6) and is not the client's to
 * change, so it is dropped: `workspaces_tenant_id_name_key` → ['name'].
 */
function conflictFields(error: PrismaKnownError): string[] {
  const cause = error.meta?.driverAdapterError?.cause;
  if (cause?.constraint?.fields?.length)
    return cause.constraint.fields.map((f) => f.replaceAll('"', '')).filter((f) => f !== 'tenant_id');
  const index = cause?.constraint?.index;
  if (!index || !cause?.table || !index.startsWith(`${cause.table}_`) || !index.endsWith('_key')) return [];
  const columns = index.slice(cause.table.length + 1, -'_key'.length).replace(/^tenant_id_?/, '');
  return columns ? [columns] : [];
}

/**
 * A SearchQueryError as one validation issue. Its message is the library's ("Cannot search because
 * ..."), which never quotes the query; the field is what it names, `q` unless it says `limit`.
 */
function searchQueryProblem(error: unknown): { field: string; message: string } | undefined {
  if (!(error instanceof SearchQueryError)) return undefined;
  const field = (error as { field?: unknown }).field === 'limit' ? 'limit' : 'q';
  return { field, message: error.message };
}

export function mapError(error: unknown): MappedError {
  if (error instanceof RouteBusyError) {
    return {
      status: 503,
      body: body(503, error.message, { cause: 'route_busy', retryAfterSeconds: error.retryAfterSeconds }),
      unexpected: false,
      headers: { 'Retry-After': String(error.retryAfterSeconds) },
      cause: 'route_busy',
    };
  }
  if (error instanceof RequestDeadlineError) {
    return {
      status: 504,
      // The handler may still be running: whether it saves anything is unknown.
      body: body(504, error.message, {
        cause: 'deadline_exceeded',
        kind: 'request',
        retryAfterSeconds: 1,
        mayHaveCommitted: true,
      }),
      unexpected: false,
      headers: { 'Retry-After': '1' },
      cause: 'deadline_exceeded',
    };
  }
  // The search's own rule on its input (@tenantry/db's searchTenant): a bad query parameter, so the
  // same 400 and `issues` shape as the query-string schemas, naming `q` or `limit`.
  const search = searchQueryProblem(error);
  if (search) return known(400, search.message, { issues: [search] });
  // Typed by the engine, or a raw Prisma/pg error of the same kind (classified here as a backstop).
  const unavailable = availabilityErrorOf(error);
  if (unavailable) return mapAvailability(unavailable);
  if (error instanceof HttpException && error.cause instanceof SyntaxError && error.getStatus() === 400) {
    return known(400, 'Cannot read the request body because it is not valid JSON. Send a JSON object.');
  }
  if (error instanceof HttpException) {
    const status = error.getStatus();
    const response = error.getResponse();
    if (typeof response === 'string') return known(status, response);
    const r = response as Partial<HttpErrorBody>;
    return {
      status,
      body: { ...r, statusCode: status, error: r.error ?? body(status, '').error, message: r.message ?? error.message },
      unexpected: false,
    };
  }
  // A text value Postgres cannot store (NUL: 22021 character_not_in_repertoire / invalid byte
  // sequence; 22P05 untranslatable_character). The schemas refuse control characters first; this is
  // the backstop for a field they do not cover: the caller's input, so 422, never a logged 500.
  const sqlState = postgresCodeOf(error);
  if (sqlState === '22021' || sqlState === '22P05') {
    return known(
      422,
      'Cannot save because a text value contains a character the database cannot store (such as NUL). Remove control characters from the request body.',
    );
  }
  if (isPrismaKnownError(error)) {
    const model = error.meta?.modelName?.toLowerCase() ?? 'record';
    switch (error.code) {
      case 'P2025':
        return known(404, `Cannot find the ${model} because it does not exist in the active tenant.`);
      case 'P2002': {
        const fields = conflictFields(error);
        return known(
          409,
          `Cannot save the ${model} because another one with the same ${fields.length ? fields.join(', ') : 'unique value'} already exists in the active tenant. Choose a different value.`,
          { fields },
        );
      }
      case 'P2003':
        return known(
          422,
          `Cannot save the ${model} because it references a record that does not exist in the active tenant. Check the ids in the request body.`,
        );
      case 'P2000':
        return known(422, `Cannot save the ${model} because a value is too long for its column. Send a shorter value.`);
    }
  }
  if (error instanceof TenantryError) {
    if (error instanceof InvalidTenantContextError) return known(400, error.message);
    if (error instanceof TenantMismatchError)
      return known(
        403,
        'Cannot run this request because it names a tenant or workspace other than the active one. Remove tenantId/workspaceId from the request.',
      );
    if (error instanceof MissingWorkspaceError)
      return known(422, 'Cannot save because the record needs a workspace. Send workspaceId in the request body.');
    if (error instanceof MissingTenantContextError)
      return { status: 500, body: body(500, 'Internal server error.'), unexpected: true };
  }
  return { status: 500, body: body(500, 'Internal server error.'), unexpected: true };
}
