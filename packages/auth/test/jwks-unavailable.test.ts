/**
 * A key set that is down, slow, too large or not a key set fails verification with the typed reason
 * `jwks_unavailable` (the token may be fine: retry later), within the fetch timeout, and is not hammered meanwhile.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTokenVerifier, loadJwtConfig } from '../src/index.js';
import {
  generateSigningKey,
  type JwksServer,
  signTestToken,
  startJwksServer,
  type TestSigningKey,
} from '../src/testing/index.js';
import { failureOf, sleep } from './support.js';

let server: JwksServer;
let key: TestSigningKey;
let token: string;

beforeAll(async () => {
  key = await generateSigningKey('ES256');
  server = await startJwksServer([key]);
  token = await signTestToken(key, { sub: randomUUID() });
});
afterAll(() => server?.close());

const verifier = (jwks = {}) =>
  createTokenVerifier(loadJwtConfig({ JWKS_URL: server.url }), { jwks: { cooldownMs: 300, ...jwks } });

async function expectUnavailable(detail: RegExp, jwks = {}) {
  const failure = await failureOf(verifier(jwks).verify(token));
  expect(failure.reason).toBe('jwks_unavailable');
  expect(failure.message).toMatch(/^Cannot verify the token because the signing keys \(JWKS\) cannot be fetched/);
  expect(failure.detail).toMatch(detail);
  expect(failure.message).not.toContain(token);
}

describe('jwks_unavailable', () => {
  it('nobody listening', async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const v = createTokenVerifier(loadJwtConfig({ JWKS_URL: `http://127.0.0.1:${port}/jwks.json` }));
    const failure = await failureOf(v.verify(token));
    expect(failure.reason).toBe('jwks_unavailable');
    expect(failure.detail).toMatch(/connection failed/);
  });

  it('an HTTP 500', async () => {
    server.override((_req, res) => res.writeHead(500).end('oops'));
    await expectUnavailable(/HTTP 500/);
  });

  it('a redirect, not followed', async () => {
    server.override((_req, res) => res.writeHead(302, { location: 'http://127.0.0.1:1/elsewhere' }).end());
    await expectUnavailable(/HTTP 302 \(a redirect/);
  });

  it('no answer within the timeout', async () => {
    server.override(() => {}); // never answers
    const started = Date.now();
    await expectUnavailable(/did not answer within 250 ms/, { timeoutMs: 250 });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('a body larger than maxBytes, declared or streamed', async () => {
    server.override((_req, res) => res.writeHead(200).end(JSON.stringify({ keys: [], pad: 'x'.repeat(5_000) })));
    await expectUnavailable(/larger than 4096 bytes/, { maxBytes: 4096 });
    server.override((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }); // chunked: no content-length
      res.write('{"keys":[],"pad":"');
      res.write('x'.repeat(5_000));
      res.end('"}');
    });
    await expectUnavailable(/larger than 4096 bytes/, { maxBytes: 4096 });
  });

  it('more keys than maxKeys', async () => {
    server.override((_req, res) =>
      res.writeHead(200).end(JSON.stringify({ keys: Array.from({ length: 21 }, () => key.publicJwk) })),
    );
    await expectUnavailable(/more than 20 keys/);
  });

  it('not JSON, or JSON that is not a key set', async () => {
    server.override((_req, res) => res.writeHead(200).end('<html>'));
    await expectUnavailable(/not JSON/);
    server.override((_req, res) => res.writeHead(200).end('{"keys":"nope"}'));
    await expectUnavailable(/not a JSON Web Key Set/);
  });
});

it('does not refetch a failed key set on every request, and recovers after the cooldown', async () => {
  server.override((_req, res) => res.writeHead(503).end());
  const v = verifier();
  const before = server.hits;
  for (let i = 0; i < 20; i++) expect((await failureOf(v.verify(token))).reason).toBe('jwks_unavailable');
  expect(server.hits - before).toBe(1);
  server.override(undefined);
  await sleep(350);
  expect((await v.verify(token)).keyId).toBe(key.kid);
  expect(server.hits - before).toBe(2);
});
