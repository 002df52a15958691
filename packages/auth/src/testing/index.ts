/**
 * Test helpers for anything that verifies tokens with @tenantry/auth: a real JWKS HTTP server on loopback that counts
 * its hits, signing keys generated at run time (no key is ever committed), and tokens signed with them, with HS256,
 * or not at all. Used by this package's tests and by both apps' e2e tests; nothing here is imported by src/.
 */
import { createHmac, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  exportJWK,
  exportPKCS8,
  exportSPKI,
  generateKeyPair,
  importPKCS8,
  type JWK,
  type JWTPayload,
  SignJWT,
} from 'jose';
import type { AsymmetricAlgorithm } from '../jwk-algorithms.js';

export interface TestSigningKey {
  kid: string;
  alg: AsymmetricAlgorithm;
  /** The private key (PKCS#8 PEM), imported per signature so one RSA key can sign RS256 and PS256 alike. */
  privatePkcs8: string;
  /** What the JWKS serves: public parts only, with kid, alg and use. */
  publicJwk: JWK;
  /** The same public key as SPKI PEM (what an algorithm-confusion attacker would use as an HMAC secret). */
  publicPem: string;
}

/** A fresh key pair. `jwkAlg: null` publishes the JWK without `alg` (Supabase's RSA keys may omit it). */
export async function generateSigningKey(
  alg: AsymmetricAlgorithm,
  options: { kid?: string; jwkAlg?: string | null } = {},
): Promise<TestSigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg === 'EdDSA' ? 'Ed25519' : alg, { extractable: true });
  const kid = options.kid ?? `test-${alg.toLowerCase()}-${randomUUID().slice(0, 8)}`;
  const jwk = await exportJWK(publicKey);
  const jwkAlg = options.jwkAlg === undefined ? alg : options.jwkAlg;
  const publicJwk: JWK = { ...jwk, kid, use: 'sig', ...(jwkAlg === null ? {} : { alg: jwkAlg }) };
  return {
    kid,
    alg,
    privatePkcs8: await exportPKCS8(privateKey),
    publicJwk,
    publicPem: await exportSPKI(publicKey),
  };
}

export type Claims = JWTPayload & Record<string, unknown>;

/** Supabase-shaped defaults (aud authenticated, issued a minute ago, valid 5 minutes); `undefined` drops a claim. */
function withDefaults(claims: Claims): Claims {
  const now = Math.floor(Date.now() / 1000);
  return { aud: 'authenticated', role: 'authenticated', iat: now - 60, exp: now + 300, ...claims };
}

/** A token signed with `key`; `header` overrides the protected header (a wrong alg, another kid, no kid). */
export async function signTestToken(
  key: TestSigningKey,
  claims: Claims,
  header: { alg?: string; kid?: string | null } = {},
): Promise<string> {
  const kid = header.kid === null ? undefined : (header.kid ?? key.kid);
  const alg = header.alg ?? (key.alg === 'EdDSA' ? 'Ed25519' : key.alg);
  return new SignJWT(withDefaults(claims))
    .setProtectedHeader({ alg, typ: 'JWT', ...(kid ? { kid } : {}) })
    .sign(await importPKCS8(key.privatePkcs8, alg));
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** HS256 by hand (node:crypto), so any bytes can be the secret: a public key's PEM or JWK JSON included. */
export function signHs256(secret: string | Uint8Array, claims: Claims, header: Record<string, unknown> = {}): string {
  const input = `${b64({ alg: 'HS256', typ: 'JWT', ...header })}.${b64(withDefaults(claims))}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

/** `alg: none`: no signature at all. */
export function unsignedToken(claims: Claims): string {
  return `${b64({ alg: 'none', typ: 'JWT' })}.${b64(withDefaults(claims))}.`;
}

export interface JwksServer {
  /** The key set's URL: http://127.0.0.1:<port>/.well-known/jwks.json */
  url: string;
  /** The origin, for SUPABASE_URL-style configs (the set is also served at /auth/v1/.well-known/jwks.json). */
  origin: string;
  /** Requests answered so far. */
  readonly hits: number;
  /** Serves these keys from now on (public parts only). */
  publish(keys: Array<TestSigningKey | JWK>): void;
  /** Answers every request with this handler instead (an outage, a slow or oversized answer); undefined restores. */
  override(handler: http.RequestListener | undefined): void;
  close(): Promise<void>;
}

export async function startJwksServer(keys: Array<TestSigningKey | JWK> = []): Promise<JwksServer> {
  let published: JWK[] = [];
  let handler: http.RequestListener | undefined;
  let hits = 0;
  const publish = (next: Array<TestSigningKey | JWK>) => {
    published = next.map((k) => ('publicJwk' in k ? k.publicJwk : k));
  };
  publish(keys);
  const server = http.createServer((req, res) => {
    hits++;
    if (handler) return handler(req, res);
    if (req.url !== '/.well-known/jwks.json' && req.url !== '/auth/v1/.well-known/jwks.json') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: published }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: `${origin}/.well-known/jwks.json`,
    origin,
    get hits() {
      return hits;
    },
    publish,
    override(next) {
      handler = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
