/**
 * GET /api/projects/:id and DELETE /api/projects/:id. Another tenant's id answers 404, exactly like
 * an id that does not exist: inside the tenant context RLS shows no such row (and the delete fails
 * with P2025 without touching it).
 */
import { prisma } from '@/server/db';
import { isUuid } from '@/server/session';
import { problem, withTenant } from '@/server/with-tenant';

const NOT_FOUND = 'Cannot find this project. It does not exist, or it is not in your active tenant.';

export const GET = withTenant<{ id: string }>(async (_request, { params }) => {
  if (!isUuid(params.id)) return problem(404, NOT_FOUND);
  const project = await prisma.project.findFirst({ where: { id: params.id } });
  return project ? Response.json(project) : problem(404, NOT_FOUND);
});

export const DELETE = withTenant<{ id: string }>(
  async (_request, { params, tenancy }) => {
    if (!isUuid(params.id)) return problem(404, NOT_FOUND);
    await prisma.project.delete({ where: { tenantId_id: { tenantId: tenancy.tenant.id, id: params.id } } });
    return new Response(null, { status: 204 });
  },
  { what: 'project' },
);
