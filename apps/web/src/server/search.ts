/**
 * The search page's data: @tenantry/db's `searchTenant` over the active tenant's projects and tasks
 * (migration 20261203000300_full_text_search), inside the tenant context, so RLS bounds it like any
 * query and soft-deleted rows are not found. A query the library refuses (empty, too long, control
 * characters) is the form's error, shown next to the search box, not a failed page.
 */
import { searchTenant, type SearchHit } from '@tenantry/db';
import { prisma } from './db';

export const SEARCH_LIMIT = 50;

export type SearchOutcome =
  | { kind: 'none' }
  | { kind: 'hits'; query: string; hits: SearchHit[] }
  | { kind: 'invalid'; query: string; message: string };

// By `name`, not `instanceof`: under `next dev` the library can be loaded more than once (see db.ts).
const isSearchQueryError = (error: unknown): error is Error =>
  error instanceof Error && error.name === 'SearchQueryError';

/** `?q=` as Next hands it over: absent (no search yet), one string, or several (refused). Run inside `tenantQuery`. */
export async function runSearch(q: string | string[] | undefined): Promise<SearchOutcome> {
  if (q === undefined) return { kind: 'none' };
  if (Array.isArray(q))
    return {
      kind: 'invalid',
      query: '',
      message: 'Cannot search because the address holds more than one query. Search again.',
    };
  try {
    return { kind: 'hits', query: q, hits: await searchTenant(q, { limit: SEARCH_LIMIT, client: prisma }) };
  } catch (error) {
    if (isSearchQueryError(error)) return { kind: 'invalid', query: q, message: error.message };
    throw error;
  }
}

/** Where a hit opens: a project's page, or the page of the task's project. */
export function hitHref(hit: Pick<SearchHit, 'kind' | 'id' | 'projectId'>): string {
  return hit.kind === 'project' ? `/projects/${hit.id}` : `/projects/${hit.projectId}`;
}
