/**
 * The one rule both apps read their token settings by. Before it, the API treated `JWT_AUDIENCE=` (empty, as a copied
 * .env.example has it) as unset and checked `authenticated`, while the web app switched the audience check off: the
 * same token was refused by one app and accepted by the other. Here an empty variable is an unset one, everywhere.
 *
 * - JWT_SECRET: HS256 tokens (the dev token endpoint, the web's dev sign-in, Supabase's legacy secret). Optional
 *   when a JWKS is configured; at least 32 characters when NODE_ENV=production.
 * - JWKS_URL: asymmetric tokens (ES256, RS256), keys fetched from this JSON Web Key Set.
 * - SUPABASE_URL: shorthand for a Supabase project: JWKS `${SUPABASE_URL}/auth/v1/.well-known/jwks.json`, issuer
 *   `${SUPABASE_URL}/auth/v1` (JWKS_URL and JWT_ISSUER override either).
 * - JWT_AUDIENCE: the required `aud`, default `authenticated` (Supabase's user tokens). Always checked.
 * - JWT_ISSUER: the required `iss`; unset: not checked (unless SUPABASE_URL gives one).
 */
import { JwtConfigError } from './errors.js';

export interface JwtConfig {
  /** JWT_SECRET's bytes: HS256 tokens are accepted only when set. */
  hs256Secret: Uint8Array | undefined;
  /** JWKS_URL, or SUPABASE_URL's key set: asymmetric tokens are accepted only when set. */
  jwksUrl: URL | undefined;
  /** Required `aud`. Never empty. */
  audience: string;
  /** Required `iss`, if any. */
  issuer: string | undefined;
}

export type JwtEnv = Readonly<Record<string, string | undefined>>;

export const DEFAULT_AUDIENCE = 'authenticated';
const MIN_PRODUCTION_SECRET_LENGTH = 32;

export function loadJwtConfig(env: JwtEnv): JwtConfig {
  const production = env.NODE_ENV === 'production';
  const secret = value(env, 'JWT_SECRET');
  const supabase = value(env, 'SUPABASE_URL');
  const supabaseUrl = supabase === undefined ? undefined : parseSupabaseUrl(supabase);
  const explicitJwks = value(env, 'JWKS_URL');
  const jwksUrl =
    explicitJwks !== undefined
      ? parseJwksUrl('JWKS_URL', explicitJwks)
      : supabaseUrl === undefined
        ? undefined
        : parseJwksUrl('SUPABASE_URL', `${supabaseUrl}/auth/v1/.well-known/jwks.json`);

  if (secret === undefined && jwksUrl === undefined) {
    throw new JwtConfigError(
      'JWT_SECRET',
      'Cannot verify tokens because none of JWT_SECRET, JWKS_URL or SUPABASE_URL is set. Set SUPABASE_URL to your ' +
        "Supabase project's URL (asymmetric keys through its JWKS), JWKS_URL to another issuer's key set, or " +
        'JWT_SECRET to the HS256 secret your tokens are signed with; `pnpm dev` sets a local JWT_SECRET for you.',
    );
  }
  if (secret !== undefined) checkSecret(secret, production);

  return {
    hs256Secret: secret === undefined ? undefined : new TextEncoder().encode(secret),
    jwksUrl,
    audience: claimValue(env, 'JWT_AUDIENCE') ?? DEFAULT_AUDIENCE,
    issuer: claimValue(env, 'JWT_ISSUER') ?? (supabaseUrl ? `${supabaseUrl}/auth/v1` : undefined),
  };
}

/** Empty counts as unset: a copied .env.example must not switch a check off or on. */
function value(env: JwtEnv, name: string): string | undefined {
  const raw = env[name];
  return raw === undefined || raw === '' ? undefined : raw;
}

function checkSecret(secret: string, production: boolean): void {
  // A public key pasted as the HMAC secret is the classic algorithm confusion: anyone holding the public key (it
  // is published in the JWKS) could then sign HS256 tokens that verify. Refuse anything shaped like a key.
  const trimmed = secret.trim();
  if (trimmed.startsWith('-----BEGIN') || (trimmed.startsWith('{') && /"kty"\s*:/.test(trimmed))) {
    throw new JwtConfigError(
      'JWT_SECRET',
      'Cannot use JWT_SECRET because it holds a PEM or JWK key, not an HMAC secret: anyone with the public key could ' +
        'sign HS256 tokens with it. Put the key set in JWKS_URL (or SUPABASE_URL) and leave JWT_SECRET for the HS256 ' +
        'secret, or unset it.',
    );
  }
  if (production && secret.length < MIN_PRODUCTION_SECRET_LENGTH) {
    throw new JwtConfigError(
      'JWT_SECRET',
      `Cannot use JWT_SECRET in production because it is shorter than ${MIN_PRODUCTION_SECRET_LENGTH} characters. ` +
        'Use a long random secret (e.g. `openssl rand -base64 48`), or unset it and verify through JWKS_URL or ' +
        'SUPABASE_URL only.',
    );
  }
}

/** JWT_AUDIENCE, JWT_ISSUER: compared byte for byte with the claim, so stray whitespace would never match. */
function claimValue(env: JwtEnv, name: string): string | undefined {
  const raw = value(env, name);
  if (raw === undefined) return undefined;
  if (raw.trim() !== raw || [...raw].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)) {
    throw new JwtConfigError(
      name,
      `Cannot check the token's ${name === 'JWT_AUDIENCE' ? 'audience' : 'issuer'} because ${name} has leading or ` +
        `trailing whitespace or control characters, which no token's claim would match. Remove them, or unset ${name}.`,
    );
  }
  return raw;
}

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/;

/** An http(s) URL without credentials or fragment; plain http on loopback only (local Supabase, tests). */
function parseHttpUrl(variable: string, raw: string, what: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch (cause) {
    throw new JwtConfigError(
      variable,
      `Cannot fetch the signing keys because ${variable} is not a URL. Set it to ${what}.`,
      { cause },
    );
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK.test(url.hostname))) {
    throw new JwtConfigError(
      variable,
      `Cannot fetch the signing keys because ${variable} is not an https URL: keys fetched over plain http can be ` +
        `replaced on the way, and with them any token. Use https (plain http only on 127.0.0.1, ::1 or localhost).`,
    );
  }
  if (url.username || url.password || url.hash) {
    throw new JwtConfigError(
      variable,
      `Cannot fetch the signing keys because ${variable} contains credentials or a #fragment. Set it to ${what}.`,
    );
  }
  return url;
}

function parseSupabaseUrl(raw: string): string {
  const url = parseHttpUrl('SUPABASE_URL', raw, 'the project URL, e.g. https://<project-ref>.supabase.co');
  if (url.search || /\/auth\/v1\/?$|\.well-known/.test(url.pathname)) {
    throw new JwtConfigError(
      'SUPABASE_URL',
      'Cannot derive the key set from SUPABASE_URL because it is not the bare project URL (it has a query or an ' +
        '/auth/v1 path). Set it to e.g. https://<project-ref>.supabase.co, or put the key set itself in JWKS_URL.',
    );
  }
  return url.href.replace(/\/+$/, '');
}

function parseJwksUrl(variable: string, raw: string): URL {
  return parseHttpUrl(variable, raw, 'the JSON Web Key Set URL, e.g. https://<issuer>/.well-known/jwks.json');
}
