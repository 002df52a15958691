import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post, Query } from '@nestjs/common';
import { ProjectsService } from './projects.service.js';
import {
  idParam,
  projectCreate,
  projectList,
  projectUpdate,
  type ProjectCreate,
  type ProjectList,
  type ProjectUpdate,
} from '../schemas.js';

@Controller('projects')
export class ProjectsController {
  constructor(@Inject(ProjectsService) private readonly projects: ProjectsService) {}

  @Get()
  list(@Query({ schema: projectList }) query: ProjectList) {
    return this.projects.list(query);
  }

  @Get(':id')
  get(@Param({ schema: idParam }) { id }: { id: string }) {
    return this.projects.get(id);
  }

  @Post()
  create(@Body({ schema: projectCreate }) body: ProjectCreate) {
    return this.projects.create(body);
  }

  @Patch(':id')
  update(@Param({ schema: idParam }) { id }: { id: string }, @Body({ schema: projectUpdate }) body: ProjectUpdate) {
    return this.projects.update(id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  remove(@Param({ schema: idParam }) { id }: { id: string }) {
    return this.projects.remove(id);
  }
}
