/**
 * Keyset pagination, newest first. The cursor is the last id of the previous page; Prisma's cursor
 * needs a unique key, which for tenant tables is (tenantId, id) (I6), so the active tenant is named
 * here. The tenant extension checks it against the context, and RLS would hide another tenant's
 * cursor row anyway (an unknown cursor gives an empty page).
 */
import { NotFoundException } from '@nestjs/common';
import { tenantContext } from '@tenantry/db';
import type { Page } from './schemas.js';

export interface PageOf<T> {
  items: T[];
  /** Pass as `cursor` to get the next page; null on the last page. */
  nextCursor: string | null;
}

/** The verified tenant of the current request (the middleware put it in the context). */
export function activeTenantId(): string {
  const ctx = tenantContext.get();
  if (!ctx)
    throw new Error(
      'Cannot read the active tenant because no tenant context is active. Serve this route behind TenantContextMiddleware.',
    );
  return ctx.tenantId;
}

export function pageArgs(page: Page) {
  return {
    take: page.limit + 1,
    orderBy: [{ createdAt: 'desc' as const }, { id: 'desc' as const }],
    ...(page.cursor ? { cursor: { tenantId_id: { tenantId: activeTenantId(), id: page.cursor } }, skip: 1 } : {}),
  };
}

export function toPage<T extends { id: string }>(rows: T[], page: Page): PageOf<T> {
  const items = rows.slice(0, page.limit);
  return { items, nextCursor: rows.length > page.limit ? items[items.length - 1]!.id : null };
}

/** The same 404 for a missing id and for another tenant's id: RLS makes both invisible. */
export function notFound(model: string): NotFoundException {
  return new NotFoundException(`Cannot find the ${model} because it does not exist in the active tenant.`);
}
