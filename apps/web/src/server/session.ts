/**
 * The session: a signed cookie holding the same kind of JWT the API verifies (HS256 via jose, the
 * same JWT_SECRET, Supabase-shaped claims: `sub` is the user id, `aud` is `authenticated`), plus an
 * optional cookie naming the active tenant.
 *
 * - `tenantry_session` (httpOnly, SameSite=Lax): the JWT. `app_metadata.tenant_id` is the tenant the
 *   user starts in; `app_metadata.tenant_ids` lists the tenants offered in the switcher. Both are
 *   only claims: every request checks membership on the runtime role (see tenancy.ts).
 * - `tenantry_tenant`: the tenant the user switched to, the web's twin of the API's `x-tenant-id`
 *   header. Not signed, and it need not be: it is honoured only for a verified user who is a member.
 */
import { SignJWT, errors, jwtVerify, type JWTPayload } from 'jose';
import { webConfig } from './config';

export const SESSION_COOKIE = 'tenantry_session';
export const TENANT_COOKIE = 'tenantry_tenant';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_TENANT_IDS = 50;

export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}

export interface Session {
  userId: string;
  email: string | undefined;
  /** `app_metadata.tenant_id`: the tenant to start in. Not yet checked against memberships. */
  tenantClaim: string | undefined;
  /** `app_metadata.tenant_ids`: the tenants to offer in the switcher. Not yet checked. */
  tenantIds: string[];
}

export type SessionResult = { ok: true; session: Session } | { ok: false; reason: string };

export async function mintSessionToken(input: { userId: string; email: string; tenantIds: string[] }): Promise<string> {
  const config = webConfig();
  const tenantIds = input.tenantIds.slice(0, MAX_TENANT_IDS);
  const jwt = new SignJWT({
    email: input.email,
    role: 'authenticated',
    app_metadata: { ...(tenantIds[0] ? { tenant_id: tenantIds[0] } : {}), tenant_ids: tenantIds },
  })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(input.userId)
    .setIssuedAt()
    .setExpirationTime(`${config.sessionMaxAgeSeconds}s`);
  if (config.jwt.audience) jwt.setAudience(config.jwt.audience);
  if (config.jwt.issuer) jwt.setIssuer(config.jwt.issuer);
  return jwt.sign(config.jwt.secret);
}

/** Verifies the cookie's JWT exactly as the API verifies a bearer token. */
export async function verifySessionToken(token: string | undefined): Promise<SessionResult> {
  if (!token) return { ok: false, reason: 'you are not signed in' };
  const config = webConfig();
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, config.jwt.secret, {
      algorithms: ['HS256'], // pinned: never `none` or an algorithm the token picks
      ...(config.jwt.audience ? { audience: config.jwt.audience } : {}),
      ...(config.jwt.issuer ? { issuer: config.jwt.issuer } : {}),
      requiredClaims: ['sub', 'exp'],
    }));
  } catch (error) {
    return {
      ok: false,
      reason: error instanceof errors.JWTExpired ? 'your session has expired' : 'your session is not valid',
    };
  }
  if (!isUuid(payload.sub)) return { ok: false, reason: 'your session does not name a user' };
  // Never user_metadata: on Supabase users can edit their own user_metadata.
  const appMetadata = (payload.app_metadata ?? {}) as { tenant_id?: unknown; tenant_ids?: unknown };
  const tenantIds = Array.isArray(appMetadata.tenant_ids)
    ? appMetadata.tenant_ids.filter(isUuid).slice(0, MAX_TENANT_IDS)
    : [];
  return {
    ok: true,
    session: {
      userId: payload.sub.toLowerCase(),
      email: typeof payload.email === 'string' ? payload.email : undefined,
      tenantClaim: isUuid(appMetadata.tenant_id) ? appMetadata.tenant_id.toLowerCase() : undefined,
      tenantIds: tenantIds.map((id) => id.toLowerCase()),
    },
  };
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
