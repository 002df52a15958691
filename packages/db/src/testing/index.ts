/**
 * `@tenantry/db/testing`: what our own test rig uses, for yours. Provision a real Postgres (env URL →
 * testcontainers → embedded), PgBouncer in front of it, migrated databases with the Tenantry roles,
 * and the demo data; provisionTestRig() does all of that in one call (and one stop()), seedTenants()
 * the per-test tenants.
 */
export { provisionPostgres, provisionPersistentEmbeddedPostgres, freeLocalPort, type PostgresServer } from './postgres-server.js';
export { startPgBouncer, type PgBouncer } from './pgbouncer.js';
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
} from './databases.js';
export { DEMO, seedDemoData, seedDemoDataAt, loadDemoData, describeDemoSeed, type DemoCounts, type DemoSeedReport, type LoadDemoDataOptions } from './demo-data.js';
export {
  runIsolationFuzz,
  formatIsolationReport,
  isolationLine,
  genericReadOperations,
  tenantModelsOf,
  tenantryOperations,
  sessionStateOperations,
  seedTenantryFuzzData,
  createRandom,
  RollbackSignal,
} from './fuzz/index.js';
export type { IsolationFuzzOptions, IsolationReport, FaultInjectors, FuzzOperation, FuzzTenant, OperationEnv, BeforeRunEnv, Random } from './fuzz/index.js';
export { provisionDevDatabase, isAlive, type DevDatabase, type ProvisionDevDatabaseOptions } from './dev-database.js';
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
export { seedTenant, seedTenants, type SeededTenant, type SeedTenantOptions } from './tenants.js';
export type { PoolMode } from './pgbouncer.js';
export type { RoleName } from './databases.js';
