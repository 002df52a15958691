import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post, Query } from '@nestjs/common';
import { WorkspacesService } from './workspaces.service.js';
import {
  idParam,
  workspaceCreate,
  workspaceList,
  workspaceUpdate,
  type Page,
  type WorkspaceCreate,
  type WorkspaceUpdate,
} from '../schemas.js';

@Controller('workspaces')
export class WorkspacesController {
  constructor(@Inject(WorkspacesService) private readonly workspaces: WorkspacesService) {}

  @Get()
  list(@Query({ schema: workspaceList }) page: Page) {
    return this.workspaces.list(page);
  }

  @Get(':id')
  get(@Param({ schema: idParam }) { id }: { id: string }) {
    return this.workspaces.get(id);
  }

  @Post()
  create(@Body({ schema: workspaceCreate }) body: WorkspaceCreate) {
    return this.workspaces.create(body);
  }

  @Patch(':id')
  update(@Param({ schema: idParam }) { id }: { id: string }, @Body({ schema: workspaceUpdate }) body: WorkspaceUpdate) {
    return this.workspaces.update(id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  remove(@Param({ schema: idParam }) { id }: { id: string }) {
    return this.workspaces.remove(id);
  }
}
