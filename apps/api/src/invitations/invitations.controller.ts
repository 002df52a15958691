/**
 * POST/GET /invitations, DELETE /invitations/:id: behind TenantContextMiddleware (the caller is a
 * verified member of the active tenant) and RequireTenantRole (owner or admin; 403 otherwise).
 * Accepting is another controller on another middleware: see InvitationAcceptanceController.
 */
import {
  Body,
  Controller,
  Delete,
  ForbiddenException,
  Get,
  HttpCode,
  Inject,
  Param,
  Post,
  Query,
} from '@nestjs/common';
import { idParam, type Page } from '../resources/schemas.js';
import { RequireTenantRole } from '../tenancy/tenant-role.guard.js';
import { Tenancy, type RequestTenancy } from '../tenancy/tenant-request.js';
import { invitationCreate, invitationList, type InvitationCreate } from './invitation-schemas.js';
import { InvitationsService } from './invitations.service.js';

@Controller('invitations')
@RequireTenantRole('owner', 'admin')
export class InvitationsController {
  constructor(@Inject(InvitationsService) private readonly invitations: InvitationsService) {}

  @Post()
  create(@Tenancy() tenancy: RequestTenancy, @Body({ schema: invitationCreate }) body: InvitationCreate) {
    // An admin may not mint an owner: the invitation's role becomes the accepting user's.
    if (body.role === 'owner' && tenancy.role !== 'owner') {
      throw new ForbiddenException(
        'Cannot invite with the role owner because only an owner of the tenant may. Invite as admin or member.',
      );
    }
    return this.invitations.create(body);
  }

  @Get()
  list(@Query({ schema: invitationList }) page: Page) {
    return this.invitations.listPending(page);
  }

  @Delete(':id')
  @HttpCode(204)
  revoke(@Param({ schema: idParam }) { id }: { id: string }) {
    return this.invitations.revoke(id);
  }
}
