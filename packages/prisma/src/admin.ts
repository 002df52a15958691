/**
 * `@tenantry/prisma/admin`: the ONE way to bypass Row-Level Security (I8). It connects with its own
 * URL (DATABASE_ADMIN_URL) as a role that has BYPASSRLS, with no tenant extension and no tenant
 * settings. For seeding, migrations-adjacent jobs and cross-tenant back-office work, never in
 * request handling. `grep -r "/admin'"` lists every place that skips RLS.
 */
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { adminDatabaseUrl } from './config.js';
import type { LogLevel } from './client.js';

export {
  purgeSoftDeleted,
  type PurgeSoftDeletedOptions,
  type PurgeSoftDeletedResult,
} from './soft-delete/purge.js';
export { PurgeOptionsError } from './soft-delete/errors.js';

export interface AdminPrismaClientOptions<C = unknown> {
  /** Your generated PrismaClient class. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  PrismaClient: new (
    options: any,
  ) => C;
  /** The admin role's URL; defaults to DATABASE_ADMIN_URL. */
  connectionString?: string;
  poolSize?: number;
  log?: LogLevel[];
}

export function createAdminPrismaClient<C>(options: AdminPrismaClientOptions<C>): C {
  const pool = new pg.Pool({
    connectionString: options.connectionString ?? adminDatabaseUrl(),
    max: options.poolSize ?? 5,
  });
  // An idle connection that dies (server restart) must not crash the process.
  pool.on('error', () => {});
  return new options.PrismaClient({ adapter: new PrismaPg(pool), log: options.log ?? [] });
}
