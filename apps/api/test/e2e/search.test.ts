/**
 * GET /search over HTTP on the real database (@tenantry/db's searchTenant, full-text search): a
 * tenant finds its own projects and tasks, never another tenant's with the same words, nor its own
 * soft-deleted ones; a query the library refuses is a 400 naming `q` or `limit` that does not echo
 * it; SQL and tsquery syntax in `q` is just text.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedTenants, type SeededTenant } from '../support/fixtures.js';
import { startTestApi, type TestApi } from '../support/test-api.js';

interface Hit {
  kind: 'project' | 'task';
  id: string;
  title: string;
  projectId: string | null;
  workspaceId: string;
  rank: number;
}

let api: TestApi;
let a: SeededTenant;
let b: SeededTenant;
let tokenA: string;
let tokenB: string;
/** Per tenant: a project and a task whose names share the word "heliotrope". */
const rows = new Map<string, { projectId: string; taskId: string }>();

beforeAll(async () => {
  api = await startTestApi();
  [a, b] = (await seedTenants(api.admin, ['srchA', 'srchB'])) as [SeededTenant, SeededTenant];
  tokenA = await api.token(a.userId, { tenantId: a.tenantId });
  tokenB = await api.token(b.userId, { tenantId: b.tenantId });
  for (const [tenant, token] of [
    [a, tokenA],
    [b, tokenB],
  ] as const) {
    const project = await api.request('POST', '/projects', {
      token,
      body: { workspaceId: tenant.workspaceIds[0], name: `${tenant.label} Heliotrope garden` },
    });
    expect(project.status).toBe(201);
    const task = await api.request('POST', '/tasks', {
      token,
      body: { projectId: project.body.id, title: `${tenant.label} water the heliotrope beds` },
    });
    expect(task.status).toBe(201);
    rows.set(tenant.tenantId, { projectId: project.body.id, taskId: task.body.id });
  }
});
afterAll(() => api?.close());

async function search(token: string, q: string, extra = ''): Promise<{ status: number; body: any }> {
  return api.request('GET', `/search?q=${encodeURIComponent(q)}${extra}`, { token });
}

describe('finding rows', () => {
  it('finds the tenant’s own project and task, with what a link needs', async () => {
    const res = await search(tokenA, 'heliotrope');
    expect(res.status).toBe(200);
    const own = rows.get(a.tenantId)!;
    const hits = res.body.hits as Hit[];
    expect(hits.find((h) => h.id === own.projectId)).toMatchObject({
      kind: 'project',
      title: 'srchA Heliotrope garden',
      projectId: null,
      workspaceId: a.workspaceIds[0],
    });
    expect(hits.find((h) => h.id === own.taskId)).toMatchObject({
      kind: 'task',
      title: 'srchA water the heliotrope beds',
      projectId: own.projectId,
      workspaceId: a.workspaceIds[0],
    });
    for (const hit of hits) expect(typeof hit.rank).toBe('number');
  });

  it("never finds another tenant's rows with the same words, either way round", async () => {
    for (const [self, other, token] of [
      [a, b, tokenA],
      [b, a, tokenB],
    ] as const) {
      for (const q of ['heliotrope', 'Heliotrope garden', 'water beds', other.label, `${other.label} heliotrope`]) {
        const res = await search(token, q);
        expect(res.status, q).toBe(200);
        const foreign = rows.get(other.tenantId)!;
        const ids = (res.body.hits as Hit[]).map((h) => h.id);
        expect(ids, q).not.toContain(foreign.projectId);
        expect(ids, q).not.toContain(foreign.taskId);
        expect(JSON.stringify(res.body), q).not.toContain(`${other.label} `);
        for (const hit of res.body.hits as Hit[]) expect(self.workspaceIds, q).toContain(hit.workspaceId);
      }
    }
  });

  it('finds seeded rows by a word of their names', async () => {
    const res = await search(tokenA, 'srchA');
    expect(res.status).toBe(200);
    const ids = (res.body.hits as Hit[]).map((h) => h.id);
    expect(ids).toEqual(expect.arrayContaining([a.projectIds[0], a.taskIds[0]]));
  });

  it('does not find soft-deleted projects and tasks (nor the tasks a deleted project took with it)', async () => {
    const project = await api.request('POST', '/projects', {
      token: tokenA,
      body: { workspaceId: a.workspaceIds[1], name: 'srchA Marigold bed' },
    });
    const task = await api.request('POST', '/tasks', {
      token: tokenA,
      body: { projectId: project.body.id, title: 'srchA plant marigold seedlings' },
    });
    const loose = await api.request('POST', '/tasks', {
      token: tokenA,
      body: { projectId: a.projectIds[0], title: 'srchA buy marigold seeds' },
    });
    const before = ((await search(tokenA, 'marigold')).body.hits as Hit[]).map((h) => h.id).sort();
    expect(before).toEqual([project.body.id, task.body.id, loose.body.id].sort());

    expect((await api.request('DELETE', `/tasks/${loose.body.id}`, { token: tokenA })).status).toBe(204);
    expect((await api.request('DELETE', `/projects/${project.body.id}`, { token: tokenA })).status).toBe(204);
    const after = await search(tokenA, 'marigold');
    expect(after.status).toBe(200);
    expect(after.body.hits).toEqual([]);
    // Still there, marked: the search skips them, it did not lose them.
    expect(
      await api.admin.task.count({ where: { tenantId: a.tenantId, id: loose.body.id, deletedAt: { not: null } } }),
    ).toBe(1);
  });

  it('bounds the hits by limit', async () => {
    for (let i = 0; i < 3; i++) {
      const res = await api.request('POST', '/tasks', {
        token: tokenA,
        body: { projectId: a.projectIds[1], title: `srchA lavender cutting ${i}` },
      });
      expect(res.status).toBe(201);
    }
    expect((await search(tokenA, 'lavender')).body.hits).toHaveLength(3);
    expect((await search(tokenA, 'lavender', '&limit=2')).body.hits).toHaveLength(2);
  });
});

