/**
 * The demo data `pnpm db:seed` and `pnpm dev` load: two tenants (Acme, Globex) with a user each and
 * one user who belongs to both, workspaces, projects and tasks, all with fixed ids.
 *
 * The seed never overwrites and never fails because of what a user did in the apps:
 *
 * - `pnpm dev` (`seedDemoData(admin)`, mode `once`): loads the demo data when no demo tenant exists
 *   yet, and otherwise touches nothing, so a demo project you deleted stays deleted and a workspace
 *   you renamed keeps its name across restarts.
 * - `pnpm db:seed` (`loadDemoData(admin, { mode: 'fill' })`): creates every demo row that is
 *   missing and leaves every existing row as it is (no update). A demo row whose unique key a row of
 *   yours now holds (you deleted the demo "Marketing" and created your own "Marketing") is skipped,
 *   with the rows below it, and the report says so.
 *
 * Everything runs in one transaction: a seed interrupted half-way leaves nothing behind.
 */
import { createAdminPrismaClient, type AdminPrismaClient } from '../admin.js';

const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

export const DEMO = {
  tenants: [
    { id: id(1), slug: 'acme', name: 'Acme Corp' },
    { id: id(2), slug: 'globex', name: 'Globex' },
  ],
  users: [
    { id: id(101), email: 'alice@acme.test', name: 'Alice (Acme)', tenants: [id(1)] },
    { id: id(102), email: 'bob@globex.test', name: 'Bob (Globex)', tenants: [id(2)] },
    { id: id(103), email: 'carol@both.test', name: 'Carol (Acme and Globex)', tenants: [id(1), id(2)] },
  ],
} as const;

/** Rows per table (a type alias, so it is also a `Record<string, number>`). */
export type DemoCounts = {
  tenants: number;
  users: number;
  memberships: number;
  workspaces: number;
  projects: number;
  tasks: number;
};

export interface DemoSeedReport {
  /** `skipped-present`: mode `once` found a demo tenant and changed nothing. */
  outcome: 'loaded' | 'skipped-present';
  /** Demo rows this call inserted. */
  created: DemoCounts;
  /** Demo rows that were there already and were left exactly as they are. */
  kept: DemoCounts;
  /** Demo rows not created because a row of yours holds their unique key, one sentence each. */
  skipped: string[];
}

export interface LoadDemoDataOptions {
  /**
   * `once` (what `pnpm dev` does on every start): only when no demo tenant exists yet.
   * `fill` (`pnpm db:seed`): create whatever demo rows are missing, keep the rest.
   */
  mode: 'once' | 'fill';
}

/** The demo rows below the tenants and users, in insertion order (parents first); supabase/seed.sql is generated from them. */
export function demoRows() {
  const workspaces: Array<{ tenantId: string; id: string; name: string }> = [];
  const projects: Array<{ tenantId: string; workspaceId: string; id: string; name: string }> = [];
  const tasks: Array<{
    tenantId: string;
    workspaceId: string;
    projectId: string;
    id: string;
    title: string;
    done: boolean;
  }> = [];
  for (const [ti, t] of DEMO.tenants.entries()) {
    for (let w = 0; w < 2; w++) {
      const workspaceId = id(1000 + ti * 100 + w);
      const name = w === 0 ? 'Engineering' : 'Marketing';
      workspaces.push({ tenantId: t.id, id: workspaceId, name });
      for (let p = 0; p < 2; p++) {
        const projectId = id(10000 + ti * 1000 + w * 100 + p);
        const projectName = `${t.name} ${name} project ${p + 1}`;
        projects.push({ tenantId: t.id, workspaceId, id: projectId, name: projectName });
        for (let k = 0; k < 3; k++) {
          const taskId = id(100000 + ti * 10000 + w * 1000 + p * 100 + k);
          tasks.push({
            tenantId: t.id,
            workspaceId,
            projectId,
            id: taskId,
            title: `${projectName}: task ${k + 1}`,
            done: k === 0,
          });
        }
      }
    }
  }
  const memberships = DEMO.users.flatMap((u) =>
    u.tenants.map((tenantId) => ({
      tenantId,
      userId: u.id,
      role: u.tenants.length > 1 ? ('member' as const) : ('owner' as const),
    })),
  );
  return { memberships, workspaces, projects, tasks };
}

