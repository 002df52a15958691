/**
 * Sessions verified by @tenantry/auth, over HTTP against two more `next start` servers of the same build:
 * `jwks` with only JWKS_URL (a JWKS server on loopback, no JWT_SECRET) and `JWT_AUDIENCE=` empty; `secret` with
 * JWT_SECRET and `JWT_AUDIENCE=` empty, the copied-.env.example case that used to switch the web's audience check
 * off. An ES256 session of a rotated key is served once the server has refetched the key set; the removed key's is
 * refused; an `anon` token is refused by both; the dev sign-in says it needs JWT_SECRET.
 */
import { DEFAULT_JWKS_LIMITS } from '@tenantry/auth';
import {
  generateSigningKey,
  type JwksServer,
  signHs256,
  signTestToken,
  startJwksServer,
  type TestSigningKey,
} from '@tenantry/auth/testing';
import type { AdminPrismaClient } from '@tenantry/db/admin';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NextServer, startNextServer } from '../support/next-server';
import { adminClient, requestAt, rig, type SeededTenant, seedTenant, sessionToken } from '../support/web';

let admin: AdminPrismaClient;
let tenant: SeededTenant;
let keys: JwksServer;
let first: TestSigningKey;
let rotated: TestSigningKey;
let jwks: NextServer;
let secret: NextServer;

beforeAll(async () => {
  admin = adminClient();
  tenant = await seedTenant(admin, 'jwk');
  [first, rotated] = await Promise.all([generateSigningKey('ES256'), generateSigningKey('ES256')]);
  keys = await startJwksServer([first]);
  const database = {
    DATABASE_URL: rig().runtimeUrl,
    DATABASE_ADMIN_URL: rig().adminUrl,
    DATABASE_POOL_SIZE: '2',
    JWT_AUDIENCE: '',
    JWT_ISSUER: '',
    SUPABASE_URL: '',
  };
  [jwks, secret] = await Promise.all([
    startNextServer({
      logName: 'next-start-jwks.log',
      env: { ...database, JWT_SECRET: '', JWKS_URL: keys.url, WEB_DEV_SIGN_IN: '1' },
    }),
    startNextServer({
      logName: 'next-start-empty-audience.log',
      env: { ...database, JWT_SECRET: rig().jwtSecret, JWKS_URL: '' },
    }),
  ]);
});

afterAll(async () => {
  await Promise.all([jwks?.stop(), secret?.stop()]);
  await keys?.close();
  await admin?.$disconnect();
});

const es256 = (key: TestSigningKey, claims: Record<string, unknown> = {}) =>
  signTestToken(key, {
    sub: tenant.userId,
    app_metadata: { tenant_id: tenant.tenantId, tenant_ids: [tenant.tenantId] },
    ...claims,
  });

describe('key set only (JWKS_URL, no JWT_SECRET)', () => {
  it('serves an ES256 session, then one of a rotated key; refuses the removed key', async () => {
    const before = await requestAt(jwks.baseUrl, 'GET', '/api/workspaces', { session: await es256(first) });
    expect(before.status).toBe(200);
    expect(before.body.items.map((w: { name: string }) => w.name).sort()).toEqual(['jwk ws0', 'jwk ws1']);

    keys.publish([rotated]);
    // The server refetches on a kid it does not know, at most once per cooldown since its last fetch.
    await new Promise((r) => setTimeout(r, DEFAULT_JWKS_LIMITS.cooldownMs + 200));
    const after = await requestAt(jwks.baseUrl, 'GET', '/api/workspaces', { session: await es256(rotated) });
    expect(after.status).toBe(200);
    expect(after.body.items).toHaveLength(2);
    expect(after.body.items.every((w: { tenantId: string }) => w.tenantId === tenant.tenantId)).toBe(true);

    const removed = await requestAt(jwks.baseUrl, 'GET', '/api/workspaces', { session: await es256(first) });
    expect(removed.status).toBe(401);
    expect(removed.body.message).toMatch(/your session is not valid/);
  });

  it('refuses an anon or service_role ES256 token although JWT_AUDIENCE is empty', async () => {
    keys.publish([rotated]);
    for (const aud of ['anon', 'service_role']) {
      const res = await requestAt(jwks.baseUrl, 'GET', '/api/workspaces', { session: await es256(rotated, { aud }) });
      expect(res.status, `aud ${aud}`).toBe(401);
    }
  });

  it('refuses an HS256 session: without JWT_SECRET there is no HS256', async () => {
    const hs256 = await sessionToken(tenant.userId, { tenantId: tenant.tenantId });
    expect((await requestAt(jwks.baseUrl, 'GET', '/api/workspaces', { session: hs256 })).status).toBe(401);
  });

  it('the dev sign-in page says it needs JWT_SECRET instead of offering demo users', async () => {
    const page = await requestAt<string>(jwks.baseUrl, 'GET', '/sign-in');
    expect(page.status).toBe(200);
    expect(page.body).toContain('Cannot sign in as a demo user because JWT_SECRET is not set');
    expect(page.body).not.toContain('Sign in as alice@acme.test');
  });
});

describe('JWT_SECRET with JWT_AUDIENCE= (empty): the audience is still checked', () => {
  it('refuses an anon, a service_role and an audience-less HS256 token, serves an authenticated one', async () => {
    const claims = { sub: tenant.userId, app_metadata: { tenant_id: tenant.tenantId } };
    for (const aud of ['anon', 'service_role', undefined]) {
      const res = await requestAt(secret.baseUrl, 'GET', '/api/workspaces', {
        session: signHs256(rig().jwtSecret, { ...claims, aud }),
      });
      expect(res.status, `aud ${aud}`).toBe(401);
    }
    const ok = await requestAt(secret.baseUrl, 'GET', '/api/workspaces', {
      session: signHs256(rig().jwtSecret, claims),
    });
    expect(ok.status).toBe(200);
  });
});
