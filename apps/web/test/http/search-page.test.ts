/**
 * The search page (`/search?q=`, the top bar's GET form) over HTTP, no browser, against `next start`
 * on the real database: the tenant's own projects and tasks are listed with links, another tenant's
 * with the same words never, soft-deleted ones not; a query the library refuses is the form's error
 * on a 200 page, never a 500; SQL in `q` is just text.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdminPrismaClient } from '@tenantry/db/admin';
import { logLines } from '../support/server-log';
import { adminClient, request, requestAt, rig, seedTenant, sessionToken, type SeededTenant } from '../support/web';
import path from 'node:path';
import { RESULTS_DIR } from '../support/next-server';

let admin: AdminPrismaClient;
let a: SeededTenant;
let b: SeededTenant;
let tokenA: string;
let tokenB: string;
/** Per tenant: a project and a task of it whose names share the word "quince". */
const rows = new Map<string, { projectId: string; taskId: string }>();

beforeAll(async () => {
  admin = adminClient();
  a = await seedTenant(admin, 'sia');
  b = await seedTenant(admin, 'sib');
  tokenA = await sessionToken(a.userId, { tenantId: a.tenantId });
  tokenB = await sessionToken(b.userId, { tenantId: b.tenantId });
  for (const tenant of [a, b]) {
    const project = await admin.project.create({
      data: { tenantId: tenant.tenantId, workspaceId: tenant.workspaceIds[0], name: `${tenant.label} Quince orchard` },
    });
    const task = await admin.task.create({
      data: {
        tenantId: tenant.tenantId,
        workspaceId: tenant.workspaceIds[0],
        projectId: project.id,
        title: `${tenant.label} prune the quince trees`,
      },
    });
    rows.set(tenant.tenantId, { projectId: project.id, taskId: task.id });
  }
});

afterAll(async () => {
  await admin?.$disconnect();
});

const SERVER_LOG = path.join(RESULTS_DIR, 'next-start.log');
const errorLines = () => logLines(SERVER_LOG).filter((line) => line.level === 'error');

interface RenderedHit {
  kind: string;
  href: string;
  title: string;
}

function decode(html: string): string {
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

function hits(html: string): RenderedHit[] {
  return [...html.matchAll(/<li[^>]*data-testid="search-hit"[^>]*data-kind="(\w+)"[^>]*>([\s\S]*?)<\/li>/g)].map(
    (m) => ({
      kind: m[1]!,
      href: /href="([^"]+)"/.exec(m[2]!)?.[1] ?? '',
      title: decode(/<span class="row-title">([\s\S]*?)<\/span>/.exec(m[2]!)?.[1] ?? ''),
    }),
  );
}

async function searchPage(session: string, query: string) {
  const res = await requestAt<string>(rig().baseUrl, 'GET', `/search${query}`, { session });
  return { status: res.status, html: res.body, headers: res.headers };
}

const searchError = (html: string) =>
  decode(/<p[^>]*data-testid="search-error"[^>]*>([\s\S]*?)<\/p>/.exec(html)?.[1] ?? '') || undefined;

