/**
 * @tenantry/db: this app's database package, built with the engine (@tenantry/prisma): the schema,
 * migrations and seed, the tenant-scoped singleton `prisma`, and the engine's context, errors and
 * types re-exported, so the apps import one package. The RLS-bypassing client lives behind
 * `@tenantry/db/admin`, the isolation test kit behind `@tenantry/db/testing`.
 */
export { prisma, getPrisma, createTenantPrismaClient } from './client.js';
export type { TenantPrismaClient, TenantPrismaClientOptions } from './client.js';
export {
  searchTenant,
  validateSearchInput,
  SearchQueryError,
  DEFAULT_SEARCH_LIMIT,
  MAX_SEARCH_LIMIT,
  MAX_SEARCH_QUERY_LENGTH,
} from './search.js';
export type { SearchHit, SearchOptions, SearchClient } from './search.js';
// The engine's context, errors, TenantPool and the rest, as the engine exports them. The local exports above
// win over the engine's of the same name (createTenantPrismaClient, bound to this schema's PrismaClient).
export * from '@tenantry/prisma';
// Prisma's types and runtime namespace for consumers (no `export *` of generated code).
export { Prisma, MembershipRole } from './generated/prisma/client.js';
export type { Tenant, User, Membership, Workspace, Project, Task } from './generated/prisma/client.js';
