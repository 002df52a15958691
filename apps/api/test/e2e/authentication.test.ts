/**
 * Identity: the tenant comes only from a verified token, and a tenant is honoured only for its
 * members. No token, a forged, expired or otherwise invalid token → 401; a tenant the user does
 * not belong to → 403, never a fallback to an unscoped query.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedTenants, type SeededTenant } from '../support/fixtures.js';
import { startTestApi, type TestApi } from '../support/test-api.js';

let api: TestApi;
let a: SeededTenant;
let b: SeededTenant;

beforeAll(async () => {
  api = await startTestApi();
  [a, b] = (await seedTenants(api.admin, ['authA', 'authB'])) as [SeededTenant, SeededTenant];
});
afterAll(() => api?.close());

describe('401: no verified identity', () => {
  it('rejects a request without a token, with WWW-Authenticate and a message that says what to send', async () => {
    const res = await api.request('GET', '/projects', { tenant: a.tenantId });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
    expect(res.body.message).toMatch(/Authorization header is missing.*Bearer <JWT>/);
  });

  it('rejects a header that is not "Bearer <JWT>"', async () => {
    const res = await api.request('GET', '/projects', { headers: { authorization: 'Basic dXNlcjpwYXNz' } });
    expect(res.status).toBe(401);
  });

  it('rejects a token signed with another secret (forged)', async () => {
    const forged = await api.token(a.userId, {
      tenantId: a.tenantId,
      secret: 'someone-elses-secret-that-is-long-enough',
    });
    const res = await api.request('GET', '/projects', { token: forged });
    expect(res.status).toBe(401);
    expect(res.body.message).toMatch(/token is not valid/);
  });

  it('rejects a token whose payload was edited after signing (tenant swapped)', async () => {
    const token = await api.token(a.userId, { tenantId: a.tenantId });
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    claims.app_metadata.tenant_id = b.tenantId;
    const tampered = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
    expect((await api.request('GET', '/projects', { token: tampered })).status).toBe(401);
  });

  it('rejects an unsigned token (alg none)', async () => {
    const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
    const payload = Buffer.from(
      JSON.stringify({ sub: a.userId, aud: 'authenticated', exp: Math.floor(Date.now() / 1000) + 300 }),
    ).toString('base64url');
    expect((await api.request('GET', '/projects', { token: `${header}.${payload}.`, tenant: a.tenantId })).status).toBe(
      401,
    );
  });

  it('rejects an expired token and says so', async () => {
    const expired = await api.token(a.userId, { tenantId: a.tenantId, expiresIn: -60 });
    const res = await api.request('GET', '/projects', { token: expired });
    expect(res.status).toBe(401);
    expect(res.body.message).toMatch(/has expired/);
  });

  it('rejects a token for another audience', async () => {
    const token = await api.token(a.userId, { tenantId: a.tenantId, audience: 'anon' });
    expect((await api.request('GET', '/projects', { token })).status).toBe(401);
  });

  it('rejects a token whose subject is not a user id', async () => {
    const token = await api.token('service-account', { tenantId: a.tenantId });
    expect((await api.request('GET', '/projects', { token })).status).toBe(401);
  });

  it('answers /me with 401 without a token too', async () => {
    expect((await api.request('GET', '/me')).status).toBe(401);
  });
});

describe('403: a tenant the user is not a member of', () => {
  it('refuses x-tenant-id naming another existing tenant', async () => {
    const token = await api.token(a.userId);
    const res = await api.request('GET', '/projects', { token, tenant: b.tenantId });
    expect(res.status).toBe(403);
    expect(res.body.message).toMatch(/not a member/);
  });

  it('refuses a tenant that does not exist with the same answer', async () => {
    const token = await api.token(a.userId);
    const other = await api.request('GET', '/projects', { token, tenant: b.tenantId });
    const missing = await api.request('GET', '/projects', { token, tenant: randomUUID() });
    expect(missing.status).toBe(403);
    expect(missing.body.message).toBe(other.body.message);
  });

  it('refuses a signed tenant claim once the membership is gone', async () => {
    const token = await api.token(b.userId, { tenantId: a.tenantId });
    expect((await api.request('GET', '/workspaces', { token })).status).toBe(403);
  });

  it('lets x-tenant-id override the claim only towards a tenant the user belongs to', async () => {
    const token = await api.token(a.userId, { tenantId: a.tenantId });
    expect((await api.request('GET', '/workspaces', { token, tenant: b.tenantId })).status).toBe(403);
    expect((await api.request('GET', '/workspaces', { token, tenant: a.tenantId })).status).toBe(200);
  });

  it('refuses every write on a non-member tenant and leaves its rows untouched', async () => {
    const token = await api.token(a.userId);
    const attempts = [
      api.request('POST', '/workspaces', { token, tenant: b.tenantId, body: { name: 'intruder' } }),
      api.request('PATCH', `/projects/${b.projectIds[0]}`, { token, tenant: b.tenantId, body: { name: 'pwned' } }),
      api.request('DELETE', `/tasks/${b.taskIds[0]}`, { token, tenant: b.tenantId }),
    ];
    for (const res of await Promise.all(attempts)) expect(res.status).toBe(403);
    expect(await api.admin.workspace.count({ where: { tenantId: b.tenantId } })).toBe(2);
    expect(
      (await api.admin.project.findFirstOrThrow({ where: { tenantId: b.tenantId, id: b.projectIds[0] } })).name,
    ).toBe('authB ws0 p0');
    expect(await api.admin.task.count({ where: { tenantId: b.tenantId } })).toBe(4);
  });
});

describe('400: no usable tenant', () => {
  it('asks for a tenant when neither the header nor the token names one', async () => {
    const res = await api.request('GET', '/projects', { token: await api.token(a.userId) });
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(/x-tenant-id/);
  });

  it('rejects an x-tenant-id that is not a UUID before any query', async () => {
    const res = await api.request('GET', '/projects', { token: await api.token(a.userId), tenant: "' or 1=1 --" });
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(/not a UUID/);
  });
});

describe('200: a member', () => {
  it('serves the tenant named by the token claim', async () => {
    const res = await api.request('GET', '/workspaces', { token: await api.token(a.userId, { tenantId: a.tenantId }) });
    expect(res.status).toBe(200);
    expect(res.body.items).toHaveLength(2);
  });

  it('serves the tenant named by x-tenant-id', async () => {
    const res = await api.request('GET', '/workspaces', { token: await api.token(b.userId), tenant: b.tenantId });
    expect(res.status).toBe(200);
    expect(res.body.items.map((w: { name: string }) => w.name).sort()).toEqual(['authB ws0', 'authB ws1']);
  });

  it('answers /health without a token', async () => {
    const res = await api.request('GET', '/health');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'ok', database: { status: 'ok' } });
  });
});
