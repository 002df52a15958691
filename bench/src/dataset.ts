/**
 * The benchmark's data, shaped the same for every tenant so that ids can be computed instead of
 * loaded: tenant `i` has 2 workspaces, 10 projects (5 per workspace) and 5 tasks per project.
 * SQL (`md5(text)::uuid`) and JS (`uuidOf`) derive the same ids from the same keys, so a 10,000-tenant
 * database needs no id list in memory.
 */
import { createHash } from 'node:crypto';

export const SHAPE = { workspaces: 2, projects: 10, tasksPerProject: 5 } as const;

/** A v4-looking UUID from md5(key): what Postgres's `md5(key)::uuid` gives. */
export function uuidOf(key: string): string {
  const h = createHash('md5').update(key).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export const ids = {
  tenant: (t: number) => uuidOf(`tenant:${t}`),
  workspace: (t: number, w: number) => uuidOf(`ws:${t}:${w}`),
  project: (t: number, p: number) => uuidOf(`project:${t}:${p}`),
  task: (t: number, p: number, k: number) => uuidOf(`task:${t}:${p}:${k}`),
};

/** What one operation works on: a tenant drawn at random and rows that exist for it. */
export interface Pick {
  tenantId: string;
  /** The workspace of `projectId`: writes and transactions run in it. */
  workspaceId: string;
  projectId: string;
  taskId: string;
  /** A per-process sequence number, for unique names in created rows. */
  seq: number;
}

let seq = 0;

/** Draws tenants uniformly from the first `tenants` seeded ones. */
export function picker(tenants: number): () => Pick {
  return () => {
    const t = Math.floor(Math.random() * tenants);
    const p = Math.floor(Math.random() * SHAPE.projects);
    const k = Math.floor(Math.random() * SHAPE.tasksPerProject);
    return {
      tenantId: ids.tenant(t),
      workspaceId: ids.workspace(t, p % SHAPE.workspaces),
      projectId: ids.project(t, p),
      taskId: ids.task(t, p, k),
      seq: ++seq,
    };
  };
}

/**
 * Seeds tenants [from, to) with plain `insert ... select generate_series` as a superuser: 10,000
 * tenants (500,000 tasks) in seconds, where row-by-row Prisma inserts would take minutes. The ids
 * match `ids` above.
 */
export function seedSql(from: number, to: number): string[] {
  const range = `generate_series(${from}, ${to - 1}) t`;
  const tenant = `md5('tenant:' || t)::uuid`;
  return [
    `insert into tenants (id, name, slug) select ${tenant}, 'Tenant ' || t, 'tenant-' || t from ${range}`,
    `insert into workspaces (tenant_id, id, name)
       select ${tenant}, md5('ws:' || t || ':' || w)::uuid, 'Workspace ' || w
       from ${range}, generate_series(0, ${SHAPE.workspaces - 1}) w`,
    `insert into projects (tenant_id, workspace_id, id, name, updated_at)
       select ${tenant}, md5('ws:' || t || ':' || (p % ${SHAPE.workspaces}))::uuid, md5('project:' || t || ':' || p)::uuid,
              'Project ' || p, now()
       from ${range}, generate_series(0, ${SHAPE.projects - 1}) p`,
    `insert into tasks (tenant_id, workspace_id, id, project_id, title, updated_at)
       select ${tenant}, md5('ws:' || t || ':' || (p % ${SHAPE.workspaces}))::uuid, md5('task:' || t || ':' || p || ':' || k)::uuid,
              md5('project:' || t || ':' || p)::uuid, 'Task ' || p || '.' || k, now()
       from ${range}, generate_series(0, ${SHAPE.projects - 1}) p, generate_series(0, ${SHAPE.tasksPerProject - 1}) k`,
    // One user per tenant with a membership, so the memberships policy has rows to plan against.
    `insert into users (id, email, name) select md5('user:' || t)::uuid, 'user-' || t || '@bench.test', 'User ' || t from ${range}`,
    `insert into memberships (tenant_id, user_id, role) select ${tenant}, md5('user:' || t)::uuid, 'owner'::membership_role from ${range}`,
    'analyze',
  ];
}
