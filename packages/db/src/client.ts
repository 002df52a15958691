/**
 * This app's tenant-scoped client: the engine (@tenantry/prisma) over this repository's generated
 * PrismaClient, and the process-wide singleton the apps import.
 *
 * @example
 * const db = createTenantPrismaClient({ connectionString: process.env.DATABASE_URL, poolSize: 10 });
 * await tenantContext.run({ tenantId }, () => db.project.findMany({ take: 20 }));
 */
import {
  createTenantPrismaClient as createEngineClient,
  type TenantPrismaClient as EngineClient,
  type TenantPrismaClientOptions as EngineOptions,
} from '@tenantry/prisma';
import { PrismaClient } from './generated/prisma/client.js';

/** The engine's options without `PrismaClient`: this package passes its own generated one. */
export type TenantPrismaClientOptions = Omit<EngineOptions<PrismaClient>, 'PrismaClient'>;

export function createTenantPrismaClient(options: TenantPrismaClientOptions = {}): TenantPrismaClient {
  return createEngineClient({ ...options, PrismaClient });
}

/** The generated client plus the engine's `$restore` (projects and tasks are soft-deletable). */
export type TenantPrismaClient = EngineClient<PrismaClient>;

// One instance per process, also across hot reloads (Next.js dev, tsx watch) that re-evaluate this
// module: a fresh client per reload would open a fresh pool each time (a connection storm).
const globalKey = Symbol.for('tenantry.db.prisma');
type GlobalWithClient = typeof globalThis & { [globalKey]?: TenantPrismaClient };

/** The process-wide client, created on first use from DATABASE_URL. */
export function getPrisma(): TenantPrismaClient {
  const g = globalThis as GlobalWithClient;
  g[globalKey] ??= createTenantPrismaClient();
  return g[globalKey];
}

/**
 * The process-wide tenant-scoped client. A lazy proxy, so importing `@tenantry/db` does not need
 * DATABASE_URL until the first query.
 */
export const prisma: TenantPrismaClient = new Proxy({} as TenantPrismaClient, {
  get(_target, property) {
    const client = getPrisma();
    const value = Reflect.get(client, property, client);
    return typeof value === 'function' ? value.bind(client) : value;
  },
});
