/**
 * Health, split the way load balancers and orchestrators ask:
 * - GET /health/live: the process serves HTTP. No database: an outage must not get a healthy
 *   process restarted (that would only add a cold start to the outage).
 * - GET /health/ready: the database answers through the pooler as the runtime role, on the probe's
 *   own connection with a 1 s limit (see ReadinessProbe). 503 + Retry-After when not.
 * - GET /health: readiness, kept for existing probes.
 * None of them takes a token, a tenant context, a deadline slot or a bulkhead slot.
 */
import { Controller, Get, Inject, type OnApplicationShutdown, Res } from '@nestjs/common';
import type { Response } from 'express';
import { availabilityCause } from '../http/error-mapping.js';
import { NoRequestLimits } from '../resilience/request-deadline.interceptor.js';
import { ReadinessProbe } from './readiness-probe.js';

export const READINESS_PROBE = Symbol('READINESS_PROBE');

@Controller('health')
@NoRequestLimits()
export class HealthController implements OnApplicationShutdown {
  constructor(@Inject(READINESS_PROBE) private readonly probe: ReadinessProbe) {}

  @Get('live')
  live() {
    return { status: 'ok' };
  }

  @Get('ready')
  ready(@Res({ passthrough: true }) res: Response) {
    return this.readiness(res);
  }

  @Get()
  health(@Res({ passthrough: true }) res: Response) {
    return this.readiness(res);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.probe.close();
  }

  private async readiness(res: Response) {
    const result = await this.probe.check();
    if (result.ok) return { status: 'ok', database: { status: 'ok', latencyMs: result.latencyMs } };
    const error = result.error!;
    res.status(503).setHeader('Retry-After', String(error.retryAfterSeconds));
    return {
      statusCode: 503,
      status: 'unavailable',
      cause: availabilityCause(error),
      message:
        'Cannot reach the database through DATABASE_URL within 1 s. Check that Postgres and the pooler are running.',
      database: { status: 'unavailable', latencyMs: result.latencyMs, code: error.postgresCode ?? error.systemCode },
    };
  }
}