describe('the search page', () => {
  it('lists the tenant’s own project and task, linked to the project page', async () => {
    const { status, html } = await searchPage(tokenA, '?q=quince');
    expect(status).toBe(200);
    const own = rows.get(a.tenantId)!;
    const found = hits(html);
    expect(found).toEqual(
      expect.arrayContaining([
        { kind: 'project', href: `/projects/${own.projectId}`, title: 'sia Quince orchard' },
        { kind: 'task', href: `/projects/${own.projectId}`, title: 'sia prune the quince trees' },
      ]),
    );
    // The linked page opens for this tenant.
    const project = await requestAt<string>(rig().baseUrl, 'GET', `/projects/${own.projectId}`, { session: tokenA });
    expect(project.status).toBe(200);
    expect(project.body).toContain('sia prune the quince trees');
  });

  it("never lists another tenant's rows with the same words", async () => {
    for (const [token, other] of [
      [tokenA, b],
      [tokenB, a],
    ] as const) {
      for (const q of ['quince', 'quince orchard', other.label, `${other.label} quince`]) {
        const { status, html } = await searchPage(token, `?q=${encodeURIComponent(q)}`);
        expect(status, q).toBe(200);
        const foreign = rows.get(other.tenantId)!;
        expect(html, q).not.toContain(foreign.projectId);
        expect(html, q).not.toContain(foreign.taskId);
        expect(
          hits(html).filter((h) => h.title.startsWith(`${other.label} `)),
          q,
        ).toEqual([]);
      }
    }
  });

  it('does not list a soft-deleted project, nor the task deleted with it', async () => {
    const project = await admin.project.create({
      data: { tenantId: a.tenantId, workspaceId: a.workspaceIds[1], name: 'sia Medlar patch' },
    });
    await admin.task.create({
      data: { tenantId: a.tenantId, workspaceId: a.workspaceIds[1], projectId: project.id, title: 'sia pick medlar' },
    });
    expect(hits((await searchPage(tokenA, '?q=medlar')).html)).toHaveLength(2);
    expect((await request('DELETE', `/api/projects/${project.id}`, { session: tokenA })).status).toBe(204);
    const { status, html } = await searchPage(tokenA, '?q=medlar');
    expect(status).toBe(200);
    expect(hits(html)).toEqual([]);
    expect(html).toContain('data-testid="empty-state"');
  });

  it.each([
    ['SQL', "' OR 1=1 --"],
    ['a statement', "quince'); DELETE FROM projects; --"],
    ['tsquery operators', 'quince & !orchard | (prune <-> trees):*'],
    ['markup', '<script>alert(1)</script>'],
  ])('treats %s as text: 200, own rows only, nothing rendered as markup', async (_label, q) => {
    const errorsBefore = errorLines().length;
    const { status, html } = await searchPage(tokenA, `?q=${encodeURIComponent(q)}`);
    expect(status).toBe(200);
    expect(html).not.toContain(rows.get(b.tenantId)!.projectId);
    expect(html).not.toContain('<script>alert(1)');
    expect(hits(html).filter((h) => !h.title.startsWith('sia '))).toEqual([]);
    expect(errorLines().length).toBe(errorsBefore);
    expect(await admin.project.count({ where: { tenantId: a.tenantId, name: 'sia Quince orchard' } })).toBe(1);
  });

  it.each([
    ['empty', '?q='],
    ['longer than 200 characters', `?q=${'quince '.repeat(30)}`],
    ['a control character', '?q=qu%1Bince'],
    ['sent twice', '?q=quince&q=orchard'],
  ])('shows a q that is %s as the form error, on a 200 page, not a 500', async (_label, query) => {
    const errorsBefore = errorLines().length;
    const { status, html } = await searchPage(tokenA, query);
    expect(status).toBe(200);
    expect(searchError(html)).toMatch(/^Cannot search/);
    expect(hits(html)).toEqual([]);
    expect(html).toContain('name="q"');
    expect(errorLines().length).toBe(errorsBefore);
  });

  it('shows only the form without a q', async () => {
    const { status, html } = await searchPage(tokenA, '');
    expect(status).toBe(200);
    expect(searchError(html)).toBeUndefined();
    expect(hits(html)).toEqual([]);
    expect(html).toMatch(/<form[^>]*action="\/search"/);
  });

  it('says private, no-store (Next’s own header for a page rendered per request)', async () => {
    const { status, headers } = await searchPage(tokenA, '?q=quince');
    expect(status).toBe(200);
    const cacheControl = headers.get('cache-control') ?? '';
    expect(cacheControl).toMatch(/\bprivate\b/);
    expect(cacheControl).toMatch(/\bno-store\b/);
  });

  it('sends a visitor without a session, or with a foreign tenant, to the sign-in page', async () => {
    const anonymous = await requestAt(rig().baseUrl, 'GET', '/search?q=quince');
    expect(anonymous.status).toBe(307);
    expect(anonymous.headers.get('location')).toContain('/sign-in?reason=signed-out');
    const foreign = await requestAt(rig().baseUrl, 'GET', '/search?q=quince', { session: tokenA, tenant: b.tenantId });
    expect(foreign.status).toBe(307);
    expect(String(foreign.body)).not.toContain('sib ');
  });

  it('is reachable from the search box in the top bar of every signed-in page', async () => {
    const res = await requestAt<string>(rig().baseUrl, 'GET', '/workspaces', { session: tokenA });
    expect(res.status).toBe(200);
    expect(res.body).toMatch(/<search[^>]*>\s*<form[^>]*action="\/search"[^>]*method="get"[\s\S]*?name="q"/);
  });
});
