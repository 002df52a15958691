/**
 * The web app's ONLY use of the RLS bypass (`@tenantry/db/admin`, invariant I8), and only for the
 * dev sign-in: finding a user by email and the tenants they belong to is a read across tenants, which
 * the runtime role cannot do (and must not). `grep -r "@tenantry/db/admin" apps/web/src` must list
 * this file alone. Authorisation never depends on it: every request re-checks membership on the
 * runtime role (tenancy.ts).
 */
import { createAdminPrismaClient, type AdminPrismaClient } from '@tenantry/db/admin';

// One per process, also across `next dev` reloads (see @tenantry/db's `prisma` singleton).
const globalKey = Symbol.for('tenantry.web.admin');
type GlobalWithAdmin = typeof globalThis & { [globalKey]?: AdminPrismaClient };

function admin(): AdminPrismaClient {
  const g = globalThis as GlobalWithAdmin;
  g[globalKey] ??= createAdminPrismaClient({ poolSize: 2 });
  return g[globalKey];
}

export async function userForDevSignIn(
  email: string,
): Promise<{ id: string; email: string; tenantIds: string[] } | undefined> {
  const user = await admin().user.findUnique({
    where: { email },
    select: { id: true, email: true, memberships: { select: { tenantId: true }, orderBy: { createdAt: 'asc' } } },
  });
  return user ? { id: user.id, email: user.email, tenantIds: user.memberships.map((m) => m.tenantId) } : undefined;
}
