/**
 * Rotation: the issuer publishes a new key and removes the old one. A token signed by the new key is accepted once
 * the verifier has refetched (an unknown kid triggers it); a token of the removed key is refused after that.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTokenVerifier, loadJwtConfig } from '../src/index.js';
import {
  generateSigningKey,
  type JwksServer,
  signTestToken,
  startJwksServer,
  type TestSigningKey,
} from '../src/testing/index.js';
import { reasonOf, sleep } from './support.js';

const COOLDOWN_MS = 200;
let server: JwksServer;
let oldKey: TestSigningKey;
let newKey: TestSigningKey;

beforeAll(async () => {
  [oldKey, newKey] = await Promise.all([generateSigningKey('ES256'), generateSigningKey('ES256')]);
  server = await startJwksServer([oldKey]);
});
afterAll(() => server?.close());

it('accepts the new key after a refetch and refuses the removed one', async () => {
  const verifier = createTokenVerifier(loadJwtConfig({ JWKS_URL: server.url }), { jwks: { cooldownMs: COOLDOWN_MS } });
  const sub = randomUUID();
  const oldToken = await signTestToken(oldKey, { sub });
  expect((await verifier.verify(oldToken)).keyId).toBe(oldKey.kid);
  expect(server.hits).toBe(1);

  server.publish([newKey]);
  // The cached set is still used for the old key: a rotation is seen when a token names a kid the cache lacks.
  expect((await verifier.verify(oldToken)).keyId).toBe(oldKey.kid);
  expect(server.hits).toBe(1);

  await sleep(COOLDOWN_MS + 50);
  const newToken = await signTestToken(newKey, { sub });
  expect((await verifier.verify(newToken)).keyId).toBe(newKey.kid);
  expect(server.hits).toBe(2);

  expect(await reasonOf(verifier.verify(oldToken))).toBe('unknown_key');
});

it('refetches a set older than cacheMaxAge before using it, so a removed key stops working without a new kid', async () => {
  server.publish([oldKey]);
  const verifier = createTokenVerifier(loadJwtConfig({ JWKS_URL: server.url }), {
    jwks: { cacheMaxAgeMs: 300, cooldownMs: 10_000 },
  });
  const token = await signTestToken(oldKey, { sub: randomUUID() });
  await verifier.verify(token);
  server.publish([newKey]);
  await sleep(350);
  expect(await reasonOf(verifier.verify(token))).toBe('unknown_key');
  expect(verifier.jwksFetches).toBe(2);
});
