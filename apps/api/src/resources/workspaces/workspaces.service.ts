/**
 * Workspaces of the active tenant. No `tenantId` anywhere below except in compound unique keys:
 * the tenant extension adds it to every filter and created row, and RLS enforces it in Postgres.
 */
import { Inject, Injectable } from '@nestjs/common';
import type { Workspace } from '@tenantry/db';
import { PrismaService } from '../../database/prisma.service.js';
import { activeTenantId, notFound, pageArgs, toPage, type PageOf } from '../pagination.js';
import type { Page, WorkspaceCreate, WorkspaceUpdate } from '../schemas.js';

@Injectable()
export class WorkspacesService {
  constructor(@Inject(PrismaService) private readonly prisma: PrismaService) {}

  async list(page: Page): Promise<PageOf<Workspace>> {
    return toPage(await this.prisma.db.workspace.findMany(pageArgs(page)), page);
  }

  async get(id: string): Promise<Workspace> {
    const row = await this.prisma.db.workspace.findFirst({ where: { id } });
    if (!row) throw notFound('workspace');
    return row;
  }

  create(input: WorkspaceCreate): Promise<Workspace> {
    return this.prisma.db.workspace.create({ data: input });
  }

  // update/delete of an id RLS hides raise P2025, which the error filter turns into the same 404.
  update(id: string, input: WorkspaceUpdate): Promise<Workspace> {
    return this.prisma.db.workspace.update({ where: { tenantId_id: { tenantId: activeTenantId(), id } }, data: input });
  }

  async remove(id: string): Promise<void> {
    await this.prisma.db.workspace.delete({ where: { tenantId_id: { tenantId: activeTenantId(), id } } });
  }
}
