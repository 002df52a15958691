/**
 * One structured line per request: request id, method, route, status, duration, tenant and user.
 * No bodies, no query strings, no row data: logs are read by people who must not see tenant data.
 */
import { randomUUID } from 'node:crypto';
import type { NextFunction, Response } from 'express';
import type { TenantryRequest } from '../tenancy/tenant-request.js';
import { requestScope, type RequestScope } from './request-scope.js';

export type LogEntry = { level: 'info' | 'warn' | 'error'; msg: string } & Record<string, unknown>;
export type RequestLog = (entry: LogEntry) => void;
export const REQUEST_LOG = Symbol('REQUEST_LOG');

export const jsonLinesToStdout: RequestLog = (entry) => {
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), ...entry })}\n`);
};

// Accept a caller's request id only when it is short and plain, so it cannot forge log lines.
const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/**
 * Express middleware, mounted before everything else so 401s and 404s are logged too. The line says
 * why a request failed (`cause`) and how many reads were retried (`dbRetries`), from its scope.
 */
export function requestLogger(log: RequestLog) {
  return (req: TenantryRequest, res: Response, next: NextFunction) => {
    const started = process.hrtime.bigint();
    // Captured now: routers rewrite req.url/originalUrl for middleware mounted on a path.
    const path = req.originalUrl.split('?')[0] ?? req.originalUrl;
    const incoming = req.headers['x-request-id'];
    req.requestId = typeof incoming === 'string' && SAFE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
    res.setHeader('x-request-id', req.requestId);
    const scope: RequestScope = { requestId: req.requestId, startedAt: performance.now(), log, dbRetries: 0 };
    res.on('finish', () => {
      log({
        // 503/504 are the database's availability (logged with their cause), not bugs: a warning.
        level: res.statusCode === 503 || res.statusCode === 504 ? 'warn' : res.statusCode >= 500 ? 'error' : 'info',
        msg: 'request completed',
        requestId: req.requestId,
        method: req.method,
        // The route pattern (/projects/:id) once Express matched one, else the path without query.
        route: (req.route?.path ? `${req.baseUrl}${req.route.path}` : path).replace(/(.)\/$/, '$1'),
        status: res.statusCode,
        durationMs: Number(process.hrtime.bigint() - started) / 1e6,
        tenantId: req.tenancy?.tenantId,
        userId: req.tenancy?.userId,
        ...(scope.cause ? { cause: scope.cause } : {}),
        ...(scope.dbRetries ? { dbRetries: scope.dbRetries } : {}),
      });
    });
    requestScope.run(scope, next);
  };
}
