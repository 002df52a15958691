/**
 * GET and PATCH /api/tasks/:id ({ "title"?: string, "done"?: boolean }). Another tenant's id: 404,
 * and nothing is written. PATCH takes JSON only, which a cross-site form cannot send.
 */
import { nameProblem } from '@/server/action-state';
import { prisma } from '@/server/db';
import { isUuid } from '@/server/session';
import { problem, withTenant } from '@/server/with-tenant';

const NOT_FOUND = 'Cannot find this task. It does not exist, or it is not in your active tenant.';

export const GET = withTenant<{ id: string }>(async (_request, { params }) => {
  if (!isUuid(params.id)) return problem(404, NOT_FOUND);
  const task = await prisma.task.findFirst({ where: { id: params.id } });
  return task ? Response.json(task) : problem(404, NOT_FOUND);
});

export const PATCH = withTenant<{ id: string }>(
  async (request, { params, tenancy }) => {
    if (!isUuid(params.id)) return problem(404, NOT_FOUND);
    if (!request.headers.get('content-type')?.startsWith('application/json')) {
      return problem(415, 'Cannot update the task because the body is not JSON. Send content-type: application/json.');
    }
    const body = (await request.json().catch(() => undefined)) as { title?: unknown; done?: unknown } | undefined;
    if (typeof body !== 'object' || body === null)
      return problem(400, 'Cannot update the task because the body is not a JSON object.');
    const data: { title?: string; done?: boolean } = {};
    if (body.title !== undefined) {
      if (typeof body.title !== 'string' || body.title.trim() === '' || body.title.length > 120) {
        return problem(
          400,
          'Cannot update the task because title is not a non-empty string of at most 120 characters.',
        );
      }
      const title = body.title.trim();
      const invalid = nameProblem(title, 'task title');
      if (invalid) return problem(422, invalid, { fields: { field: 'title' } });
      data.title = title;
    }
    if (body.done !== undefined) {
      if (typeof body.done !== 'boolean') return problem(400, 'Cannot update the task because done is not a boolean.');
      data.done = body.done;
    }
    const task = await prisma.task.update({
      where: { tenantId_id: { tenantId: tenancy.tenant.id, id: params.id } },
      data,
    });
    return Response.json(task);
  },
  { what: 'task' },
);
