/**
 * Running Next.js server code inside `tenantContext.run`: one wrapper per kind of entry point.
 *
 * | entry point            | use                                  | when the session is bad          |
 * |------------------------|--------------------------------------|----------------------------------|
 * | route handler          | `export const GET = withTenant(fn)`  | JSON 401/403/400                 |
 * | server action          | `return runInTenant(tenancy => ...)` | redirect to /sign-in (or throws) |
 * | server component data  | `await tenantQuery(() => prisma...)` | redirect to /sign-in             |
 *
 * Each one runs with a deadline (WEB_REQUEST_DEADLINE_MS, default 5000 ms; a route may pass its own):
 * the engine then bounds the wait for a pooled connection, every statement and every lock wait by
 * what is left of it, and a timer answers 504 a little after it when the database says nothing at
 * all (deadline.ts). Without one, a request behind a lock waits as long as the lock is held, holding
 * a pooled connection, until the pool is empty and every tenant's requests queue behind it. When the
 * database is busy or down, a route handler answers 503 (504 when the deadline ran out) with
 * `Retry-After` and a `cause`, and a server action returns its error state saying when to retry.
 *
 * ## Why not once, in middleware (`proxy.ts` in Next 16)?
 * The tenant context is AsyncLocalStorage, which follows one async call chain: it exists inside the
 * callback given to `run` and in whatever that callback starts. Next's proxy/middleware is not on
 * that chain. It runs first, as its own invocation (historically in the Edge runtime, possibly on
 * another machine); it returns a response or `NextResponse.next()`, its `run` callback has ended by
 * then, and only afterwards does Next's router call the route handler, server action or page render
 * from its own request loop. So a context entered in the proxy is gone by the time the handler's
 * queries run: they would throw MissingTenantContextError (and the database would return nothing).
 * `enterWith` is no way out either: it would set the context of Next's own request loop, leaking one
 * request's tenant into the next request served by that continuation.
 * What to do instead: verify in the handler's own call chain. Wrap each route handler and each
 * server action, and each server component's data call (React renders components in its own
 * scheduling, so one `run` around a page cannot reach the children's awaits). The proxy may still
 * do optimistic work (redirect when there is no session cookie at all), never authorisation.
 */
import { cookies } from 'next/headers';
import { redirect } from 'next/navigation';
import { cache } from 'react';
import { tenantContext } from '@/server/db';
import { validRouteDeadline, webConfig } from './config';
import { requestDeadline } from './deadline';
import { mapError, type MappedError } from './errors';
import { logFailure, routeOf } from './log';
import { contextOf, resolveTenancy, type Tenancy, type TenancyResult } from './tenancy';

export type { Tenancy } from './tenancy';

type RouteParams = Record<string, string | string[] | undefined>;

/** The second argument of a Next 16 route handler (`params` is a promise since Next 15). */
export interface RouteSegment<P extends RouteParams> {
  params: Promise<P>;
}

export interface TenantRouteContext<P extends RouteParams> {
  params: P;
  tenancy: Tenancy;
}

/**
 * Every answer of a tenant-scoped route (data, and 401/403/404 answers that say whether a session or
 * an id is valid) is one user's: a CDN or proxy that caches by URL must neither store nor replay it,
 * and the session is a cookie, so the answer varies by Cookie.
 */
export const PRIVATE_CACHE_CONTROL = 'private, no-store';

function markPrivate(response: Response): Response {
  try {
    response.headers.set('cache-control', PRIVATE_CACHE_CONTROL);
    response.headers.append('vary', 'Cookie');
    return response;
  } catch {
    // Immutable headers (Response.redirect, a fetched Response): copy it with its headers.
    const copy = new Response(response.body, response);
    copy.headers.set('cache-control', PRIVATE_CACHE_CONTROL);
    copy.headers.append('vary', 'Cookie');
    return copy;
  }
}

export function problem(
  status: number,
  message: string,
  extra: { fields?: Record<string, unknown>; headers?: Record<string, string> } = {},
): Response {
  return Response.json(
    { statusCode: status, message, ...extra.fields },
    { status, headers: { 'cache-control': PRIVATE_CACHE_CONTROL, vary: 'Cookie', ...extra.headers } },
  );
}

/**
 * The JSON answer for a mapped error. 503/504 ones add `cause`, `mayHaveCommitted` (a retried write
 * could be saved twice) and, for a deadline, the `kind` of limit that expired, with `Retry-After`.
 */
