export { runIsolationFuzz, formatIsolationReport, isolationLine } from './run.js';
export type { IsolationFuzzOptions, IsolationReport, FaultInjectors } from './run.js';
export { genericReadOperations, tenantModelsOf, type ModelInfo } from './generic-operations.js';
export { tenantryOperations } from './tenantry-operations.js';
export { seedTenantryFuzzData } from './tenantry-setup.js';
export { createRandom, type Random } from './random.js';
export { RollbackSignal, type FuzzOperation, type FuzzTenant, type OperationEnv } from './types.js';
