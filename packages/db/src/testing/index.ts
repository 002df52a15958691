/**
 * `@tenantry/db/testing`: what our own test rig uses, for yours. Provision a real Postgres (env URL →
 * testcontainers → embedded), PgBouncer in front of it, migrated databases with the Tenantry roles,
 * and the demo data.
 */
export { provisionPostgres, provisionPersistentEmbeddedPostgres, type PostgresServer } from './postgres-server.js';
export { startPgBouncer, type PgBouncer } from './pgbouncer.js';
export {
  ROLES,
  roleUrl,
  ensureRoles,
  createMigratedDatabase,
  createDatabaseFromTemplate,
  dropDatabases,
  devPassword,
} from './databases.js';
export { DEMO, seedDemoData } from './demo-data.js';
