/**
 * Maps what tenant-scoped work can throw to an HTTP status and a message a person can act on.
 * Another tenant's id is a 404, exactly like a missing one: RLS makes the row invisible, so Prisma
 * reports P2025 (or a find returns null) either way. Messages never quote row data or input values.
 */

// By `name`, not `instanceof`: under `next dev` the library can be loaded more than once (see db.ts),
// and an error thrown by one copy is not an instance of another copy's class.
const errorName = (error: unknown) => (error instanceof Error ? error.name : undefined);

export interface MappedError {
  status: number;
  message: string;
  /** A bug or an outage, not the caller's mistake: log it. */
  unexpected: boolean;
}

function prismaCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  const version = (error as { clientVersion?: unknown } | null)?.clientVersion;
  return typeof code === 'string' && /^P\d{4}$/.test(code) && typeof version === 'string' ? code : undefined;
}

export function mapError(error: unknown, what = 'item'): MappedError {
  switch (prismaCode(error)) {
    case 'P2025':
      return { status: 404, message: `Cannot find this ${what}. It may have been deleted.`, unexpected: false };
    case 'P2002':
      return { status: 409, message: `Cannot save this ${what} because the name is already taken. Pick another name.`, unexpected: false };
    case 'P2003':
      return { status: 422, message: `Cannot save this ${what} because what it belongs to does not exist (any more).`, unexpected: false };
  }
  if (errorName(error) === 'InvalidTenantContextError') return { status: 400, message: 'Cannot use this id because it is not a valid id.', unexpected: false };
  if (errorName(error) === 'TenantMismatchError' || errorName(error) === 'MissingWorkspaceError') return { status: 422, message: (error as Error).message, unexpected: false };
  if (errorName(error) === 'MissingTenantContextError') return { status: 500, message: 'Something went wrong on our side (a query ran outside its tenant context).', unexpected: true };
  return { status: 500, message: 'Something went wrong on our side. Try again in a moment.', unexpected: true };
}

/** Logs an unexpected error by class and code only (messages may quote values). */
export function logUnexpected(where: string, error: unknown): void {
  const name = error instanceof Error ? error.name : typeof error;
  const code = (error as { code?: unknown } | null)?.code;
  console.error(`[web] ${where}: ${name}${typeof code === 'string' ? ` ${code}` : ''}`, error instanceof Error ? error.stack : '');
}
