/**
 * `@tenantry/db/admin`: the ONE way to bypass Row-Level Security (I8), for this app's schema: the
 * engine's admin client (@tenantry/prisma/admin) over this repository's generated PrismaClient. It
 * connects with its own URL (DATABASE_ADMIN_URL) as a role that has BYPASSRLS. Use it for seeding,
 * migrations-adjacent jobs and cross-tenant back-office work, never in request handling.
 * `grep -r "@tenantry/db/admin"` lists every place that skips RLS.
 */
import {
  createAdminPrismaClient as createEngineAdminClient,
  type AdminPrismaClientOptions as EngineOptions,
} from '@tenantry/prisma/admin';
import { PrismaClient } from './generated/prisma/client.js';

export type AdminPrismaClientOptions = Omit<EngineOptions<PrismaClient>, 'PrismaClient'>;

export function createAdminPrismaClient(options: AdminPrismaClientOptions = {}): PrismaClient {
  return createEngineAdminClient({ ...options, PrismaClient });
}

export type AdminPrismaClient = PrismaClient;

// Tenant onboarding, export and erasure (docs/tenant-lifecycle.md): bypass operations, so only here.
export {
  createTenant,
  exportTenant,
  eraseTenant,
  TenantLifecycleError,
  InvalidTenantInputError,
  TenantSlugTakenError,
  TenantNotFoundError,
  ErasureNotConfirmedError,
  TenantSchemaError,
  ForeignKeyCycleError,
  AdminRoleRequiredError,
  ExportTargetError,
  TenantErasureIncompleteError,
} from './lifecycle.js';
export type {
  CreateTenantInput,
  CreatedTenant,
  EraseTenantOptions,
  ExportTenantOptions,
  TenantErasure,
  TenantErasureRecord,
  TenantExport,
} from './lifecycle.js';
