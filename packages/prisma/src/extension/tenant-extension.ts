/**
 * The `$extends` adapter over `scopeArgs`: every model operation of every model passes through it.
 * The context is read once, when the operation starts, and the query then runs inside that same
 * context so the connection layer binds the same tenant (I3).
 *
 * It also retries a READ once when its connection was lost (a backend terminated, the pooler
 * restarted): reads are idempotent, and the retry checks out a fresh connection. Never a write (it
 * may have committed), never inside a batch or interactive transaction (the transaction died with
 * its connection; only the caller can run it again).
 */
import { Prisma } from '@prisma/client/extension';
import { tenantContext } from '../tenant-context.js';
import { ConnectionLostError } from '../availability-errors.js';
import { runsOutsideTransaction } from '../internals/prisma-internals.js';
import { scopeArgs } from './scope-args.js';
import type { TenantMetadata } from './model-metadata.js';
import { UnsupportedQueryError } from '../errors.js';
import { softDeleteArgs } from '../soft-delete/soft-delete-args.js';
import { deletedRowsVisible } from '../soft-delete/with-deleted.js';

/** Reported once per retried read, for logs and metrics. */
export interface ReadRetryEvent {
  readonly model: string;
  readonly operation: string;
  /** The loss that caused the retry (its `code`, e.g. 57P01, says why). */
  readonly error: ConnectionLostError;
}

// Process-wide listeners (one registry even if the module is loaded twice, as Next.js dev does), for
// apps that use the shared `prisma` singleton and so cannot pass `onRetry` to its factory.
const listenersKey = Symbol.for('tenantry.db.readRetryListeners');
const listeners: Set<(event: ReadRetryEvent) => void> = ((globalThis as Record<symbol, unknown>)[listenersKey] ??=
  new Set()) as Set<(event: ReadRetryEvent) => void>;

/**
 * Calls `listener` for every read retried after a connection loss, by any tenant client of this
 * process. Returns the function that unsubscribes it.
 */
export function onReadRetry(listener: (event: ReadRetryEvent) => void): () => void {
  listeners.add(listener);
  return () => void listeners.delete(listener);
}

function report(event: ReadRetryEvent, onRetry: ((event: ReadRetryEvent) => void) | undefined): void {
  // A listener that throws must not turn a successful retry into a failure.
  for (const listener of [onRetry, ...listeners]) {
    try {
      listener?.(event);
    } catch {
      // ignored on purpose
    }
  }
}

const READS = new Set([
  'findUnique',
  'findUniqueOrThrow',
  'findFirst',
  'findFirstOrThrow',
  'findMany',
  'count',
  'aggregate',
  'groupBy',
]);

/**
 * Runs one model operation: `query` runs it with the given arguments, as the given operation (soft
 * delete turns a `delete` into an `update`; the other operations keep theirs).
 */
export type ScopedOperation = (
  model: string,
  operation: string,
  args: unknown,
  outsideTransaction: boolean,
  query: (args: unknown, operation: string) => Promise<unknown>,
) => Promise<unknown>;

/**
 * The scoping of one operation, for both ways of installing it: below Prisma's query extensions
 * (client.ts, the fast path) and as the `$extends` extension below.
 */
export function scopedOperation(meta: TenantMetadata, onRetry?: (event: ReadRetryEvent) => void): ScopedOperation {
  return (model, operation, args, outsideTransaction, query) => {
    const ctx = tenantContext.get();
    // Soft delete first, then the tenant scope on the operation that will actually run: the
    // rewrite only adds conditions, and the tenant filters are added after it, never before.
    const soft = softDeleteArgs(meta, model, operation, args, meta.softDeletes === true && deletedRowsVisible());
    const scoped = scopeArgs(meta, model, soft.operation, soft.args, ctx);
    if (!READS.has(operation) || !outsideTransaction) return query(scoped, soft.operation);
    return query(scoped, soft.operation).catch((error: unknown) => {
      if (!(error instanceof ConnectionLostError)) throw error;
      report({ model, operation, error }, onRetry);
      return query(scoped, soft.operation);
    });
  };
}

/**
 * The tenant scoping as a Prisma extension, for a client you build yourself over a TenantPool:
 * `bindRequestsToCallerContext(base)` first (else Prisma coalesces concurrent findUnique calls of
 * different tenants into one statement under the first caller's tenant, and the others read null),
 * then `base.$extends(tenantExtension(tenantMetadataOf(base)))`. `createTenantPrismaClient` does both,
 * and installs the scoping below Prisma's extension chain, which costs less per operation.
 */
export function tenantExtension(meta: TenantMetadata, onRetry?: (event: ReadRetryEvent) => void) {
  const run = scopedOperation(meta, onRetry);
  return Prisma.defineExtension({
    name: 'tenantry-tenant-scope',
    query: {
      $allModels: {
        $allOperations(params) {
          const { model, operation, args, query } = params;
          return run(model, operation, args, runsOutsideTransaction(params), (a, as) => {
            // A query extension can change an operation's arguments, not the operation itself.
            if (as !== operation) {
              throw new UnsupportedQueryError(
                `Cannot run ${model}.${operation} as a soft delete through tenantExtension because a Prisma query extension cannot turn a ${operation} into an ${as}. ` +
                  `Use createTenantPrismaClient (it scopes below the extension chain), or soft-delete with ${model}.${as === 'update' ? 'update' : 'updateMany'} setting the soft-delete field.`,
              );
            }
            return query(a as typeof args);
          }) as ReturnType<typeof query>;
        },
      },
    },
  });
}
