export { tenantryOperations } from './tenantry-operations.js';
export { seedTenantryFuzzData } from './tenantry-setup.js';
export { auditMismatches, type AuditMismatchReport } from './audit-mismatches.js';
