/**
 * Tenants for the e2e tests, written through the admin client (the only RLS bypass). Every row's
 * name starts with its tenant's label, so an assertion that finds a foreign row names whose it is.
 */
import { randomUUID } from 'node:crypto';
import type { AdminPrismaClient } from '@tenantry/db/admin';

export interface SeededTenant {
  label: string;
  tenantId: string;
  userId: string;
  workspaceIds: string[];
  projectIds: string[];
  taskIds: string[];
}

export async function seedTenant(admin: AdminPrismaClient, label: string): Promise<SeededTenant> {
  const tenantId = randomUUID();
  const userId = randomUUID();
  const tenant: SeededTenant = { label, tenantId, userId, workspaceIds: [], projectIds: [], taskIds: [] };
  await admin.tenant.create({ data: { id: tenantId, name: `${label} Inc`, slug: `${label}-${tenantId.slice(0, 8)}` } });
  await admin.user.create({ data: { id: userId, email: `${label}-${userId.slice(0, 8)}@e2e.test`, name: `${label} user` } });
  await admin.membership.create({ data: { tenantId, userId, role: 'owner' } });
  for (let w = 0; w < 2; w++) {
    const workspaceId = randomUUID();
    tenant.workspaceIds.push(workspaceId);
    await admin.workspace.create({ data: { tenantId, id: workspaceId, name: `${label} ws${w}` } });
    for (let p = 0; p < 2; p++) {
      const projectId = randomUUID();
      tenant.projectIds.push(projectId);
      await admin.project.create({ data: { tenantId, workspaceId, id: projectId, name: `${label} ws${w} p${p}` } });
      const taskId = randomUUID();
      tenant.taskIds.push(taskId);
      await admin.task.create({ data: { tenantId, workspaceId, projectId, id: taskId, title: `${label} ws${w} p${p} t0` } });
    }
  }
  return tenant;
}

export async function seedTenants(admin: AdminPrismaClient, labels: string[]): Promise<SeededTenant[]> {
  const out: SeededTenant[] = [];
  for (const label of labels) out.push(await seedTenant(admin, label));
  return out;
}

/** Rows of a response that are not `tenant`'s, described for an assertion message. */
export function foreignRows(rows: Array<{ tenantId?: string; id?: string }>, tenant: SeededTenant, what: string): string[] {
  return rows
    .filter((row) => row.tenantId !== tenant.tenantId)
    .map((row) => `tenant ${tenant.label} (${tenant.tenantId}) ${what} returned row ${row.id} of tenant ${row.tenantId}`);
}
