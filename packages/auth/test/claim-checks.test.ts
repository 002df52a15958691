/**
 * The claims jose checks for us, on both paths (HS256 and the key set): exp, nbf, aud (always: an empty
 * JWT_AUDIENCE means `authenticated`, never "unchecked"), iss when configured, sub a UUID. Failures say which, and
 * never quote the token.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLOCK_TOLERANCE_SECONDS, createTokenVerifier, loadJwtConfig } from '../src/index.js';
import {
  type Claims,
  generateSigningKey,
  type JwksServer,
  signHs256,
  signTestToken,
  startJwksServer,
  type TestSigningKey,
} from '../src/testing/index.js';
import { failureOf, reasonOf } from './support.js';

const SECRET = 'hs256-secret-for-the-claim-tests-0123456789';
let server: JwksServer;
let key: TestSigningKey;

beforeAll(async () => {
  key = await generateSigningKey('ES256');
  server = await startJwksServer([key]);
});
afterAll(() => server?.close());

const now = () => Math.floor(Date.now() / 1000);
const env = (extra: Record<string, string> = {}) => ({ JWKS_URL: server.url, JWT_SECRET: SECRET, ...extra });
const verifier = (extra?: Record<string, string>) => createTokenVerifier(loadJwtConfig(env(extra)));

/** Each case on both paths: the same rule for HS256 and for the key set. */
const paths = [
  ['ES256', (claims: Claims) => signTestToken(key, claims)],
  ['HS256', async (claims: Claims) => signHs256(SECRET, claims)],
] as const;

describe.each(paths)('%s', (_alg, sign) => {
  it('expired', async () => {
    expect(await reasonOf(verifier().verify(await sign({ sub: randomUUID(), exp: now() - 60 })))).toBe('expired');
  });

  it(`expired by less than the ${CLOCK_TOLERANCE_SECONDS} s clock tolerance: still accepted`, async () => {
    const sub = randomUUID();
    expect((await verifier().verify(await sign({ sub, exp: now() - 2 }))).userId).toBe(sub);
  });

  it('nbf in the future', async () => {
    expect(await reasonOf(verifier().verify(await sign({ sub: randomUUID(), nbf: now() + 120 })))).toBe(
      'not_yet_valid',
    );
  });

  it('wrong audience', async () => {
    expect(await reasonOf(verifier().verify(await sign({ sub: randomUUID(), aud: 'somebody-else' })))).toBe(
      'bad_audience',
    );
  });

  it.each([['anon'], ['service_role'], [undefined]])(
    'JWT_AUDIENCE= (empty) means authenticated: aud %j refused',
    async (aud) => {
      const v = verifier({ JWT_AUDIENCE: '' });
      expect(await reasonOf(v.verify(await sign({ sub: randomUUID(), aud })))).toBe('bad_audience');
      expect((await v.verify(await sign({ sub: randomUUID() }))).userId).toBeTypeOf('string');
    },
  );

  it('JWT_AUDIENCE set: only that audience', async () => {
    const v = verifier({ JWT_AUDIENCE: 'tenantry' });
    expect(await reasonOf(v.verify(await sign({ sub: randomUUID() })))).toBe('bad_audience');
    expect((await v.verify(await sign({ sub: randomUUID(), aud: 'tenantry' }))).userId).toBeTypeOf('string');
  });

  it('wrong or missing issuer when JWT_ISSUER is set; any issuer when it is empty', async () => {
    const v = verifier({ JWT_ISSUER: 'https://issuer.test/auth/v1' });
    expect(await reasonOf(v.verify(await sign({ sub: randomUUID(), iss: 'https://evil.test/auth/v1' })))).toBe(
      'bad_issuer',
    );
    expect(await reasonOf(v.verify(await sign({ sub: randomUUID() })))).toBe('bad_issuer');
    expect((await v.verify(await sign({ sub: randomUUID(), iss: 'https://issuer.test/auth/v1' }))).userId).toBeTypeOf(
      'string',
    );
    expect((await verifier({ JWT_ISSUER: '' }).verify(await sign({ sub: randomUUID(), iss: 'x' }))).userId).toBeTypeOf(
      'string',
    );
  });

  it('no exp, no sub', async () => {
    expect(await reasonOf(verifier().verify(await sign({ sub: randomUUID(), exp: undefined })))).toBe('missing_claim');
    expect(await reasonOf(verifier().verify(await sign({})))).toBe('missing_claim');
  });

  it('sub that is not a UUID', async () => {
    expect(await reasonOf(verifier().verify(await sign({ sub: 'service-account' })))).toBe('bad_subject');
  });

  it('a payload edited after signing', async () => {
    const token = await sign({ sub: randomUUID(), app_metadata: { tenant_id: randomUUID() } });
    const [header, , signature] = token.split('.');
    const edited = Buffer.from(JSON.stringify({ sub: randomUUID(), aud: 'authenticated', exp: now() + 60 })).toString(
      'base64url',
    );
    expect(await reasonOf(verifier().verify(`${header}.${edited}.${signature}`))).toBe('bad_signature');
  });
});

describe('messages', () => {
  it('name the reason and the fix, never the token', async () => {
    const token = await signTestToken(key, { sub: randomUUID(), exp: now() - 60 });
    const failure = await failureOf(verifier().verify(token));
    expect(failure.message).toBe(
      'Cannot verify the token because the token has expired. Sign in again to get a new token.',
    );
    for (const part of token.split('.')) expect(failure.message).not.toContain(part);
  });

  it.each(['', 'not-a-jwt', 'a.b', 'a.b.c.d', 'Bearer x.y.z'])('malformed %j', async (token) => {
    expect(await reasonOf(verifier().verify(token))).toBe('malformed');
  });
});
