/** Tasks of the active tenant, optionally filtered by project and state. */
import { Inject, Injectable, UnprocessableEntityException } from '@nestjs/common';
import type { Task } from '@tenantry/db';
import { PrismaService } from '../../database/prisma.service.js';
import { activeTenantId, notFound, pageArgs, toPage, type PageOf } from '../pagination.js';
import type { TaskCreate, TaskList, TaskUpdate } from '../schemas.js';

@Injectable()
export class TasksService {
  constructor(@Inject(PrismaService) private readonly prisma: PrismaService) {}

  async list({ projectId, done, ...page }: TaskList): Promise<PageOf<Task>> {
    const where = { ...(projectId ? { projectId } : {}), ...(done !== undefined ? { done } : {}) };
    return toPage(await this.prisma.db.task.findMany({ where, ...pageArgs(page) }), page);
  }

  async get(id: string): Promise<Task> {
    const row = await this.prisma.db.task.findFirst({ where: { id } });
    if (!row) throw notFound('task');
    return row;
  }

  async create({ projectId, ...input }: TaskCreate): Promise<Task> {
    // A task lives in its project's workspace; reading the project (RLS-scoped) also gives the
    // clearer error for a project id this tenant does not have.
    const project = await this.prisma.db.project.findFirst({ where: { id: projectId }, select: { workspaceId: true } });
    if (!project) {
      throw new UnprocessableEntityException(
        'Cannot create the task because projectId does not name a project of the active tenant. Use an id from GET /projects.',
      );
    }
    return this.prisma.db.task.create({ data: { ...input, projectId, workspaceId: project.workspaceId } });
  }

  update(id: string, input: TaskUpdate): Promise<Task> {
    return this.prisma.db.task.update({ where: { tenantId_id: { tenantId: activeTenantId(), id } }, data: input });
  }

  async remove(id: string): Promise<void> {
    await this.prisma.db.task.delete({ where: { tenantId_id: { tenantId: activeTenantId(), id } } });
  }
}