const zero = (): DemoCounts => ({ tenants: 0, users: 0, memberships: 0, workspaces: 0, projects: 0, tasks: 0 });

/** `pnpm dev`'s seed: the demo data when no demo tenant exists yet, else nothing. Returns the rows it created. */
export async function seedDemoData(admin: AdminPrismaClient): Promise<DemoCounts> {
  return (await loadDemoData(admin, { mode: 'once' })).created;
}

/** seedDemoData through a client of its own on `adminUrl` (tenantry_admin), disconnected afterwards. */
export async function seedDemoDataAt(adminUrl: string): Promise<DemoCounts> {
  const admin = createAdminPrismaClient({ connectionString: adminUrl, poolSize: 1 });
  try {
    return await seedDemoData(admin);
  } finally {
    await admin.$disconnect();
  }
}

export async function loadDemoData(admin: AdminPrismaClient, options: LoadDemoDataOptions): Promise<DemoSeedReport> {
  const rows = demoRows();
  const created = zero();
  const kept = zero();
  const skipped: string[] = [];
  const tenantIds = DEMO.tenants.map((t) => t.id);

  const outcome = await admin.$transaction(async (tx) => {
    // Two `pnpm dev` or `db:seed` runs at once must not both decide the data is missing.
    await tx.$executeRaw`select pg_advisory_xact_lock(hashtext('tenantry demo data'))`;
    if (options.mode === 'once' && (await tx.tenant.count({ where: { id: { in: tenantIds } } })) > 0)
      return 'skipped-present' as const;

    // What exists, read once: nothing below updates an existing row.
    const [tenants, tenantSlugs, users, userEmails, memberships, workspaces, projects, tasks] = await Promise.all([
      tx.tenant.findMany({ where: { id: { in: tenantIds } }, select: { id: true } }),
      tx.tenant.findMany({
        where: { slug: { in: DEMO.tenants.map((t) => t.slug) } },
        select: { id: true, slug: true },
      }),
      tx.user.findMany({ where: { id: { in: DEMO.users.map((u) => u.id) } }, select: { id: true } }),
      tx.user.findMany({ where: { email: { in: DEMO.users.map((u) => u.email) } }, select: { id: true, email: true } }),
      tx.membership.findMany({ where: { tenantId: { in: tenantIds } }, select: { tenantId: true, userId: true } }),
      tx.workspace.findMany({
        where: { tenantId: { in: tenantIds } },
        select: { tenantId: true, id: true, name: true },
      }),
      tx.project.findMany({
        where: { tenantId: { in: tenantIds } },
        select: { tenantId: true, id: true, workspaceId: true, name: true, deletedAt: true },
      }),
      tx.task.findMany({ where: { tenantId: { in: tenantIds } }, select: { tenantId: true, id: true } }),
    ]);
    const key = (...parts: string[]) => parts.join('/');
    const tenantName = new Map<string, string>(DEMO.tenants.map((t) => [t.id, t.name]));
    const haveTenant = new Set(tenants.map((t) => t.id));
    const haveUser = new Set(users.map((u) => u.id));
    const haveMembership = new Set(memberships.map((m) => key(m.tenantId, m.userId)));
    const haveWorkspace = new Set(workspaces.map((w) => key(w.tenantId, w.id)));
    const takenWorkspaceName = new Set(workspaces.map((w) => key(w.tenantId, w.name)));
    const projectWorkspace = new Map(projects.map((p) => [key(p.tenantId, p.id), p.workspaceId]));
    const deletedProject = new Map(
      projects.filter((p) => p.deletedAt !== null).map((p) => [key(p.tenantId, p.id), p.name]),
    );
    const haveTask = new Set(tasks.map((t) => key(t.tenantId, t.id)));
    // Rows that exist after this call (kept or created): children need their parent there.
    const usableTenant = new Set<string>();
    const usableUser = new Set<string>();
    const usableWorkspace = new Set<string>();
    const usableProject = new Set<string>();

    for (const t of DEMO.tenants) {
      if (haveTenant.has(t.id)) {
        kept.tenants++;
      } else if (tenantSlugs.some((s) => s.slug === t.slug)) {
        skipped.push(`tenant "${t.name}": another tenant has the slug "${t.slug}", so its demo rows were skipped`);
        continue;
      } else {
        await tx.tenant.create({ data: { id: t.id, slug: t.slug, name: t.name } });
        created.tenants++;
      }
      usableTenant.add(t.id);
    }
    for (const { tenants: _, ...u } of DEMO.users) {
      if (haveUser.has(u.id)) {
        kept.users++;
      } else if (userEmails.some((e) => e.email === u.email)) {
        skipped.push(`user ${u.email}: another user has this email, so the demo user and its memberships were skipped`);
        continue;
      } else {
        await tx.user.create({ data: u });
        created.users++;
      }
      usableUser.add(u.id);
    }
    for (const m of rows.memberships) {
      if (haveMembership.has(key(m.tenantId, m.userId))) kept.memberships++;
      else if (usableTenant.has(m.tenantId) && usableUser.has(m.userId)) {
        await tx.membership.create({ data: m });
        created.memberships++;
      }
    }
    for (const w of rows.workspaces) {
      const k = key(w.tenantId, w.id);
      if (haveWorkspace.has(k)) {
        kept.workspaces++;
      } else if (!usableTenant.has(w.tenantId)) {
        continue;
      } else if (takenWorkspaceName.has(key(w.tenantId, w.name))) {
        skipped.push(
          `workspace "${w.name}" of ${tenantName.get(w.tenantId)}: a workspace of yours has that name, so the demo one and its projects and tasks were skipped`,
        );
        continue;
      } else {
        await tx.workspace.create({ data: w });
        takenWorkspaceName.add(key(w.tenantId, w.name));
        created.workspaces++;
      }
      usableWorkspace.add(k);
    }
    for (const p of rows.projects) {
      const k = key(p.tenantId, p.id);
      const workspaceId = projectWorkspace.get(k);
      if (workspaceId !== undefined) {
        kept.projects++;
        // Soft-deleted by the user: it stays deleted (the seed changes no row), and so do its tasks; a
        // missing demo task is not added under it (the database refuses a live task there).
        if (deletedProject.has(k)) {
          skipped.push(
            `project "${deletedProject.get(k)}" of ${tenantName.get(p.tenantId)}: deleted in the app, so it and its tasks stay deleted (after \`pnpm tenant:purge\` removes it, the seed adds it again)`,
          );
          continue;
        }
        // Moved to another workspace by the user: its demo tasks (keyed by the demo workspace) stay out.
        if (workspaceId === p.workspaceId) usableProject.add(k);
      } else if (usableWorkspace.has(key(p.tenantId, p.workspaceId))) {
        await tx.project.create({ data: p });
        created.projects++;
        usableProject.add(k);
      }
    }
    for (const t of rows.tasks) {
      if (haveTask.has(key(t.tenantId, t.id))) kept.tasks++;
      else if (usableProject.has(key(t.tenantId, t.projectId))) {
        await tx.task.create({ data: t });
        created.tasks++;
      }
    }
    return 'loaded' as const;
  });
  return { outcome, created, kept, skipped };
}

/** One line for people: what a load did. */
export function describeDemoSeed(report: DemoSeedReport): string {
  if (report.outcome === 'skipped-present') {
    return 'demo data: the demo tenants exist, left as they are (`pnpm db:seed` adds demo rows that are missing)';
  }
  const list = (counts: DemoCounts) =>
    Object.entries(counts)
      .filter(([, n]) => n > 0)
      .map(([table, n]) => `${n} ${table}`)
      .join(', ') || 'nothing';
  const lines = [`demo data: created ${list(report.created)}; kept ${list(report.kept)} as they were`];
  for (const reason of report.skipped) lines.push(`  skipped ${reason}`);
  return lines.join('\n');
}
