/**
 * Resolves the tenant of each request and runs the REST of the request inside
 * `tenantContext.run({ tenantId, userId }, next)`.
 *
 * Why `run` around `next()` works in Nest: Express calls the next layer (guards, pipes, the handler,
 * interceptors, the exception filter) synchronously from `next()`, and every promise the pipeline
 * creates from there inherits the AsyncLocalStorage context. Why never `enterWith`: it would set
 * the context of this middleware's caller too, i.e. of whatever the HTTP server does next with this
 * socket, leaking one request's tenant into another's work.
 *
 * The tenant comes from a verified token only: the `x-tenant-id` header (to switch between the
 * user's tenants) or the token's `app_metadata.tenant_id`. Either way it is honoured only if the
 * verified user is a member, checked on the runtime role inside a context for the claimed tenant
 * (RLS shows exactly that tenant's memberships there): no RLS bypass, and no fallback to an
 * unscoped query. Not a member → 403.
 */
import { BadRequestException, ForbiddenException, Inject, Injectable, type NestMiddleware } from '@nestjs/common';
import { tenantContext } from '@tenantry/db';
import type { NextFunction, Response } from 'express';
import { API_CONFIG, type ApiConfig } from '../config/api-config.js';
import { PrismaService } from '../database/prisma.service.js';
import { RequestDeadlineError } from '../http/error-mapping.js';
import { HTTP_GRACE_MS, withTimer } from '../resilience/request-deadline.interceptor.js';
import { TokenVerifier } from './token-verifier.js';
import type { TenantryRequest } from './tenant-request.js';

export const TENANT_HEADER = 'x-tenant-id';

/**
 * Every answer of a route behind these middlewares is one user's tenant data (or says whether a
 * tenant id or token is valid): no shared cache (CDN, proxy) may store or replay it. Set before the
 * token is verified, so 401/403/422 answers carry it too.
 */
export const PRIVATE_CACHE_CONTROL = 'private, no-store';
export function markPrivate(res: Response): void {
  res.setHeader('Cache-Control', PRIVATE_CACHE_CONTROL);
  res.vary('Authorization');
  res.vary(TENANT_HEADER);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

@Injectable()
export class TenantContextMiddleware implements NestMiddleware {
  /** Routes that can answer without an active tenant (GET /me) use OptionalTenantContextMiddleware. */
  protected readonly tenantRequired: boolean = true;

  constructor(
    @Inject(TokenVerifier) private readonly verifier: TokenVerifier,
    @Inject(PrismaService) private readonly prisma: PrismaService,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
  ) {}

  async use(req: TenantryRequest, res: Response, next: NextFunction): Promise<void> {
    markPrivate(res);
    const identity = await this.verifier.verify(req.headers.authorization);
    const tenantId = requestedTenant(req, identity.tenantClaim);
    req.tenancy = { userId: identity.userId, email: identity.email, tenantId: undefined, role: undefined };
    if (tenantId === undefined) {
      if (this.tenantRequired) {
        throw new BadRequestException(
          `Cannot pick a tenant because the request names none. Send the ${TENANT_HEADER} header with one of your tenant ids (GET /me lists them), or use a token with app_metadata.tenant_id.`,
        );
      }
      return next();
    }
    const ctx = { tenantId, userId: identity.userId };
    // The membership check is database work of this request too: bounded by the request deadline.
    // (The handler's own deadline is set around the handler, by RequestDeadlineInterceptor.)
    const deadlineMs = this.config.requestDeadlineMs;
    const membership = await withTimer(
      tenantContext.run({ ...ctx, deadlineMs }, () =>
        this.prisma.db.membership.findUnique({
          where: { tenantId_userId: { tenantId, userId: identity.userId } },
          select: { role: true },
        }),
      ),
      deadlineMs + HTTP_GRACE_MS,
      () => new RequestDeadlineError(deadlineMs),
    );
    if (!membership) {
      // Same answer whether the tenant exists or not: the caller learns nothing about other tenants.
      throw new ForbiddenException(
        'Cannot use this tenant because you are not a member of it. GET /me lists the tenants you belong to.',
      );
    }
    req.tenancy.tenantId = tenantId;
    req.tenancy.role = membership.role;
    tenantContext.run(ctx, () => next());
  }
}

@Injectable()
export class OptionalTenantContextMiddleware extends TenantContextMiddleware {
  protected override readonly tenantRequired: boolean = false;
}

/**
 * Authentication only, for the one route a user calls before being a member of the tenant it names
 * (POST /invitations/accept): verifies the token and records who is calling, and nothing else. No
 * membership lookup, no tenant context around the rest of the request, and the x-tenant-id header
 * and the token's tenant claim are ignored. The handler opens the context itself, around the one
 * statement the database lets a non-member run (see InvitationAcceptanceService).
 */
@Injectable()
export class AuthenticatedUserMiddleware implements NestMiddleware {
  constructor(@Inject(TokenVerifier) private readonly verifier: TokenVerifier) {}

  async use(req: TenantryRequest, res: Response, next: NextFunction): Promise<void> {
    markPrivate(res);
    const identity = await this.verifier.verify(req.headers.authorization);
    req.tenancy = { userId: identity.userId, email: identity.email, tenantId: undefined, role: undefined };
    next();
  }
}

function requestedTenant(req: TenantryRequest, claim: string | undefined): string | undefined {
  const header = req.headers[TENANT_HEADER];
  if (Array.isArray(header)) {
    throw new BadRequestException(
      `Cannot pick a tenant because the ${TENANT_HEADER} header is sent more than once. Send it once.`,
    );
  }
  const requested = header ?? claim;
  if (requested === undefined || requested === '') return undefined;
  if (!UUID.test(requested)) {
    const source = header === undefined ? 'the token claim app_metadata.tenant_id' : `the ${TENANT_HEADER} header`;
    throw new BadRequestException(
      `Cannot pick a tenant because ${source} is not a UUID. Send a tenant id from GET /me.`,
    );
  }
  return requested.toLowerCase();
}
