/**
 * `@tenantry/prisma/lifecycle`: onboarding, export and erasure of one tenant, for any Prisma 7
 * schema. Each function takes the ADMIN client (`createAdminPrismaClient` from
 * `@tenantry/prisma/admin`, a BYPASSRLS role) and refuses any other (AdminRoleRequiredError): under
 * RLS an export would be empty and an erasure's verification would count nothing. The tables come
 * from the schema (the client's data model and the live catalog), never from a list.
 */
export {
  createTenant,
  slugFromName,
  validateCreateTenantInput,
  type CreateTenantInput,
  type CreateTenantOptions,
  type CreatedTenant,
  type OnboardingSchema,
} from './create-tenant.js';
export {
  exportTenant,
  EXPORT_FORMAT_NAME,
  EXPORT_FORMAT_VERSION,
  type ExportFormat,
  type ExportTenantOptions,
  type TenantExport,
} from './export-tenant.js';
export {
  eraseTenant,
  type EraseTenantOptions,
  type TenantErasure,
  type TenantErasureRecord,
} from './erase-tenant.js';
export { readTenantTables, type TenantTables, type TenantTable, type TableInfo } from './tenant-tables.js';
export { dependencyOrder, type DependencyOrder, type ForeignKeyEdge } from './dependency-order.js';
export type { LifecycleClient } from './sql.js';
export {
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
} from './errors.js';
