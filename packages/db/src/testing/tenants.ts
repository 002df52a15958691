/**
 * Seeded tenants for isolation tests: the kit's seedTenants (@tenantry/testing) on this app's schema,
 * with the names and shape the db, api and web suites rely on. Per tenant one owner, two workspaces,
 * `perWorkspace` projects in each and a task per project, all with random ids, so test files can
 * share a database. Every row's name starts with its tenant's label (`alpha Inc`, `alpha user`,
 * `alpha ws0 p1 t0`), so an assertion that finds a foreign row names whose it is.
 */
import { randomUUID } from 'node:crypto';
import { seedTenants as seedKitTenants, type Row, type TenantSeedInfo } from '@tenantry/testing';
import type { AdminPrismaClient } from '../admin.js';
import { appMigrations } from './app-rig.js';

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

export async function seedTenant(
  admin: AdminPrismaClient,
  label: string,
  options: SeedTenantOptions = {},
): Promise<SeededTenant> {
  const [tenant] = await seedAll(admin, [label], options);
  return tenant!;
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
  return (await seedAll(admin, labels, perTenant)) as { -readonly [K in keyof L]: SeededTenant };
}

async function seedAll(
  admin: AdminPrismaClient,
  labels: readonly string[],
  options: SeedTenantOptions,
): Promise<SeededTenant[]> {
  const perWorkspace = options.perWorkspace ?? 2;
  const workspaces = 2;
  // Projects fill workspace 0 first, then workspace 1 (projectIds[0..perWorkspace-1] are in ws0).
  const names = (model: string, index: number, t: TenantSeedInfo): Row | undefined => {
    switch (model) {
      case 'Tenant':
        return { name: `${t.label} Inc`, slug: `${t.label}-${t.tenantId.slice(0, 8)}` };
      case 'User': {
        const id = options.userId ?? randomUUID();
        return { id, email: `${t.label}-${id.slice(0, 8)}@example.test`, name: `${t.label} user` };
      }
      case 'Membership':
        return { role: 'owner' };
      case 'Workspace':
        return { name: `${t.label} ws${index}` };
      case 'Project': {
        const w = Math.floor(index / perWorkspace);
        return { workspaceId: t.workspaceIds[w], name: `${t.label} ws${w} p${index % perWorkspace}` };
      }
      case 'Task': {
        const project = t.rows.get('Project')![index]!;
        return { projectId: project.id, workspaceId: project.workspaceId, title: `${project.name} t0` };
      }
      default:
        return undefined;
    }
  };
  const seeded = await seedKitTenants(admin, labels, {
    schema: appMigrations().schemaPath,
    workspaces,
    // Nothing but the models named here (no invitations, say): the suites count what they seeded.
    rowsPerModel: 0,
    counts: { User: 1, Membership: 1, Project: workspaces * perWorkspace, Task: workspaces * perWorkspace },
    values: names,
    ...(options.userId === undefined ? {} : { reuseExisting: ['User'] }),
  });
  const ids = (rows: Row[] | undefined) => (rows ?? []).map((r) => String(r.id));
  return seeded.map((t) => ({
    label: t.label,
    tenantId: t.tenantId,
    userId: ids(t.rows.get('User'))[0]!,
    workspaceIds: t.workspaceIds as [string, string],
    projectIds: ids(t.rows.get('Project')),
    taskIds: ids(t.rows.get('Task')),
  }));
}
