/**
 * Two tenants over HTTP: each user sees only their tenant's rows, and another tenant's id answers
 * exactly like an id that does not exist (404, same body), for reads, updates and deletes.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { foreignRows, seedTenants, type SeededTenant } from '../support/fixtures.js';
import { startTestApi, type TestApi } from '../support/test-api.js';

let api: TestApi;
let a: SeededTenant;
let b: SeededTenant;
let tokenA: string;
let tokenB: string;

beforeAll(async () => {
  api = await startTestApi();
  [a, b] = (await seedTenants(api.admin, ['isoA', 'isoB'])) as [SeededTenant, SeededTenant];
  tokenA = await api.token(a.userId, { tenantId: a.tenantId });
  tokenB = await api.token(b.userId, { tenantId: b.tenantId });
});
afterAll(() => api?.close());

const resources = [
  { path: '/workspaces', ids: (t: SeededTenant) => t.workspaceIds },
  { path: '/projects', ids: (t: SeededTenant) => t.projectIds },
  { path: '/tasks', ids: (t: SeededTenant) => t.taskIds },
] as const;

describe.each(resources)('$path', ({ path, ids }) => {
  it('lists only the caller tenant rows', async () => {
    for (const [tenant, token] of [
      [a, tokenA],
      [b, tokenB],
    ] as const) {
      const res = await api.request('GET', `${path}?limit=100`, { token });
      expect(res.status).toBe(200);
      expect(foreignRows(res.body.items, tenant, `GET ${path}`)).toEqual([]);
      expect(res.body.items.map((r: { id: string }) => r.id).sort()).toEqual([...ids(tenant)].sort());
    }
  });

  it('gets its own row by id', async () => {
    const res = await api.request('GET', `${path}/${ids(a)[0]}`, { token: tokenA });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: ids(a)[0], tenantId: a.tenantId });
  });

  it("answers 404 for another tenant's id, with the same body as for a missing id", async () => {
    const foreign = await api.request('GET', `${path}/${ids(b)[0]}`, { token: tokenA });
    const missing = await api.request('GET', `${path}/${randomUUID()}`, { token: tokenA });
    expect(foreign.status).toBe(404);
    expect(missing.status).toBe(404);
    const { requestId: _f, ...foreignBody } = foreign.body;
    const { requestId: _m, ...missingBody } = missing.body;
    expect(foreignBody).toEqual(missingBody);
  });

  it("answers 404 to PATCH and DELETE of another tenant's id and changes nothing", async () => {
    const body = path === '/tasks' ? { title: 'pwned' } : { name: 'pwned' };
    const patch = await api.request('PATCH', `${path}/${ids(b)[1]}`, { token: tokenA, body });
    const patchMissing = await api.request('PATCH', `${path}/${randomUUID()}`, { token: tokenA, body });
    const del = await api.request('DELETE', `${path}/${ids(b)[1]}`, { token: tokenA });
    expect([patch.status, patchMissing.status, del.status]).toEqual([404, 404, 404]);
    expect(patch.body.message).toBe(patchMissing.body.message);
    const still = await api.request('GET', `${path}/${ids(b)[1]}`, { token: tokenB });
    expect(still.status).toBe(200);
    expect(JSON.stringify(still.body)).not.toContain('pwned');
  });
});

describe('references across tenants', () => {
  it("cannot create a project in another tenant's workspace (422, as for a missing workspace)", async () => {
    const foreign = await api.request('POST', '/projects', {
      token: tokenA,
      body: { workspaceId: b.workspaceIds[0], name: 'sneaky' },
    });
    const missing = await api.request('POST', '/projects', {
      token: tokenA,
      body: { workspaceId: randomUUID(), name: 'sneaky' },
    });
    expect(foreign.status).toBe(422);
    expect(missing.status).toBe(422);
    expect(foreign.body.message).toBe(missing.body.message);
    expect(await api.admin.project.count({ where: { name: 'sneaky' } })).toBe(0);
  });

  it("cannot create a task in another tenant's project", async () => {
    const res = await api.request('POST', '/tasks', {
      token: tokenA,
      body: { projectId: b.projectIds[0], title: 'sneaky' },
    });
    expect(res.status).toBe(422);
    expect(await api.admin.task.count({ where: { title: 'sneaky' } })).toBe(0);
  });

  it("cannot filter a list by another tenant's workspace or project (empty page)", async () => {
    const projects = await api.request('GET', `/projects?workspaceId=${b.workspaceIds[0]}`, { token: tokenA });
    const tasks = await api.request('GET', `/tasks?projectId=${b.projectIds[0]}`, { token: tokenA });
    expect(projects.body.items).toEqual([]);
    expect(tasks.body.items).toEqual([]);
  });

  it("cannot page from another tenant's cursor into its rows", async () => {
    const res = await api.request('GET', `/projects?cursor=${b.projectIds[0]}`, { token: tokenA });
    expect(res.status).toBe(200);
    expect(foreignRows(res.body.items, a, 'GET /projects with a foreign cursor')).toEqual([]);
  });
});

describe('GET /me', () => {
  it('lists the user, their tenants and the active one, and the handler runs in that tenant context', async () => {
    const res = await api.request('GET', '/me', { token: tokenA });
    expect(res.status).toBe(200);
    expect(res.body.user).toMatchObject({ id: a.userId, name: 'isoA user' });
    expect(res.body.tenants).toEqual([expect.objectContaining({ id: a.tenantId, role: 'owner' })]);
    expect(res.body.activeTenant).toMatchObject({ id: a.tenantId });
    expect(res.body.context).toEqual({ tenantId: a.tenantId, userId: a.userId });
  });

  it('answers without an active tenant, with no tenant context in the handler', async () => {
    const res = await api.request('GET', '/me', { token: await api.token(a.userId) });
    expect(res.status).toBe(200);
    expect(res.body.activeTenant).toBeNull();
    expect(res.body.context).toBeNull();
    expect(res.body.tenants).toHaveLength(1);
  });

  it('shows a user in two tenants both, and x-tenant-id switches between them', async () => {
    await api.admin.membership.create({ data: { tenantId: b.tenantId, userId: a.userId, role: 'member' } });
    try {
      const token = await api.token(a.userId);
      const me = await api.request('GET', '/me', { token, tenant: b.tenantId });
      expect(me.body.tenants.map((t: { id: string }) => t.id).sort()).toEqual([a.tenantId, b.tenantId].sort());
      expect(me.body.activeTenant).toMatchObject({ id: b.tenantId, role: 'member' });
      const inB = await api.request('GET', '/workspaces', { token, tenant: b.tenantId });
      const inA = await api.request('GET', '/workspaces', { token, tenant: a.tenantId });
      expect(foreignRows(inB.body.items, b, 'GET /workspaces as a member of two')).toEqual([]);
      expect(foreignRows(inA.body.items, a, 'GET /workspaces as a member of two')).toEqual([]);
    } finally {
      await api.admin.membership.delete({ where: { tenantId_userId: { tenantId: b.tenantId, userId: a.userId } } });
    }
  });
});
