/**
 * GET /health: the process is up and the database answers through the pooler, as the runtime role
 * (the same route every query takes). No tenant context: `select 1` reads no tenant table.
 */
import { Controller, Get, Inject, ServiceUnavailableException } from '@nestjs/common';
import { PrismaService } from '../database/prisma.service.js';

@Controller('health')
export class HealthController {
  constructor(@Inject(PrismaService) private readonly prisma: PrismaService) {}

  @Get()
  async health() {
    const started = performance.now();
    try {
      await this.prisma.db.$queryRaw`select 1`;
    } catch (error) {
      throw new ServiceUnavailableException('Cannot reach the database through DATABASE_URL. Check that Postgres and the pooler are running.', { cause: error });
    }
    return { status: 'ok', database: { status: 'ok', latencyMs: Math.round((performance.now() - started) * 100) / 100 } };
  }
}
