/**
 * The load bench's BASELINE: the same API on an unscoped client, i.e. the admin role (BYPASSRLS)
 * over a plain pg.Pool, with the tenant added to each query as an explicit `where tenantId = ...`
 * (and to created rows), the way an app without Tenantry would write it. No RLS, no
 * transaction-local settings, no TenantPool. Bench only: never serve requests with this.
 */
import { tenantContext, type TenantPrismaClient } from '@tenantry/db';
import { createAdminPrismaClient } from '@tenantry/db/admin';

const GLOBAL_MODELS = new Set(['Tenant', 'User']);
const FILTERED = new Set([
  'findMany',
  'findFirst',
  'findFirstOrThrow',
  'findUnique',
  'findUniqueOrThrow',
  'count',
  'update',
  'updateMany',
  'delete',
  'deleteMany',
]);

export function createBaselineClient(connectionString: string, poolSize: number): TenantPrismaClient {
  const admin = createAdminPrismaClient({ connectionString, poolSize });
  const scoped = admin.$extends({
    query: {
      $allModels: {
        $allOperations({ model, operation, args, query }) {
          if (GLOBAL_MODELS.has(model)) return query(args);
          const tenantId = tenantContext.get()?.tenantId;
          if (!tenantId) throw new Error(`baseline: ${model}.${operation} outside a tenant context`);
          const a = { ...(args as Record<string, unknown>) };
          if (FILTERED.has(operation)) a.where = { ...(a.where as object), tenantId };
          if (operation === 'create') a.data = { ...(a.data as object), tenantId };
          return query(a as typeof args);
        },
      },
    },
  });
  // Same model API and result types; the cast only hides the different client classes.
  return scoped as unknown as TenantPrismaClient;
}
