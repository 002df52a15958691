/**
 * What the lifecycle needs from a Prisma client, and the few SQL helpers it shares. Everything goes
 * through the client's public raw-query API ($queryRawUnsafe / $executeRawUnsafe) with values as
 * bind parameters (I7); the only text spliced into SQL is identifiers read from the catalog, quoted.
 */
import { AdminRoleRequiredError } from './errors.js';

/** The part of a generated PrismaClient (or its transaction client) the lifecycle uses. */
export interface RawClient {
  $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): PromiseLike<T>;
  $executeRawUnsafe(query: string, ...values: unknown[]): PromiseLike<number>;
}

/** A PrismaClient: raw queries and interactive transactions. */
export interface LifecycleClient extends RawClient {
  $transaction<R>(
    fn: (tx: any) => Promise<R>,
    options?: { maxWait?: number; timeout?: number; isolationLevel?: any },
  ): Promise<R>;
}

/** `"name"`, with embedded quotes doubled: a column name read from the catalog, made safe to splice. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

// Canonical textual UUID (any version), as tenant-context.ts accepts.
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}

/**
 * Refuses a role that RLS applies to. Pitfall: on the runtime role every statement here would
 * succeed and see nothing, so an export would be empty and an erasure's verification would count 0
 * rows that are still there.
 */
export async function assertBypassesRls(client: RawClient, action: string): Promise<void> {
  const rows = await client.$queryRawUnsafe<Array<{ bypass: boolean }>>(
    'select coalesce((select rolbypassrls or rolsuper from pg_roles where rolname = current_user), false) as bypass',
  );
  if (rows[0]?.bypass !== true) throw new AdminRoleRequiredError(action);
}

/** Postgres's SQLSTATE of a Prisma or pg error, when there is one. */
export function sqlStateOf(error: unknown): string | undefined {
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (current && typeof current === 'object' && !seen.has(current)) {
    seen.add(current);
    const e = current as {
      code?: unknown;
      meta?: { code?: unknown; driverAdapterError?: { cause?: { originalCode?: unknown } } };
      cause?: unknown;
    };
    const original = e.meta?.driverAdapterError?.cause?.originalCode ?? e.meta?.code;
    if (typeof original === 'string' && /^[0-9A-Z]{5}$/.test(original)) return original;
    if (typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code) && !e.code.startsWith('P')) return e.code;
    current = e.cause;
  }
  return undefined;
}
