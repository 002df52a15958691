/**
 * The tenant-scoped Prisma client as a Nest provider. By default it is @tenantry/db's process-wide
 * singleton (one pool per process, DATABASE_URL: the runtime role through the pooler); tests and
 * the load bench hand in a client of their own.
 *
 * Every query through `db` is scoped to the tenant of the request it runs in: the tenancy
 * middleware runs the rest of the request inside `tenantContext.run`, and the client reads the
 * context when each query starts. A query outside a request (a cron job) throws
 * MissingTenantContextError instead of seeing every tenant.
 */
import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { TenantPrismaClient } from '@tenantry/db';

export const TENANT_PRISMA_CLIENT = Symbol('TENANT_PRISMA_CLIENT');

export interface ProvidedClient<T> {
  client: T;
  /** True when the app created it and so must close it on shutdown. */
  owned: boolean;
}

@Injectable()
export class PrismaService implements OnApplicationShutdown {
  readonly db: TenantPrismaClient;
  private readonly owned: boolean;

  constructor(@Inject(TENANT_PRISMA_CLIENT) provided: ProvidedClient<TenantPrismaClient>) {
    this.db = provided.client;
    this.owned = provided.owned;
  }

  /** Graceful shutdown (app.enableShutdownHooks): close the pool after in-flight requests finish. */
  async onApplicationShutdown(): Promise<void> {
    if (this.owned) await this.db.$disconnect();
  }
}
