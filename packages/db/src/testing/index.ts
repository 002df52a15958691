/**
 * `@tenantry/db/testing`: the test kit (@tenantry/testing) bound to this app's schema, migrations and
 * demo data, for the db, api and web suites, the benchmark and `pnpm dev`. provisionTestRig() and
 * createMigratedDatabase() here migrate with packages/db/prisma; `seed: 'demo'` loads DEMO;
 * seedTenants() the per-test tenants; tenantryOperations() the fuzzer's writes on this schema.
 */
export * from '@tenantry/testing';
export {
  provisionTestRig,
  createMigratedDatabase,
  migrateDeploy,
  appMigrations,
  type AppTestRigOptions,
} from './app-rig.js';
export {
  DEMO,
  seedDemoData,
  seedDemoDataAt,
  loadDemoData,
  describeDemoSeed,
  type DemoCounts,
  type DemoSeedReport,
  type LoadDemoDataOptions,
} from './demo-data.js';
export { tenantryOperations, seedTenantryFuzzData, auditMismatches, type AuditMismatchReport } from './fuzz/index.js';
export { provisionDevDatabase, isAlive, type DevDatabase, type ProvisionDevDatabaseOptions } from './dev-database.js';
export { seedTenant, seedTenants, type SeededTenant, type SeedTenantOptions } from './tenants.js';
