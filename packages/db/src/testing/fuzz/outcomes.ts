/**
 * Sorting errors into "nothing was committed" (conclusive) and "the connection died mid-flight, the
 * server may or may not have committed" (indeterminate): the oracle only judges the former.
 */
import { TenantryError } from '../../errors.js';
import { RollbackSignal } from './types.js';

const CONCLUSIVE_SQLSTATES = new Set(['42501', '23503', '23505', '23502', '22P02', '57014', '40001', '40P01', '25P02']);
const CONCLUSIVE_PRISMA = new Set(['P2002', 'P2003', 'P2011', 'P2025', 'P2004']);

export function sqlstateOf(error: unknown): string | undefined {
  const e = error as { code?: string; meta?: { driverAdapterError?: { cause?: { originalCode?: string; code?: string } } } };
  const cause = e?.meta?.driverAdapterError?.cause;
  return cause?.originalCode ?? cause?.code ?? (typeof e?.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code) ? e.code : undefined);
}

export function isConclusiveFailure(error: unknown): boolean {
  if (error instanceof RollbackSignal || error instanceof TenantryError) return true;
  const code = (error as { code?: string })?.code;
  if (typeof code === 'string' && CONCLUSIVE_PRISMA.has(code)) return true;
  const state = sqlstateOf(error);
  return state !== undefined && CONCLUSIVE_SQLSTATES.has(state);
}

/** True for errors that a rejected cross-tenant attempt is expected to raise. */
export function isRejection(error: unknown): boolean {
  if (error instanceof TenantryError) return true;
  const code = (error as { code?: string })?.code;
  if (code === 'P2025' || code === 'P2003') return true;
  const state = sqlstateOf(error);
  return state === '42501' || state === '23503';
}
