/**
 * Structured request logs: one line per request with request id, tenant, user, route, status and
 * duration, including rejected requests; never row data.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { seedTenants, type SeededTenant } from '../support/fixtures.js';
import { startTestApi, type TestApi } from '../support/test-api.js';

let api: TestApi;
let a: SeededTenant;

beforeAll(async () => {
  api = await startTestApi();
  [a] = (await seedTenants(api.admin, ['logA'])) as [SeededTenant];
});
afterAll(() => api?.close());

it('logs request id, tenant, user, route, status and duration, and no row data', async () => {
  const token = await api.token(a.userId, { tenantId: a.tenantId });
  const res = await api.request('POST', '/workspaces', {
    token,
    body: { name: 'Confidential Plans' },
    headers: { 'x-request-id': 'req-e2e-1' },
  });
  expect(res.status).toBe(201);
  expect(res.headers.get('x-request-id')).toBe('req-e2e-1');
  await api.request('GET', `/workspaces/${res.body.id}`, { token });
  const entries = api.logs.filter((e) => e.msg === 'request completed');
  const created = entries.find((e) => e.requestId === 'req-e2e-1');
  expect(created).toMatchObject({
    level: 'info',
    method: 'POST',
    route: '/workspaces',
    status: 201,
    tenantId: a.tenantId,
    userId: a.userId,
  });
  expect(typeof created!.durationMs).toBe('number');
  expect(entries.find((e) => e.route === '/workspaces/:id')).toMatchObject({ status: 200, tenantId: a.tenantId });
  const everything = JSON.stringify(api.logs);
  expect(everything).not.toContain('Confidential Plans');
  expect(everything).not.toContain('logA ws0');
});

it('gives every request its own id, and logs rejected requests too', async () => {
  const res = await api.request('GET', '/projects?secret=abc', { headers: { 'x-request-id': 'bad id <script>' } });
  expect(res.status).toBe(401);
  const id = res.headers.get('x-request-id')!;
  expect(id).toMatch(/^[0-9a-f-]{36}$/);
  expect(res.body.requestId).toBe(id);
  expect(api.logs.find((e) => e.requestId === id)).toMatchObject({ status: 401, route: '/projects' });
  expect(JSON.stringify(api.logs)).not.toContain('secret=abc');
});
