/**
 * The demo data is loaded once and never rewritten: what a user does to it through the apps (the
 * tenant client, as the runtime role) survives every later `pnpm dev` start (`seedDemoData`, mode
 * once) and `pnpm db:seed` (`loadDemoData`, mode fill), and neither of them crashes on it. The bug
 * this guards: delete the demo workspace "Marketing", create your own "Marketing", restart → P2002
 * on (tenant_id, name), and only deleting the dev database helped.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { tenantContext, type TenantPrismaClient } from '../../src/index.js';
import type { AdminPrismaClient } from '../../src/admin.js';
import { DEMO, describeDemoSeed, loadDemoData, seedDemoData } from '../../src/testing/demo-data.js';
import { useTestDatabase } from '../support/test-database.js';

const ACME = DEMO.tenants[0].id;
let admin: AdminPrismaClient;
let client: TenantPrismaClient;

/** Everything of the demo tenants, read past RLS, in a stable order. */
async function snapshot() {
  const where = { tenantId: { in: DEMO.tenants.map((t) => t.id) } };
  return {
    tenants: await admin.tenant.findMany({ where: { id: where.tenantId }, orderBy: { id: 'asc' } }),
    users: await admin.user.findMany({ where: { id: { in: DEMO.users.map((u) => u.id) } }, orderBy: { id: 'asc' } }),
    memberships: await admin.membership.findMany({ where, orderBy: [{ tenantId: 'asc' }, { userId: 'asc' }] }),
    workspaces: await admin.workspace.findMany({ where, orderBy: [{ tenantId: 'asc' }, { id: 'asc' }] }),
    projects: await admin.project.findMany({ where, orderBy: [{ tenantId: 'asc' }, { id: 'asc' }] }),
    tasks: await admin.task.findMany({ where, orderBy: [{ tenantId: 'asc' }, { id: 'asc' }] }),
  };
}

beforeAll(async () => {
  const db = await useTestDatabase();
  admin = db.admin();
  client = db.client();
});

