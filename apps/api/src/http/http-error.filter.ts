/** The one exception filter: every error, from middleware or handler, leaves through mapError. */
import { type ArgumentsHost, Catch, type ExceptionFilter, Inject } from '@nestjs/common';
import { postgresCodeOf } from '@tenantry/db';
import type { Response } from 'express';
import { mapError } from './error-mapping.js';
import { REQUEST_LOG, type RequestLog } from './request-logger.js';
import { requestScope } from './request-scope.js';
import type { TenantryRequest } from '../tenancy/tenant-request.js';

@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  constructor(@Inject(REQUEST_LOG) private readonly log: RequestLog) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const req = http.getRequest<TenantryRequest>();
    const res = http.getResponse<Response>();
    const { status, body, unexpected, headers, cause } = mapError(exception);
    const e = exception as {
      name?: string;
      code?: unknown;
      postgresCode?: unknown;
      systemCode?: unknown;
      stack?: string;
    };
    // Class and codes only: a message or stack can quote SQL parameters, i.e. tenant data.
    const code = e?.postgresCode ?? e?.systemCode ?? postgresCodeOf(exception) ?? e?.code;
    if (unexpected) {
      this.log({
        level: 'error',
        msg: 'request failed',
        requestId: req.requestId,
        tenantId: req.tenancy?.tenantId,
        error: e?.name ?? typeof exception,
        code,
      });
    } else if (cause) {
      // An outage is not a bug: a warning that names what failed, so it does not look like one.
      this.log({
        level: 'warn',
        msg: 'database unavailable',
        requestId: req.requestId,
        tenantId: req.tenancy?.tenantId,
        cause,
        error: e?.name,
        code,
        status,
      });
    }
    const scope = requestScope.getStore();
    if (scope && cause) scope.cause = cause;
    if (res.headersSent) return;
    if (status === 401) res.setHeader('WWW-Authenticate', 'Bearer');
    for (const [name, value] of Object.entries(headers ?? {})) res.setHeader(name, value);
    res.status(status).json({ ...body, requestId: req.requestId });
  }
}
