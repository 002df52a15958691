/**
 * I1 for nested writes. The tenant extension sees only the top-level operation; nested `create`,
 * `connect`, `connectOrCreate`, `updateMany` and `deleteMany` are compiled by Prisma into statements
 * of their own, which inherit the tenant from the parent's keys or the column defaults and are held
 * by RLS. These tests prove that they land in the context tenant, pass the WITH CHECK policies, and
 * cannot reach another tenant's rows.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { TenantMismatchError, tenantContext } from '../../src/index.js';
import type { AdminPrismaClient } from '../../src/admin.js';
import { useTestDatabase, type TestDatabase } from '../support/test-database.js';
import { foreignRows, seedTenants, type SeededTenant } from '../support/fixtures.js';
import { onCitus } from '../support/citus.js';

let db: TestDatabase;
let admin: AdminPrismaClient;
let a: SeededTenant;
let b: SeededTenant;
let bBefore: string;

beforeAll(async () => {
  db = await useTestDatabase();
  admin = db.admin();
  [a, b] = await seedTenants(admin, ['alpha', 'bravo']);
  bBefore = await holdingsOf(b.tenantId);
});

/** Every row tenant B owns, read past RLS, as one comparable string. */
async function holdingsOf(tenantId: string): Promise<string> {
  const where = { tenantId };
  return JSON.stringify({
    workspaces: await admin.workspace.findMany({ where, orderBy: { id: 'asc' } }),
    projects: await admin.project.findMany({ where, orderBy: { id: 'asc' } }),
    tasks: await admin.task.findMany({ where, orderBy: { id: 'asc' } }),
  });
}

/** Fails, naming the operation, when tenant B's rows differ from the start of the file. */
async function expectBUntouched(operation: string): Promise<void> {
  expect(await holdingsOf(b.tenantId), `tenant ${a.tenantId} ${operation} changed rows of tenant ${b.tenantId}`).toBe(
    bBefore,
  );
}

