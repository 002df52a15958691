/**
 * `withDeleted(fn)`: the typed way to let reads see soft-deleted rows. `includeDeleted: true` in a
 * call's arguments does the same for one call, but a generated client's argument types reject keys
 * they do not know, so TypeScript users would need a cast; this scope needs none.
 *
 * Pitfall (the same as tenantContext.run's): a Prisma query runs when it is awaited, not when it is
 * created. So `fn` is awaited INSIDE the scope; a query created in `fn` and awaited after
 * `withDeleted` returned would run without it (and hide the deleted rows).
 *
 * @example
 * const all = await withDeleted(() => prisma.note.findMany({ where: { title: 'x' } }));
 * // SELECT ... WHERE title = $1 AND organization_id = $2   (no deleted_at IS NULL)
 */
import { AsyncLocalStorage } from 'node:async_hooks';

const scope = new AsyncLocalStorage<true>();

/** Runs `fn` with soft-deleted rows visible to every read (and update) it awaits. */
export function withDeleted<T>(fn: () => PromiseLike<T> | T): Promise<T> {
  return scope.run(true, async () => await fn());
}

/** True inside `withDeleted`. */
export function deletedRowsVisible(): boolean {
  return scope.getStore() === true;
}
