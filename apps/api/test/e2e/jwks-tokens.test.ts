/**
 * Asymmetric tokens (Supabase's ES256) through a key set, end to end: the API started with only JWKS_URL (no
 * JWT_SECRET, in production) against a JWKS server on loopback, and requests over HTTP. A token of a rotated key is
 * accepted once the API has refetched the set, the removed key's token is refused; `JWT_AUDIENCE=` (empty) still
 * refuses an `anon` token; the dev token endpoint says it needs JWT_SECRET; a key set that is down is a 503.
 */
import { randomUUID } from 'node:crypto';
import { DEFAULT_JWKS_LIMITS } from '@tenantry/auth';
import {
  generateSigningKey,
  type JwksServer,
  signTestToken,
  startJwksServer,
  type TestSigningKey,
} from '@tenantry/auth/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiConfigError, loadApiConfig } from '../../src/config/api-config.js';
import { type SeededTenant, seedTenants } from '../support/fixtures.js';
import { startTestApi, type TestApi } from '../support/test-api.js';

let jwks: JwksServer;
let first: TestSigningKey;
let rotated: TestSigningKey;
let prod: TestApi;
let tenant: SeededTenant;

beforeAll(async () => {
  [first, rotated] = await Promise.all([generateSigningKey('ES256'), generateSigningKey('ES256')]);
  jwks = await startJwksServer([first]);
  prod = await startTestApi({ production: true, env: { JWT_SECRET: '', JWKS_URL: jwks.url } });
  [tenant] = (await seedTenants(prod.admin, ['jwksA'])) as [SeededTenant];
});
afterAll(async () => {
  await prod?.close();
  await jwks?.close();
});

const tokenFor = (key: TestSigningKey, claims: Record<string, unknown> = {}) =>
  signTestToken(key, { sub: tenant.userId, app_metadata: { tenant_id: tenant.tenantId }, ...claims });

describe('production, key set only (no JWT_SECRET)', () => {
  it('accepts an ES256 token of the published key, then one of a rotated key; refuses the removed one', async () => {
    const before = await prod.request('GET', '/workspaces', { token: await tokenFor(first) });
    expect(before.status).toBe(200);
    expect(before.body.items.map((w: { name: string }) => w.name).sort()).toEqual(['jwksA ws0', 'jwksA ws1']);

    jwks.publish([rotated]);
    // The API refetches on a kid it does not know, at most once per cooldown since its last fetch.
    await new Promise((r) => setTimeout(r, DEFAULT_JWKS_LIMITS.cooldownMs + 200));
    const after = await prod.request('GET', '/workspaces', { token: await tokenFor(rotated) });
    expect(after.status).toBe(200);
    expect(after.body.items.every((w: { tenantId: string }) => w.tenantId === tenant.tenantId)).toBe(true);
    expect(after.body.items).toHaveLength(2);

    const removed = await prod.request('GET', '/workspaces', { token: await tokenFor(first) });
    expect(removed.status).toBe(401);
    expect(removed.body.message).toMatch(
      /^Cannot authenticate because the token is not valid \(it names a signing key/,
    );
  });

  it('refuses an HS256 token: without JWT_SECRET there is no HS256 at all', async () => {
    const res = await prod.request('GET', '/workspaces', { token: await prod.token(tenant.userId) });
    expect(res.status).toBe(401);
    expect(res.body.message).toMatch(/algorithm is not accepted/);
  });

  it('has no dev token endpoint', async () => {
    expect((await prod.request('POST', '/dev/token', { body: { email: 'alice@acme.test' } })).status).toBe(404);
  });
});

describe('JWT_AUDIENCE= (empty) means authenticated', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi({ env: { JWKS_URL: jwks.url, JWT_AUDIENCE: '' } });
  });
  afterAll(() => api?.close());

  it.each([['anon'], ['service_role']])('refuses an ES256 token and an HS256 token with aud %s', async (aud) => {
    jwks.publish([rotated]);
    for (const token of [await tokenFor(rotated, { aud }), await api.token(tenant.userId, { audience: aud })]) {
      const res = await api.request('GET', '/workspaces', { token, tenant: tenant.tenantId });
      expect(res.status).toBe(401);
      expect(res.body.message).toMatch(/its audience, aud, is not the expected one/);
    }
    expect((await api.request('GET', '/workspaces', { token: await tokenFor(rotated) })).status).toBe(200);
  });
});

describe('dev, key set only', () => {
  it('the dev token endpoint says it needs JWT_SECRET', async () => {
    const api = await startTestApi({ env: { JWT_SECRET: '', JWKS_URL: jwks.url } });
    try {
      const res = await api.request('POST', '/dev/token', { body: { email: 'alice@acme.test' } });
      expect(res.status).toBe(503);
      expect(res.body.message).toMatch(/^Cannot mint a dev token because JWT_SECRET is not set/);
    } finally {
      await api.close();
    }
  });
});

describe('the key set is down', () => {
  it('answers 503 (the token may be fine), not 401', async () => {
    const down = await startJwksServer([rotated]);
    down.override((_req, res) => res.writeHead(500).end());
    const api = await startTestApi({ env: { JWT_SECRET: '', JWKS_URL: down.url } });
    try {
      const res = await api.request('GET', '/workspaces', { token: await tokenFor(rotated) });
      expect(res.status).toBe(503);
      expect(res.body.message).toMatch(/signing keys \(JWKS\) cannot be fetched right now\. Try again shortly/);
    } finally {
      await api.close();
      await down.close();
    }
  });
});

describe('configuration', () => {
  it('refuses to start with neither JWT_SECRET nor a key set, naming the variables', () => {
    expect(() => loadApiConfig({ API_PORT: '0' })).toThrow(ApiConfigError);
    expect(() => loadApiConfig({ API_PORT: '0', JWT_SECRET: '' })).toThrow(
      /^Cannot verify tokens because none of JWT_SECRET, JWKS_URL or SUPABASE_URL is set/,
    );
  });

  it('starts in production with SUPABASE_URL only, and refuses a plain-http key set off loopback', () => {
    const config = loadApiConfig({ NODE_ENV: 'production', SUPABASE_URL: 'https://abc.supabase.co' });
    expect(config.jwt.hs256Secret).toBeUndefined();
    expect(config.jwt.issuer).toBe('https://abc.supabase.co/auth/v1');
    expect(() => loadApiConfig({ JWKS_URL: `http://keys.example.com/${randomUUID()}` })).toThrow(/not an https URL/);
  });
});
