import type { Metadata } from 'next';
import Link from 'next/link';
import { loadActivity, parseActivityCursor } from '@/server/activity';
import { tenantQuery } from '@/server/with-tenant';

export const metadata: Metadata = { title: 'Activity' };

type Props = { searchParams: Promise<{ cursor?: string | string[] }> };

/**
 * The active tenant's audit log, newest first: who changed which row of which table, and how.
 * Server-rendered; "Older" is a plain link with the last event's id as `?cursor=`.
 */
export default async function ActivityPage({ searchParams }: Props) {
  const cursor = parseActivityCursor((await searchParams).cursor);
  const { tenant, page } = await tenantQuery(async (tenancy) => ({
    tenant: tenancy.tenant,
    page: cursor.ok ? await loadActivity(cursor.before, tenancy.userId) : null,
  }));
  return (
    <>
      <div className="page-head">
        <div>
          <p className="eyebrow">{tenant.name}</p>
          <h1>Activity</h1>
          <p className="muted small">Every change to workspaces, projects, tasks, members and invitations.</p>
        </div>
      </div>
      {!cursor.ok || page === null ? (
        <div className="card empty" role="alert" data-testid="activity-error">
          <p className="form-error">{cursor.ok ? 'Cannot show this page.' : cursor.message}</p>
          <Link className="button secondary" href="/activity">
            Newest activity
          </Link>
        </div>
      ) : page.events.length === 0 ? (
        <div className="card empty" data-testid="empty-state">
          <h2>No activity {cursor.before === undefined ? 'yet' : 'before this'}</h2>
          <p className="muted">Changes appear here as soon as they are saved.</p>
        </div>
      ) : (
        <>
          <ul className="card list" data-testid="activity-list">
            {page.events.map((event) => (
              <li key={event.id} className="row activity" data-testid="audit-event" data-event-id={event.id}>
                <div className="row-main activity-main">
                  <div className="activity-head">
                    <span className={`badge op-${event.operation.toLowerCase()}`} data-testid="audit-operation">
                      {event.operation}
                    </span>
                    <span className="activity-table" data-testid="audit-table">
                      {event.tableName}
                    </span>
                    <code className="activity-key" data-testid="audit-row-key">
                      {event.rowKey}
                    </code>
                  </div>
                  {event.changes.length > 0 ? (
                    <dl className="activity-changes" data-testid="audit-changes">
                      {event.changes.map((change) => (
                        <div key={change.field} className="activity-change">
                          <dt>{change.field}</dt>
                          <dd>
                            <code>{change.text}</code>
                          </dd>
                        </div>
                      ))}
                    </dl>
                  ) : null}
                </div>
                <div className="activity-meta muted small">
                  <time dateTime={event.at.toISOString()}>
                    {event.at.toISOString().replace('T', ' ').slice(0, 19)} UTC
                  </time>
                  <span data-testid="audit-user">{event.user ?? 'system'}</span>
                </div>
              </li>
            ))}
          </ul>
          <nav className="pager" aria-label="Pages">
            {cursor.before !== undefined ? (
              <Link className="button ghost small" href="/activity">
                Newest
              </Link>
            ) : null}
            {page.olderCursor ? (
              <Link
                className="button secondary small"
                href={`/activity?cursor=${page.olderCursor}`}
                data-testid="older-link"
                rel="next"
              >
                Older
              </Link>
            ) : null}
          </nav>
        </>
      )}
    </>
  );
}
