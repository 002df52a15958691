export { tenantryOperations } from './tenantry-operations.js';
export { seedTenantryFuzzData } from './tenantry-setup.js';
