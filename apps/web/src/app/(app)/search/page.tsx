import type { Metadata } from 'next';
import Link from 'next/link';
import { hitHref, runSearch } from '@/server/search';
import { tenantQuery } from '@/server/with-tenant';

export const metadata: Metadata = { title: 'Search' };

type Props = { searchParams: Promise<{ q?: string | string[] }> };

/**
 * `/search?q=`: the header's search box is a plain GET form to here, so a search is a link and works
 * without JavaScript. Server-rendered; a query the library refuses shows its message under the form.
 */
export default async function SearchPage({ searchParams }: Props) {
  const q = (await searchParams).q;
  const outcome = await tenantQuery(() => runSearch(q));
  const query = outcome.kind === 'none' ? '' : outcome.query;
  return (
    <>
      <div className="page-head">
        <div>
          <p className="eyebrow">Search</p>
          <h1>{outcome.kind === 'hits' ? `Results for “${outcome.query}”` : 'Search projects and tasks'}</h1>
        </div>
        <search>
          <form action="/search" method="get" className="inline-form" aria-label="Search">
            <input
              type="search"
              name="q"
              defaultValue={query}
              placeholder="Words in a project name or task title"
              aria-label="Search query"
              maxLength={200}
              required
            />
            <button type="submit" className="button primary">
              Search
            </button>
            {outcome.kind === 'invalid' ? (
              <p role="alert" className="form-error" data-testid="search-error">
                {outcome.message}
              </p>
            ) : null}
          </form>
        </search>
      </div>
      {outcome.kind === 'hits' ? (
        outcome.hits.length === 0 ? (
          <div className="card empty" data-testid="empty-state">
            <h2>Nothing found</h2>
            <p className="muted">No project or task of this tenant matches. Try other words.</p>
          </div>
        ) : (
          <ul className="card list" data-testid="search-results">
            {outcome.hits.map((hit) => (
              <li key={`${hit.kind}:${hit.id}`} className="row" data-testid="search-hit" data-kind={hit.kind}>
                <span className="badge">{hit.kind}</span>
                <Link href={hitHref(hit)} className="row-main">
                  <span className="row-title">{hit.title}</span>
                </Link>
              </li>
            ))}
          </ul>
        )
      ) : null}
    </>
  );
}
