/**
 * The tenant-scoped Prisma client, for any Prisma 7 schema: your generated PrismaClient over
 * adapter-pg over the TenantPool, with the tenant extension on top. The extension gives clear
 * errors and correct filters; the pool's transaction-local settings and the database's RLS policies
 * are what make it safe.
 *
 * @example
 * import { PrismaClient } from './generated/prisma/client.js';
 * const db = createTenantPrismaClient({ PrismaClient, connectionString: process.env.DATABASE_URL });
 * await tenantContext.run({ tenantId }, () => db.project.findMany({ take: 20 }));
 */
import { PrismaPg } from '@prisma/adapter-pg';
import { TenantPool } from './connection/tenant-pool.js';
import { scopedOperation, tenantExtension, type ReadRetryEvent } from './extension/tenant-extension.js';
import { tenantFieldsFrom, tenantMetadataOf } from './extension/model-metadata.js';
import { bindRequestsToCallerContext } from './extension/request-context.js';
import { distributedFromEnv, poolSizeFromEnv, poolerFromEnv, runtimeDatabaseUrl, timeoutsFromEnv } from './config.js';
import { TenantryConfigError } from './errors.js';
import { adapterUsesPool, wrapDriverAdapter, wrapExecuteRequest } from './internals/prisma-internals.js';
import { runAsDriverCall, runAsModelOperation, runOutsideModelOperation } from './connection/statement-origin.js';
import { restoreMethod, type SoftDeleteMethods } from './soft-delete/restore.js';

/** What the engine needs of a generated client: Prisma 7's `PrismaClient` instance API. */
export interface PrismaClientLike {
  $extends(extension: unknown): unknown;
  $disconnect(): Promise<void>;
}

/** Prisma's log levels (the generated client's `Prisma.LogLevel`). */
export type LogLevel = 'info' | 'query' | 'warn' | 'error';
/** A level to print (`'stdout'`) or to emit to `$on(level, listener)` (`'event'`), as Prisma takes it. */
export interface LogDefinition {
  level: LogLevel;
  emit: 'stdout' | 'event';
}

export interface TenantPrismaClientOptions<C extends PrismaClientLike = PrismaClientLike> {
  /**
   * The `PrismaClient` class Prisma generated for YOUR schema (Prisma 7 generates into your folder,
   * e.g. `import { PrismaClient } from './generated/prisma/client.js'`). The engine never imports a
   * generated client: which models are tenant-scoped is read from this class's data model.
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  PrismaClient: new (
    options: any,
  ) => C;
  /** Runtime role URL; defaults to DATABASE_URL. */
  connectionString?: string;
  /** Maximum connections in this client's pool; defaults to DATABASE_POOL_SIZE or 10. */
  poolSize?: number;
  /**
   * Prisma log levels, e.g. ['warn', 'error'], or definitions such as `{ level: 'query', emit: 'event' }`
   * for `client.$on('query', listener)`. SQL a listener sends counts as raw SQL (see docs/security.md).
   */
  log?: Array<LogLevel | LogDefinition>;
  /**
   * Milliseconds to wait for a free connection before failing with PoolExhaustedError; 0 waits
   * forever. Defaults to DATABASE_POOL_TIMEOUT_MS or 10000. A context's `deadlineMs` shortens it.
   */
  connectionTimeoutMillis?: number;
  /**
   * The pooling mode between this client and Postgres: 'transaction', 'session' or 'none' (direct).
   * Defaults to DATABASE_POOLER.
   * @deprecated Every route now gets the same pipeline; the value is validated but changes nothing.
   */
  pooler?: 'transaction' | 'session' | 'none';
  /**
   * `'citus'` when the database is a Citus coordinator: the settings go as `SET LOCAL` in a
   * transaction block the pipeline opens, which Citus carries to the workers (docs/citus.md).
   * Defaults to DATABASE_DISTRIBUTED (unset: a single PostgreSQL).
   */
  distributed?: 'citus';
  /**
   * Server-side `statement_timeout` for every statement of this client, in ms. Sent
   * transaction-locally with the tenant settings (never as a startup parameter, which PgBouncer
   * refuses), so it works on every route. Defaults to DATABASE_STATEMENT_TIMEOUT_MS (unset: none).
   * A context's `deadlineMs` caps it with the time left. Expiry: DeadlineExceededError.
   */
  statementTimeoutMillis?: number;
  /** Server-side `lock_timeout` for every statement, in ms; sent like statementTimeoutMillis. DATABASE_LOCK_TIMEOUT_MS. */
  lockTimeoutMillis?: number;
  /** Server-side `idle_in_transaction_session_timeout`, in ms; sent the same way. DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS. */
  idleInTransactionTimeoutMillis?: number;
  /**
   * Called when a read (findMany, findUnique, count, ...) outside a transaction lost its connection
   * and is retried once on a fresh one: log it, count it. Writes and transactions are never retried.
   */
  onRetry?: (event: ReadRetryEvent) => void;
  /**
   * The model field that holds the tenant, as named in your schema.prisma (its column comes from
   * `@map`). Default 'tenantId'. Every model with this field is tenant-scoped. The context still
   * says `tenantContext.run({ tenantId }, fn)`: the context names the tenant, this names the field.
   * @example tenantField: 'organizationId'
   */
  tenantField?: string;
  /**
   * The model field that holds the workspace (a tenant's subdivision). Default 'workspaceId'.
   * Models with it are also filtered by the context's `workspaceId`, when it has one.
   */
  workspaceField?: string;
  /**
   * The model field that marks a row as soft-deleted: every model with it (an optional DateTime)
   * is soft-deleted, its deletes set it and its reads hide rows where it is set (docs/soft-delete.md).
   * Default 'deletedAt'; `false` turns soft delete off.
   * @example softDeleteField: 'archivedAt'
   */
  softDeleteField?: string | false;
  /**
   * Bring your own TenantPool (to share it, instrument it, or tune pg options). When given,
   * connectionString, poolSize and the timeouts above are ignored.
   */
  pool?: TenantPool;
}

