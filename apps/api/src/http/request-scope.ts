/**
 * Per-request facts that deeper layers add to the request's log line: how many database reads the
 * engine retried after a lost connection, and why the request failed. An AsyncLocalStorage so that
 * the engine's process-wide retry listener (which knows nothing of HTTP) finds the request it
 * serves; entered with `run` around the rest of the request, never `enterWith`.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { onReadRetry } from '@tenantry/db';
import type { RequestLog } from './request-logger.js';

export interface RequestScope {
  readonly requestId: string;
  /** performance.now() when the request arrived: its deadline counts from here, middleware included. */
  readonly startedAt: number;
  readonly log: RequestLog;
  /** Reads retried once on a fresh connection after their connection was lost. */
  dbRetries: number;
  /** Machine-readable reason of a failed answer (`deadline_exceeded`, `connection_lost`, ...). */
  cause?: string;
}

export const requestScope = new AsyncLocalStorage<RequestScope>();

let listening = false;

/**
 * Subscribes, once per process, to the engine's read retries: each one is counted on the request it
 * happened in and logged as a warning with the model, the operation and the code that caused it.
 */
export function countReadRetries(): void {
  if (listening) return;
  listening = true;
  onReadRetry(({ model, operation, error }) => {
    const scope = requestScope.getStore();
    if (!scope) return;
    scope.dbRetries += 1;
    scope.log({
      level: 'warn',
      msg: 'database read retried',
      requestId: scope.requestId,
      model,
      operation,
      cause: 'connection_lost',
      code: error.postgresCode ?? error.systemCode,
    });
  });
}
