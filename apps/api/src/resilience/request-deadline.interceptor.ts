/**
 * Every route has a deadline (API_REQUEST_DEADLINE_MS, or `@RequestDeadline(ms)` on a handler or
 * controller), and every route group a share of the database connections (RouteBulkhead).
 *
 * The deadline reaches the database: the handler runs inside a nested `tenantContext.run` with
 * `deadlineMs` set to the time left, so the engine bounds its wait for a connection, every
 * statement and every lock wait by it, and reports expiry as DeadlineExceededError (504). An HTTP
 * timer a little later answers 504 too when the handler hangs on anything else.
 *
 * The bulkhead slot is held until the handler really finishes, not until the 504 went out: a
 * handler that outlives its answer still holds a connection, and the slot must say so.
 */
import {
  type CallHandler,
  type ExecutionContext,
  Inject,
  Injectable,
  type NestInterceptor,
  SetMetadata,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { tenantContext } from '@tenantry/db';
import { from, lastValueFrom, type Observable } from 'rxjs';
import { API_CONFIG, type ApiConfig } from '../config/api-config.js';
import { RequestDeadlineError } from '../http/error-mapping.js';
import { requestScope } from '../http/request-scope.js';
import { RouteBulkhead } from './route-bulkhead.js';

const DEADLINE_KEY = Symbol('tenantry.requestDeadlineMs');
const UNLIMITED_KEY = Symbol('tenantry.noRequestLimits');

/** This handler's (or controller's) deadline in ms, instead of API_REQUEST_DEADLINE_MS. */
export const RequestDeadline = (ms: number) => SetMetadata(DEADLINE_KEY, ms);

/** Routes that must answer even when a group is saturated (health probes): no bulkhead, no deadline. */
export const NoRequestLimits = () => SetMetadata(UNLIMITED_KEY, true);

/**
 * The HTTP timer fires this much after the deadline, so that the engine's own, more precise error
 * (a lock wait, a statement, no answer from the database: it gives up 200 ms after the server
 * should have) wins when the database is the cause.
 */
export const HTTP_GRACE_MS = 400;

export const ROUTE_BULKHEAD = Symbol('ROUTE_BULKHEAD');

@Injectable()
export class RequestDeadlineInterceptor implements NestInterceptor {
  constructor(
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
    @Inject(ROUTE_BULKHEAD) private readonly bulkhead: RouteBulkhead,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(UNLIMITED_KEY, targets)) return next.handle();
    const deadlineMs = this.reflector.getAllAndOverride<number>(DEADLINE_KEY, targets) ?? this.config.requestDeadlineMs;
    // The deadline counts from the request's arrival (the tenancy middleware's membership check is
    // part of the same budget), not from here.
    const started = requestScope.getStore()?.startedAt ?? performance.now();
    const group = context.getClass().name;
    const handled = this.bulkhead.run(group, deadlineMs, () => {
      const left = Math.floor(deadlineMs - (performance.now() - started));
      if (left < 1) throw new RequestDeadlineError(deadlineMs);
      const handle = () => lastValueFrom(next.handle(), { defaultValue: undefined });
      const ctx = tenantContext.get();
      return ctx ? tenantContext.run({ ...ctx, deadlineMs: left }, handle) : handle();
    });
    const left = deadlineMs - (performance.now() - started);
    return from(withTimer(handled, left + HTTP_GRACE_MS, () => new RequestDeadlineError(deadlineMs)));
  }
}

export function withTimer<T>(work: Promise<T>, ms: number, error: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(error()), ms);
  });
  // The handler may still fail after the 504 went out; nobody awaits it then, so mark it handled.
  work.catch(() => {});
  return Promise.race([work, expired]).finally(() => clearTimeout(timer));
}
