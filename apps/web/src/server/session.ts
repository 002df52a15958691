/**
 * The session: a cookie holding the same kind of JWT the API verifies, checked by the same verifier and config rule
 * (@tenantry/auth: HS256 with JWT_SECRET, ES256/RS256 through the JWKS of JWKS_URL or SUPABASE_URL; Supabase-shaped
 * claims: `sub` is the user id, `aud` is `authenticated`), plus an optional cookie naming the active tenant.
 *
 * - `tenantry_session` (httpOnly, SameSite=Lax): the JWT. `app_metadata.tenant_id` is the tenant the
 *   user starts in; `app_metadata.tenant_ids` lists the tenants offered in the switcher. Both are
 *   only claims: every request checks membership on the runtime role (see tenancy.ts).
 * - `tenantry_tenant`: the tenant the user switched to, the web's twin of the API's `x-tenant-id`
 *   header. Not signed, and it need not be: it is honoured only for a verified user who is a member.
 *
 * The dev sign-in mints HS256 sessions with JWT_SECRET; with only a key set configured it cannot, and says so.
 */
import {
  createTokenVerifier,
  isUuid,
  MAX_TENANT_IDS,
  type TokenVerifier,
  TokenVerificationError,
  type TokenFailureReason,
} from '@tenantry/auth';
import { SignJWT } from 'jose';
import { WebConfigError, webConfig } from './config';

export const SESSION_COOKIE = 'tenantry_session';
export const TENANT_COOKIE = 'tenantry_tenant';

export { isUuid };

export interface Session {
  userId: string;
  email: string | undefined;
  /** `app_metadata.tenant_id`: the tenant to start in. Not yet checked against memberships. */
  tenantClaim: string | undefined;
  /** `app_metadata.tenant_ids`: the tenants to offer in the switcher. Not yet checked. */
  tenantIds: string[];
}

export type SessionResult = { ok: true; session: Session } | { ok: false; reason: string };

/** Why the dev sign-in cannot mint a session, or undefined when it can. Shown on the sign-in page. */
export function devSignInProblem(): string | undefined {
  if (webConfig().jwt.hs256Secret) return undefined;
  return (
    'Cannot sign in as a demo user because JWT_SECRET is not set: the dev sign-in mints HS256 session tokens, and ' +
    'this app only verifies tokens through the key set (JWKS_URL or SUPABASE_URL). Set JWT_SECRET as well ' +
    "(`pnpm dev` sets a local one when it is unset), or sign in through your identity provider's session cookie."
  );
}

export async function mintSessionToken(input: { userId: string; email: string; tenantIds: string[] }): Promise<string> {
  const config = webConfig();
  const secret = config.jwt.hs256Secret;
  if (!secret) throw new WebConfigError(devSignInProblem()!);
  const tenantIds = input.tenantIds.slice(0, MAX_TENANT_IDS);
  const jwt = new SignJWT({
    email: input.email,
    role: 'authenticated',
    app_metadata: { ...(tenantIds[0] ? { tenant_id: tenantIds[0] } : {}), tenant_ids: tenantIds },
  })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(input.userId)
    .setIssuedAt()
    .setExpirationTime(`${config.sessionMaxAgeSeconds}s`)
    .setAudience(config.jwt.audience);
  if (config.jwt.issuer) jwt.setIssuer(config.jwt.issuer);
  return jwt.sign(secret);
}

/** The clause after "because" for each failure, in the session's words. */
function reasonFor(reason: TokenFailureReason): string {
  switch (reason) {
    case 'expired':
      return 'your session has expired';
    case 'bad_subject':
      return 'your session does not name a user';
    case 'jwks_unavailable':
      return "the sign-in provider's signing keys (JWKS) cannot be fetched right now";
    default:
      return 'your session is not valid';
  }
}

// One per server process: it holds the key set's cache. Created on first use, like webConfig().
let verifier: TokenVerifier | undefined;

/** Verifies the cookie's JWT exactly as the API verifies a bearer token. */
export async function verifySessionToken(token: string | undefined): Promise<SessionResult> {
  if (!token) return { ok: false, reason: 'you are not signed in' };
  verifier ??= createTokenVerifier(webConfig().jwt);
  try {
    const verified = await verifier.verify(token);
    // Never user_metadata (@tenantry/auth reads app_metadata only): on Supabase users can edit their own.
    const tenantClaim = verified.tenantClaim;
    return {
      ok: true,
      session: {
        userId: verified.userId,
        email: verified.email,
        tenantClaim: isUuid(tenantClaim) ? tenantClaim.toLowerCase() : undefined,
        tenantIds: verified.tenantIds,
      },
    };
  } catch (error) {
    if (!(error instanceof TokenVerificationError)) throw error;
    return { ok: false, reason: reasonFor(error.reason) };
  }
}

export function sessionCookieOptions(maxAgeSeconds: number) {
  return {
    httpOnly: true,
    sameSite: 'lax' as const,
    secure: webConfig().production,
    path: '/',
    maxAge: maxAgeSeconds,
  };
}
