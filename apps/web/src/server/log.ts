/**
 * One JSON line per failed request, for whatever collects the server's output. Only names, codes and
 * limits: never an error's message and never the stack's first line (which repeats the message),
 * because messages of Postgres, pg and Prisma may quote values ("invalid input syntax for type uuid:
 * \"...\"", a unique key's value in a DETAIL). The database being busy or down is a `warn` (it is
 * expected to happen and the client was told when to retry); everything else that was not the
 * caller's mistake is an `error`, with the stack's frames.
 */
import type { MappedError } from './errors';

type Level = 'warn' | 'error';

/** Our own configuration errors: fixed sentences naming a variable, never a value. Kept whole. */
const MESSAGE_IS_SAFE = new Set(['WebConfigError', 'TenantryConfigError']);

/** A path with every segment that is not a plain route word replaced (ids are values too). */
export function routeOf(method: string, url: string): string {
  const path = new URL(url).pathname
    .split('/')
    .map((segment) => (segment === '' || /^[a-z][a-z-]*$/.test(segment) ? segment : ':param'))
    .join('/');
  return `${method} ${path}`;
}

function stackFrames(error: unknown): string[] | undefined {
  const stack = error instanceof Error ? error.stack : undefined;
  return stack
    ?.split('\n')
    .filter((line) => /^\s+at /.test(line))
    .map((line) => line.trim())
    .slice(0, 12);
}

function write(level: Level, line: Record<string, unknown>): void {
  const text = JSON.stringify({ level, time: new Date().toISOString(), ...line });
  if (level === 'warn') console.warn(text);
  else console.error(text);
}

/** Logs a request (or action) that failed; the caller's mistakes (404, 409, 422) are not logged. */
export function logFailure(where: string, error: unknown, mapped: MappedError): void {
  const { availability } = mapped;
  if (availability) {
    const typed = availability.error;
    // The class, not `name`: pg's DatabaseError is named 'error'.
    const original = typed.cause instanceof Error ? typed.cause.constructor.name : undefined;
    write('warn', {
      msg: 'database unavailable',
      where,
      status: mapped.status,
      cause: availability.cause,
      error: typed.name,
      postgresCode: typed.postgresCode,
      systemCode: typed.systemCode,
      ...(typed.kind === undefined ? {} : { kind: typed.kind, source: typed.source, limitMillis: typed.limitMillis }),
      retryAfterSeconds: availability.retryAfterSeconds,
      mayHaveCommitted: availability.mayHaveCommitted,
      ...(original && original !== typed.name ? { originalError: original } : {}),
    });
    return;
  }
  if (!mapped.unexpected) return;
  const name = error instanceof Error ? error.name : typeof error;
  const code = (error as { code?: unknown } | null)?.code;
  write('error', {
    msg: 'request failed',
    where,
    status: mapped.status,
    error: name,
    ...(typeof code === 'string' ? { code } : {}),
    ...(MESSAGE_IS_SAFE.has(name) ? { message: (error as Error).message } : {}),
    stack: stackFrames(error),
  });
}
