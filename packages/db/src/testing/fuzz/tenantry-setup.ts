/**
 * Seeds tenants for the fuzzer on Tenantry's schema with the kit's seedTenants (one bulk insert per
 * model, so 50+ tenants take a few statements): per tenant its workspaces, projects in each (known as
 * `Project@<workspaceId>`, the targets tenantryOperations writes into), a task per project and an
 * invitation, so the generic writes have seeded rows of every model to aim at, their own and others'.
 */
import { seedTenants, type SeededTenant } from '@tenantry/testing';
import type { AnyPrismaClient } from '@tenantry/testing';
import { appMigrations } from '../app-rig.js';

export async function seedTenantryFuzzData(
  admin: AnyPrismaClient,
  options: { tenants: number; seed: number; workspacesPerTenant?: number; projectsPerWorkspace?: number },
): Promise<SeededTenant[]> {
  const workspaces = options.workspacesPerTenant ?? 3;
  const projects = workspaces * (options.projectsPerWorkspace ?? 2);
  return seedTenants(admin, options.tenants, {
    schema: appMigrations().schemaPath,
    // Its own stream: the fuzzer's operations draw theirs from `seed`.
    seed: (options.seed ^ 0x7e4a47) >>> 0,
    workspaces,
    // Projects go round the workspaces, and each task to the project of its index: one per project.
    counts: { Project: projects, Task: projects, Invitation: 1, Membership: 0, User: 0 },
  });
}
