/**
 * `@RequireTenantRole('owner', 'admin')` on a controller or handler behind TenantContextMiddleware:
 * the request goes on only if the verified user's membership in the active tenant has one of these
 * roles (the middleware read it with the membership check, on the runtime role). Otherwise 403.
 */
import {
  applyDecorators,
  type CanActivate,
  type ExecutionContext,
  ForbiddenException,
  Inject,
  Injectable,
  UseGuards,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { MembershipRole } from '@tenantry/db';
import type { TenantryRequest } from './tenant-request.js';

const TenantRoles = Reflector.createDecorator<MembershipRole[]>();

@Injectable()
export class TenantRoleGuard implements CanActivate {
  constructor(@Inject(Reflector) private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const roles = this.reflector.getAllAndOverride(TenantRoles, [context.getHandler(), context.getClass()]) ?? [];
    const tenancy = context.switchToHttp().getRequest<TenantryRequest>().tenancy;
    if (!tenancy?.tenantId || !tenancy.role) {
      throw new Error(
        'Cannot check the tenant role because the route is not behind TenantContextMiddleware. Add its controller to AppModule.configure.',
      );
    }
    if (!roles.includes(tenancy.role)) {
      throw new ForbiddenException(
        `Cannot do this because it needs the role ${roles.join(' or ')} in the active tenant, and yours is ${tenancy.role}. Ask an owner of the tenant.`,
      );
    }
    return true;
  }
}

export const RequireTenantRole = (...roles: MembershipRole[]) =>
  applyDecorators(TenantRoles(roles), UseGuards(TenantRoleGuard));
