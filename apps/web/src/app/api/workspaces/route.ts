/** GET /api/workspaces: the active tenant's workspaces. */
import { prisma } from '@/server/db';
import { withTenant } from '@/server/with-tenant';

export const GET = withTenant(async () => {
  const workspaces = await prisma.workspace.findMany({ orderBy: [{ createdAt: 'asc' }, { name: 'asc' }] });
  return Response.json({ items: workspaces });
});
