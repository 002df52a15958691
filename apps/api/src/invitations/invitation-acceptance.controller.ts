/**
 * POST /invitations/accept { tenantId }: an authenticated user joins a tenant it was invited to.
 * Behind AuthenticatedUserMiddleware (token only: the caller is not a member yet, so there is no
 * membership check and no tenant context around the request). 201 with the new membership, or 404
 * with one body for every refusal. Afterwards the user's requests with x-tenant-id pass the usual
 * membership check.
 */
import { Body, Controller, Inject, Post, Req } from '@nestjs/common';
import type { TenantryRequest } from '../tenancy/tenant-request.js';
import { Tenancy, type RequestTenancy } from '../tenancy/tenant-request.js';
import { invitationAccept, type InvitationAccept } from './invitation-schemas.js';
import { InvitationAcceptanceService } from './invitation-acceptance.service.js';

@Controller('invitations/accept')
export class InvitationAcceptanceController {
  constructor(@Inject(InvitationAcceptanceService) private readonly acceptance: InvitationAcceptanceService) {}

  @Post()
  async accept(
    @Tenancy() tenancy: RequestTenancy,
    @Req() req: TenantryRequest,
    @Body({ schema: invitationAccept }) body: InvitationAccept,
  ) {
    const membership = await this.acceptance.accept(body.tenantId.toLowerCase(), tenancy.userId);
    // Logged as the request's tenant only once the user is a member of it (a refusal logs none).
    req.tenancy!.tenantId = membership.tenantId;
    req.tenancy!.role = membership.role;
    return membership;
  }
}
