/** What the tenancy middleware learns about a request, kept on it for logs and handlers. */
import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { MembershipRole } from '@tenantry/db';
import type { Request } from 'express';

export interface RequestTenancy {
  userId: string;
  email: string | undefined;
  /** The verified active tenant; undefined only on routes where a tenant is optional (/me). */
  tenantId: string | undefined;
  /** The user's role in the active tenant, read with the membership check; undefined without one. */
  role: MembershipRole | undefined;
}

export interface TenantryRequest extends Request {
  requestId?: string;
  tenancy?: RequestTenancy;
}

/** `@Tenancy() tenancy: RequestTenancy` in a handler behind the tenancy middleware. */
export const Tenancy = createParamDecorator((_data: unknown, ctx: ExecutionContext): RequestTenancy => {
  const tenancy = ctx.switchToHttp().getRequest<TenantryRequest>().tenancy;
  if (!tenancy)
    throw new Error(
      'Cannot read the request tenancy because the route is not behind the tenancy middleware. Add its controller to AppModule.configure.',
    );
  return tenancy;
});
