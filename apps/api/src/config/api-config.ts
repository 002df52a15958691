/**
 * The API's own configuration, read from the environment in one place. Every variable is
 * documented in the repository's .env.example. The database URLs are read by @tenantry/db itself,
 * the token settings by @tenantry/auth's loadJwtConfig (the same rule as the web app's).
 */
import { JwtConfigError, type JwtConfig, loadJwtConfig } from '@tenantry/auth';

export interface ApiConfig {
  /** API_PORT, default 3001. 0 picks a free port (tests). */
  port: number;
  /** API_HOST, default 127.0.0.1 (dev: the token endpoint stays off the network), 0.0.0.0 in production. */
  host: string;
  /** NODE_ENV === 'production': disables the dev-only token endpoint and requires a strong JWT_SECRET if one is set. */
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
  /**
   * JWT_SECRET (HS256; optional when a key set is configured), JWKS_URL or SUPABASE_URL (asymmetric keys),
   * JWT_AUDIENCE (default `authenticated`, always checked; empty is unset) and JWT_ISSUER. See docs/authentication.md.
   */
  jwt: JwtConfig;
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
  let jwt: JwtConfig;
  try {
    jwt = loadJwtConfig(env);
  } catch (error) {
    if (!(error instanceof JwtConfigError)) throw error;
    throw new ApiConfigError(error.message, { cause: error });
  }
  const requestDeadlineMs = positiveInteger(env, 'API_REQUEST_DEADLINE_MS', 5000, 'e.g. 5000');
  const poolSize = positiveInteger(env, 'DATABASE_POOL_SIZE', 10, 'e.g. 10');
  const routeConcurrency = positiveInteger(
    env,
    'API_ROUTE_CONCURRENCY',
    Math.max(1, poolSize - 2),
    'e.g. 5 (at most DATABASE_POOL_SIZE)',
  );
  return {
    port,
    host: env.API_HOST || (production ? '0.0.0.0' : '127.0.0.1'),
    production,
    requestDeadlineMs,
    routeConcurrency,
    jwt,
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