/** The client createTenantPrismaClient returns: yours, plus `$restore` for soft-deleted rows. */
export type TenantPrismaClient<C> = C & SoftDeleteMethods<C>;

/**
 * Your generated PrismaClient, tenant-scoped: over adapter-pg over a TenantPool, with the tenant
 * extension on top. Typed as your client plus `$restore` (soft delete, docs/soft-delete.md); the
 * scoping adds no other methods, it only scopes them.
 */
export function createTenantPrismaClient<C extends PrismaClientLike>(
  options: TenantPrismaClientOptions<C>,
): TenantPrismaClient<C> {
  // Validated before anything is opened.
  const fields = tenantFieldsFrom({ tenantField: options.tenantField, workspaceField: options.workspaceField });
  const fromEnv = options.pool ? {} : timeoutsFromEnv();
  const pool =
    options.pool ??
    new TenantPool({
      connectionString: options.connectionString ?? runtimeDatabaseUrl(),
      max: options.poolSize ?? poolSizeFromEnv(),
      connectionTimeoutMillis: options.connectionTimeoutMillis ?? fromEnv.connectionTimeoutMillis ?? 10_000,
      pooler: options.pooler ?? poolerFromEnv(),
      distributed: options.distributed ?? distributedFromEnv(),
      statementTimeoutMillis: options.statementTimeoutMillis ?? fromEnv.statementTimeoutMillis,
      lockTimeoutMillis: options.lockTimeoutMillis ?? fromEnv.lockTimeoutMillis,
      idleInTransactionTimeoutMillis: options.idleInTransactionTimeoutMillis ?? fromEnv.idleInTransactionTimeoutMillis,
    });
  // A pool error on an idle client (server restart, pooler restart) must not crash the process;
  // the pool drops that client and the next checkout opens a fresh one.
  pool.on('error', () => {});
  const adapter = new PrismaPg(pool);
  // The driver's own calls open the window that statement-origin.ts requires of a model
  // operation's statements; without it (an adapter of another shape) every pipeline resets.
  wrapDriverAdapter(adapter, runAsDriverCall);
  // adapter-pg takes our pool only if it passes `instanceof pg.Pool` for ITS copy of pg; otherwise
  // it silently builds its own, unscoped pool from the options. Refuse instead.
  if (!adapterUsesPool(adapter, pool)) {
    throw new TenantryConfigError(
      'Cannot create the tenant client because @prisma/adapter-pg resolved a different copy of the pg package than @tenantry/db, ' +
        'so it would ignore the tenant pool. Make both resolve one pg (e.g. dedupe with your package manager, pin pg 8.23).',
    );
  }
  if (typeof options.PrismaClient !== 'function') {
    throw new TenantryConfigError(
      'Cannot create the tenant client because options.PrismaClient is not a class. ' +
        "Pass the PrismaClient Prisma generated for your schema, e.g. import { PrismaClient } from './generated/prisma/client.js'.",
    );
  }
  const base = new options.PrismaClient({ adapter, log: options.log ?? [] });
  bindRequestsToCallerContext(base);
  const meta = tenantMetadataOf(base, { ...fields, softDeleteField: options.softDeleteField });
  const $restore = restoreMethod(meta);
  // The scoping goes below Prisma's extension chain when the client has the shape for it (see
  // wrapExecuteRequest: an extension costs more per operation than the scoping itself), else it
  // is the same scoping as an extension. Raw queries (no model) pass through: RLS scopes them.
  const scope = scopedOperation(meta, options.onRetry);
  // Model operations run marked (statement-origin.ts), in a transaction too: their driver
  // statements keep a clean session clean, so a pool with pooler 'none' or 'session' skips the
  // reset for them. Every other request (raw SQL) runs explicitly unmarked, also when user code
  // starts it from inside a model operation (a `$on('query')` listener, onRetry).
  const below = wrapExecuteRequest(base, async (params, next) => {
    if (params.model === undefined) return runOutsideModelOperation(() => next(params));
    const model = params.model;
    const outside = params.transaction === undefined;
    return runAsModelOperation(() =>
      scope(model, params.action, params.args, outside, (args, action) => next({ ...params, args, action })),
    );
  });
  const end = async () => {
    if (!options.pool && !pool.ending) await pool.end();
  };
  if (!below) {
    const extended = base.$extends(tenantExtension(meta, options.onRetry)) as PrismaClientLike;
    return extended.$extends({
      client: {
        /** Disconnects Prisma and ends this client's pool (unless the pool was passed in). */
        async $disconnect() {
          await base.$disconnect();
          await end();
        },
        $restore,
      },
    }) as TenantPrismaClient<C>;
  }
  // $disconnect also ends this client's pool (unless the pool was passed in): an own property, not
  // a client extension, which would send every operation through Prisma's extension chain again.
  const disconnect = base.$disconnect.bind(base);
  Object.defineProperty(base, '$disconnect', {
    configurable: true,
    writable: true,
    async value() {
      await disconnect();
      await end();
    },
  });
  // $restore runs on `this`: the client, or an interactive transaction's client built from it.
  Object.defineProperty(base, '$restore', { configurable: true, writable: true, value: $restore });
  return base as TenantPrismaClient<C>;
}
