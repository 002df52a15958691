/**
 * `@tenantry/db/admin`: the ONE way to bypass Row-Level Security (I8). It connects with its own URL
 * (DATABASE_ADMIN_URL) as a role that has BYPASSRLS, has no tenant extension and no tenant
 * settings. Use it for seeding, migrations-adjacent jobs and cross-tenant back-office work, never
 * in request handling. `grep -r "@tenantry/db/admin"` lists every place that skips RLS.
 */
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaClient, type Prisma } from './generated/prisma/client.js';
import { adminDatabaseUrl } from './config.js';

export interface AdminPrismaClientOptions {
  /** The admin role's URL; defaults to DATABASE_ADMIN_URL. */
  connectionString?: string;
  poolSize?: number;
  log?: Prisma.LogLevel[];
}

export function createAdminPrismaClient(options: AdminPrismaClientOptions = {}) {
  const pool = new pg.Pool({
    connectionString: options.connectionString ?? adminDatabaseUrl(),
    max: options.poolSize ?? 5,
  });
  pool.on('error', () => {});
  return new PrismaClient({ adapter: new PrismaPg(pool), log: options.log ?? [] });
}

export type AdminPrismaClient = ReturnType<typeof createAdminPrismaClient>;
