/**
 * The Activity page (the audit log) over HTTP, no browser, against `next start` on the real
 * database: a write through a route handler shows up as the event the database's triggers recorded,
 * with the user; another tenant's events never appear, whatever the cursor; "Older" walks every
 * event once; what users typed is rendered as text; a bad cursor is a message, not a 500.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdminPrismaClient } from '@tenantry/db/admin';
import { adminClient, request, requestAt, rig, seedTenant, sessionToken, type SeededTenant } from '../support/web';

let admin: AdminPrismaClient;
let a: SeededTenant;
let b: SeededTenant;
let tokenA: string;
let tokenB: string;

beforeAll(async () => {
  admin = adminClient();
  a = await seedTenant(admin, 'ada');
  b = await seedTenant(admin, 'bea');
  tokenA = await sessionToken(a.userId, { tenantId: a.tenantId });
  tokenB = await sessionToken(b.userId, { tenantId: b.tenantId });
});

afterAll(async () => {
  await admin?.$disconnect();
});

/** The text of an HTML fragment as a reader sees it: tags dropped, entities decoded. */
function text(html: string): string {
  return html
    .replace(/<[^>]*>/g, ' ')
    .replace(/&quot;/g, '"')
    .replace(/&#x27;|&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ')
    .trim();
}

interface RenderedEvent {
  id: string;
  html: string;
  text: string;
}

/** The events a rendered Activity page lists, in order. */
function events(html: string): RenderedEvent[] {
  return [...html.matchAll(/<li[^>]*data-testid="audit-event"[^>]*data-event-id="(\d+)"[^>]*>([\s\S]*?)<\/li>/g)].map(
    (m) => ({ id: m[1]!, html: m[2]!, text: text(m[2]!) }),
  );
}

/** The `?cursor=` of the page's "Older" link, if it has one. */
const olderLink = (html: string) =>
  /<a[^>]*data-testid="older-link"[^>]*>/.exec(html)?.[0].match(/href="\/activity\?cursor=(\d+)"/)?.[1];

async function page(session: string, query = ''): Promise<{ status: number; html: string; headers: Headers }> {
  const res = await requestAt<string>(rig().baseUrl, 'GET', `/activity${query}`, { session });
  return { status: res.status, html: res.body, headers: res.headers };
}

describe('the Activity page', () => {
  it('lists a write through a route handler first, as the trigger recorded it, by "you"', async () => {
    const renamed = await request('PATCH', `/api/tasks/${a.taskIds[0]}`, { session: tokenA }, { title: 'ada renamed' });
    expect(renamed.status).toBe(200);
    const { status, html } = await page(tokenA);
    expect(status).toBe(200);
    const [first] = events(html);
    expect(first).toBeDefined();
    expect(first!.html).toContain('data-testid="audit-operation">UPDATE<');
    expect(first!.html).toContain('data-testid="audit-table">tasks<');
    expect(first!.text).toContain(`id "${a.taskIds[0]}"`);
    expect(first!.text).toContain('title "ada ws0 p0 t0" → "ada renamed"');
    expect(first!.html).toMatch(/data-testid="audit-user">you</);
    // The seed wrote through the admin client, outside any request: no user.
    expect(events(html).some((e) => e.html.includes('data-testid="audit-user">system<'))).toBe(true);
  });

  it('shows a soft delete as the UPDATE that set deleted_at', async () => {
    expect((await request('DELETE', `/api/projects/${a.projectIds[3]}`, { session: tokenA })).status).toBe(204);
    const list = events((await page(tokenA)).html);
    const projectEvent = list.find((e) => e.text.includes(a.projectIds[3]!) && e.html.includes('>projects<'));
    expect(projectEvent?.html).toContain('>UPDATE<');
    expect(projectEvent?.text).toMatch(/deleted_at null → "\d{4}-/);
  });

  it('renders what users typed as text, never as markup', async () => {
    const title = '<script>alert("x")</script><img src=x onerror=alert(1)>';
    expect((await request('PATCH', `/api/tasks/${a.taskIds[1]}`, { session: tokenA }, { title })).status).toBe(200);
    const { html } = await page(tokenA);
    expect(html).not.toContain('<script>alert');
    expect(html).not.toContain('<img src=x');
    expect(events(html)[0]!.text).toContain(JSON.stringify(title));
  });

  it("never shows another tenant's events, on any page or with its cursor", async () => {
    expect((await request('PATCH', `/api/tasks/${b.taskIds[0]}`, { session: tokenB }, { done: true })).status).toBe(
      200,
    );
    const foreignIds = new Set(
      (await admin.auditEvent.findMany({ where: { tenantId: b.tenantId }, select: { id: true } })).map((e) =>
        e.id.toString(),
      ),
    );
    expect(foreignIds.size).toBeGreaterThan(0);
    const { html } = await page(tokenA);
    expect(events(html).filter((e) => foreignIds.has(e.id))).toEqual([]);
    expect(html).not.toContain('bea ');
    expect(html).not.toContain(b.taskIds[0]!);
    // B's newest event id as A's cursor: A's events below it, none of B's.
    const newestOfB = [...foreignIds].sort((x, y) => (BigInt(y) > BigInt(x) ? 1 : -1))[0]!;
    const withForeignCursor = await page(tokenA, `?cursor=${newestOfB}`);
    expect(withForeignCursor.status).toBe(200);
    expect(events(withForeignCursor.html).filter((e) => foreignIds.has(e.id))).toEqual([]);
    expect(withForeignCursor.html).not.toContain('bea ');
  });

  it('walks every event of the tenant once with "Older", newest first', async () => {
    // More than a page (25) of events.
    for (let i = 0; i < 28; i++) {
      const res = await request('PATCH', `/api/tasks/${a.taskIds[2]}`, { session: tokenA }, { done: i % 2 === 0 });
      expect(res.status).toBe(200);
    }
    const expected = (
      await admin.auditEvent.findMany({
        where: { tenantId: a.tenantId },
        orderBy: { id: 'desc' },
        select: { id: true },
      })
    ).map((e) => e.id.toString());
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const { status, html } = await page(tokenA, cursor ? `?cursor=${cursor}` : '');
      expect(status).toBe(200);
      const list = events(html);
      expect(list.length).toBeLessThanOrEqual(25);
      seen.push(...list.map((e) => e.id));
      cursor = olderLink(html);
      pages += 1;
      if (pages > 50) throw new Error('Cannot finish walking /activity because "Older" never ran out.');
    } while (cursor);
    expect(pages).toBeGreaterThan(1);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual(expected);
  });

  it.each([
    ['not a number', 'abc'],
    ['negative', '-1'],
    ['beyond bigint', '99999999999999999999'],
    ['SQL', "1' or '1'='1"],
  ])('answers a cursor that is %s with a message and a link to the newest, not a 500', async (_label, cursor) => {
    const { status, html } = await page(tokenA, `?cursor=${encodeURIComponent(cursor)}`);
    expect(status).toBe(200);
    expect(html).toContain('data-testid="activity-error"');
    expect(text(html)).toContain('Cannot show older activity');
    expect(events(html)).toEqual([]);
  });

  it('says private, no-store (Next’s own header for a page rendered per request)', async () => {
    const { status, headers } = await page(tokenA);
    expect(status).toBe(200);
    const cacheControl = headers.get('cache-control') ?? '';
    expect(cacheControl).toMatch(/\bprivate\b/);
    expect(cacheControl).toMatch(/\bno-store\b/);
  });

  it('sends a visitor without a session, or with a foreign tenant, to the sign-in page', async () => {
    const anonymous = await requestAt(rig().baseUrl, 'GET', '/activity');
    expect(anonymous.status).toBe(307);
    expect(anonymous.headers.get('location')).toContain('/sign-in?reason=signed-out');
    const foreign = await requestAt(rig().baseUrl, 'GET', '/activity', { session: tokenA, tenant: b.tenantId });
    expect(foreign.status).toBe(307);
    expect(foreign.headers.get('location')).toContain('/sign-in?reason=tenant');
    expect(String(foreign.body)).not.toContain('bea ');
  });

  it('is linked from the navigation of every signed-in page', async () => {
    const res = await requestAt<string>(rig().baseUrl, 'GET', '/workspaces', { session: tokenA });
    expect(res.status).toBe(200);
    expect(res.body).toMatch(/<nav[^>]*aria-label="Main"[\s\S]*?href="\/activity"/);
  });
});
