/**
 * Maps what a handler can throw to an HTTP answer. Pure, so the mapping is easy to read in one place.
 *
 * - Another tenant's id answers 404, exactly as a missing id does: RLS makes the row invisible, so
 *   Prisma reports P2025 (or a find returns null) either way, and the body says nothing more.
 * - Unique conflicts (P2002) answer 409; a reference to a row the tenant does not have (P2003) 422.
 * - The library's errors map by class. MissingTenantContextError is a bug in the API (a query ran
 *   outside the request's context), so it is a 500, never a silent unscoped read.
 * - Messages never carry row data or the values the client sent.
 */
import { HttpException, HttpStatus } from '@nestjs/common';
import {
  InvalidTenantContextError,
  MissingTenantContextError,
  MissingWorkspaceError,
  TenantMismatchError,
  TenantryError,
} from '@tenantry/db';

export interface HttpErrorBody {
  statusCode: number;
  error: string;
  message: string | string[];
  [extra: string]: unknown;
}

export interface MappedError {
  status: number;
  body: HttpErrorBody;
  /** Unexpected: log it as an error with its class and code (never its message, which may hold values). */
  unexpected: boolean;
}

interface PrismaKnownError {
  code: string;
  clientVersion: string;
  meta?: { modelName?: string; target?: unknown; driverAdapterError?: { cause?: { constraint?: { fields?: string[] }; originalCode?: string } } };
}

function isPrismaKnownError(error: unknown): error is PrismaKnownError {
  const e = error as Partial<PrismaKnownError> | null;
  return typeof e?.code === 'string' && /^P\d{4}$/.test(e.code) && typeof e.clientVersion === 'string';
}

function body(status: number, message: string | string[], extra: Record<string, unknown> = {}): HttpErrorBody {
  const error = (HttpStatus[status] ?? 'Error').toLowerCase().split('_').map((w) => w[0]!.toUpperCase() + w.slice(1)).join(' ');
  return { statusCode: status, error, message, ...extra };
}

const known = (status: number, message: string, extra?: Record<string, unknown>): MappedError => ({
  status,
  body: body(status, message, extra),
  unexpected: false,
});

/** Names of the unique fields in a P2002, from Prisma's meta (column names, never values). */
function conflictFields(error: PrismaKnownError): string[] {
  const fields = error.meta?.driverAdapterError?.cause?.constraint?.fields ?? (Array.isArray(error.meta?.target) ? (error.meta.target as string[]) : []);
  // tenant_id is part of every tenant unique key (I6); it is not what the client can change.
  return fields.map(String).map((f) => f.replaceAll('"', '')).filter((f) => f !== 'tenant_id' && f !== 'tenantId');
}

export function mapError(error: unknown): MappedError {
  if (error instanceof HttpException) {
    const status = error.getStatus();
    const response = error.getResponse();
    if (typeof response === 'string') return known(status, response);
    const r = response as Partial<HttpErrorBody>;
    return { status, body: { ...r, statusCode: status, error: r.error ?? body(status, '').error, message: r.message ?? error.message }, unexpected: false };
  }
  if (isPrismaKnownError(error)) {
    const model = error.meta?.modelName?.toLowerCase() ?? 'record';
    switch (error.code) {
      case 'P2025':
        return known(404, `Cannot find the ${model} because it does not exist in the active tenant.`);
      case 'P2002': {
        const fields = conflictFields(error);
        return known(409, `Cannot save the ${model} because another one with the same ${fields.length ? fields.join(', ') : 'unique value'} already exists in the active tenant. Choose a different value.`, { fields });
      }
      case 'P2003':
        return known(422, `Cannot save the ${model} because it references a record that does not exist in the active tenant. Check the ids in the request body.`);
      case 'P2000':
        return known(422, `Cannot save the ${model} because a value is too long for its column. Send a shorter value.`);
    }
  }
  if (error instanceof TenantryError) {
    if (error instanceof InvalidTenantContextError) return known(400, error.message);
    if (error instanceof TenantMismatchError) return known(403, 'Cannot run this request because it names a tenant or workspace other than the active one. Remove tenantId/workspaceId from the request.');
    if (error instanceof MissingWorkspaceError) return known(422, 'Cannot save because the record needs a workspace. Send workspaceId in the request body.');
    if (error instanceof MissingTenantContextError) return { status: 500, body: body(500, 'Internal server error.'), unexpected: true };
  }
  // Express's body parser: malformed JSON, payload too large, wrong charset.
  const parserError = error as { type?: string; status?: number; expose?: boolean };
  if (typeof parserError?.status === 'number' && parserError.expose && parserError.status >= 400 && parserError.status < 500) {
    const message = parserError.type === 'entity.parse.failed' ? 'Cannot read the request body because it is not valid JSON. Send a JSON object.' : 'Cannot read the request body. Send a JSON object.';
    return known(parserError.status, message);
  }
  return { status: 500, body: body(500, 'Internal server error.'), unexpected: true };
}