describe('demo data and user edits', () => {
  let mine: {
    workspaceId: string;
    projectId: string;
    renamedProjectId: string;
    renamedTaskId: string;
    deletedProjectId: string;
  };

  it('the first dev start loads the demo data', async () => {
    const created = await seedDemoData(admin);
    expect(created).toEqual({ tenants: 2, users: 3, memberships: 4, workspaces: 4, projects: 8, tasks: 24 });
  });

  it('a user edits the demo data through the apps (the tenant client)', async () => {
    mine = await tenantContext.run({ tenantId: ACME }, async () => {
      const marketing = await client.workspace.findFirstOrThrow({ where: { name: 'Marketing' } });
      await client.workspace.delete({ where: { tenantId_id: { tenantId: ACME, id: marketing.id } } });
      const own = await client.workspace.create({ data: { name: 'Marketing' } });
      const engineering = await client.workspace.findFirstOrThrow({ where: { name: 'Engineering' } });
      await client.workspace.update({
        where: { tenantId_id: { tenantId: ACME, id: engineering.id } },
        data: { name: 'Platform' },
      });
      const [renamed, deleted] = await client.project.findMany({
        where: { workspaceId: engineering.id },
        orderBy: { id: 'asc' },
      });
      await client.project.update({
        where: { tenantId_id: { tenantId: ACME, id: renamed!.id } },
        data: { name: 'My project' },
      });
      const task = await client.task.findFirstOrThrow({ where: { projectId: renamed!.id }, orderBy: { id: 'asc' } });
      await client.task.update({
        where: { tenantId_id: { tenantId: ACME, id: task.id } },
        data: { title: 'My task', done: true },
      });
      await client.project.delete({ where: { tenantId_id: { tenantId: ACME, id: deleted!.id } } });
      const project = await client.project.create({ data: { name: 'Launch', workspaceId: own.id } });
      return {
        workspaceId: own.id,
        projectId: project.id,
        renamedProjectId: renamed!.id,
        renamedTaskId: task.id,
        deletedProjectId: deleted!.id,
      };
    });
  });

  it('the next dev start neither fails nor touches a row', async () => {
    const before = await snapshot();
    const report = await loadDemoData(admin, { mode: 'once' });
    expect(report.outcome).toBe('skipped-present');
    expect(describeDemoSeed(report)).toMatch(/demo tenants exist, left as they are/);
    await expect(seedDemoData(admin)).resolves.toEqual({
      tenants: 0,
      users: 0,
      memberships: 0,
      workspaces: 0,
      projects: 0,
      tasks: 0,
    });
    expect(await snapshot()).toEqual(before);
  });

  it("`pnpm db:seed` adds the missing demo rows, keeps the user's, and says what it skipped", async () => {
    const before = await snapshot();
    const report = await loadDemoData(admin, { mode: 'fill' });
    expect(report.outcome).toBe('loaded');
    // The deleted demo project is soft-deleted, so it is still there and stays deleted with its
    // tasks (the seed changes no row); the demo Marketing (whose name the user's own workspace now
    // holds) is not created, nor its projects and tasks.
    expect(report.created).toEqual({ tenants: 0, users: 0, memberships: 0, workspaces: 0, projects: 0, tasks: 0 });
    expect(report.skipped).toEqual([
      expect.stringMatching(/^workspace "Marketing" of Acme Corp: a workspace of yours has that name/),
      expect.stringMatching(/^project ".+" of Acme Corp: deleted in the app, so it and its tasks stay deleted/),
    ]);
    expect(describeDemoSeed(report)).toMatch(
      /created nothing; kept .* as they were\n {2}skipped workspace "Marketing".*\n {2}skipped project /,
    );

    const after = await snapshot();
    // Every row that was there is still there, unchanged.
    expect(after.workspaces).toEqual(before.workspaces);
    for (const table of ['tenants', 'users', 'memberships', 'projects', 'tasks'] as const) {
      expect(after[table]).toEqual(expect.arrayContaining(before[table] as unknown[]));
    }
    const names = await tenantContext.run({ tenantId: ACME }, async () => ({
      workspaces: (await client.workspace.findMany({ orderBy: { name: 'asc' } })).map((w) => [
        w.id === mine.workspaceId ? 'mine' : 'demo',
        w.name,
      ]),
      renamed: (
        await client.project.findUniqueOrThrow({
          where: { tenantId_id: { tenantId: ACME, id: mine.renamedProjectId } },
        })
      ).name,
      task: await client.task.findUniqueOrThrow({ where: { tenantId_id: { tenantId: ACME, id: mine.renamedTaskId } } }),
      own: await client.project.count({ where: { id: mine.projectId, workspaceId: mine.workspaceId } }),
      deleted: await client.project.count({ where: { id: mine.deletedProjectId } }),
      deletedTasks: await client.task.count({ where: { projectId: mine.deletedProjectId } }),
    }));
    expect(names).toEqual({
      workspaces: [
        ['mine', 'Marketing'],
        ['demo', 'Platform'],
      ],
      renamed: 'My project',
      task: expect.objectContaining({ title: 'My task', done: true }),
      own: 1,
      deleted: 0,
      deletedTasks: 0,
    });
  });

  it('`pnpm db:seed` run again creates nothing and changes nothing', async () => {
    const before = await snapshot();
    const report = await loadDemoData(admin, { mode: 'fill' });
    expect(report.created).toEqual({ tenants: 0, users: 0, memberships: 0, workspaces: 0, projects: 0, tasks: 0 });
    expect(describeDemoSeed(report)).toMatch(
      /^demo data: created nothing; kept 2 tenants, 3 users, 4 memberships, 3 workspaces, 6 projects, 18 tasks as they were\n  skipped workspace "Marketing"/,
    );
    expect(await snapshot()).toEqual(before);
  });
});
