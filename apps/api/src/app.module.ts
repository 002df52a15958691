/**
 * The API's root module. `AppModule.forRoot(options)` wires the database clients, the tenancy
 * middleware and, outside production, the dev-only token endpoint.
 */
import { type DynamicModule, Global, type MiddlewareConsumer, Module, type NestModule } from '@nestjs/common';
import { APP_FILTER, APP_INTERCEPTOR, APP_PIPE } from '@nestjs/core';
import { getPrisma, type TenantPrismaClient } from '@tenantry/db';
import { createAdminPrismaClient, type AdminPrismaClient } from '@tenantry/db/admin';
import { API_CONFIG, type ApiConfig } from './config/api-config.js';
import { ADMIN_PRISMA_CLIENT, CrossTenantLookupService } from './database/cross-tenant-lookup.service.js';
import { PrismaService, TENANT_PRISMA_CLIENT } from './database/prisma.service.js';
import { DevTokenController } from './dev/dev-token.controller.js';
import { HealthController, READINESS_PROBE } from './health/health.controller.js';
import { ReadinessProbe } from './health/readiness-probe.js';
import { HttpErrorFilter } from './http/http-error.filter.js';
import { REQUEST_LOG, type RequestLog } from './http/request-logger.js';
import { countReadRetries } from './http/request-scope.js';
import { RequestValidationPipe } from './http/request-validation.pipe.js';
import { InvitationAcceptanceController } from './invitations/invitation-acceptance.controller.js';
import { InvitationsController } from './invitations/invitations.controller.js';
import { InvitationsModule } from './invitations/invitations.module.js';
import { MeController } from './me/me.controller.js';
import { RESOURCE_CONTROLLERS, ResourcesModule } from './resources/resources.module.js';
import {
  AuthenticatedUserMiddleware,
  OptionalTenantContextMiddleware,
  TenantContextMiddleware,
} from './tenancy/tenant-context.middleware.js';
import { TokenVerifier } from './tenancy/token-verifier.js';
import { RequestDeadlineInterceptor, ROUTE_BULKHEAD } from './resilience/request-deadline.interceptor.js';
import { RouteBulkhead } from './resilience/route-bulkhead.js';

export interface AppModuleOptions {
  config: ApiConfig;
  requestLog: RequestLog;
  /** Tenant-scoped client; default: @tenantry/db's process-wide one (DATABASE_URL). Not closed by the app. */
  client?: TenantPrismaClient;
  /** Admin (RLS-bypass) client for CrossTenantLookupService; default: DATABASE_ADMIN_URL. Not closed by the app. */
  adminClient?: AdminPrismaClient;
  /** The runtime URL the readiness probe opens its own connection to; default: DATABASE_URL. */
  readinessUrl?: string;
}

@Module({})
class DevModule {}

@Global()
@Module({})
export class AppModule implements NestModule {
  static forRoot(options: AppModuleOptions): DynamicModule {
    const devModule: DynamicModule = { module: DevModule, controllers: [DevTokenController] };
    countReadRetries();
    return {
      module: AppModule,
      imports: [ResourcesModule, InvitationsModule, ...(options.config.production ? [] : [devModule])],
      controllers: [MeController, HealthController],
      providers: [
        { provide: API_CONFIG, useValue: options.config },
        { provide: REQUEST_LOG, useValue: options.requestLog },
        {
          provide: TENANT_PRISMA_CLIENT,
          useFactory: () => ({ client: options.client ?? getPrisma(), owned: !options.client }),
        },
        {
          provide: ADMIN_PRISMA_CLIENT,
          useValue: { client: () => options.adminClient ?? createAdminPrismaClient(), owned: !options.adminClient },
        },
        {
          provide: READINESS_PROBE,
          useFactory: () => new ReadinessProbe(options.readinessUrl ?? process.env.DATABASE_URL),
        },
        { provide: ROUTE_BULKHEAD, useValue: new RouteBulkhead(options.config.routeConcurrency) },
        { provide: APP_INTERCEPTOR, useClass: RequestDeadlineInterceptor },
        PrismaService,
        CrossTenantLookupService,
        TokenVerifier,
        { provide: APP_FILTER, useClass: HttpErrorFilter },
        { provide: APP_PIPE, useClass: RequestValidationPipe },
      ],
      exports: [API_CONFIG, PrismaService, CrossTenantLookupService, TokenVerifier],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    // Every tenant-scoped route runs inside tenantContext.run; /me also answers without a tenant.
    // POST /invitations/accept is for a user who is not a member yet: token only, no context (its
    // service opens one around the membership insert alone). /health and /dev/token take no token.
    consumer.apply(TenantContextMiddleware).forRoutes(...RESOURCE_CONTROLLERS, InvitationsController);
    consumer.apply(OptionalTenantContextMiddleware).forRoutes(MeController);
    consumer.apply(AuthenticatedUserMiddleware).forRoutes(InvitationAcceptanceController);
  }
}
