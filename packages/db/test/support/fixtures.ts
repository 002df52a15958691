/**
 * Seeded tenants for isolation tests, written through the admin client (the only RLS bypass).
 * Every row's name embeds its tenant's label, so a failing assertion shows whose row leaked.
 */
import { randomUUID } from 'node:crypto';
import type { AdminPrismaClient } from '../../src/admin.js';

export interface SeededTenant {
  label: string;
  tenantId: string;
  userId: string;
  workspaceIds: [string, string];
  projectIds: string[];
  taskIds: string[];
}

export async function seedTenants<const L extends readonly string[]>(
  admin: AdminPrismaClient,
  labels: L,
  perWorkspace = 2,
): Promise<{ -readonly [K in keyof L]: SeededTenant }> {
  const out: SeededTenant[] = [];
  for (const label of labels) {
    const tenantId = randomUUID();
    const userId = randomUUID();
    const workspaceIds: [string, string] = [randomUUID(), randomUUID()];
    await admin.tenant.create({ data: { id: tenantId, name: `Tenant ${label}`, slug: `${label}-${tenantId.slice(0, 8)}` } });
    await admin.user.create({ data: { id: userId, email: `${label}-${userId.slice(0, 8)}@example.test`, name: `User ${label}` } });
    await admin.membership.create({ data: { tenantId, userId, role: 'owner' } });
    const projectIds: string[] = [];
    const taskIds: string[] = [];
    for (const [w, workspaceId] of workspaceIds.entries()) {
      await admin.workspace.create({ data: { tenantId, id: workspaceId, name: `${label} ws${w}` } });
      for (let p = 0; p < perWorkspace; p++) {
        const projectId = randomUUID();
        projectIds.push(projectId);
        await admin.project.create({ data: { tenantId, workspaceId, id: projectId, name: `${label} ws${w} p${p}` } });
        const taskId = randomUUID();
        taskIds.push(taskId);
        await admin.task.create({ data: { tenantId, workspaceId, projectId, id: taskId, title: `${label} ws${w} p${p} t0` } });
      }
    }
    out.push({ label, tenantId, userId, workspaceIds, projectIds, taskIds });
  }
  return out as { -readonly [K in keyof L]: SeededTenant };
}

/** Rows (with a tenantId) that do not belong to `tenantId`, described for an assertion message. */
export function foreignRows(rows: Array<{ tenantId?: string; id?: string }>, tenantId: string, operation: string): string[] {
  return rows
    .filter((r) => r.tenantId !== tenantId)
    .map((r) => `tenant ${tenantId} ${operation} returned row ${r.id ?? '?'} of tenant ${r.tenantId}`);
}
