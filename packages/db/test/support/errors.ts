import { postgresCodeOf } from '../../src/index.js';

/**
 * The Postgres SQLSTATE of an error, read by the engine's own `postgresCodeOf` (a pg error's code,
 * the one Prisma nests under `meta.driverAdapterError.cause`, a typed availability error's
 * `postgresCode`), so the tests and the engine cannot disagree about it. One step down the `cause`
 * chain as well, for errors that wrap the Postgres one.
 */
export function postgresCode(error: unknown): string | undefined {
  return postgresCodeOf(error) ?? postgresCodeOf((error as { cause?: unknown } | null | undefined)?.cause);
}

/** Awaits `promise`, expecting it to fail with Postgres SQLSTATE `code`. */
export async function expectPostgresError(promise: Promise<unknown>, code: string): Promise<void> {
  let error: unknown;
  try {
    await promise;
  } catch (e) {
    error = e;
  }
  if (error === undefined) throw new Error(`expected Postgres error ${code}, but the operation succeeded`);
  const got = postgresCode(error);
  if (got !== code)
    throw new Error(`expected Postgres error ${code}, got ${got ?? 'none'}: ${(error as Error).message}`);
}

/** The error `promise` rejects with; fails the test when it resolves. */
export async function rejection(promise: PromiseLike<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the operation to fail, but it succeeded');
}
