/**
 * Route handlers over HTTP, no browser: the same isolation cases as the browser tests, against
 * `next start` on the real database. Another tenant's id is a 404 (read, update, delete), and
 * nothing of the other tenant changes; a session is honoured only for a tenant the user belongs to.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdminPrismaClient } from '@tenantry/db/admin';
import { adminClient, request, seedTenant, sessionToken, type SeededTenant } from '../support/web';

let admin: AdminPrismaClient;
let a: SeededTenant;
let b: SeededTenant;
let tokenA: string;
let tokenB: string;

beforeAll(async () => {
  admin = adminClient();
  a = await seedTenant(admin, 'ann');
  b = await seedTenant(admin, 'ben');
  tokenA = await sessionToken(a.userId, { tenantId: a.tenantId });
  tokenB = await sessionToken(b.userId, { tenantId: b.tenantId });
});

afterAll(async () => {
  await admin?.$disconnect();
});

describe('sessions', () => {
  it('answers /api/health (readiness, as /api/health/ready) and /api/health/live without a session', async () => {
    const health = await request('GET', '/api/health');
    expect(health).toMatchObject({ status: 200, body: { status: 'ok', database: 'ok' } });
    expect(typeof health.body.latencyMs).toBe('number');
    expect(await request('GET', '/api/health/live')).toEqual({ status: 200, body: { status: 'ok' } });
  });

  it('refuses a request without a session cookie with 401', async () => {
    const res = await request('GET', '/api/workspaces');
    expect(res.status).toBe(401);
    expect(res.body.message).toMatch(/not signed in/);
  });

  it.each([
    [
      'signed with another secret',
      () => sessionToken(randomUUID(), { secret: 'another-secret-that-is-long-enough-1234' }),
    ],
    ['expired', () => sessionToken(randomUUID(), { expiresIn: -10 })],
    ['for another audience', () => sessionToken(randomUUID(), { audience: 'service' })],
  ])('refuses a session %s with 401', async (_label, mint) => {
    const res = await request('GET', '/api/workspaces', { session: await mint() });
    expect(res.status).toBe(401);
  });

  it('refuses an unsigned (alg: none) session with 401', async () => {
    const payload = Buffer.from(
      JSON.stringify({
        sub: a.userId,
        aud: 'authenticated',
        exp: Math.floor(Date.now() / 1000) + 600,
        app_metadata: { tenant_id: a.tenantId },
      }),
    ).toString('base64url');
    const res = await request('GET', '/api/workspaces', {
      session: `${Buffer.from('{"alg":"none"}').toString('base64url')}.${payload}.`,
    });
    expect(res.status).toBe(401);
  });

  it('runs the handler inside the tenant context of the verified session', async () => {
    const res = await request('GET', '/api/me', { session: tokenA });
    expect(res.status).toBe(200);
    expect(res.body.tenant.id).toBe(a.tenantId);
    expect(res.body.context).toEqual({ tenantId: a.tenantId, userId: a.userId });
  });

  it('answers 403 when the tenant cookie names a tenant the user is not a member of', async () => {
    const res = await request('GET', '/api/workspaces', { session: tokenA, tenant: b.tenantId });
    expect(res.status).toBe(403);
    expect(res.body.message).toMatch(/not a member/);
  });

  it('answers 403 when the token claims a tenant the user is not a member of', async () => {
    const forged = await sessionToken(a.userId, { tenantId: b.tenantId });
    expect((await request('GET', '/api/workspaces', { session: forged })).status).toBe(403);
  });

  it('answers 400 when the tenant cookie is not a tenant id', async () => {
    expect((await request('GET', '/api/workspaces', { session: tokenA, tenant: "x' or 1=1" })).status).toBe(400);
  });
});

describe('tenant isolation through route handlers', () => {
  it('lists only the active tenant’s workspaces and projects', async () => {
    for (const [tenant, token] of [
      [a, tokenA],
      [b, tokenB],
    ] as const) {
      const workspaces = await request('GET', '/api/workspaces', { session: token });
      expect(workspaces.status).toBe(200);
      expect(workspaces.body.items.map((w: { id: string }) => w.id).sort()).toEqual([...tenant.workspaceIds].sort());
      const projects = await request('GET', '/api/projects', { session: token });
      expect(projects.body.items.map((p: { id: string }) => p.id).sort()).toEqual([...tenant.projectIds].sort());
      expect(projects.body.items.every((p: { tenantId: string }) => p.tenantId === tenant.tenantId)).toBe(true);
    }
  });

  it('GET /api/projects/:id answers 200 for the own tenant and 404 for another tenant’s id', async () => {
    const own = await request('GET', `/api/projects/${a.projectIds[0]}`, { session: tokenA });
    expect(own.status).toBe(200);
    expect(own.body.name).toBe('ann ws0 p0');
    const foreign = await request('GET', `/api/projects/${b.projectIds[0]}`, { session: tokenA });
    expect(foreign.status).toBe(404);
    expect(JSON.stringify(foreign.body)).not.toContain('ben');
    // Same answer as an id that exists nowhere: nothing to tell the two apart.
    const missing = await request('GET', `/api/projects/${randomUUID()}`, { session: tokenA });
    expect(missing).toEqual({ ...foreign });
  });

  it('GET /api/projects/:id answers 404 for a malformed id', async () => {
    expect((await request('GET', '/api/projects/not-a-uuid', { session: tokenA })).status).toBe(404);
  });

  it('DELETE /api/projects/:id of another tenant answers 404 and deletes nothing', async () => {
    const res = await request('DELETE', `/api/projects/${b.projectIds[1]}`, { session: tokenA });
    expect(res.status).toBe(404);
    expect(await admin.project.count({ where: { tenantId: b.tenantId, id: b.projectIds[1] } })).toBe(1);
  });

  it('DELETE /api/projects/:id of the own tenant deletes it', async () => {
    const res = await request('DELETE', `/api/projects/${a.projectIds[3]}`, { session: tokenA });
    expect(res.status).toBe(204);
    // Projects are soft-deleted (docs/soft-delete.md): the row stays, marked, and no read returns it.
    expect(await admin.project.count({ where: { id: a.projectIds[3], deletedAt: null } })).toBe(0);
    expect(await admin.project.count({ where: { id: a.projectIds[3], deletedAt: { not: null } } })).toBe(1);
    expect((await request('GET', `/api/projects/${a.projectIds[3]}`, { session: tokenA })).status).toBe(404);
  });

  it('GET and PATCH /api/tasks/:id of another tenant answer 404 and change nothing', async () => {
    expect((await request('GET', `/api/tasks/${b.taskIds[0]}`, { session: tokenA })).status).toBe(404);
    const patch = await request(
      'PATCH',
      `/api/tasks/${b.taskIds[0]}`,
      { session: tokenA },
      { title: 'hijacked', done: true },
    );
    expect(patch.status).toBe(404);
    const row = await admin.task.findFirstOrThrow({ where: { id: b.taskIds[0] } });
    expect(row).toMatchObject({ title: 'ben ws0 p0 t0', done: false, tenantId: b.tenantId });
  });

  it('PATCH /api/tasks/:id of the own tenant updates it', async () => {
    const res = await request('PATCH', `/api/tasks/${a.taskIds[0]}`, { session: tokenA }, { done: true });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: a.taskIds[0], done: true, tenantId: a.tenantId });
  });

  it('switching the tenant cookie switches what a member of two tenants sees', async () => {
    const both = await seedTenant(admin, 'cat');
    await admin.membership.create({ data: { tenantId: a.tenantId, userId: both.userId, role: 'member' } });
    const token = await sessionToken(both.userId, { tenantId: both.tenantId, tenantIds: [both.tenantId, a.tenantId] });
    const own = await request('GET', '/api/workspaces', { session: token });
    expect(own.body.items.map((w: { name: string }) => w.name).sort()).toEqual(['cat ws0', 'cat ws1']);
    const switched = await request('GET', '/api/workspaces', { session: token, tenant: a.tenantId });
    expect(switched.body.items.map((w: { name: string }) => w.name).sort()).toEqual(['ann ws0', 'ann ws1']);
    expect((await request('GET', `/api/projects/${a.projectIds[0]}`, { session: token })).status).toBe(404);
    expect(
      (await request('GET', `/api/projects/${a.projectIds[0]}`, { session: token, tenant: a.tenantId })).status,
    ).toBe(200);
  });

  it('keeps 60 interleaved requests of two tenants apart', async () => {
    const results = await Promise.all(
      Array.from({ length: 60 }, (_, i) => {
        const [tenant, token] = i % 2 ? [a, tokenA] : [b, tokenB];
        return request('GET', '/api/projects', { session: token }).then((res) => ({ tenant, res }));
      }),
    );
    const foreign = results.flatMap(({ tenant, res }) =>
      (res.body.items as { id: string; tenantId: string }[])
        .filter((p) => p.tenantId !== tenant.tenantId)
        .map((p) => `${tenant.label} saw ${p.id}`),
    );
    expect(results.every(({ res }) => res.status === 200)).toBe(true);
    expect(foreign).toEqual([]);
  });
});
