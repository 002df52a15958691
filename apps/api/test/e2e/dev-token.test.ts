/** The dev-only token endpoint: works on the seeded demo users, and does not exist in production. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DEMO } from '@tenantry/db/testing';
import { startTestApi, type TestApi } from '../support/test-api.js';

let dev: TestApi;
let prod: TestApi;

beforeAll(async () => {
  dev = await startTestApi();
  prod = await startTestApi({ production: true });
});
afterAll(async () => {
  await dev?.close();
  await prod?.close();
});

it('mints a token for a demo user that the API accepts', async () => {
  const minted = await dev.request('POST', '/dev/token', { body: { email: 'alice@acme.test' } });
  expect(minted.status).toBe(201);
  expect(minted.body.tenantClaim).toBe(DEMO.tenants[0].id);
  const projects = await dev.request('GET', '/projects', { token: minted.body.token });
  expect(projects.status).toBe(200);
  expect(projects.body.items.every((p: { tenantId: string }) => p.tenantId === DEMO.tenants[0].id)).toBe(true);
});

it('gives a user of two tenants no claim: they pick with x-tenant-id', async () => {
  const minted = await dev.request('POST', '/dev/token', { body: { email: 'carol@both.test' } });
  expect(minted.body.tenantClaim).toBeNull();
  const me = await dev.request('GET', '/me', { token: minted.body.token, tenant: DEMO.tenants[1].id });
  expect(me.body.tenants).toHaveLength(2);
  expect(me.body.activeTenant.slug).toBe('globex');
});

it('answers 404 for an unknown email', async () => {
  expect((await dev.request('POST', '/dev/token', { body: { email: 'nobody@nowhere.test' } })).status).toBe(404);
});

it('does not exist when NODE_ENV=production', async () => {
  const res = await prod.request('POST', '/dev/token', { body: { email: 'alice@acme.test' } });
  expect(res.status).toBe(404);
  expect(res.body.token).toBeUndefined();
});
