export { runIsolationFuzz, formatIsolationReport, isolationLine } from './run.js';
export type { IsolationFuzzOptions, IsolationReport, FaultInjectors } from './run.js';
export {
  fuzzAllRoutes,
  fuzzRoutesOf,
  type FuzzAllRoutesOptions,
  type FuzzAllRoutesResult,
  type FuzzRoute,
} from './routes.js';
export {
  genericReadOperations,
  tenantModelsOf,
  type ModelInfo,
  type TenantFieldOptions,
} from './generic-operations.js';
export { genericWriteOperations, type GenericWriteOptions } from './generic-writes.js';
export {
  sessionStateOperations,
  ENGINE_SETTINGS_STATEMENT,
  type SessionStateOptions,
  type SessionStateRow,
} from './session-state-operations.js';
export {
  inheritedStateError,
  isSessionStatementRefused,
  isConclusiveFailure,
  isRejection,
  sqlstateOf,
} from './outcomes.js';
export { Oracle, type OracleFields } from './oracle.js';
export { createRandom, type Random } from './random.js';
export {
  RollbackSignal,
  type AnyPrismaClient,
  type BeforeRunEnv,
  type FuzzOperation,
  type FuzzTenant,
  type OperationEnv,
} from './types.js';
