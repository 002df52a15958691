/**
 * Who is asking, and for which tenant: the session cookie's JWT is verified, the active tenant is
 * read from the tenant cookie (else the token's `app_metadata.tenant_id`), and the user's membership
 * in it is checked ON THE RUNTIME ROLE, inside `tenantContext.run({ tenantId: claimed, userId })`,
 * where RLS shows exactly the claimed tenant's memberships. No RLS bypass, no unscoped fallback: a
 * claimed tenant the user does not belong to looks exactly like one that does not exist.
 */
import type { MembershipRole, TenantContext } from '@tenantry/db';
import { prisma, tenantContext } from './db';
import { requestDeadline, type RequestDeadline } from './deadline';
import { webConfig } from './config';
import { SESSION_COOKIE, TENANT_COOKIE, isUuid, verifySessionToken, type Session } from './session';

export interface Tenancy {
  userId: string;
  email: string | undefined;
  tenant: { id: string; name: string; slug: string };
  role: MembershipRole;
  /** The tenants the session offers for switching (each one's membership checked when switching). */
  tenantIds: string[];
}

export type TenancyResult =
  | { ok: true; tenancy: Tenancy }
  | { ok: false; status: 400 | 401 | 403; message: string; session?: Session };

/** What `cookies()` returns, reduced to what is read here (so tests and handlers can pass their own). */
export interface CookieReader {
  get(name: string): { value: string } | undefined;
}

/** The tenant context a verified tenancy runs in, bounded by `deadlineMs` when given. */
export function contextOf(tenancy: Tenancy, deadlineMs?: number): TenantContext {
  const ctx = { tenantId: tenancy.tenant.id, userId: tenancy.userId };
  return deadlineMs === undefined ? ctx : { ...ctx, deadlineMs };
}

/**
 * The user's membership in `tenantId`, read as the runtime role inside that tenant's context. Bounded
 * like any request's work (WEB_REQUEST_DEADLINE_MS unless told): it runs first on every request, so
 * without a deadline a locked `memberships` table would hang every page and route.
 */
export async function membershipIn(
  tenantId: string,
  userId: string,
  deadlineMs: number | undefined = webConfig().requestDeadlineMs,
) {
  return tenantContext.run(deadlineMs === undefined ? { tenantId, userId } : { tenantId, userId, deadlineMs }, () =>
    prisma.membership.findUnique({
      where: { tenantId_userId: { tenantId, userId } },
      select: { role: true, tenant: { select: { id: true, name: true, slug: true } } },
    }),
  );
}

/** `deadline`: the request's budget; the membership check spends from it (see deadline.ts). */
export async function resolveTenancy(
  cookies: CookieReader,
  deadline: RequestDeadline = requestDeadline(),
): Promise<TenancyResult> {
  const verified = await verifySessionToken(cookies.get(SESSION_COOKIE)?.value);
  if (!verified.ok)
    return { ok: false, status: 401, message: `Cannot identify you because ${verified.reason}. Sign in again.` };
  const { session } = verified;
  const requested = cookies.get(TENANT_COOKIE)?.value || session.tenantClaim;
  if (!requested) {
    return {
      ok: false,
      status: 400,
      session,
      message: 'Cannot pick a tenant because your session names none. Choose one of your tenants.',
    };
  }
  if (!isUuid(requested)) {
    return {
      ok: false,
      status: 400,
      session,
      message: 'Cannot pick a tenant because the tenant cookie is not a tenant id. Choose one of your tenants.',
    };
  }
  const tenantId = requested.toLowerCase();
  const membership = await membershipIn(tenantId, session.userId, deadline.remainingMs());
  if (!membership) {
    // Same answer whether the tenant exists or not: nothing is learnt about other tenants.
    return {
      ok: false,
      status: 403,
      session,
      message: 'Cannot use this tenant because you are not a member of it. Choose one of your tenants.',
    };
  }
  return {
    ok: true,
    tenancy: {
      userId: session.userId,
      email: session.email,
      tenant: membership.tenant,
      role: membership.role,
      tenantIds: session.tenantIds,
    },
  };
}

/** The tenants a session may switch to, each checked on the runtime role in its own context. */
export async function switchableTenants(tenancy: Pick<Tenancy, 'userId' | 'tenantIds' | 'tenant'>) {
  const ids = tenancy.tenantIds.includes(tenancy.tenant.id)
    ? tenancy.tenantIds
    : [tenancy.tenant.id, ...tenancy.tenantIds];
  const memberships = await Promise.all(ids.map((id) => membershipIn(id, tenancy.userId)));
  return memberships.filter((m) => m !== null).map((m) => ({ ...m.tenant, role: m.role }));
}