describe('nested writes', () => {
  it('a nested create of workspace, projects and tasks inherits the context tenant and passes row-level security', async () => {
    const prisma = db.client();
    const workspace = await tenantContext.run({ tenantId: a.tenantId }, () =>
      prisma.workspace.create({
        data: {
          name: 'alpha nested ws',
          projects: {
            create: [
              {
                name: 'alpha nested p0',
                tasks: { create: [{ title: 'alpha nested p0 t0' }, { title: 'alpha nested p0 t1' }] },
              },
              { name: 'alpha nested p1', tasks: { create: [{ title: 'alpha nested p1 t0' }] } },
            ],
          },
        },
      }),
    );
    const projects = await admin.project.findMany({ where: { workspaceId: workspace.id } });
    const tasks = await admin.task.findMany({ where: { workspaceId: workspace.id } });
    expect(workspace.tenantId).toBe(a.tenantId);
    expect(projects).toHaveLength(2);
    expect(tasks).toHaveLength(3);
    expect(foreignRows([workspace, ...projects, ...tasks], a.tenantId, 'workspace.create nested (admin view)')).toEqual(
      [],
    );
    const byName = new Map(projects.map((p) => [p.name, p.id]));
    for (const t of tasks) expect(t.projectId).toBe(byName.get(t.title.split(' t')[0]!));
    await expectBUntouched('workspace.create nested');
  });

  it('a project created with nested tasks inherits the tenant and the workspace, from the context or from the data', async () => {
    const prisma = db.client();
    // In a workspace context the checked input form takes both ids from the column defaults.
    const inContext = await tenantContext.run({ tenantId: a.tenantId, workspaceId: a.workspaceIds[0] }, () =>
      prisma.project.create({
        data: { name: 'alpha nested in ws0', tasks: { create: [{ title: 'alpha nested in ws0 t0' }] } },
      }),
    );
    // Without one, workspaceId in data makes it the unchecked form, which the extension fills.
    const fromData = await tenantContext.run({ tenantId: a.tenantId }, () =>
      prisma.project.create({
        data: {
          name: 'alpha nested in ws1',
          workspaceId: a.workspaceIds[1],
          tasks: { create: [{ title: 'alpha nested in ws1 t0' }] },
        },
      }),
    );
    for (const [project, workspaceId] of [
      [inContext, a.workspaceIds[0]],
      [fromData, a.workspaceIds[1]],
    ] as const) {
      const rows = [
        ...(await admin.project.findMany({ where: { id: project.id } })),
        ...(await admin.task.findMany({ where: { projectId: project.id } })),
      ];
      expect(rows).toHaveLength(2);
      expect(foreignRows(rows, a.tenantId, `project.create ${project.name} (admin view)`)).toEqual([]);
      expect(rows.map((r) => r.workspaceId)).toEqual([workspaceId, workspaceId]);
    }
    await expectBUntouched('project.create with nested tasks');
  });

  it('a nested connect to another tenant project or workspace fails and writes nothing', async () => {
    const prisma = db.client();
    await tenantContext.run({ tenantId: a.tenantId }, async () => {
      // Only the id is B's: Prisma's lookup of (A, B's id) runs under RLS and finds no such row.
      await expect(
        prisma.task.create({
          data: {
            title: 'alpha stolen',
            project: { connect: { tenantId_id: { tenantId: a.tenantId, id: b.projectIds[0]! } } },
          },
        }),
      ).rejects.toMatchObject({ code: 'P2025' });
      await expect(
        prisma.project.create({
          data: {
            name: 'alpha stolen',
            workspace: { connect: { tenantId_id: { tenantId: a.tenantId, id: b.workspaceIds[0] } } },
          },
        }),
      ).rejects.toMatchObject({ code: 'P2025' });
      // From the parent's side: pulling B's project into A's workspace.
      await expect(
        prisma.workspace.update({
          where: { tenantId_id: { tenantId: a.tenantId, id: a.workspaceIds[0] } },
          data: { projects: { connect: [{ tenantId_id: { tenantId: a.tenantId, id: b.projectIds[0]! } }] } },
        }),
        // On Citus Prisma reports the same missing record as P2039 (its connect runs as an update
        // with RETURNING there); either way nothing is connected, checked below.
      ).rejects.toMatchObject({ code: onCitus ? 'P2039' : 'P2018' });
      // Naming B's tenant outright is caught before any SQL.
      await expect(
        prisma.task.create({
          data: {
            title: 'alpha stolen',
            project: { connect: { tenantId_id: { tenantId: b.tenantId, id: b.projectIds[0]! } } },
          },
        }),
      ).rejects.toBeInstanceOf(TenantMismatchError);
      await expect(
        prisma.project.create({
          data: {
            name: 'alpha stolen',
            workspace: { connect: { tenantId_id: { tenantId: b.tenantId, id: b.workspaceIds[0] } } },
          },
        }),
      ).rejects.toBeInstanceOf(TenantMismatchError);
    });
    expect(await admin.task.findMany({ where: { title: 'alpha stolen' } })).toEqual([]);
    expect(await admin.project.findMany({ where: { name: 'alpha stolen' } })).toEqual([]);
    await expectBUntouched('nested connect');
  });

  it('connectOrCreate with another tenant key creates in the context tenant and never connects the other tenant row', async () => {
    const prisma = db.client();
    const project = await tenantContext.run({ tenantId: a.tenantId }, () =>
      prisma.project.create({
        data: {
          name: 'alpha coc project',
          workspace: {
            connectOrCreate: {
              where: { tenantId_id: { tenantId: a.tenantId, id: b.workspaceIds[0] } },
              create: { id: b.workspaceIds[0], name: 'alpha coc workspace' },
            },
          },
        },
      }),
    );
    // (A, B's id) did not exist, so a new workspace of A's was created with that id (keys are
    // per tenant, I6) and the project hangs off it, not off B's workspace.
    expect(project).toMatchObject({ tenantId: a.tenantId, workspaceId: b.workspaceIds[0] });
    const twins = await admin.workspace.findMany({ where: { id: b.workspaceIds[0] } });
    expect(twins.map((w) => [w.tenantId, w.name]).sort()).toEqual(
      [
        [a.tenantId, 'alpha coc workspace'],
        [b.tenantId, 'bravo ws0'],
      ].sort(),
    );

    const task = await tenantContext.run({ tenantId: a.tenantId, workspaceId: a.workspaceIds[0] }, () =>
      prisma.task.create({
        data: {
          title: 'alpha coc task',
          project: {
            connectOrCreate: {
              where: { tenantId_id: { tenantId: a.tenantId, id: b.projectIds[0]! } },
              create: { id: b.projectIds[0]!, name: 'alpha coc task project' },
            },
          },
        },
      }),
    );
    expect(task).toMatchObject({ tenantId: a.tenantId, workspaceId: a.workspaceIds[0], projectId: b.projectIds[0] });
    const projects = await admin.project.findMany({ where: { id: b.projectIds[0]! } });
    expect(projects.map((p) => [p.tenantId, p.name]).sort()).toEqual(
      [
        [a.tenantId, 'alpha coc task project'],
        [b.tenantId, 'bravo ws0 p0'],
      ].sort(),
    );

    await tenantContext.run({ tenantId: a.tenantId }, async () => {
      await expect(
        prisma.project.create({
          data: {
            name: 'alpha coc stolen',
            workspace: {
              connectOrCreate: {
                where: { tenantId_id: { tenantId: b.tenantId, id: b.workspaceIds[1] } },
                create: { id: b.workspaceIds[1], name: 'alpha coc stolen' },
              },
            },
          },
        }),
      ).rejects.toBeInstanceOf(TenantMismatchError);
    });
    expect(await admin.project.findMany({ where: { name: 'alpha coc stolen' } })).toEqual([]);
    expect(await admin.workspace.findMany({ where: { name: 'alpha coc stolen' } })).toEqual([]);
    await expectBUntouched('connectOrCreate');
  });

  it('nested create, updateMany and deleteMany in a project update affect only that project rows of the context tenant', async () => {
    const prisma = db.client();
    const target = a.projectIds[1]!;
    const where = { tenantId_id: { tenantId: a.tenantId, id: target } };
    const otherATasks = async () =>
      JSON.stringify(
        await admin.task.findMany({
          where: { tenantId: a.tenantId, projectId: { not: target } },
          orderBy: { id: 'asc' },
        }),
      );
    const othersBefore = await otherATasks();

    await tenantContext.run({ tenantId: a.tenantId }, async () => {
      await prisma.project.update({ where, data: { tasks: { create: [{ title: 'alpha p1 added' }] } } });
      const added = await admin.task.findMany({ where: { title: 'alpha p1 added' } });
      expect(added.map((t) => [t.tenantId, t.workspaceId, t.projectId])).toEqual([
        [a.tenantId, a.workspaceIds[0], target],
      ]);

      // The filter names every task of both tenants; the relation and RLS narrow it to this project's.
      await prisma.project.update({
        where,
        data: {
          tasks: {
            updateMany: { where: { id: { in: [...a.taskIds, ...b.taskIds, added[0]!.id] } }, data: { done: true } },
          },
        },
      });
      const mine = await admin.task.findMany({ where: { projectId: target } });
      expect(mine.map((t) => t.done)).toEqual(mine.map(() => true));

      // Tasks are soft-deleted: every task of this project is marked, none is live.
      await prisma.project.update({ where, data: { tasks: { deleteMany: {} } } });
      expect(await admin.task.count({ where: { projectId: target, deletedAt: null } })).toBe(0);
      expect(await admin.task.count({ where: { projectId: target } })).toBe(mine.length);

      // The same nested writes aimed at B's project by id fail as a whole.
      await expect(
        prisma.project.update({
          where: { tenantId_id: { tenantId: a.tenantId, id: b.projectIds[1]! } },
          data: { tasks: { create: [{ title: 'alpha planted' }], deleteMany: {} } },
        }),
      ).rejects.toMatchObject({ code: 'P2025' });
    });
    expect(await admin.task.findMany({ where: { title: 'alpha planted' } })).toEqual([]);
    expect(await otherATasks()).toBe(othersBefore);
    await expectBUntouched('project.update nested tasks');
  });

  it('nested updateMany and deleteMany from a workspace reach only that workspace projects of the context tenant', async () => {
    const prisma = db.client();
    await tenantContext.run({ tenantId: a.tenantId }, async () => {
      const workspace = await prisma.workspace.update({
        where: { tenantId_id: { tenantId: a.tenantId, id: a.workspaceIds[1] } },
        data: { projects: { updateMany: { where: {}, data: { name: 'alpha ws1 renamed' } } } },
        include: { projects: true },
      });
      expect(foreignRows(workspace.projects, a.tenantId, 'workspace.update include projects')).toEqual([]);
      expect(workspace.projects.map((p) => p.name)).toEqual(workspace.projects.map(() => 'alpha ws1 renamed'));
      await prisma.workspace.update({
        where: { tenantId_id: { tenantId: a.tenantId, id: a.workspaceIds[1] } },
        // Every project renamed above, and B's ids besides.
        data: { projects: { deleteMany: { OR: [{ name: 'alpha ws1 renamed' }, { id: { in: b.projectIds } }] } } },
      });
    });
    // Projects are soft-deleted: none of that workspace is live, and none of the other was touched.
    expect(
      await admin.project.count({ where: { tenantId: a.tenantId, workspaceId: a.workspaceIds[1], deletedAt: null } }),
    ).toBe(0);
    expect(
      await admin.project.count({ where: { tenantId: a.tenantId, workspaceId: a.workspaceIds[0], deletedAt: null } }),
    ).toBeGreaterThan(0);
    await expectBUntouched('workspace.update nested projects');
  });
});
