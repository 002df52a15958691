/**
 * The web app's configuration, read from the environment when first needed (never at import, so
 * `next build` needs none of it). Every variable is documented in the repository's .env.example.
 * The database URLs are read by @tenantry/db itself.
 */
export interface WebConfig {
  production: boolean;
  jwt: {
    /** JWT_SECRET: the HS256 secret, the same one the API verifies (on Supabase, the project's JWT secret). */
    secret: Uint8Array;
    /** JWT_AUDIENCE, default `authenticated` (what Supabase puts in `aud`). Empty: not checked. */
    audience: string | undefined;
    /** JWT_ISSUER, optional. */
    issuer: string | undefined;
  };
  /** SESSION_MAX_AGE_SECONDS, default 8 hours: lifetime of the session the dev sign-in mints. */
  sessionMaxAgeSeconds: number;
  /**
   * The dev-only sign-in (no password, seeded demo users). On in `next dev`; in a production build
   * only with WEB_DEV_SIGN_IN=1, which the e2e tests set against `next start` on a test database.
   */
  devSignIn: boolean;
}

export class WebConfigError extends Error {
  override name = 'WebConfigError';
}

export function loadWebConfig(env: NodeJS.ProcessEnv = process.env): WebConfig {
  const production = env.NODE_ENV === 'production';
  const secret = env.JWT_SECRET ?? '';
  if (secret === '') {
    throw new WebConfigError(
      'Cannot read the session because JWT_SECRET is not set. Set it to the HS256 secret your tokens are signed with ' +
        '(the same one as the API); `pnpm dev` sets a local one for you.',
    );
  }
  if (production && secret.length < 32 && env.WEB_DEV_SIGN_IN !== '1') {
    throw new WebConfigError('Cannot read the session in production because JWT_SECRET is shorter than 32 characters. Use a long random secret.');
  }
  const maxAge = env.SESSION_MAX_AGE_SECONDS ? Number(env.SESSION_MAX_AGE_SECONDS) : 8 * 3600;
  if (!Number.isInteger(maxAge) || maxAge < 60 || maxAge > 30 * 86_400) {
    throw new WebConfigError('Cannot start a session because SESSION_MAX_AGE_SECONDS is not a whole number of seconds between 60 and 2592000. Unset it for 8 hours.');
  }
  return {
    production,
    jwt: {
      secret: new TextEncoder().encode(secret),
      audience: env.JWT_AUDIENCE === undefined ? 'authenticated' : env.JWT_AUDIENCE || undefined,
      issuer: env.JWT_ISSUER || undefined,
    },
    sessionMaxAgeSeconds: maxAge,
    devSignIn: !production || env.WEB_DEV_SIGN_IN === '1',
  };
}

let cached: WebConfig | undefined;
/** The process's configuration, read once. */
export function webConfig(): WebConfig {
  cached ??= loadWebConfig();
  return cached;
}
