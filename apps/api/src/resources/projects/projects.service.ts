/** Projects of the active tenant, optionally filtered by workspace. */
import { Inject, Injectable } from '@nestjs/common';
import type { Project } from '@tenantry/db';
import { PrismaService } from '../../database/prisma.service.js';
import { activeTenantId, notFound, pageArgs, toPage, type PageOf } from '../pagination.js';
import type { ProjectCreate, ProjectList, ProjectUpdate } from '../schemas.js';

@Injectable()
export class ProjectsService {
  constructor(@Inject(PrismaService) private readonly prisma: PrismaService) {}

  async list({ workspaceId, ...page }: ProjectList): Promise<PageOf<Project>> {
    const where = workspaceId ? { workspaceId } : {};
    return toPage(await this.prisma.db.project.findMany({ where, ...pageArgs(page) }), page);
  }

  async get(id: string): Promise<Project> {
    const row = await this.prisma.db.project.findFirst({ where: { id } });
    if (!row) throw notFound('project');
    return row;
  }

  // A workspaceId of another tenant fails the composite foreign key (tenant_id, workspace_id), P2003
  // → 422, exactly like a workspace that does not exist (I6: FK checks cannot probe other tenants).
  create(input: ProjectCreate): Promise<Project> {
    return this.prisma.db.project.create({ data: input });
  }

  update(id: string, input: ProjectUpdate): Promise<Project> {
    return this.prisma.db.project.update({ where: { tenantId_id: { tenantId: activeTenantId(), id } }, data: input });
  }

  async remove(id: string): Promise<void> {
    await this.prisma.db.project.delete({ where: { tenantId_id: { tenantId: activeTenantId(), id } } });
  }
}
