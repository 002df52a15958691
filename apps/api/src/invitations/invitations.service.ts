/**
 * The active tenant's invitations (owner/admin only, see InvitationsController). Nothing here looks
 * at `users`: inviting an address answers the same whether someone has signed up with it or not.
 */
import { Inject, Injectable } from '@nestjs/common';
import type { MembershipRole } from '@tenantry/db';
import { PrismaService } from '../database/prisma.service.js';
import { activeTenantId, pageArgs, toPage, type PageOf } from '../resources/pagination.js';
import type { Page } from '../resources/schemas.js';
import type { InvitationCreate } from './invitation-schemas.js';

export interface InvitationView {
  tenantId: string;
  id: string;
  email: string;
  role: MembershipRole;
  createdAt: Date;
  expiresAt: Date;
}

const INVITATION_FIELDS = {
  tenantId: true,
  id: true,
  email: true,
  role: true,
  createdAt: true,
  expiresAt: true,
} as const;

@Injectable()
export class InvitationsService {
  constructor(@Inject(PrismaService) private readonly prisma: PrismaService) {}

  /** A pending invitation already held by the address is a P2002, which the filter answers with 409. */
  async create(input: InvitationCreate): Promise<InvitationView> {
    // An expired invitation still holds the (tenant_id, email) key: drop it, so that re-inviting an
    // address whose invitation lapsed works, while a pending one still conflicts.
    await this.prisma.db.invitation.deleteMany({ where: { email: input.email, expiresAt: { lte: new Date() } } });
    return this.prisma.db.invitation.create({ data: input, select: INVITATION_FIELDS });
  }

  /** Pending (unexpired) invitations, newest first. */
  async listPending(page: Page): Promise<PageOf<InvitationView>> {
    const rows = await this.prisma.db.invitation.findMany({
      ...pageArgs(page),
      where: { expiresAt: { gt: new Date() } },
      select: INVITATION_FIELDS,
    });
    return toPage(rows, page);
  }

  /** Revokes one invitation; another tenant's id or a used one is P2025, i.e. the same 404. */
  async revoke(id: string): Promise<void> {
    await this.prisma.db.invitation.delete({ where: { tenantId_id: { tenantId: activeTenantId(), id } } });
  }
}
