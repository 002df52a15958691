/**
 * The API's HTTP edges (issue 18): no tenant answer may be stored or replayed by a shared cache,
 * and bytes Postgres cannot store (NUL, control characters) are the caller's mistake: 422 naming the
 * field, nothing written, never a 500 logged as an error.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tenantContext } from '@tenantry/db';
import { mapError } from '../../src/http/error-mapping.js';
import { seedTenants, type SeededTenant } from '../support/fixtures.js';
import { startTestApi, type TestApi } from '../support/test-api.js';

let api: TestApi;
let a: SeededTenant;
let b: SeededTenant;
let token: string;

beforeAll(async () => {
  api = await startTestApi();
  [a, b] = (await seedTenants(api.admin, ['edgeA', 'edgeB'])) as [SeededTenant, SeededTenant];
  token = await api.token(a.userId, { tenantId: a.tenantId });
});
afterAll(() => api?.close());

const errorLogs = () => api.logs.filter((entry) => entry.level === 'error');

describe('Cache-Control on every tenant-scoped answer', () => {
  it.each([
    ['a list', 'GET', '/workspaces', 200],
    ['a row', 'GET', () => `/projects/${a.projectIds[0]}`, 200],
    ['another tenant’s id', 'GET', () => `/projects/${b.projectIds[0]}`, 404],
    ['GET /me', 'GET', '/me', 200],
    ['a create', 'POST', '/workspaces', 201],
  ] as const)('says private, no-store on %s', async (_label, method, path, status) => {
    const res = await api.request(method, typeof path === 'function' ? path() : path, {
      token,
      ...(method === 'POST' ? { body: { name: `edge-${Date.now()}` } } : {}),
    });
    expect(res.status).toBe(status);
    expect(res.headers.get('cache-control')).toBe('private, no-store');
    expect(res.headers.get('vary')?.toLowerCase()).toContain('authorization');
    expect(res.headers.get('vary')?.toLowerCase()).toContain('x-tenant-id');
  });

  it('says private, no-store when the token is missing (401) or the tenant is not the caller’s (403)', async () => {
    const missing = await api.request('GET', '/workspaces');
    expect(missing.status).toBe(401);
    expect(missing.headers.get('cache-control')).toBe('private, no-store');
    const foreign = await api.request('GET', '/workspaces', { token, tenant: b.tenantId });
    expect(foreign.status).toBe(403);
    expect(foreign.headers.get('cache-control')).toBe('private, no-store');
  });

  it('says no-store on the answers outside the tenant routes too (health, unknown routes)', async () => {
    for (const path of ['/health/live', '/no-such-route']) {
      const res = await api.request('GET', path);
      expect(res.headers.get('cache-control'), path).toBe('no-store');
    }
  });
});

describe('control characters in input: 422 naming the field', () => {
  it.each([
    ['a NUL in a workspace name', 'POST', '/workspaces', () => ({ name: 'before\u0000after' }), 'name'],
    ['a newline in a workspace name', 'POST', '/workspaces', () => ({ name: 'two\nlines' }), 'name'],
    [
      'an escape in a project name',
      'POST',
      '/projects',
      () => ({ workspaceId: a.workspaceIds[0], name: 'x\u001b[31m' }),
      'name',
    ],
    ['a NUL in a task title', 'POST', '/tasks', () => ({ projectId: a.projectIds[0], title: '\u0000' }), 'title'],
    ['a NUL in a task update', 'PATCH', () => `/tasks/${a.taskIds[0]}`, () => ({ title: 'a\u0000b' }), 'title'],
    [
      'a C1 control in a workspace rename',
      'PATCH',
      () => `/workspaces/${a.workspaceIds[0]}`,
      () => ({ name: 'a\u0085b' }),
      'name',
    ],
    ['a NUL in an invitation email', 'POST', '/invitations', () => ({ email: 'x\u0000@example.com' }), 'email'],
  ] as const)('refuses %s', async (_label, method, path, body, field) => {
    const before = await api.admin.workspace.count({ where: { tenantId: a.tenantId } });
    const errorsBefore = errorLogs().length;
    const res = await api.request(method, typeof path === 'function' ? path() : path, { token, body: body() });
    expect(res.status).toBe(422);
    expect(res.body.issues).toEqual([{ field, message: expect.stringMatching(/control characters|email/) }]);
    expect(await api.admin.workspace.count({ where: { tenantId: a.tenantId } })).toBe(before);
    expect(errorLogs().length).toBe(errorsBefore);
  });

  it('keeps a name that only contains ordinary Unicode', async () => {
    const res = await api.request('POST', '/workspaces', { token, body: { name: 'Équipe 東京 – ünïcødé' } });
    expect(res.status).toBe(201);
  });

  it('maps the database’s own refusal of a NUL (22021) to 422, the backstop for a field no schema covers', async () => {
    // A real error from Postgres through Prisma and the engine, not a hand-made one.
    const error = await tenantContext
      .run({ tenantId: a.tenantId }, () => api.client.workspace.create({ data: { name: 'nul\u0000byte' } }))
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeDefined();
    const mapped = mapError(error);
    expect(mapped.status).toBe(422);
    expect(mapped.unexpected).toBe(false);
    expect(JSON.stringify(mapped.body)).not.toContain('nul');
    expect(await api.admin.workspace.count({ where: { tenantId: a.tenantId, name: { startsWith: 'nul' } } })).toBe(0);
  });
});
