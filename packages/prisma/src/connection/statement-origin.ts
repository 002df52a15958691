/**
 * Where a statement comes from, for the session reset (tenant-query.ts). A statement that Prisma's
 * query compiler wrote for a model operation (`findMany`, `create`, a nested write, a model
 * operation inside a batch or interactive transaction) can leave nothing on the session: it writes
 * SELECT, INSERT, UPDATE, DELETE and transaction control, never SET, PREPARE, DECLARE CURSOR,
 * LISTEN, CREATE TEMP or an advisory lock. Every other statement (raw SQL, TypedSQL, a pool used by
 * hand, SQL that user code sends from a callback Prisma runs) may, so it marks its connection as
 * possibly dirty, and the next pipeline on it starts with `DISCARD ALL`.
 *
 * A statement counts as a model operation's only when two marks agree:
 * 1. **The operation.** The engine's `_executeRequest` hook (client.ts) runs each model operation
 *    under `runAsModelOperation` (an AsyncLocalStorage) and every other request (raw SQL above all)
 *    explicitly outside it, so a raw query started from inside a model operation (a `$on('query')`
 *    listener, `onRetry`) does not inherit the mark. Prisma's request batcher runs a tick's requests
 *    from one callback, in the first request's async context; the engine's batcher hook
 *    (request-context.ts) runs each batch under the mark only when every request in it was marked.
 * 2. **The driver.** The statement (or the checkout it runs on) is made synchronously inside a call
 *    of the driver adapter itself (`queryRaw`/`executeRaw`, `startTransaction`), which the engine
 *    wraps (`runAsDriverCall`). User code never runs inside that synchronous window: a listener, a
 *    pool event or a notice handler that Prisma or pg calls later may still be in the operation's
 *    async context (1), but not in the window, so SQL it sends by hand counts as raw.
 * Without the hooks (a client that Prisma did not give the shape for them), nothing is marked and
 * every pipeline resets.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

const modelOperation = new AsyncLocalStorage<boolean>();

/** Runs `fn` as a model operation: its driver statements keep a clean session clean. */
export function runAsModelOperation<R>(fn: () => R): R {
  return modelOperation.run(true, fn);
}

/** Runs `fn` outside any model operation, even when called from inside one (raw SQL, a batch with raw SQL). */
export function runOutsideModelOperation<R>(fn: () => R): R {
  return modelOperation.run(false, fn);
}

/** Runs `fn` as a model operation when `marked`, else outside one. */
export function runWithModelMark<R>(marked: boolean, fn: () => R): R {
  return modelOperation.run(marked, fn);
}

/** True inside runAsModelOperation (and not inside a later runOutsideModelOperation). */
export function inModelOperation(): boolean {
  return modelOperation.getStore() === true;
}

/**
 * What the driver adapter is doing right now, synchronously: sending one statement (`queryRaw`,
 * `executeRaw`; outside a transaction through `pool.query`, which checks out, runs and releases),
 * or starting a transaction (`startTransaction`: the checkout that the transaction's statements
 * then run on). Undefined outside any such call. A plain variable, not an AsyncLocalStorage: the
 * window closes when the call returns its promise, so nothing that runs later is inside it.
 */
export type DriverCall = 'statement' | 'transaction';

let driverCall: DriverCall | undefined;

/** Runs `fn` (a driver adapter's method) with the window open; see DriverCall. */
export function runAsDriverCall<R>(kind: DriverCall, fn: () => R): R {
  const outer = driverCall;
  driverCall = kind;
  try {
    return fn();
  } finally {
    driverCall = outer;
  }
}

/** The driver call that is under way synchronously, if any. */
export function currentDriverCall(): DriverCall | undefined {
  return driverCall;
}

/**
 * What a checkout may let keep the session clean (read at `connect()`, in the caller's context):
 * - `'statement'`: pg-pool's `query()` checking out for one statement of a model operation's driver
 *   call. Its one statement keeps the session clean; pg-pool runs it from the connect callback,
 *   outside the driver's window, so the checkout's mark is what decides.
 * - `'transaction'`: the checkout of a transaction the driver started (an interactive or batch
 *   transaction, a nested write's own). The connection is the transaction's alone; each of its
 *   statements keeps the session clean only when it is made in a model operation's driver call.
 * - `false`: anything else (raw SQL's checkout, a pool used by hand): only transaction control.
 */
export type CheckoutOrigin = 'statement' | 'transaction' | false;

export function checkoutOrigin(withCallback: boolean): CheckoutOrigin {
  const call = driverCall;
  if (call === 'transaction' && !withCallback) return 'transaction';
  if (call === 'statement' && withCallback && inModelOperation()) return 'statement';
  return false;
}

/**
 * Whether a (non-control) statement keeps a clean session clean, for a checkout of `origin`;
 * read in TenantClient.query, synchronously where the statement is asked for.
 */
export function statementKeepsSessionClean(origin: CheckoutOrigin): boolean {
  if (origin === 'statement') return true;
  if (origin === 'transaction') return driverCall === 'statement' && inModelOperation();
  return false;
}
