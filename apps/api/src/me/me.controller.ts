/**
 * GET /me: who the token says you are, every tenant you belong to, and the active one.
 * Works without an active tenant (to discover your tenants); with `x-tenant-id` or a tenant claim,
 * `context` echoes the tenant context the handler runs in, as read from AsyncLocalStorage.
 */
import { Controller, Get, Inject, NotFoundException } from '@nestjs/common';
import { tenantContext } from '@tenantry/db';
import { CrossTenantLookupService } from '../database/cross-tenant-lookup.service.js';
import { Tenancy, type RequestTenancy } from '../tenancy/tenant-request.js';

@Controller('me')
export class MeController {
  constructor(@Inject(CrossTenantLookupService) private readonly lookup: CrossTenantLookupService) {}

  @Get()
  async me(@Tenancy() tenancy: RequestTenancy) {
    // Read the context before any await, as a handler would: it must already be the request's.
    const context = tenantContext.get() ?? null;
    const profile = await this.lookup.profileOf(tenancy.userId);
    if (!profile) {
      throw new NotFoundException(
        'Cannot find your user because the token names a user id that does not exist here. Sign up first, or use a token for an existing user.',
      );
    }
    return {
      user: profile.user,
      tenants: profile.tenants,
      activeTenant: profile.tenants.find((t) => t.id === tenancy.tenantId) ?? null,
      context: context && { tenantId: context.tenantId, userId: context.userId ?? null },
    };
  }
}
