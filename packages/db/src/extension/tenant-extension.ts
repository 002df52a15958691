/**
 * The `$extends` adapter over `scopeArgs`: every model operation of every model passes through it.
 * The context is read once, when the operation starts, and the query then runs inside that same
 * context so the connection layer binds the same tenant (I3).
 */
import { Prisma } from '../generated/prisma/client.js';
import { tenantContext } from '../tenant-context.js';
import { scopeArgs } from './scope-args.js';
import type { TenantMetadata } from './model-metadata.js';

export function tenantExtension(meta: TenantMetadata) {
  return Prisma.defineExtension({
    name: 'tenantry-tenant-scope',
    query: {
      $allModels: {
        $allOperations({ model, operation, args, query }) {
          const ctx = tenantContext.get();
          const scoped = scopeArgs(meta, model, operation, args, ctx);
          return query(scoped as typeof args);
        },
      },
    },
  });
}
