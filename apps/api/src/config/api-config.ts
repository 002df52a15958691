/**
 * The API's own configuration, read from the environment in one place. Every variable is
 * documented in the repository's .env.example. The database URLs are read by @tenantry/db itself.
 */
export interface ApiConfig {
  /** API_PORT, default 3001. 0 picks a free port (tests). */
  port: number;
  /** API_HOST, default 127.0.0.1 (dev: the token endpoint stays off the network), 0.0.0.0 in production. */
  host: string;
  /** NODE_ENV === 'production': disables the dev-only token endpoint and requires a strong secret. */
  production: boolean;
  /**
   * API_REQUEST_DEADLINE_MS, default 5000: how long a request may take, database waits included
   * (pool, statements, locks: the engine gets it as the context's deadlineMs). Over it: 504.
   */
  requestDeadlineMs: number;
  /**
   * API_ROUTE_CONCURRENCY, default DATABASE_POOL_SIZE (10) minus 2, at least 1: how many requests of
   * one controller run at once, so one slow or locked table cannot hold every connection: the two
   * kept back serve the other routes and the membership checks. A hot route still gets most of
   * the pool when nothing is stuck.
   */
  routeConcurrency: number;
  jwt: {
    /** JWT_SECRET: the HS256 secret (on Supabase, the project's JWT secret). */
    secret: Uint8Array;
    /** JWT_AUDIENCE, default `authenticated` (what Supabase puts in `aud`). Always checked. */
    audience: string;
    /** JWT_ISSUER, optional (on Supabase `https://<project>.supabase.co/auth/v1`). */
    issuer: string | undefined;
  };
}

export class ApiConfigError extends Error {
  override name = 'ApiConfigError';
}

export const API_CONFIG = Symbol('API_CONFIG');

export function loadApiConfig(env: NodeJS.ProcessEnv = process.env): ApiConfig {
  const production = env.NODE_ENV === 'production';
  const port = env.API_PORT === undefined || env.API_PORT === '' ? 3001 : Number(env.API_PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new ApiConfigError(
      'Cannot start the API because API_PORT is not a port number. Set it to e.g. 3001, or unset it.',
    );
  }
  const secret = env.JWT_SECRET ?? '';
  if (secret === '') {
    throw new ApiConfigError(
      'Cannot start the API because JWT_SECRET is not set. Set it to the HS256 secret your tokens are signed with ' +
        "(on Supabase: the project's JWT secret); `pnpm dev` sets a local one for you.",
    );
  }
  if (production && secret.length < 32) {
    throw new ApiConfigError(
      'Cannot start the API in production because JWT_SECRET is shorter than 32 characters. Use a long random secret.',
    );
  }
  const requestDeadlineMs = positiveInteger(env, 'API_REQUEST_DEADLINE_MS', 5000, 'e.g. 5000');
  const poolSize = positiveInteger(env, 'DATABASE_POOL_SIZE', 10, 'e.g. 10');
  const routeConcurrency = positiveInteger(
    env,
    'API_ROUTE_CONCURRENCY',
    Math.max(1, poolSize - 2),
    'e.g. 5 (at most DATABASE_POOL_SIZE)',
  );
  // Empty counts as unset: a copied .env.example must not switch the audience check off.
  const audience = env.JWT_AUDIENCE || 'authenticated';
  return {
    port,
    host: env.API_HOST || (production ? '0.0.0.0' : '127.0.0.1'),
    production,
    requestDeadlineMs,
    routeConcurrency,
    jwt: { secret: new TextEncoder().encode(secret), audience, issuer: env.JWT_ISSUER || undefined },
  };
}

function positiveInteger(env: NodeJS.ProcessEnv, name: string, fallback: number, example: string): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < 1 || value > 2_147_483_647) {
    throw new ApiConfigError(
      `Cannot start the API because ${name} is not a whole number above 0. Set it to ${example}, or unset it.`,
    );
  }
  return value;
}
