// `@tenantry/prisma/migrate`: Prisma Migrate on the wasm schema engine (offline too), with the RLS of every new
// tenant table generated into its migration. The CLI (`tenantry migrate ...`) is built on it.
export * from './citus.js';
export * from './citus-migration.js';
export * from './columns.js';
export * from './errors.js';
export {
  engineFreeEnv,
  engineStandIn,
  type GenerateClientOptions,
  generatePrismaClient,
  hasNativeSchemaEngine,
  runPrismaCli,
} from './native-engine.js';
export * from './policies.js';
export * from './run.js';
export { describeUrl } from './urls.js';
// The audit log's markers and SQL (docs/audit-log.md), appended by `tenantry migrate dev` like the policies.
export {
  auditSchemaFrom,
  readAuditSchema,
  AUDIT_MARKER,
  AUDIT_LOG_MARKER,
  type AuditSchema,
  type AuditedTable,
  type AuditLogTable,
} from '../audit/schema.js';
export {
  addAuditToMigration,
  addAuditToMigrationFile,
  replayAudit,
  type AuditMigrationChange,
} from '../audit/migration.js';
export {
  renderAuditLogBlock,
  renderAuditTriggers,
  auditReadRule,
  AUDIT_TRIGGERS,
  AUDIT_LOG_COMMENT,
  CAPTURE_FUNCTION,
  ERASURE_FUNCTION,
} from '../audit/sql.js';
export { AuditSchemaError } from '../audit/errors.js';
