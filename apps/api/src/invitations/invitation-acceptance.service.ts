/**
 * Accepting an invitation: the invited user, acting as itself, inserts its own membership.
 *
 * The caller is NOT a member of the tenant yet, and a context `{ tenantId, userId }` on the runtime
 * role reads that tenant's rows (RLS scopes by tenant; membership is the API's check, done by
 * TenantContextMiddleware, which this route skips). So the context is opened here, around the
 * membership INSERT alone, and never around anything else: no read of the invitation, the tenant or
 * the user first. The database decides: the memberships insert policy admits the row only for
 * `user_id = app.user_id` (the verified token's `sub`), with the role of a pending, unexpired
 * invitation of that tenant for that user's email, and a trigger deletes the invitation in the same
 * statement. Every other case (no invitation, expired, another email, unknown tenant, unknown user)
 * is the same 42501, raised before any foreign key is checked, so it is answered with one 404.
 *
 * The role is not read from the invitation (that would be a read in the context): each role is
 * tried in turn, least privileged first, and the policy admits only the invitation's own.
 */
import { ConflictException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import { postgresCodeOf, tenantContext, type MembershipRole } from '@tenantry/db';
import { PrismaService } from '../database/prisma.service.js';

export interface AcceptedMembership {
  tenantId: string;
  userId: string;
  role: MembershipRole;
  createdAt: Date;
}

const ROLES_LEAST_PRIVILEGED_FIRST: readonly MembershipRole[] = ['member', 'admin', 'owner'];

/** One body for every refusal: it must not tell an unknown tenant from an expired invitation. */
export const NO_PENDING_INVITATION =
  'Cannot accept because you have no pending invitation to this tenant. Ask an owner or admin of the tenant to invite the email address you sign in with.';

@Injectable()
export class InvitationAcceptanceService {
  constructor(@Inject(PrismaService) private readonly prisma: PrismaService) {}

  /** `userId` must be the verified token's subject, never a value from the request. */
  async accept(tenantId: string, userId: string): Promise<AcceptedMembership> {
    for (const role of ROLES_LEAST_PRIVILEGED_FIRST) {
      try {
        // The only statement of this request that runs in the tenant's context. `select` keeps
        // RETURNING to the new row's own columns: no relation (tenant, user) is read.
        return await tenantContext.run({ tenantId, userId }, () =>
          this.prisma.db.membership.create({
            data: { userId, role },
            select: { tenantId: true, userId: true, role: true, createdAt: true },
          }),
        );
      } catch (error) {
        const code = postgresCodeOf(error);
        if (code === '42501') continue; // refused by the policy: not this role, or no invitation at all
        // The insert passed the policy (so the caller holds a pending invitation for its own email)
        // but the user is a member already: the caller learns only about its own membership.
        if (code === '23505')
          throw new ConflictException(
            'Cannot accept because you are already a member of this tenant. Send x-tenant-id with your requests to use it.',
          );
        throw error;
      }
    }
    throw new NotFoundException(NO_PENDING_INVITATION);
  }
}
