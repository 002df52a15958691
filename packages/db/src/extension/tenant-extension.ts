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
import { Prisma } from '../generated/prisma/client.js';
import { tenantContext } from '../tenant-context.js';
import { ConnectionLostError } from '../availability-errors.js';
import { scopeArgs } from './scope-args.js';
import type { TenantMetadata } from './model-metadata.js';

/** Reported once per retried read, for logs and metrics. */
export interface ReadRetryEvent {
  readonly model: string;
  readonly operation: string;
  /** The loss that caused the retry (its `code`, e.g. 57P01, says why). */
  readonly error: ConnectionLostError;
}

const READS = new Set([
  'findUnique', 'findUniqueOrThrow', 'findFirst', 'findFirstOrThrow', 'findMany', 'count', 'aggregate', 'groupBy',
]);

/**
 * Prisma passes its internal request parameters to query extensions as `__internalParams`;
 * `transaction` is set for batch and interactive transactions (Prisma 7.x runtime, not public API).
 * Unknown shape counts as "in a transaction": then nothing is retried, which is always safe.
 */
function outsideTransaction(params: unknown): boolean {
  if (params === null || typeof params !== 'object') return false;
  return (params as { transaction?: unknown }).transaction === undefined;
}

export function tenantExtension(meta: TenantMetadata, onRetry?: (event: ReadRetryEvent) => void) {
  return Prisma.defineExtension({
    name: 'tenantry-tenant-scope',
    query: {
      $allModels: {
        $allOperations(params) {
          const { model, operation, args, query } = params;
          const ctx = tenantContext.get();
          const scoped = scopeArgs(meta, model, operation, args, ctx) as typeof args;
          if (!READS.has(operation) || !outsideTransaction((params as { __internalParams?: unknown }).__internalParams)) {
            return query(scoped);
          }
          return query(scoped).catch((error: unknown) => {
            if (!(error instanceof ConnectionLostError)) throw error;
            onRetry?.({ model, operation, error });
            return query(scoped);
          });
        },
      },
    },
  });
}
