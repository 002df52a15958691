/**
 * Running Next.js server code inside `tenantContext.run`: one wrapper per kind of entry point.
 *
 * | entry point            | use                                  | when the session is bad          |
 * |------------------------|--------------------------------------|----------------------------------|
 * | route handler          | `export const GET = withTenant(fn)`  | JSON 401/403/400                 |
 * | server action          | `return runInTenant(tenancy => ...)` | redirect to /sign-in (or throws) |
 * | server component data  | `await tenantQuery(() => prisma...)` | redirect to /sign-in             |
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
import { logUnexpected, mapError } from './errors';
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

export function problem(status: number, message: string): Response {
  return Response.json({ statusCode: status, message }, { status, headers: { 'cache-control': 'no-store' } });
}

/**
 * Wraps a route handler: verifies the session and membership, then runs `handler` inside
 * `tenantContext.run({ tenantId, userId })`. Errors map to JSON (another tenant's id → 404).
 *
 * @example
 * export const GET = withTenant<{ id: string }>(async (_request, { params }) => {
 *   const project = await prisma.project.findFirst({ where: { id: params.id } }); // this tenant's only
 *   return project ? Response.json(project) : problem(404, 'Cannot find this project.');
 * });
 */
export function withTenant<P extends RouteParams = Record<string, never>>(
  handler: (request: Request, context: TenantRouteContext<P>) => Promise<Response> | Response,
  options: { what?: string } = {},
) {
  return async (request: Request, segment: RouteSegment<P>): Promise<Response> => {
    const resolved = await resolveTenancy(await cookies());
    if (!resolved.ok) return problem(resolved.status, resolved.message);
    const params = await segment.params;
    try {
      return await tenantContext.run(contextOf(resolved.tenancy), () => handler(request, { params, tenancy: resolved.tenancy }));
    } catch (error) {
      const mapped = mapError(error, options.what);
      if (mapped.unexpected) logUnexpected(`${request.method} ${new URL(request.url).pathname}`, error);
      return problem(mapped.status, mapped.message);
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
export const resolveTenancyFromCookies = cache(async (): Promise<TenancyResult> => resolveTenancy(await cookies()));

/**
 * A server component's data call, inside the request's tenant context.
 *
 * @example
 * const projects = await tenantQuery(() => prisma.project.findMany({ orderBy: { createdAt: 'asc' } }));
 */
export async function tenantQuery<R>(fn: (tenancy: Tenancy) => Promise<R>): Promise<R> {
  const tenancy = await currentTenancy();
  return tenantContext.run(contextOf(tenancy), () => fn(tenancy));
}

/**
 * A server action's work, inside the tenant context of the session that posted it. Server actions
 * are public HTTP endpoints: the session and membership are checked on every call, whatever page
 * the form was rendered on.
 */
export async function runInTenant<R>(fn: (tenancy: Tenancy) => Promise<R>): Promise<R> {
  const resolved = await resolveTenancy(await cookies());
  if (!resolved.ok) redirect(`/sign-in?reason=${resolved.status === 401 ? 'signed-out' : 'tenant'}`);
  return tenantContext.run(contextOf(resolved.tenancy), () => fn(resolved.tenancy));
}
