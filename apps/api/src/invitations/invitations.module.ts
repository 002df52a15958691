import { Module } from '@nestjs/common';
import { InvitationAcceptanceController } from './invitation-acceptance.controller.js';
import { InvitationAcceptanceService } from './invitation-acceptance.service.js';
import { InvitationsController } from './invitations.controller.js';
import { InvitationsService } from './invitations.service.js';

/**
 * Joining a tenant by invitation. Two controllers because they sit behind different middleware
 * (AppModule.configure): InvitationsController behind TenantContextMiddleware (members; owner/admin
 * by its guard), InvitationAcceptanceController behind AuthenticatedUserMiddleware (not a member yet).
 */
@Module({
  controllers: [InvitationsController, InvitationAcceptanceController],
  providers: [InvitationsService, InvitationAcceptanceService],
})
export class InvitationsModule {}
