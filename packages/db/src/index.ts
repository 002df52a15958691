/**
 * @tenantry/db: a Prisma 7 client that is tenant-scoped by default. The RLS-bypassing client lives
 * behind `@tenantry/db/admin`, the isolation test kit behind `@tenantry/db/testing`.
 */
export { tenantContext, validateTenantContext, type TenantContext } from './tenant-context.js';
export { prisma, getPrisma, createTenantPrismaClient } from './client.js';
export type { TenantPrismaClient, TenantPrismaClientOptions } from './client.js';
export { TenantPool } from './connection/tenant-pool.js';
export { SUPABASE_ROLES, InvalidSupabaseContextError, type SupabaseRole, type JwtClaims } from './supabase/jwt-claims.js';
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
// Prisma's types and runtime namespace for consumers (no `export *` of generated code).
export { Prisma, MembershipRole } from './generated/prisma/client.js';
export type { Tenant, User, Membership, Workspace, Project, Task } from './generated/prisma/client.js';