export function failureResponse(mapped: MappedError): Response {
  const { availability } = mapped;
  if (!availability) return problem(mapped.status, mapped.message);
  const fields = {
    cause: availability.cause,
    mayHaveCommitted: availability.mayHaveCommitted,
    ...(availability.kind === undefined ? {} : { kind: availability.kind }),
  };
  return problem(mapped.status, mapped.message, {
    fields,
    headers: { 'retry-after': String(availability.retryAfterSeconds) },
  });
}

export interface WithTenantOptions {
  /** What the route works on, for messages ("Cannot find this project."). */
  what?: string;
  /** This route's deadline in ms, instead of WEB_REQUEST_DEADLINE_MS (e.g. longer for an export). */
  deadlineMs?: number;
}

/**
 * Wraps a route handler: verifies the session and membership, then runs `handler` inside
 * `tenantContext.run({ tenantId, userId, deadlineMs })`. Errors map to JSON (another tenant's id →
 * 404, the database busy or down → 503/504 with Retry-After).
 *
 * @example
 * export const GET = withTenant<{ id: string }>(async (_request, { params }) => {
 *   const project = await prisma.project.findFirst({ where: { id: params.id } }); // this tenant's only
 *   return project ? Response.json(project) : problem(404, 'Cannot find this project.');
 * });
 */
export function withTenant<P extends RouteParams = Record<string, never>>(
  handler: (request: Request, context: TenantRouteContext<P>) => Promise<Response> | Response,
  options: WithTenantOptions = {},
) {
  const routeDeadline = options.deadlineMs === undefined ? undefined : validRouteDeadline(options.deadlineMs);
  return async (request: Request, segment: RouteSegment<P>): Promise<Response> => {
    try {
      // Inside the try, the membership check too: it is the request's first query, so it is the
      // one that meets a database that is down (a 503 here, not Next's bare 500 page).
      const deadline = requestDeadline(routeDeadline ?? webConfig().requestDeadlineMs);
      const response = await deadline.race(async () => {
        const resolved = await resolveTenancy(await cookies(), deadline);
        if (!resolved.ok) return problem(resolved.status, resolved.message);
        const params = await segment.params;
        return tenantContext.run(contextOf(resolved.tenancy, deadline.remainingMs()), () =>
          handler(request, { params, tenancy: resolved.tenancy }),
        );
      });
      return markPrivate(response);
    } catch (error) {
      const mapped = mapError(error, options.what);
      logFailure(routeOf(request.method, request.url), error, mapped);
      return failureResponse(mapped);
    }
  };
}

/**
 * The request's verified tenancy for server components and actions, computed once per request
 * (React `cache`), or a redirect to the sign-in page saying why.
 */
export const currentTenancy = cache(async (): Promise<Tenancy> => {
  const resolved = await resolveTenancyFromCookies();
  if (!resolved.ok) redirect(`/sign-in?reason=${resolved.status === 401 ? 'signed-out' : 'tenant'}`);
  return resolved.tenancy;
});

/** Like `currentTenancy`, but tells the caller what went wrong instead of redirecting. */
export const resolveTenancyFromCookies = cache(
  async (): Promise<TenancyResult> => resolveTenancy(await cookies(), requestDeadline()),
);

/**
 * A server component's data call, inside the request's tenant context. Each call gets the whole
 * WEB_REQUEST_DEADLINE_MS: React runs a page's calls in parallel and in its own order, so there is
 * no "rest of the budget" to hand on. A failure goes to the nearest error.tsx.
 *
 * @example
 * const projects = await tenantQuery(() => prisma.project.findMany({ orderBy: { createdAt: 'asc' } }));
 */
export async function tenantQuery<R>(fn: (tenancy: Tenancy) => Promise<R>): Promise<R> {
  const tenancy = await currentTenancy();
  return tenantContext.run(contextOf(tenancy, webConfig().requestDeadlineMs), () => fn(tenancy));
}

/**
 * A server action's work, inside the tenant context of the session that posted it. Server actions
 * are public HTTP endpoints: the session and membership are checked on every call, whatever page
 * the form was rendered on. The membership check and `fn` share one WEB_REQUEST_DEADLINE_MS;
 * availability errors are thrown to the caller, which turns them into its error state (see
 * `mutate` in actions.ts).
 */
export async function runInTenant<R>(fn: (tenancy: Tenancy) => Promise<R>): Promise<R> {
  const deadline = requestDeadline();
  return deadline.race(async () => {
    const resolved = await resolveTenancy(await cookies(), deadline);
    if (!resolved.ok) redirect(`/sign-in?reason=${resolved.status === 401 ? 'signed-out' : 'tenant'}`);
    return tenantContext.run(contextOf(resolved.tenancy, deadline.remainingMs()), () => fn(resolved.tenancy));
  });
}
