/**
 * Algorithm confusion: a token must not choose how it is verified. HS256 signed with the public key's bytes (its PEM,
 * or its JWK as JSON, as the HMAC secret) fails with or without JWT_SECRET; `none` and algorithms never accepted
 * fail before any key is looked at; key material the set should not hold is never used.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTokenVerifier, loadJwtConfig } from '../src/index.js';
import {
  generateSigningKey,
  type JwksServer,
  signHs256,
  signTestToken,
  startJwksServer,
  type TestSigningKey,
  unsignedToken,
} from '../src/testing/index.js';
import { reasonOf } from './support.js';

const SECRET = 'hs256-secret-for-the-confusion-tests-0123456789';
let server: JwksServer;
let ec: TestSigningKey;
let rsa: TestSigningKey;

beforeAll(async () => {
  [ec, rsa] = await Promise.all([generateSigningKey('ES256'), generateSigningKey('RS256')]);
  server = await startJwksServer([ec, rsa]);
});
afterAll(() => server?.close());

const jwksOnly = () => createTokenVerifier(loadJwtConfig({ JWKS_URL: server.url }));
const both = () => createTokenVerifier(loadJwtConfig({ JWKS_URL: server.url, JWT_SECRET: SECRET }));

describe('HS256 signed with a public key', () => {
  const secrets = (key: () => TestSigningKey): Array<[string, () => string]> => [
    ['its PEM', () => key().publicPem],
    ['its JWK as JSON', () => JSON.stringify(key().publicJwk)],
  ];
  for (const [name, key] of [
    ['EC', () => ec],
    ['RSA', () => rsa],
  ] as const) {
    for (const [what, secret] of secrets(key)) {
      it(`${name} key, ${what}: refused without JWT_SECRET (bad_algorithm), and with it (bad_signature)`, async () => {
        const token = signHs256(secret(), { sub: randomUUID() }, { kid: key().kid });
        expect(await reasonOf(jwksOnly().verify(token))).toBe('bad_algorithm');
        expect(await reasonOf(both().verify(token))).toBe('bad_signature');
      });
    }
  }

  it('the same HS256 token signed with JWT_SECRET is accepted (the refusals above are about the key)', async () => {
    const sub = randomUUID();
    expect((await both().verify(signHs256(SECRET, { sub }, { kid: ec.kid }))).userId).toBe(sub);
  });

  it('a public key cannot be configured as JWT_SECRET', () => {
    expect(() => loadJwtConfig({ JWT_SECRET: ec.publicPem })).toThrow(/holds a PEM or JWK key/);
    expect(() => loadJwtConfig({ JWT_SECRET: JSON.stringify(rsa.publicJwk) })).toThrow(/holds a PEM or JWK key/);
  });
});

describe('algorithms never accepted', () => {
  it('alg none, with or without a key set or secret', async () => {
    const token = unsignedToken({ sub: randomUUID() });
    expect(await reasonOf(jwksOnly().verify(token))).toBe('bad_algorithm');
    expect(await reasonOf(both().verify(token))).toBe('bad_algorithm');
  });

  it.each(['HS384', 'HS512', 'ES384', 'RS512', 'NONE', ''])('alg %j', async (alg) => {
    const token = signHs256(SECRET, { sub: randomUUID() }, { alg });
    expect(await reasonOf(both().verify(token))).toBe('bad_algorithm');
  });

  it('the verifier never fetched the key set for any of them', async () => {
    const v = both();
    await reasonOf(v.verify(unsignedToken({ sub: randomUUID() })));
    await reasonOf(v.verify(signHs256(rsa.publicPem, { sub: randomUUID() })));
    expect(v.jwksFetches).toBe(0);
  });
});

describe('keys the set should not hold are left out', () => {
  it('an oct (symmetric) key and a private key published by mistake', async () => {
    const privateEc = await generateSigningKey('ES256');
    const leaked = { ...privateEc.publicJwk, d: 'AAAA' };
    const oct = { kty: 'oct', kid: 'oct-key', k: Buffer.from(SECRET).toString('base64url'), alg: 'HS256' };
    const odd = await startJwksServer([leaked, oct, ec]);
    try {
      const v = createTokenVerifier(loadJwtConfig({ JWKS_URL: odd.url }));
      expect(await reasonOf(v.verify(await signTestToken(privateEc, { sub: randomUUID() })))).toBe('unknown_key');
      expect(await reasonOf(v.verify(signHs256(SECRET, { sub: randomUUID() }, { kid: 'oct-key' })))).toBe(
        'bad_algorithm',
      );
      expect((await v.verify(await signTestToken(ec, { sub: randomUUID() }))).keyId).toBe(ec.kid);
    } finally {
      await odd.close();
    }
  });

  it('an EC key whose alg says RS256, and an RSA key whose use is enc', async () => {
    const lying = await generateSigningKey('ES256', { jwkAlg: 'RS256' });
    const enc = await generateSigningKey('RS256');
    const odd = await startJwksServer([lying, { ...enc.publicJwk, use: 'enc' }]);
    try {
      const v = createTokenVerifier(loadJwtConfig({ JWKS_URL: odd.url }));
      expect(await reasonOf(v.verify(await signTestToken(lying, { sub: randomUUID() })))).toBe('unknown_key');
      expect(await reasonOf(v.verify(await signTestToken(enc, { sub: randomUUID() })))).toBe('unknown_key');
    } finally {
      await odd.close();
    }
  });
});
