/**
 * The API's ONLY use of the RLS bypass (`@tenantry/db/admin`, invariant I8). Keep it that way:
 * `grep -r "@tenantry/db/admin" apps/api/src` must list this file alone.
 *
 * Why it exists: `GET /me` lists every tenant the signed-in user belongs to, which is by definition
 * a read across tenants. The runtime role cannot do it (RLS shows it the memberships of one tenant
 * at a time), and that is the point. So the cross-tenant read goes through the admin role, limited
 * to the verified user's own rows, and returns only what `/me` shows.
 *
 * Not here: the per-request membership check. That runs on the runtime role inside
 * `tenantContext.run({ tenantId: claimed, userId })`, where the claimed tenant's memberships are
 * visible (see TenantContextMiddleware), so authorisation never depends on the bypass.
 */
import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { AdminPrismaClient } from '@tenantry/db/admin';
import type { MembershipRole } from '@tenantry/db';
import type { ProvidedClient } from './prisma.service.js';

export const ADMIN_PRISMA_CLIENT = Symbol('ADMIN_PRISMA_CLIENT');

export interface UserTenant {
  id: string;
  name: string;
  slug: string;
  role: MembershipRole;
}

export interface UserProfile {
  user: { id: string; email: string; name: string };
  tenants: UserTenant[];
}

@Injectable()
export class CrossTenantLookupService implements OnApplicationShutdown {
  private client: AdminPrismaClient | undefined;

  constructor(@Inject(ADMIN_PRISMA_CLIENT) private readonly provided: ProvidedClient<() => AdminPrismaClient>) {}

  /** The user and every tenant they are a member of; undefined when the user does not exist. */
  async profileOf(userId: string): Promise<UserProfile | undefined> {
    const user = await this.admin().user.findUnique({
      where: { id: userId },
      select: {
        id: true,
        email: true,
        name: true,
        memberships: {
          select: { role: true, tenant: { select: { id: true, name: true, slug: true } } },
          orderBy: { createdAt: 'asc' },
        },
      },
    });
    if (!user) return undefined;
    const { memberships, ...rest } = user;
    return { user: rest, tenants: memberships.map((m) => ({ ...m.tenant, role: m.role })) };
  }

  /** Dev-only (POST /dev/token): find a user by email to mint a demo token for them. */
  async userIdByEmail(email: string): Promise<{ id: string; tenantIds: string[] } | undefined> {
    const user = await this.admin().user.findUnique({
      where: { email },
      select: { id: true, memberships: { select: { tenantId: true }, orderBy: { createdAt: 'asc' } } },
    });
    return user ? { id: user.id, tenantIds: user.memberships.map((m) => m.tenantId) } : undefined;
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.client && this.provided.owned) await this.client.$disconnect();
  }

  // Created on first use, so an API deployed without DATABASE_ADMIN_URL still serves every route
  // but /me (which then fails with TenantryConfigError, naming the variable).
  private admin(): AdminPrismaClient {
    this.client ??= this.provided.client();
    return this.client;
  }
}
