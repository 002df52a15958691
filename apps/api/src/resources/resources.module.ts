import { Module } from '@nestjs/common';
import { ProjectsController } from './projects/projects.controller.js';
import { ProjectsService } from './projects/projects.service.js';
import { TasksController } from './tasks/tasks.controller.js';
import { TasksService } from './tasks/tasks.service.js';
import { WorkspacesController } from './workspaces/workspaces.controller.js';
import { WorkspacesService } from './workspaces/workspaces.service.js';

/** The tenant-scoped REST resources. Every route here is behind TenantContextMiddleware. */
export const RESOURCE_CONTROLLERS = [WorkspacesController, ProjectsController, TasksController];

@Module({
  controllers: RESOURCE_CONTROLLERS,
  providers: [WorkspacesService, ProjectsService, TasksService],
})
export class ResourcesModule {}
