/**
 * Seeded tenants for isolation tests: the kit's seedTenants (@tenantry/db/testing), written
 * through the admin client (the only RLS bypass). Every row's name starts with its tenant's label,
 * so a failing assertion shows whose row leaked.
 */
export { seedTenant, seedTenants, type SeededTenant } from '../../src/testing/tenants.js';

/** Rows (with a tenantId) that do not belong to `tenantId`, described for an assertion message. */
export function foreignRows(
  rows: Array<{ tenantId?: string; id?: string }>,
  tenantId: string,
  operation: string,
): string[] {
  return rows
    .filter((r) => r.tenantId !== tenantId)
    .map((r) => `tenant ${tenantId} ${operation} returned row ${r.id ?? '?'} of tenant ${r.tenantId}`);
}
