/**
 * Seeded tenants for isolation tests, written through the admin client (the only RLS bypass): per
 * tenant one owner, two workspaces, `perWorkspace` projects in each and a task per project, all with
 * random ids, so test files can share a database. Every row's name starts with its tenant's label
 * (`alpha Inc`, `alpha user`, `alpha ws0 p1 t0`), so an assertion that finds a foreign row names
 * whose it is. The db integration tests, the API's e2e and fault tests and the web's tests use this.
 */
import { randomUUID } from 'node:crypto';
import type { AdminPrismaClient } from '../admin.js';

export interface SeededTenant {
  label: string;
  tenantId: string;
  userId: string;
  workspaceIds: [string, string];
  projectIds: string[];
  taskIds: string[];
}

export interface SeedTenantOptions {
  /** Projects (each with one task) per workspace. Default 2. */
  perWorkspace?: number;
  /** The owner's user id: an existing user becomes the owner, a new id creates the user. Default random. */
  userId?: string;
}

export async function seedTenant(admin: AdminPrismaClient, label: string, options: SeedTenantOptions = {}): Promise<SeededTenant> {
  const perWorkspace = options.perWorkspace ?? 2;
  const tenantId = randomUUID();
  const userId = options.userId ?? randomUUID();
  const workspaceIds: [string, string] = [randomUUID(), randomUUID()];
  const tenant: SeededTenant = { label, tenantId, userId, workspaceIds, projectIds: [], taskIds: [] };
  await admin.tenant.create({ data: { id: tenantId, name: `${label} Inc`, slug: `${label}-${tenantId.slice(0, 8)}` } });
  const user = { id: userId, email: `${label}-${userId.slice(0, 8)}@example.test`, name: `${label} user` };
  if (options.userId === undefined) await admin.user.create({ data: user });
  else await admin.user.upsert({ where: { id: userId }, create: user, update: {} });
  await admin.membership.create({ data: { tenantId, userId, role: 'owner' } });
  for (const [w, workspaceId] of workspaceIds.entries()) {
    await admin.workspace.create({ data: { tenantId, id: workspaceId, name: `${label} ws${w}` } });
    for (let p = 0; p < perWorkspace; p++) {
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

/**
 * One seeded tenant per label, in order; a tuple of labels gives a tuple of tenants. `options` may
 * be the number of projects per workspace alone.
 */
export async function seedTenants<const L extends readonly string[]>(
  admin: AdminPrismaClient,
  labels: L,
  options: Omit<SeedTenantOptions, 'userId'> | number = {},
): Promise<{ -readonly [K in keyof L]: SeededTenant }> {
  const perTenant = typeof options === 'number' ? { perWorkspace: options } : options;
  const out: SeededTenant[] = [];
  for (const label of labels) out.push(await seedTenant(admin, label, perTenant));
  return out as { -readonly [K in keyof L]: SeededTenant };
}
