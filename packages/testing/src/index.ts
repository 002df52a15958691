/**
 * `@tenantry/testing`: what a project that uses @tenantry/prisma needs to test its isolation on a real
 * PostgreSQL. Provision a server (TEST_DATABASE_URL → testcontainers → embedded), PgBouncer in front
 * of it, databases migrated with the project's own migrations and the Tenantry roles;
 * provisionTestRig() does all of that in one call (and one stop()). The isolation fuzzer runs
 * operations of every kind in random tenants' contexts, with faults, and counts what crossed over;
 * fuzzAllRoutes() runs it on every route of a rig; seedTenants() gives it tenants on any schema. `@tenantry/testing/cli` is `tenantry fuzz`.
 */
export {
  provisionPostgres,
  provisionPersistentEmbeddedPostgres,
  freeLocalPort,
  type PostgresServer,
  type PostgresSource,
} from './postgres-server.js';
export { startPgBouncer, type PgBouncer, type PoolMode } from './pgbouncer.js';
export {
  ROLES,
  roleUrl,
  ensureRoles,
  createMigratedDatabase,
  createOwnedDatabase,
  createDatabaseFromTemplate,
  restrictDatabasePrivileges,
  dropDatabases,
  devPassword,
  migrationSourceFromEnv,
  type MigrationSource,
  type RoleName,
} from './databases.js';
export {
  provisionTestRig,
  attachTestRig,
  pgbouncerMissingError,
  type TestRig,
  type TestRigOptions,
  type TestRigInfo,
  type AttachedTestRig,
  type Route,
  type RigRole,
  type RigUpstream,
} from './test-rig.js';
export {
  runIsolationFuzz,
  formatIsolationReport,
  isolationLine,
  fuzzAllRoutes,
  fuzzRoutesOf,
  genericReadOperations,
  genericWriteOperations,
  tenantModelsOf,
  sessionStateOperations,
  ENGINE_SETTINGS_STATEMENT,
  inheritedStateError,
  isSessionStatementRefused,
  isConclusiveFailure,
  isRejection,
  sqlstateOf,
  Oracle,
  createRandom,
  RollbackSignal,
} from './fuzz/index.js';
export type {
  IsolationFuzzOptions,
  IsolationReport,
  FaultInjectors,
  FuzzAllRoutesOptions,
  FuzzAllRoutesResult,
  FuzzRoute,
  FuzzOperation,
  FuzzTenant,
  OperationEnv,
  BeforeRunEnv,
  Random,
  ModelInfo,
  SessionStateOptions,
  SessionStateRow,
  AnyPrismaClient,
  TenantFieldOptions,
  GenericWriteOptions,
  OracleFields,
} from './fuzz/index.js';
export {
  seedTenants,
  seedOrder,
  type SeededTenant,
  type SeedTenantsOptions,
  type TenantSeedInfo,
  type Row,
} from './seed.js';
export {
  schemaModelOf,
  type SchemaModel,
  type SchemaModelOptions,
  type ModelDef,
  type FieldDef,
  type RelationDef,
} from './schema-model.js';
