/** The REST resources end to end for one tenant: create, get, list with pagination, update, delete. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { seedTenants, type SeededTenant } from '../support/fixtures.js';
import { startTestApi, type TestApi } from '../support/test-api.js';

let api: TestApi;
let a: SeededTenant;
let token: string;

beforeAll(async () => {
  api = await startTestApi();
  [a] = (await seedTenants(api.admin, ['crudA'])) as [SeededTenant];
  token = await api.token(a.userId, { tenantId: a.tenantId });
});
afterAll(() => api?.close());

it('creates, reads, updates and deletes a workspace, a project and a task', async () => {
  const ws = await api.request('POST', '/workspaces', { token, body: { name: '  Research  ' } });
  expect(ws.status).toBe(201);
  expect(ws.body).toMatchObject({ name: 'Research', tenantId: a.tenantId });

  const project = await api.request('POST', '/projects', { token, body: { workspaceId: ws.body.id, name: 'Lab' } });
  expect(project.status).toBe(201);
  expect(project.body).toMatchObject({ workspaceId: ws.body.id, tenantId: a.tenantId });

  const task = await api.request('POST', '/tasks', { token, body: { projectId: project.body.id, title: 'Measure' } });
  expect(task.status).toBe(201);
  expect(task.body).toMatchObject({ projectId: project.body.id, workspaceId: ws.body.id, done: false });

  const done = await api.request('PATCH', `/tasks/${task.body.id}`, { token, body: { done: true } });
  expect(done.body).toMatchObject({ done: true, title: 'Measure' });
  expect(
    (await api.request('PATCH', `/projects/${project.body.id}`, { token, body: { name: 'Lab 2' } })).body.name,
  ).toBe('Lab 2');
  expect((await api.request('GET', `/tasks/${task.body.id}`, { token })).body.done).toBe(true);
  expect(
    (await api.request('GET', `/tasks?projectId=${project.body.id}&done=true`, { token })).body.items,
  ).toHaveLength(1);
  expect((await api.request('GET', `/projects?workspaceId=${ws.body.id}`, { token })).body.items).toHaveLength(1);

  expect((await api.request('DELETE', `/tasks/${task.body.id}`, { token })).status).toBe(204);
  expect((await api.request('GET', `/tasks/${task.body.id}`, { token })).status).toBe(404);
  expect((await api.request('DELETE', `/tasks/${task.body.id}`, { token })).status).toBe(404);
  // Deleting a workspace cascades to its projects and tasks (composite foreign keys).
  expect((await api.request('DELETE', `/workspaces/${ws.body.id}`, { token })).status).toBe(204);
  expect((await api.request('GET', `/projects/${project.body.id}`, { token })).status).toBe(404);
});

it('pages through a list newest first with a cursor, without repeats or gaps', async () => {
  const workspaceId = a.workspaceIds[0]!;
  for (let i = 0; i < 7; i++) {
    expect((await api.request('POST', '/projects', { token, body: { workspaceId, name: `page ${i}` } })).status).toBe(
      201,
    );
  }
  const seen: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const res: { body: { items: Array<{ id: string }>; nextCursor: string | null } } = await api.request(
      'GET',
      `/projects?workspaceId=${workspaceId}&limit=3${cursor ? `&cursor=${cursor}` : ''}`,
      { token },
    );
    seen.push(...res.body.items.map((p) => p.id));
    cursor = res.body.nextCursor;
    pages++;
  } while (cursor && pages < 10);
  expect(pages).toBe(3); // 2 seeded + 7 new = 9 rows, 3 per page
  expect(new Set(seen).size).toBe(9);
  const all = await api.admin.project.findMany({
    where: { tenantId: a.tenantId, workspaceId },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
  });
  expect(seen).toEqual(all.map((p) => p.id));
});
