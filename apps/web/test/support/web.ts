/**
 * Talking to the running app as a given user: session cookies minted like the dev sign-in does
 * (HS256, the server's JWT_SECRET), HTTP requests with those cookies, and tenants seeded through the
 * admin client (the only RLS bypass) with random ids, so test files never collide.
 */
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { inject } from 'vitest';
import { createAdminPrismaClient, type AdminPrismaClient } from '@tenantry/db/admin';
import { seedTenant as seedKitTenant, type SeededTenant } from '@tenantry/db/testing';

export const rig = () => inject('webRig');

export interface SessionOptions {
  /** `app_metadata.tenant_id`. */
  tenantId?: string;
  tenantIds?: string[];
  /** Seconds from now; negative for an expired session. */
  expiresIn?: number;
  secret?: string;
  audience?: string;
}

export async function sessionToken(userId: string, options: SessionOptions = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const tenantIds = options.tenantIds ?? (options.tenantId ? [options.tenantId] : []);
  return new SignJWT({
    role: 'authenticated',
    email: `${userId.slice(0, 8)}@e2e.test`,
    app_metadata: { ...(options.tenantId ? { tenant_id: options.tenantId } : {}), tenant_ids: tenantIds },
  })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(userId)
    .setAudience(options.audience ?? 'authenticated')
    .setIssuedAt(now - 60)
    .setExpirationTime(now + (options.expiresIn ?? 600))
    .sign(new TextEncoder().encode(options.secret ?? rig().jwtSecret));
}

export interface WebResponse<T = any> {
  status: number;
  body: T;
}

type Cookies = { session?: string; tenant?: string };

/** A request to the app with the given cookies (`tenantry_session`, `tenantry_tenant`). */
export async function request<T = any>(
  method: string,
  path: string,
  cookies: Cookies = {},
  body?: unknown,
): Promise<WebResponse<T>> {
  const { status, body: parsed } = await requestAt<T>(rig().baseUrl, method, path, cookies, body);
  return { status, body: parsed };
}

/** The same against another server (the availability tests start their own), with the headers. */
export async function requestAt<T = any>(
  baseUrl: string,
  method: string,
  path: string,
  cookies: Cookies = {},
  body?: unknown,
): Promise<WebResponse<T> & { headers: Headers }> {
  const cookie = [
    cookies.session && `tenantry_session=${cookies.session}`,
    cookies.tenant && `tenantry_tenant=${cookies.tenant}`,
  ]
    .filter(Boolean)
    .join('; ');
  const headers: Record<string, string> = cookie ? { cookie } : {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    redirect: 'manual',
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    /* not JSON */
  }
  return { status: response.status, body: parsed as T, headers: response.headers };
}

export function adminClient(): AdminPrismaClient {
  return createAdminPrismaClient({ connectionString: rig().adminUrl, poolSize: 2 });
}

export type { SeededTenant } from '@tenantry/db/testing';

/** A tenant with one owner (`userId`: an existing user, or a new one), two workspaces, two projects each and a task per project; names start with `label`. */
export function seedTenant(
  admin: AdminPrismaClient,
  label: string,
  userId: string = randomUUID(),
): Promise<SeededTenant> {
  return seedKitTenant(admin, label, { userId });
}

/**
 * Serves one tenant-scoped request on a freshly started server until it answers 200. The first
 * query of a process loads Prisma's query compiler and opens the pool, which took several hundred
 * ms here: under a short WEB_REQUEST_DEADLINE_MS that cold start alone runs the deadline out.
 */
export async function warmUp(baseUrl: string, session: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const res = await requestAt(baseUrl, 'GET', '/api/workspaces', { session });
    if (res.status === 200) return;
    if (attempt === 10)
      throw new Error(
        `Cannot warm up ${baseUrl}: GET /api/workspaces answered ${res.status} ten times (${JSON.stringify(res.body)}).`,
      );
  }
}
