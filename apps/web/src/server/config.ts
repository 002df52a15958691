/**
 * The web app's configuration, read from the environment when first needed (never at import, so
 * `next build` needs none of it). Every variable is documented in the repository's .env.example.
 * The database URLs are read by @tenantry/db itself, the token settings by @tenantry/auth's
 * loadJwtConfig (the same rule as the API's).
 */
import { JwtConfigError, type JwtConfig, loadJwtConfig } from '@tenantry/auth';

export interface WebConfig {
  production: boolean;
  /**
   * JWT_SECRET (HS256: the dev sign-in mints with it; optional when a key set is configured), JWKS_URL or
   * SUPABASE_URL (asymmetric keys), JWT_AUDIENCE (default `authenticated`, always checked; empty is unset) and
   * JWT_ISSUER: the same variables and rule as the API. See docs/authentication.md.
   */
  jwt: JwtConfig;
  /** SESSION_MAX_AGE_SECONDS, default 8 hours: lifetime of the session the dev sign-in mints. */
  sessionMaxAgeSeconds: number;
  /**
   * The dev-only sign-in (no password, seeded demo users). On in `next dev`; in a production build
   * only with WEB_DEV_SIGN_IN=1, which the e2e tests set against `next start` on a test database.
   */
  devSignIn: boolean;
  /**
   * WEB_REQUEST_DEADLINE_MS, default 5000: how long one route handler, server action or server
   * component data call may spend in the database (the tenant context's `deadlineMs`: the wait for
   * a pooled connection, statement_timeout and lock_timeout). 0: no deadline. Undefined means none.
   */
  requestDeadlineMs: number | undefined;
}

export class WebConfigError extends Error {
  override name = 'WebConfigError';
}

export function loadWebConfig(env: NodeJS.ProcessEnv = process.env): WebConfig {
  const production = env.NODE_ENV === 'production';
  let jwt: JwtConfig;
  try {
    jwt = loadJwtConfig(env);
  } catch (error) {
    // Re-raised as a WebConfigError: its message (a fixed sentence naming the variable) is kept whole in the logs.
    if (!(error instanceof JwtConfigError)) throw error;
    throw new WebConfigError(error.message, { cause: error });
  }
  const maxAge = env.SESSION_MAX_AGE_SECONDS ? Number(env.SESSION_MAX_AGE_SECONDS) : 8 * 3600;
  if (!Number.isInteger(maxAge) || maxAge < 60 || maxAge > 30 * 86_400) {
    throw new WebConfigError(
      'Cannot start a session because SESSION_MAX_AGE_SECONDS is not a whole number of seconds between 60 and 2592000. Unset it for 8 hours.',
    );
  }
  return {
    production,
    jwt,
    sessionMaxAgeSeconds: maxAge,
    devSignIn: !production || env.WEB_DEV_SIGN_IN === '1',
    requestDeadlineMs: requestDeadlineFromEnv(env),
  };
}

export const DEFAULT_REQUEST_DEADLINE_MS = 5000;
const MAX_DEADLINE_MS = 2_147_483_647; // what Postgres takes for statement_timeout, and the engine for deadlineMs

/** WEB_REQUEST_DEADLINE_MS: a whole number of ms (0 for none), default 5000. */
export function requestDeadlineFromEnv(
  env: Readonly<Record<string, string | undefined>> = process.env,
): number | undefined {
  const raw = env.WEB_REQUEST_DEADLINE_MS;
  if (raw === undefined || raw === '') return DEFAULT_REQUEST_DEADLINE_MS;
  // A regex, not Number(): Number('5e3'), Number(' 50 ') and Number('0x10') are all numbers, and
  // '5s' silently becoming NaN would mean "no deadline" further down.
  if (!/^\d+$/.test(raw) || Number(raw) > MAX_DEADLINE_MS) {
    throw new WebConfigError(
      'Cannot bound the time a request may spend in the database because WEB_REQUEST_DEADLINE_MS is not a whole number of milliseconds. ' +
        `Set it to an integer from 1 to ${MAX_DEADLINE_MS} (e.g. 5000), 0 for no deadline, or leave it unset for ${DEFAULT_REQUEST_DEADLINE_MS}.`,
    );
  }
  const value = Number(raw);
  return value === 0 ? undefined : value;
}

/**
 * A route's own deadline (`withTenant(fn, { deadlineMs })`), checked when the route module loads:
 * an invalid one would otherwise reach the engine on every request as InvalidTenantContextError.
 */
export function validRouteDeadline(value: number): number {
  if (!Number.isInteger(value) || value < 1 || value > MAX_DEADLINE_MS) {
    throw new WebConfigError(
      `Cannot define the route because its deadlineMs is not a whole number of milliseconds from 1 to ${MAX_DEADLINE_MS}. ` +
        'Pass an integer such as 2000, or leave deadlineMs out to use WEB_REQUEST_DEADLINE_MS.',
    );
  }
  return value;
}

let cached: WebConfig | undefined;
/** The process's configuration, read once. */
export function webConfig(): WebConfig {
  cached ??= loadWebConfig();
  return cached;
}
