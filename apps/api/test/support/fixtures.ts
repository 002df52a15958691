/**
 * Tenants for the e2e tests: the kit's seedTenant/seedTenants (@tenantry/db/testing), written
 * through the admin client (the only RLS bypass). Every row's name starts with its tenant's label,
 * so an assertion that finds a foreign row names whose it is.
 */
import type { SeededTenant } from '@tenantry/db/testing';

export { seedTenant, seedTenants, type SeededTenant } from '@tenantry/db/testing';

/** Rows of a response that are not `tenant`'s, described for an assertion message. */
export function foreignRows(
  rows: Array<{ tenantId?: string; id?: string }>,
  tenant: SeededTenant,
  what: string,
): string[] {
  return rows
    .filter((row) => row.tenantId !== tenant.tenantId)
    .map(
      (row) => `tenant ${tenant.label} (${tenant.tenantId}) ${what} returned row ${row.id} of tenant ${row.tenantId}`,
    );
}
