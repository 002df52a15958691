/**
 * Stops Prisma from batching findUnique calls of DIFFERENT async contexts into one query.
 *
 * Prisma's request handler collects every findUnique/findUniqueOrThrow issued in the same tick
 * (keyed by model and argument *shape*, not values) and dispatches them from a `process.nextTick`
 * callback, which runs in the async context of the FIRST caller. Two tenants' findUnique calls in
 * one tick would then run as one statement under the first tenant's RLS settings: the second gets
 * `null` for its own row. Not a leak (RLS still filters), but a wrong answer.
 *
 * So non-transactional requests skip the batcher and run in their caller's context. Requests inside
 * `$transaction([...])` or an interactive transaction keep Prisma's batching: they share one caller.
 * This touches Prisma internals (`_requestHandler.dataloader.options.batchBy`, Prisma 7.x); if they
 * move, construction fails loudly instead of silently batching again, and a test covers it.
 */
import { UnsupportedQueryError } from '../errors.js';

interface BatchableRequest {
  transaction?: { kind?: string; id?: unknown };
}

export function disableCrossContextBatching(client: object): void {
  const options = (client as { _requestHandler?: { dataloader?: { options?: { batchBy?: unknown } } } })._requestHandler
    ?.dataloader?.options;
  const batchBy = options?.batchBy;
  if (!options || typeof batchBy !== 'function') {
    throw new UnsupportedQueryError(
      'Cannot create the tenant client because this Prisma version no longer exposes the request batcher ' +
        '(_requestHandler.dataloader). Use the Prisma version @tenantry/db is tested with (7.10).',
    );
  }
  options.batchBy = (request: BatchableRequest) => (request.transaction ? batchBy.call(options, request) : undefined);
}
