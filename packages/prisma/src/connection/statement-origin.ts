/**
 * Where a statement comes from, for the session reset (tenant-query.ts): a statement that Prisma
 * compiled for a model operation outside any transaction (`findMany`, `create`, a nested write with
 * its own internal transaction) can leave nothing on the session: Prisma's query compiler writes
 * SELECT, INSERT, UPDATE, DELETE and transaction control, never SET, PREPARE, DECLARE CURSOR, LISTEN,
 * CREATE TEMP or an advisory lock. Every other statement (raw SQL, TypedSQL, statements of a batch or
 * interactive transaction, a pool used by hand) may, so it marks its connection as possibly dirty,
 * and the next pipeline on it starts with `DISCARD ALL`.
 *
 * The mark is set by the engine's `_executeRequest` hook (client.ts) around the model operation, in
 * the operation's own async context, and read by TenantClient.query when the statement is written.
 * Operations inside a transaction are never marked: Prisma may run a transaction's requests as one
 * batch in the async context of whichever request came first, so a raw statement could run under a
 * model operation's mark. Without the hook (a client that Prisma did not give the shape for it),
 * nothing is marked and every pipeline resets, as before.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

const modelOperation = new AsyncLocalStorage<true>();

/** Runs `fn` as a model operation outside a transaction: its statements keep a clean session clean. */
export function runAsModelOperation<R>(fn: () => R): R {
  return modelOperation.run(true, fn);
}

/** True inside runAsModelOperation. */
export function inModelOperation(): boolean {
  return modelOperation.getStore() === true;
}
