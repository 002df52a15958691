/**
 * Binds every Prisma request to the tenant context of the caller that made it.
 *
 * Prisma's request handler queues requests in a batcher and dispatches ALL queued batches from one
 * `process.nextTick` callback, scheduled by the first request of the tick. That callback runs in the
 * first caller's async context, so without this:
 * - two tenants' `$transaction([...])` started in the same tick would both check out their
 *   connection, and so run every statement, with the FIRST tenant's settings (a real leak for raw
 *   SQL in the second batch);
 * - two tenants' findUnique calls in one tick (batched by argument *shape*, not value) would run as
 *   one statement under the first tenant: the second gets null for its own row.
 *
 * So every batched request remembers its caller's context, a batch key includes that context (so a
 * batch only ever holds requests of one context: findUnique calls of one request still coalesce,
 * two tenants' never do), and each batch runs inside the context its requests share.
 *
 * The same callback would carry the first request's model-operation mark (statement-origin.ts) to
 * every batch of the tick: a raw statement of an interactive transaction could then run under a
 * findUnique's mark, or a batch transaction's raw SQL under its first model operation's. So every
 * batched request also remembers whether it was a model operation, and a batch runs marked only
 * when all its requests were.
 *
 * This touches Prisma internals (`_requestHandler.dataloader.options`, Prisma 7.x; see
 * internals/prisma-internals.ts). If they move,
 * construction fails loudly instead of silently mixing contexts; tests cover both cases.
 */
import { UnsupportedQueryError } from '../errors.js';
import { runInCapturedContext, tenantContext, type TenantContext } from '../tenant-context.js';
import { requestBatcherOf, type PrismaRequest } from '../internals/prisma-internals.js';
import { inModelOperation, runWithModelMark } from '../connection/statement-origin.js';

const NO_CONTEXT = Symbol('no tenant context');

export function bindRequestsToCallerContext(client: object): void {
  const options = requestBatcherOf(client);
  if (!options) {
    throw new UnsupportedQueryError(
      'Cannot create the tenant client because this Prisma version no longer exposes its request batcher ' +
        '(_requestHandler.dataloader). Use the Prisma version @tenantry/db is tested with (7.10).',
    );
  }
  const callerContext = new WeakMap<PrismaRequest, TenantContext | typeof NO_CONTEXT>();
  const modelMark = new WeakMap<PrismaRequest, boolean>();
  const { batchBy, batchLoader, singleLoader } = options;
  const contextOf = (request: PrismaRequest | undefined) => (request ? callerContext.get(request) : undefined);

  // batchBy runs synchronously inside `request()`, in the caller's async context.
  const contextIds = new WeakMap<WeakKey, number>();
  let nextContextId = 0;
  options.batchBy = (request) => {
    const key = batchBy(request);
    if (key === undefined) return undefined; // not batchable: runs now, in the caller's context
    const ctx = tenantContext.get() ?? NO_CONTEXT;
    callerContext.set(request, ctx);
    modelMark.set(request, inModelOperation());
    if (request.transaction) return key; // one transaction, one caller
    let id = contextIds.get(ctx);
    if (id === undefined) contextIds.set(ctx, (id = nextContextId++));
    return `${key}@context${id}`;
  };
  // A request that was not batched has no entry: it runs now, in its caller's context and mark.
  const marked = (requests: PrismaRequest[], fn: () => Promise<unknown>) =>
    requests.some((r) => modelMark.has(r))
      ? runWithModelMark(
          requests.every((r) => modelMark.get(r) === true),
          fn,
        )
      : fn();
  options.batchLoader = (requests) =>
    within(contextOf(requests[0]), () => marked(requests, () => batchLoader(requests)));
  options.singleLoader = (request) => within(contextOf(request), () => marked([request], () => singleLoader(request)));
}

function within<T>(ctx: TenantContext | typeof NO_CONTEXT | undefined, fn: () => T): T {
  if (ctx === undefined) return fn(); // not batched: already in the caller's context
  return runInCapturedContext(ctx === NO_CONTEXT ? undefined : ctx, fn);
}
