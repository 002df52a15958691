/**
 * Full-text search over the active tenant's projects (name) and tasks (title): docs/full-text-search.md.
 *
 * One raw query through the tenant client, so the connection layer sends the context with it and
 * Postgres's RLS scopes every row it reads: tenant, and workspace when the context has one. The tenant
 * extension does not rewrite raw SQL; RLS is the only scoping here, by design (it is the security
 * boundary either way, and the query names no tenant to get wrong). Soft-deleted rows
 * (`deleted_at`) are excluded in the query itself, as the engine's soft delete does for model reads.
 *
 * The user's text goes to `websearch_to_tsquery` as a bind parameter: it accepts any text (quotes,
 * `or`, `-word`) and never raises a syntax error, unlike `to_tsquery`. The 'simple' configuration
 * matches the migration's indexes (20261203000300_full_text_search); the doc says why not 'english'.
 */
import { MissingTenantContextError, TenantryError, tenantContext } from '@tenantry/prisma';
import { prisma } from './client.js';
import { Prisma } from './generated/prisma/client.js';

/** One search result. `projectId` is the task's project, null for a project. */
export interface SearchHit {
  kind: 'project' | 'task';
  id: string;
  /** The project's name or the task's title. */
  title: string;
  projectId: string | null;
  workspaceId: string;
  /** ts_rank of the match, higher is better; comparable only within one search. */
  rank: number;
}

/** Anything with the tenant client's `$queryRaw`: the client itself or an interactive transaction's `tx`. */
export interface SearchClient {
  // any: Prisma's $queryRaw is generic over the row type, and every tenant client's (or tx's) fits this.
  $queryRaw: (query: Prisma.Sql) => PromiseLike<any>;
}

export interface SearchOptions {
  /** How many hits at most: an integer from 1 to MAX_SEARCH_LIMIT; default DEFAULT_SEARCH_LIMIT. */
  limit?: number;
  /** The tenant client to run on (e.g. a `tx` inside `$transaction`); default the `prisma` singleton. */
  client?: SearchClient;
}

export const DEFAULT_SEARCH_LIMIT = 20;
export const MAX_SEARCH_LIMIT = 100;
/** Characters (code points), after trimming. Longer text is not a search box's and costs a long tsquery. */
export const MAX_SEARCH_QUERY_LENGTH = 200;

/**
 * The search's input broke one of its rules. `field` names which input (`query`, the API's `q`, or
 * `limit`); the message says why and what to pass instead, and never quotes the input.
 */
export class SearchQueryError extends TenantryError {
  override name = 'SearchQueryError';
  readonly field: 'query' | 'limit';
  constructor(field: 'query' | 'limit', reason: string, fix: string) {
    super(`Cannot search because the ${field === 'query' ? 'query (q)' : 'limit'} ${reason}. ${fix}`);
    this.field = field;
  }
}

/** C0 controls (NUL, tab, newline...), DEL and C1 controls: none belongs in a one-line search box. */
function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) return true;
  }
  return false;
}

/**
 * Checks the input and returns what the query binds: the trimmed text and the limit.
 * @throws SearchQueryError naming the field.
 */
export function validateSearchInput(
  query: unknown,
  limit: unknown = DEFAULT_SEARCH_LIMIT,
): { text: string; limit: number } {
  if (typeof query !== 'string') {
    throw new SearchQueryError('query', 'is not text', 'Pass the search words as a string.');
  }
  // Checked before trimming, so a trailing newline or NUL is refused rather than silently dropped.
  if (hasControlCharacter(query)) {
    throw new SearchQueryError(
      'query',
      'contains a control character (e.g. NUL, tab or a line break)',
      'Pass plain one-line text: words, quotes for a phrase, "or", and -word to exclude.',
    );
  }
  const text = query.trim();
  if (text.length === 0) {
    throw new SearchQueryError('query', 'is empty', 'Pass at least one word to search for.');
  }
  if ([...text].length > MAX_SEARCH_QUERY_LENGTH) {
    throw new SearchQueryError(
      'query',
      `is longer than ${MAX_SEARCH_QUERY_LENGTH} characters`,
      `Pass at most ${MAX_SEARCH_QUERY_LENGTH} characters: a few words find what a sentence does.`,
    );
  }
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > MAX_SEARCH_LIMIT) {
    throw new SearchQueryError(
      'limit',
      `is not a whole number from 1 to ${MAX_SEARCH_LIMIT}`,
      `Pass an integer from 1 to ${MAX_SEARCH_LIMIT}, or leave it out for ${DEFAULT_SEARCH_LIMIT}.`,
    );
  }
  return { text, limit };
}

interface SearchRow {
  kind: 'project' | 'task';
  id: string;
  title: string;
  project_id: string | null;
  workspace_id: string;
  rank: number;
}

/**
 * Searches the active tenant's live projects and tasks for `query` (free text, as a user types it),
 * best match first (rank descending, then id).
 *
 * @example
 * await tenantContext.run({ tenantId }, () => searchTenant('invoice -draft', { limit: 10 }));
 * @throws SearchQueryError for bad input (before any query), MissingTenantContextError outside a context.
 */
export async function searchTenant(query: string, options: SearchOptions = {}): Promise<SearchHit[]> {
  const { text, limit } = validateSearchInput(query, options.limit ?? DEFAULT_SEARCH_LIMIT);
  // RLS alone would return nothing without a context; refusing says what is wrong instead.
  if (!tenantContext.get()) throw new MissingTenantContextError('search');
  const client = options.client ?? prisma;
  const rows: SearchRow[] = await client.$queryRaw(searchSql(text, limit));
  return rows.map((r) => ({
    kind: r.kind,
    id: r.id,
    title: r.title,
    projectId: r.project_id,
    workspaceId: r.workspace_id,
    rank: Number(r.rank),
  }));
}

/**
 * The search's SQL with `text` and `limit` bound (validated first: see validateSearchInput). Exported
 * for the EXPLAIN tests, which plan exactly this statement. The match expressions are exactly the
 * indexes' (to_tsvector('simple'::regconfig, column)), so a plan that may use them does. The tsquery
 * is written out in each place (one bound value each) rather than in a CTE: websearch_to_tsquery with
 * a fixed configuration is immutable, so the planner folds it to a constant an index can take; from
 * a CTE it is a join column, which no plain index scan can use. No tenant or workspace clause: RLS adds it.
 */
export function searchSql(text: string, limit: number): Prisma.Sql {
  const query = Prisma.sql`websearch_to_tsquery('simple'::regconfig, ${text}::text)`;
  return Prisma.sql`
    SELECT hit.kind, hit.id, hit.title, hit.project_id, hit.workspace_id, hit.rank
      FROM (
        SELECT 'project' AS kind, p.id::text AS id, p.name AS title, NULL::text AS project_id,
               p.workspace_id::text AS workspace_id,
               ts_rank(to_tsvector('simple'::regconfig, p.name), ${query})::float8 AS rank
          FROM projects p
         WHERE to_tsvector('simple'::regconfig, p.name) @@ ${query} AND p.deleted_at IS NULL
        UNION ALL
        SELECT 'task', t.id::text, t.title, t.project_id::text, t.workspace_id::text,
               ts_rank(to_tsvector('simple'::regconfig, t.title), ${query})::float8
          FROM tasks t
         WHERE to_tsvector('simple'::regconfig, t.title) @@ ${query} AND t.deleted_at IS NULL
      ) hit
     ORDER BY hit.rank DESC, hit.id
     LIMIT ${limit}::int`;
}
