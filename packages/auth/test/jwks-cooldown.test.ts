/**
 * Made-up kids cannot make the verifier hammer the key set: an unknown kid triggers at most one refetch per cooldown,
 * and concurrent requests share one fetch. The server counts its hits.
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

const COOLDOWN_MS = 400;
let server: JwksServer;
let key: TestSigningKey;

beforeAll(async () => {
  key = await generateSigningKey('ES256');
  server = await startJwksServer([key]);
});
afterAll(() => server?.close());

const fresh = () => createTokenVerifier(loadJwtConfig({ JWKS_URL: server.url }), { jwks: { cooldownMs: COOLDOWN_MS } });

it('fetches once for 50 tokens with unknown kids inside the cooldown, then once more after it', async () => {
  const verifier = fresh();
  const before = server.hits;
  await verifier.verify(await signTestToken(key, { sub: randomUUID() }));
  const forged = await Promise.all(
    Array.from({ length: 50 }, () => signTestToken(key, { sub: randomUUID() }, { kid: `made-up-${randomUUID()}` })),
  );
  for (const token of forged) expect(await reasonOf(verifier.verify(token))).toBe('unknown_key');
  expect(server.hits - before).toBe(1);

  await sleep(COOLDOWN_MS + 50);
  for (const token of forged.slice(0, 10)) expect(await reasonOf(verifier.verify(token))).toBe('unknown_key');
  expect(server.hits - before).toBe(2);
});

it('shares one fetch between concurrent first requests', async () => {
  const verifier = fresh();
  const before = server.hits;
  const tokens = await Promise.all(Array.from({ length: 20 }, () => signTestToken(key, { sub: randomUUID() })));
  const verified = await Promise.all(tokens.map((t) => verifier.verify(t)));
  expect(verified).toHaveLength(20);
  expect(server.hits - before).toBe(1);
});
