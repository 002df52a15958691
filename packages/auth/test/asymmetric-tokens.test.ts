/**
 * Asymmetric tokens through the key set: ES256 (Supabase's default), RS256, EdDSA, and PS256 only when the key says
 * so. The algorithm is the key's: a header naming another is refused, whatever the signature.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTokenVerifier, loadJwtConfig, TokenVerificationError } from '../src/index.js';
import {
  generateSigningKey,
  type JwksServer,
  signTestToken,
  startJwksServer,
  type TestSigningKey,
} from '../src/testing/index.js';

let server: JwksServer;
let es256: TestSigningKey;
let rs256: TestSigningKey;
let rsaNoAlg: TestSigningKey;
let ps256: TestSigningKey;
let ed25519: TestSigningKey;

beforeAll(async () => {
  [es256, rs256, rsaNoAlg, ps256, ed25519] = await Promise.all([
    generateSigningKey('ES256'),
    generateSigningKey('RS256'),
    generateSigningKey('RS256', { jwkAlg: null }),
    generateSigningKey('PS256'),
    generateSigningKey('EdDSA'),
  ]);
  server = await startJwksServer([es256, rs256, rsaNoAlg, ps256, ed25519]);
});
afterAll(() => server?.close());

const verifier = () => createTokenVerifier(loadJwtConfig({ JWKS_URL: server.url }));
const user = () => randomUUID();

async function reasonOf(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TokenVerificationError);
  return (error as TokenVerificationError).reason;
}

describe('accepted', () => {
  it.each([
    ['ES256', () => es256],
    ['RS256', () => rs256],
    ['RS256 by an RSA key without alg', () => rsaNoAlg],
    ['PS256 by a key whose alg says PS256', () => ps256],
    ['EdDSA (Ed25519)', () => ed25519],
  ])('%s', async (_name, key) => {
    const sub = user();
    const verified = await verifier().verify(await signTestToken(key(), { sub }));
    expect(verified).toMatchObject({ userId: sub, keyId: key().kid });
  });

  it('a token without kid when the set has exactly one key', async () => {
    const single = await startJwksServer([es256]);
    try {
      const v = createTokenVerifier(loadJwtConfig({ JWKS_URL: single.url }));
      const sub = user();
      expect((await v.verify(await signTestToken(es256, { sub }, { kid: null }))).userId).toBe(sub);
    } finally {
      await single.close();
    }
  });

  it('through SUPABASE_URL: the key set at /auth/v1/.well-known/jwks.json and the issuer /auth/v1', async () => {
    const v = createTokenVerifier(loadJwtConfig({ SUPABASE_URL: server.origin }));
    const sub = user();
    const iss = `${server.origin}/auth/v1`;
    expect((await v.verify(await signTestToken(es256, { sub, iss }))).userId).toBe(sub);
    expect(await reasonOf(v.verify(await signTestToken(es256, { sub })))).toBe('bad_issuer');
  });
});

describe('refused: the algorithm is the key’s, not the token’s', () => {
  it('PS256 by an RSA key that does not say PS256', async () => {
    expect(await reasonOf(verifier().verify(await signTestToken(rsaNoAlg, { sub: user() }, { alg: 'PS256' })))).toBe(
      'bad_algorithm',
    );
  });

  it('RS256 by a key whose alg says PS256', async () => {
    expect(await reasonOf(verifier().verify(await signTestToken(ps256, { sub: user() }, { alg: 'RS256' })))).toBe(
      'bad_algorithm',
    );
  });

  it("an RS256 token naming the EC key's kid", async () => {
    const token = await signTestToken(rs256, { sub: user() }, { kid: es256.kid });
    expect(await reasonOf(verifier().verify(token))).toBe('bad_algorithm');
  });

  it('a token signed by a key that is not in the set, under a kid that is', async () => {
    const stranger = await generateSigningKey('ES256');
    const token = await signTestToken(stranger, { sub: user() }, { kid: es256.kid });
    expect(await reasonOf(verifier().verify(token))).toBe('bad_signature');
  });

  it('an asymmetric token when only JWT_SECRET is configured', async () => {
    const v = createTokenVerifier(loadJwtConfig({ JWT_SECRET: 'a-secret-for-hs256-only-that-is-long' }));
    expect(await reasonOf(v.verify(await signTestToken(es256, { sub: user() })))).toBe('bad_algorithm');
    expect(v.jwksFetches).toBe(0);
  });
});

describe('claims the apps read', () => {
  it('userId lower-cased, email, app_metadata tenant_id/tenant_ids/tenant_role; never user_metadata', async () => {
    const sub = randomUUID().toUpperCase();
    const tenant = randomUUID();
    const others = Array.from({ length: 60 }, () => randomUUID().toUpperCase());
    const token = await signTestToken(es256, {
      sub,
      email: 'alice@acme.test',
      app_metadata: { tenant_id: tenant, tenant_ids: ['not-a-uuid', 42, ...others], tenant_role: 'admin' },
      user_metadata: { tenant_id: randomUUID(), tenant_ids: [randomUUID()], tenant_role: 'owner' },
    });
    const verified = await verifier().verify(token);
    expect(verified.userId).toBe(sub.toLowerCase());
    expect(verified.email).toBe('alice@acme.test');
    expect(verified.tenantClaim).toBe(tenant);
    expect(verified.tenantRole).toBe('admin');
    // at most 50 entries are looked at, and only UUIDs kept
    expect(verified.tenantIds).toEqual(others.slice(0, 48).map((id) => id.toLowerCase()));
  });

  it('nothing from user_metadata when app_metadata is absent', async () => {
    const token = await signTestToken(es256, {
      sub: user(),
      user_metadata: { tenant_id: randomUUID(), tenant_ids: [randomUUID()], tenant_role: 'owner' },
    });
    expect(await verifier().verify(token)).toMatchObject({
      tenantClaim: undefined,
      tenantIds: [],
      tenantRole: undefined,
    });
  });
});
