/** GET /api/me: the verified user, the active tenant, and the tenant context the handler runs in. */
import { tenantContext } from '@/server/db';
import { withTenant } from '@/server/with-tenant';

export const GET = withTenant(async (_request, { tenancy }) => {
  // Read from AsyncLocalStorage, as any query in this handler would: it is the request's.
  const context = tenantContext.get();
  return Response.json({
    user: { id: tenancy.userId, email: tenancy.email },
    tenant: tenancy.tenant,
    role: tenancy.role,
    context: context ? { tenantId: context.tenantId, userId: context.userId ?? null } : null,
  });
});
