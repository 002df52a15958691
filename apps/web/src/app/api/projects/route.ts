/** GET /api/projects[?workspaceId=]: the active tenant's projects. */
import { prisma } from '@/server/db';
import { isUuid } from '@/server/session';
import { problem, withTenant } from '@/server/with-tenant';

export const GET = withTenant(async (request) => {
  const workspaceId = new URL(request.url).searchParams.get('workspaceId');
  if (workspaceId !== null && !isUuid(workspaceId))
    return problem(400, 'Cannot filter by workspace because workspaceId is not a UUID.');
  const projects = await prisma.project.findMany({
    where: workspaceId ? { workspaceId } : {},
    orderBy: [{ createdAt: 'asc' }, { name: 'asc' }],
    take: 200,
  });
  return Response.json({ items: projects });
});
