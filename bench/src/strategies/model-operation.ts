/**
 * The marks the engine sets on a Prisma model operation's statements (see
 * packages/prisma/src/connection/statement-origin.ts): the operation's (`_executeRequest` hook) and
 * the driver's (its wrapped adapter's `queryRaw`/`executeRaw`/`startTransaction`). A statement
 * under both keeps a clean session clean, so the next pipeline on the connection skips `DISCARD ALL`.
 *
 * The strategies that reach the TenantPool without the engine's client (raw-pg, the layer
 * strategies over plain Prisma) send exactly the statements Prisma's model operations send, and
 * set both marks so that they pay what tenantry-direct pays, no more: raw-pg opens the driver's
 * window around each of its pool calls (`driverStatement`, `driverTransaction`), the layer
 * strategies wrap their adapter as the engine does (`wrapDriverAdapter`). Deliberately not part of
 * the engine's public API: an application that marked raw SQL this way would let session state
 * outlive its request.
 */
import { runAsDriverCall, runAsModelOperation } from '../../../packages/prisma/src/connection/statement-origin.js';
import { wrapDriverAdapter } from '../../../packages/prisma/src/internals/prisma-internals.js';

/**
 * `fn` as a model operation. Prisma's promises are lazy: a query runs in the async context of
 * whoever calls its `then`, so a PrismaPromise returned out of the mark would run unmarked (and
 * reset before every statement, as the layer strategies' writes did until 2026-12-04). It is
 * awaited here, inside the mark.
 */
export const modelOperation = <R>(fn: () => PromiseLike<R>): Promise<R> => runAsModelOperation(async () => await fn());

/** `fn` (one pool.query or client.query call) as a driver's statement. */
export const driverStatement = <R>(fn: () => R): R => runAsDriverCall('statement', fn);

/** `fn` (the pool.connect() of a transaction) as the driver's startTransaction. */
export const driverTransaction = <R>(fn: () => R): R => runAsDriverCall('transaction', fn);

/** Wraps a PrismaPg adapter factory as createTenantPrismaClient wraps its own. */
export const asEngineAdapter = <A extends object>(adapter: A): A => {
  wrapDriverAdapter(adapter, runAsDriverCall);
  return adapter;
};
