/** The one exception filter: every error, from middleware or handler, leaves through mapError. */
import { type ArgumentsHost, Catch, type ExceptionFilter, Inject } from '@nestjs/common';
import type { Response } from 'express';
import { mapError } from './error-mapping.js';
import { REQUEST_LOG, type RequestLog } from './request-logger.js';
import type { TenantryRequest } from '../tenancy/tenant-request.js';

@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  constructor(@Inject(REQUEST_LOG) private readonly log: RequestLog) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const req = http.getRequest<TenantryRequest>();
    const res = http.getResponse<Response>();
    const { status, body, unexpected } = mapError(exception);
    if (unexpected) {
      const e = exception as { name?: string; code?: unknown; stack?: string };
      // Class and code only: a message or stack can quote SQL parameters, i.e. tenant data.
      this.log({ level: 'error', msg: 'request failed', requestId: req.requestId, tenantId: req.tenancy?.tenantId, error: e?.name ?? typeof exception, code: e?.code });
    }
    if (res.headersSent) return;
    if (status === 401) res.setHeader('WWW-Authenticate', 'Bearer');
    res.status(status).json({ ...body, requestId: req.requestId });
  }
}
