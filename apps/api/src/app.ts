/**
 * Builds the Nest application (not listening yet). `main.ts` runs it; the e2e tests and the load
 * bench build their own with their own database clients.
 */
import 'reflect-metadata';
import { ConsoleLogger, type LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule, type AppModuleOptions } from './app.module.js';
import { loadApiConfig } from './config/api-config.js';
import { jsonLinesToStdout, requestLogger } from './http/request-logger.js';

export interface CreateApiOptions extends Partial<AppModuleOptions> {
  /** Nest's own logger (startup, unexpected errors); false silences it. */
  logger?: LoggerService | false;
}

export async function createApi(options: CreateApiOptions = {}): Promise<NestExpressApplication> {
  const config = options.config ?? loadApiConfig();
  const requestLog = options.requestLog ?? jsonLinesToStdout;
  const logger = options.logger ?? new ConsoleLogger({ json: config.production, prefix: 'tenantry-api' });
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot({ ...options, config, requestLog }), {
    logger,
    bodyParser: true,
  });
  app.disable('x-powered-by');
  // No answer of this API is for a shared cache: the tenant routes say `private, no-store`
  // (TenantContextMiddleware), everything else (health, the dev token, 404s) at least `no-store`.
  app.use((_req: unknown, res: { setHeader(name: string, value: string): void }, next: () => void) => {
    res.setHeader('Cache-Control', 'no-store');
    next();
  });
  // First in the chain, so rejected requests (401, 404, bad JSON) are logged with their request id.
  app.use(requestLogger(requestLog));
  return app;
}