describe('what q may hold', () => {
  it.each([
    ['SQL', "' OR 1=1 --"],
    ['a statement', "heliotrope'); DELETE FROM projects; --"],
    ['tsquery operators', 'heliotrope & !garden | (water <-> beds):*'],
    ['a bare operator', '!'],
    ['a backslash and quotes', '\\\'"'],
    ['LIKE wildcards', '%_%'],
    ['unicode', 'ünïcødé 🌻'],
  ])('treats %s as text: 200, only own rows, nothing changed', async (_label, q) => {
    const before = await api.admin.project.count({ where: { tenantId: a.tenantId } });
    const res = await search(tokenA, q);
    expect(res.status).toBe(200);
    expect(Array.isArray(res.body.hits)).toBe(true);
    const foreign = rows.get(b.tenantId)!;
    const ids = (res.body.hits as Hit[]).map((h) => h.id);
    expect(ids).not.toContain(foreign.projectId);
    expect(ids).not.toContain(foreign.taskId);
    for (const hit of res.body.hits as Hit[]) expect(a.workspaceIds).toContain(hit.workspaceId);
    expect(await api.admin.project.count({ where: { tenantId: a.tenantId } })).toBe(before);
  });

  it('finds a row whose name holds quotes and operators by those words', async () => {
    const project = await api.request('POST', '/projects', {
      token: tokenA,
      body: { workspaceId: a.workspaceIds[0], name: "srchA O'Reilly & <Partners> | yarrow" },
    });
    expect(project.status).toBe(201);
    const res = await search(tokenA, "O'Reilly yarrow");
    expect(res.status).toBe(200);
    expect((res.body.hits as Hit[]).map((h) => h.id)).toContain(project.body.id);
  });

  it.each([
    ['empty', ''],
    ['only spaces', '   '],
    ['longer than 200 characters', 'heliotrope '.repeat(20)],
    ['a NUL', 'helio\u0000trope'],
    ['a newline', 'helio\ntrope'],
    ['an escape sequence', '\u001b[31mheliotrope'],
  ])('refuses a q that is %s with 400 naming q, without echoing it', async (_label, q) => {
    const res = await search(tokenA, q);
    expect(res.status).toBe(400);
    expect(res.body.issues).toEqual([{ field: 'q', message: expect.any(String) }]);
    expect(res.body.message).toMatch(/^Cannot /);
    if (q.trim()) expect(JSON.stringify(res.body)).not.toContain('trope');
  });

  it('refuses a missing q, and q sent twice, naming q', async () => {
    for (const path of ['/search', '/search?q=a&q=b']) {
      const res = await api.request('GET', path, { token: tokenA });
      expect(res.status, path).toBe(400);
      expect(res.body.issues.map((i: { field: string }) => i.field)).toEqual(['q']);
    }
  });

  it.each(['0', '-1', '1000', 'x', '1.5'])('refuses limit=%s with 400 naming limit', async (limit) => {
    const res = await search(tokenA, 'heliotrope', `&limit=${limit}`);
    expect(res.status).toBe(400);
    expect(res.body.issues.map((i: { field: string }) => i.field)).toEqual(['limit']);
  });

  it('refuses unknown parameters (a tenantId above all)', async () => {
    const res = await search(tokenA, 'heliotrope', `&tenantId=${b.tenantId}`);
    expect(res.status).toBe(400);
  });
});

describe('access', () => {
  it('answers 401 without a token, 403 for a tenant the user is not a member of', async () => {
    const anonymous = await api.request('GET', '/search?q=heliotrope', { tenant: a.tenantId });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('cache-control')).toBe('private, no-store');
    const foreign = await api.request('GET', '/search?q=heliotrope', { token: tokenB, tenant: a.tenantId });
    expect(foreign.status).toBe(403);
    expect(JSON.stringify(foreign.body)).not.toContain('srchA');
  });

  it('says private, no-store on the answer', async () => {
    const res = await api.request('GET', '/search?q=heliotrope', { token: tokenA });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('private, no-store');
    expect(res.headers.get('vary')?.toLowerCase()).toContain('authorization');
  });
});
