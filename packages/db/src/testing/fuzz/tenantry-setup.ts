/**
 * Seeds tenants for the fuzzer on Tenantry's schema, through the admin client (seeding crosses
 * tenants, so it is a legitimate bypass): each tenant gets workspaces and projects the write
 * operations can target. Bulk `createMany` keeps 50+ tenants to a few statements.
 */
import { createRandom } from '@tenantry/testing';
import type { AnyPrismaClient, FuzzTenant } from '@tenantry/testing';

export async function seedTenantryFuzzData(
  admin: AnyPrismaClient,
  options: { tenants: number; seed: number; workspacesPerTenant?: number; projectsPerWorkspace?: number },
): Promise<FuzzTenant[]> {
  const rng = createRandom((options.seed ^ 0x7e4a47) >>> 0);
  const tenants: FuzzTenant[] = [];
  const rows = { tenants: [] as object[], workspaces: [] as object[], projects: [] as object[], tasks: [] as object[] };
  for (let t = 0; t < options.tenants; t++) {
    const tenantId = rng.uuid();
    const tenant: FuzzTenant = { tenantId, workspaceIds: [], known: new Map() };
    rows.tenants.push({ id: tenantId, name: `fuzz tenant ${t}`, slug: `fuzz-${tenantId}` });
    for (let w = 0; w < (options.workspacesPerTenant ?? 3); w++) {
      const workspaceId = rng.uuid();
      tenant.workspaceIds.push(workspaceId);
      rows.workspaces.push({ tenantId, id: workspaceId, name: `fuzz ws ${w}` });
      const projects: string[] = [];
      for (let p = 0; p < (options.projectsPerWorkspace ?? 2); p++) {
        const projectId = rng.uuid();
        projects.push(projectId);
        rows.projects.push({ tenantId, workspaceId, id: projectId, name: `fuzz project ${p}` });
        rows.tasks.push({ tenantId, workspaceId, projectId, id: rng.uuid(), title: 'seeded task' });
      }
      tenant.known.set(`Project@${workspaceId}`, projects);
      tenant.known.set('Project', [...(tenant.known.get('Project') ?? []), ...projects]);
    }
    tenant.known.set('Workspace', [...tenant.workspaceIds]);
    tenants.push(tenant);
  }
  await admin.tenant.createMany({ data: rows.tenants });
  await admin.workspace.createMany({ data: rows.workspaces });
  await admin.project.createMany({ data: rows.projects });
  await admin.task.createMany({ data: rows.tasks });
  return tenants;
}
