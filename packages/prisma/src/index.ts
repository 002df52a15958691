/**
 * @tenantry/prisma: tenant isolation for any Prisma 7 schema on PostgreSQL. Pass your generated
 * PrismaClient to `createTenantPrismaClient`; run work inside `tenantContext.run`. The RLS-bypassing
 * client lives behind `@tenantry/prisma/admin`. Nothing here imports a generated client.
 */
export { tenantContext, validateTenantContext, type TenantContext } from './tenant-context.js';
export {
  createTenantPrismaClient,
  type TenantPrismaClientOptions,
  type PrismaClientLike,
  type LogDefinition,
  type LogLevel,
  type TenantPrismaClient,
} from './client.js';
export { withDeleted } from './soft-delete/with-deleted.js';
export { SoftDeleteError } from './soft-delete/errors.js';
export { AuditSchemaError } from './audit/errors.js';
export type { SoftDeleteMethods } from './soft-delete/restore.js';
export { TenantPool } from './connection/tenant-pool.js';
export {
  SUPABASE_ROLES,
  InvalidSupabaseContextError,
  type SupabaseRole,
  type JwtClaims,
} from './supabase/jwt-claims.js';
export {
  TenantryError,
  MissingTenantContextError,
  InvalidTenantContextError,
  TenantMismatchError,
  MissingWorkspaceError,
  UnsupportedQueryError,
  TenantryConfigError,
  TenantClientClosedError,
  TenantContextMismatchError,
} from './errors.js';
export {
  DatabaseAvailabilityError,
  ConnectionLostError,
  DatabaseUnreachableError,
  PoolExhaustedError,
  DeadlineExceededError,
  TransactionConflictError,
  SerializationFailureError,
  DeadlockDetectedError,
  type DeadlineKind,
  type DeadlineSource,
} from './availability-errors.js';
export { availabilityErrorOf, postgresCodeOf } from './connection/classify-errors.js';
export { onReadRetry, type ReadRetryEvent } from './extension/tenant-extension.js';
export { tenantExtension } from './extension/tenant-extension.js';
export { bindRequestsToCallerContext } from './extension/request-context.js';
export { tenantMetadataOf, type TenantMetadata, type TenantFields } from './extension/model-metadata.js';
// adminDatabaseUrl stays behind ./admin: the root exports nothing admin (I8).
export { timeoutsFromEnv, poolSizeFromEnv, runtimeDatabaseUrl } from './config.js';
