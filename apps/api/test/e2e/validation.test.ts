/**
 * Input validation and error mapping: a body that breaks its schema is 422 naming each field, a bad
 * URL or query parameter is 400, malformed JSON is 400, a unique conflict is 409. No message echoes
 * what the client sent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedTenants, type SeededTenant } from '../support/fixtures.js';
import { startTestApi, type TestApi } from '../support/test-api.js';

let api: TestApi;
let a: SeededTenant;
let b: SeededTenant;
let token: string;

beforeAll(async () => {
  api = await startTestApi();
  [a, b] = (await seedTenants(api.admin, ['valA', 'valB'])) as [SeededTenant, SeededTenant];
  token = await api.token(a.userId, { tenantId: a.tenantId });
});
afterAll(() => api?.close());

describe('422: bodies that break their schema', () => {
  it('names a missing field', async () => {
    const res = await api.request('POST', '/workspaces', { token, body: {} });
    expect(res.status).toBe(422);
    expect(res.body.issues).toEqual([{ field: 'name', message: expect.any(String) }]);
    expect(res.body.message).toMatch(/^Cannot accept the request body because a field is invalid: name/);
  });

  it('names every invalid field at once', async () => {
    const res = await api.request('POST', '/tasks', { token, body: { projectId: 'nope', title: '', done: 'yes' } });
    expect(res.status).toBe(422);
    expect(res.body.issues.map((i: { field: string }) => i.field).sort()).toEqual(['done', 'projectId', 'title']);
  });

  it('rejects a tenantId in the body: the tenant comes from the token, never the body', async () => {
    const res = await api.request('POST', '/workspaces', { token, body: { name: 'x', tenantId: b.tenantId } });
    expect(res.status).toBe(422);
    expect(res.body.message).toMatch(/tenantId/);
    expect(await api.admin.workspace.count({ where: { tenantId: b.tenantId, name: 'x' } })).toBe(0);
  });

  it('rejects a too-long name without echoing it', async () => {
    const long = 'secret-value-'.repeat(40);
    const res = await api.request('POST', '/workspaces', { token, body: { name: long } });
    expect(res.status).toBe(422);
    expect(JSON.stringify(res.body)).not.toContain('secret-value');
  });

  it('requires something to change in a task update', async () => {
    const res = await api.request('PATCH', `/tasks/${a.taskIds[0]}`, { token, body: {} });
    expect(res.status).toBe(422);
  });

  it('rejects a task for a project the tenant does not have', async () => {
    const res = await api.request('POST', '/tasks', { token, body: { projectId: b.projectIds[0], title: 't' } });
    expect(res.status).toBe(422);
    expect(res.body.message).toMatch(/projectId does not name a project of the active tenant/);
  });
});

describe('400: malformed requests', () => {
  it('rejects malformed JSON', async () => {
    const res = await api.request('POST', '/workspaces', { token, rawBody: '{"name": ' });
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(/not valid JSON/);
  });

  it('rejects an id in the URL that is not a UUID', async () => {
    const res = await api.request('GET', '/projects/not-a-uuid', { token });
    expect(res.status).toBe(400);
    expect(res.body.issues).toEqual([{ field: 'id', message: 'must be a UUID' }]);
  });

  it('rejects query parameters out of range or unknown', async () => {
    expect((await api.request('GET', '/projects?limit=0', { token })).status).toBe(400);
    expect((await api.request('GET', '/projects?limit=1000', { token })).status).toBe(400);
    expect((await api.request('GET', '/tasks?done=maybe', { token })).status).toBe(400);
    const unknown = await api.request('GET', '/workspaces?tenantId=x', { token });
    expect(unknown.status).toBe(400);
    expect(unknown.body.message).toMatch(/query string/);
  });
});

describe('409: unique conflicts', () => {
  it('answers 409 naming the field when a workspace name is taken in the tenant', async () => {
    const res = await api.request('POST', '/workspaces', { token, body: { name: 'valA ws0' } });
    expect(res.status).toBe(409);
    expect(res.body.fields).toEqual(['name']);
    expect(res.body.message).toMatch(/same name already exists/);
  });

  it('answers 409 on rename into a taken name', async () => {
    const res = await api.request('PATCH', `/workspaces/${a.workspaceIds[1]}`, { token, body: { name: 'valA ws0' } });
    expect(res.status).toBe(409);
  });

  it('allows the same name in another tenant (unique keys include tenant_id)', async () => {
    const res = await api.request('POST', '/workspaces', { token, body: { name: 'valB ws0' } });
    expect(res.status).toBe(201);
  });
});
