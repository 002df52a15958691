/**
 * Environment configuration, read in one place. Every variable here is documented in .env.example.
 */
import { TenantryConfigError } from './errors.js';

/** Runtime URL: through the pooler, as the runtime role (never a BYPASSRLS role). */
export function runtimeDatabaseUrl(env: NodeJS.ProcessEnv = process.env): string {
  return required(env, 'DATABASE_URL', "the runtime role's URL through the pooler (PgBouncer or Supavisor)");
}

/** Admin URL: the explicit RLS-bypassing role for `@tenantry/db/admin` (seeding, back-office jobs). */
export function adminDatabaseUrl(env: NodeJS.ProcessEnv = process.env): string {
  return required(env, 'DATABASE_ADMIN_URL', "the admin role's URL (a role with BYPASSRLS, used only by @tenantry/db/admin)");
}

/** Pool size for the runtime client; DATABASE_POOL_SIZE, default 10. */
export function poolSizeFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.DATABASE_POOL_SIZE;
  if (raw === undefined || raw === '') return 10;
  const size = Number(raw);
  if (!Number.isInteger(size) || size < 1 || size > 1000) {
    throw new TenantryConfigError(
      'Cannot configure the connection pool because DATABASE_POOL_SIZE is not an integer between 1 and 1000. ' +
        'Set it to the number of connections this process may hold, e.g. 10.',
    );
  }
  return size;
}

/** What sits between the runtime and Postgres: DATABASE_POOLER, default 'transaction' (safe everywhere). */
export function poolerFromEnv(env: NodeJS.ProcessEnv = process.env): 'transaction' | 'session' | 'none' {
  const raw = env.DATABASE_POOLER;
  if (raw === undefined || raw === '') return 'transaction';
  if (raw === 'transaction' || raw === 'session' || raw === 'none') return raw;
  throw new TenantryConfigError(
    "Cannot configure the connection pool because DATABASE_POOLER is not 'transaction', 'session' or 'none'. " +
      "Set it to the pooling mode of DATABASE_URL's pooler ('none' for a direct connection), or leave it unset.",
  );
}

function required(env: NodeJS.ProcessEnv, name: string, what: string): string {
  const value = env[name];
  if (!value) {
    throw new TenantryConfigError(
      `Cannot connect to the database because ${name} is not set. Set ${name} to ${what}; see .env.example.`,
    );
  }
  return value;
}
