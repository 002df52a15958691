import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post, Query } from '@nestjs/common';
import { TasksService } from './tasks.service.js';
import {
  idParam,
  taskCreate,
  taskList,
  taskUpdate,
  type TaskCreate,
  type TaskList,
  type TaskUpdate,
} from '../schemas.js';

@Controller('tasks')
export class TasksController {
  constructor(@Inject(TasksService) private readonly tasks: TasksService) {}

  @Get()
  list(@Query({ schema: taskList }) query: TaskList) {
    return this.tasks.list(query);
  }

  @Get(':id')
  get(@Param({ schema: idParam }) { id }: { id: string }) {
    return this.tasks.get(id);
  }

  @Post()
  create(@Body({ schema: taskCreate }) body: TaskCreate) {
    return this.tasks.create(body);
  }

  @Patch(':id')
  update(@Param({ schema: idParam }) { id }: { id: string }, @Body({ schema: taskUpdate }) body: TaskUpdate) {
    return this.tasks.update(id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  remove(@Param({ schema: idParam }) { id }: { id: string }) {
    return this.tasks.remove(id);
  }
}
