/** The Postgres SQLSTATE inside a Prisma error (driver adapter errors nest it), or undefined. */
export function postgresCode(error: unknown): string | undefined {
  const e = error as {
    code?: string;
    meta?: { code?: string; driverAdapterError?: { cause?: { code?: string; originalCode?: string } } };
    cause?: { code?: string };
  };
  return (
    e?.meta?.driverAdapterError?.cause?.originalCode ??
    e?.meta?.driverAdapterError?.cause?.code ??
    e?.meta?.code ??
    (typeof e?.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code) ? e.code : undefined) ??
    e?.cause?.code
  );
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
  if (got !== code) throw new Error(`expected Postgres error ${code}, got ${got ?? 'none'}: ${(error as Error).message}`);
}
