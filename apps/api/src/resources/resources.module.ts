import { Module } from '@nestjs/common';
import { AuditController } from './audit/audit.controller.js';
import { AuditService } from './audit/audit.service.js';
import { ProjectsController } from './projects/projects.controller.js';
import { ProjectsService } from './projects/projects.service.js';
import { SearchController } from './search/search.controller.js';
import { SearchService } from './search/search.service.js';
import { TasksController } from './tasks/tasks.controller.js';
import { TasksService } from './tasks/tasks.service.js';
import { WorkspacesController } from './workspaces/workspaces.controller.js';
import { WorkspacesService } from './workspaces/workspaces.service.js';

/** The tenant-scoped REST resources. Every route here is behind TenantContextMiddleware. */
export const RESOURCE_CONTROLLERS = [
  WorkspacesController,
  ProjectsController,
  TasksController,
  AuditController,
  SearchController,
];

@Module({
  controllers: RESOURCE_CONTROLLERS,
  providers: [WorkspacesService, ProjectsService, TasksService, AuditService, SearchService],
})
export class ResourcesModule {}
