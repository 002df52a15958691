// `@tenantry/prisma/migrate`: Prisma Migrate on the wasm schema engine (offline too), with the RLS of every new
// tenant table generated into its migration. The CLI (`tenantry migrate ...`) is built on it.
export * from './citus.js';
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
