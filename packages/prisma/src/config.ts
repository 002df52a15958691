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
  return required(
    env,
    'DATABASE_ADMIN_URL',
    "the admin role's URL (a role with BYPASSRLS, used only by @tenantry/db/admin)",
  );
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

/** DATABASE_DISTRIBUTED: 'citus' when DATABASE_URL is a Citus coordinator (docs/citus.md); unset otherwise. */
export function distributedFromEnv(env: NodeJS.ProcessEnv = process.env): 'citus' | undefined {
  const raw = env.DATABASE_DISTRIBUTED;
  if (raw === undefined || raw === '') return undefined;
  if (raw === 'citus') return 'citus';
  throw new TenantryConfigError(
    "Cannot configure the connection pool because DATABASE_DISTRIBUTED is not 'citus'. " +
      'Set it to citus when DATABASE_URL is a Citus coordinator, or leave it unset.',
  );
}

/** The client's default limits, from the environment; each unset variable leaves its default. */
export interface TimeoutsFromEnv {
  /** DATABASE_POOL_TIMEOUT_MS: the wait for a pooled connection (pg's connectionTimeoutMillis). */
  connectionTimeoutMillis?: number;
  /** DATABASE_STATEMENT_TIMEOUT_MS: Postgres statement_timeout for every statement. */
  statementTimeoutMillis?: number;
  /** DATABASE_LOCK_TIMEOUT_MS: Postgres lock_timeout for every statement. */
  lockTimeoutMillis?: number;
  /** DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS: Postgres idle_in_transaction_session_timeout. */
  idleInTransactionTimeoutMillis?: number;
}

const TIMEOUT_VARIABLES = [
  ['DATABASE_POOL_TIMEOUT_MS', 'connectionTimeoutMillis'],
  ['DATABASE_STATEMENT_TIMEOUT_MS', 'statementTimeoutMillis'],
  ['DATABASE_LOCK_TIMEOUT_MS', 'lockTimeoutMillis'],
  ['DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS', 'idleInTransactionTimeoutMillis'],
] as const;

export function timeoutsFromEnv(env: NodeJS.ProcessEnv = process.env): TimeoutsFromEnv {
  const timeouts: TimeoutsFromEnv = {};
  for (const [name, option] of TIMEOUT_VARIABLES) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    const value = Number(raw);
    if (!/^\d+$/.test(raw) || value > 2_147_483_647) {
      throw new TenantryConfigError(
        `Cannot configure the database client because ${name} is not a whole number of milliseconds. ` +
          `Set it to an integer from 0 (no limit) to 2147483647, e.g. ${name}=5000, or leave it unset.`,
      );
    }
    timeouts[option] = value;
  }
  return timeouts;
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
