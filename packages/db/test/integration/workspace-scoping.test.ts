/**
 * Workspace scoping: a context with a workspaceId narrows projects and tasks to that workspace (the
 * extension filters, and the RLS policies enforce it for raw SQL too), while workspaces themselves
 * stay tenant-wide so a user can switch between them. Without a workspaceId the context covers all
 * of the tenant's workspaces, and a workspace-scoped row can only be created when its workspace is
 * known.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { MissingWorkspaceError, TenantMismatchError, tenantContext, type TenantContext } from '../../src/index.js';
import type { AdminPrismaClient } from '../../src/admin.js';
import { useTestDatabase, type TestDatabase } from '../support/test-database.js';
import { foreignRows, seedTenants, type SeededTenant } from '../support/fixtures.js';

let db: TestDatabase;
let admin: AdminPrismaClient;
let a: SeededTenant;
let b: SeededTenant;
/** Tenant A narrowed to its first workspace. */
let inWs0: TenantContext;
let ws0: { projectIds: string[]; taskIds: string[] };
let ws1: { projectIds: string[]; taskIds: string[] };

beforeAll(async () => {
  db = await useTestDatabase();
  admin = db.admin();
  [a, b] = await seedTenants(admin, ['alpha', 'bravo']);
  inWs0 = { tenantId: a.tenantId, workspaceId: a.workspaceIds[0] };
  // seedTenants writes two projects (one task each) per workspace, workspace 0 first.
  ws0 = { projectIds: a.projectIds.slice(0, 2), taskIds: a.taskIds.slice(0, 2) };
  ws1 = { projectIds: a.projectIds.slice(2), taskIds: a.taskIds.slice(2) };
});

/** Rows outside `workspaceId`, described for an assertion message. */
function otherWorkspaceRows(
  rows: Array<{ workspaceId: string; id: string }>,
  workspaceId: string,
  operation: string,
): string[] {
  return rows
    .filter((r) => r.workspaceId !== workspaceId)
    .map((r) => `workspace ${workspaceId} ${operation} returned row ${r.id} of workspace ${r.workspaceId}`);
}

/** Tenant A's rows in workspace 1, read past RLS, to prove a workspace-0 context left them alone. */
async function ws1Rows() {
  const where = { tenantId: a.tenantId, workspaceId: a.workspaceIds[1] };
  return {
    projects: await admin.project.findMany({ where, orderBy: { id: 'asc' } }),
    tasks: await admin.task.findMany({ where, orderBy: { id: 'asc' } }),
  };
}

const rlsViolation = {
  code: 'P2010',
  meta: { driverAdapterError: { cause: { originalCode: '42501' } } },
};

describe('workspace scoping', () => {
  it('a workspace context sees only that workspace projects and tasks, but every workspace of the tenant', async () => {
    const prisma = db.client();
    await tenantContext.run(inWs0, async () => {
      const projects = await prisma.project.findMany();
      expect(otherWorkspaceRows(projects, a.workspaceIds[0], 'project.findMany')).toEqual([]);
      expect(projects.map((p) => p.id).sort()).toEqual([...ws0.projectIds].sort());
      const tasks = await prisma.task.findMany();
      expect(otherWorkspaceRows(tasks, a.workspaceIds[0], 'task.findMany')).toEqual([]);
      expect(tasks.map((t) => t.id).sort()).toEqual([...ws0.taskIds].sort());
      expect(await prisma.task.count({ where: { id: { in: a.taskIds } } })).toBe(ws0.taskIds.length);
      expect(await prisma.project.findFirst({ where: { id: ws1.projectIds[0]! } })).toBeNull();

      // Workspaces are tenant-wide; their nested projects are not, and RLS, not the extension,
      // filters the nested read.
      const workspaces = await prisma.workspace.findMany({ include: { projects: { include: { tasks: true } } } });
      expect(foreignRows(workspaces, a.tenantId, 'workspace.findMany')).toEqual([]);
      expect(workspaces.map((w) => w.id).sort()).toEqual([...a.workspaceIds].sort());
      const nested = workspaces.flatMap((w) => w.projects);
      expect(otherWorkspaceRows(nested, a.workspaceIds[0], 'workspace.findMany include projects')).toEqual([]);
      expect(
        otherWorkspaceRows(
          nested.flatMap((p) => p.tasks),
          a.workspaceIds[0],
          'include tasks',
        ),
      ).toEqual([]);
    });
  });

  it('a context without a workspace sees every workspace of the tenant', async () => {
    const prisma = db.client();
    await tenantContext.run({ tenantId: a.tenantId }, async () => {
      const projects = await prisma.project.findMany();
      expect(foreignRows(projects, a.tenantId, 'project.findMany')).toEqual([]);
      expect(projects.map((p) => p.id).sort()).toEqual([...a.projectIds].sort());
      const tasks = await prisma.task.findMany();
      expect(foreignRows(tasks, a.tenantId, 'task.findMany')).toEqual([]);
      expect(tasks.map((t) => t.id).sort()).toEqual([...a.taskIds].sort());
      const raw = await prisma.$queryRaw<Array<{ id: string }>>`select id::text from projects`;
      expect(raw.map((r) => r.id).sort()).toEqual([...a.projectIds].sort());
    });
  });

  it('creates inside a workspace context land in that workspace', async () => {
    const prisma = db.client();
    const created = await tenantContext.run(inWs0, async () => [
      await prisma.project.create({ data: { name: 'alpha ws0 created' } }),
      await prisma.task.create({ data: { title: 'alpha ws0 created', projectId: ws0.projectIds[0]! } }),
      ...(await prisma.project.createManyAndReturn({ data: [{ name: 'alpha ws0 created many' }] })),
    ]);
    const ids = created.map((r) => r.id);
    const rows = [
      ...(await admin.project.findMany({ where: { id: { in: ids } } })),
      ...(await admin.task.findMany({ where: { id: { in: ids } } })),
    ];
    expect(rows).toHaveLength(3);
    expect(foreignRows(rows, a.tenantId, 'create in workspace context (admin view)')).toEqual([]);
    expect(otherWorkspaceRows(rows, a.workspaceIds[0], 'create in workspace context (admin view)')).toEqual([]);
  });

  it('a create with no workspace in the context or the data throws MissingWorkspaceError and writes nothing', async () => {
    const prisma = db.client();
    await tenantContext.run({ tenantId: a.tenantId }, async () => {
      await expect(prisma.project.create({ data: { name: 'orphan' } })).rejects.toBeInstanceOf(MissingWorkspaceError);
      await expect(
        prisma.task.create({ data: { title: 'orphan', projectId: a.projectIds[0]! } }),
      ).rejects.toBeInstanceOf(MissingWorkspaceError);
      await expect(
        prisma.project.createMany({ data: [{ name: 'orphan', workspaceId: a.workspaceIds[0] }, { name: 'orphan' }] }),
      ).rejects.toBeInstanceOf(MissingWorkspaceError);
    });
    expect(await admin.project.findMany({ where: { name: 'orphan' } })).toEqual([]);
    expect(await admin.task.findMany({ where: { title: 'orphan' } })).toEqual([]);
  });

  it('a nested create with no workspace in the context or the data throws MissingWorkspaceError and writes nothing', async () => {
    const prisma = db.client();
    // `tasks: { create }` puts the project in Prisma's checked input form, where the extension
    // leaves workspaceId to a relation or the column default; here there is neither.
    await tenantContext.run({ tenantId: a.tenantId }, async () => {
      await expect(
        prisma.project.create({ data: { name: 'orphan nested', tasks: { create: [{ title: 'orphan nested' }] } } }),
      ).rejects.toBeInstanceOf(MissingWorkspaceError);
    });
    expect(await admin.project.findMany({ where: { name: 'orphan nested' } })).toEqual([]);
    expect(await admin.task.findMany({ where: { title: 'orphan nested' } })).toEqual([]);
  });

  it('naming another workspace in where or data inside a workspace context throws TenantMismatchError and writes nothing', async () => {
    const prisma = db.client();
    const before = await ws1Rows();
    const other = a.workspaceIds[1];
    await tenantContext.run(inWs0, async () => {
      await expect(prisma.project.findMany({ where: { workspaceId: other } })).rejects.toBeInstanceOf(
        TenantMismatchError,
      );
      await expect(prisma.task.count({ where: { workspaceId: { in: [...a.workspaceIds] } } })).rejects.toBeInstanceOf(
        TenantMismatchError,
      );
      await expect(
        prisma.project.updateMany({ where: { workspaceId: other }, data: { name: 'hijacked' } }),
      ).rejects.toBeInstanceOf(TenantMismatchError);
      await expect(prisma.task.deleteMany({ where: { workspaceId: other } })).rejects.toBeInstanceOf(
        TenantMismatchError,
      );
      await expect(prisma.project.create({ data: { name: 'misplaced', workspaceId: other } })).rejects.toBeInstanceOf(
        TenantMismatchError,
      );
      await expect(
        prisma.task.create({ data: { title: 'misplaced', workspaceId: other, projectId: ws1.projectIds[0]! } }),
      ).rejects.toBeInstanceOf(TenantMismatchError);
      // Through the relation the other workspace is named only by its `id`, which the extension does
      // not inspect; the INSERT then fails RLS's WITH CHECK on workspace_id.
      await expect(
        prisma.project.create({
          data: { name: 'misplaced', workspace: { connect: { tenantId_id: { tenantId: a.tenantId, id: other } } } },
        }),
      ).rejects.toMatchObject({ meta: { driverAdapterError: { cause: { originalCode: '42501' } } } });
      // Moving a row of this workspace into the other one.
      await expect(
        prisma.project.update({
          where: { tenantId_id: { tenantId: a.tenantId, id: ws0.projectIds[0]! } },
          data: { workspaceId: other },
        }),
      ).rejects.toBeInstanceOf(TenantMismatchError);
    });
    expect(await admin.project.findMany({ where: { name: 'misplaced' } })).toEqual([]);
    expect(await admin.task.findMany({ where: { title: 'misplaced' } })).toEqual([]);
    expect(await ws1Rows()).toEqual(before);
  });

  it('update and delete by id of another workspace row find nothing inside a workspace context', async () => {
    const prisma = db.client();
    const before = await ws1Rows();
    await tenantContext.run(inWs0, async () => {
      const project = { tenantId_id: { tenantId: a.tenantId, id: ws1.projectIds[0]! } };
      await expect(prisma.project.update({ where: project, data: { name: 'hijacked' } })).rejects.toMatchObject({
        code: 'P2025',
      });
      await expect(prisma.project.delete({ where: project })).rejects.toMatchObject({ code: 'P2025' });
      expect(await prisma.task.updateMany({ where: { id: { in: ws1.taskIds } }, data: { done: true } })).toEqual({
        count: 0,
      });
      expect(await prisma.task.deleteMany({ where: { id: { in: ws1.taskIds } } })).toEqual({ count: 0 });
    });
    expect(await ws1Rows()).toEqual(before);
  });

  it('raw SQL inside a workspace context cannot read or change another workspace rows', async () => {
    const prisma = db.client();
    const before = await ws1Rows();
    const other = a.workspaceIds[1];
    // Earlier tests may have added tasks to workspace 0; the admin client says which exist now.
    const ws0Tasks = await admin.task.findMany({ where: { tenantId: a.tenantId, workspaceId: a.workspaceIds[0] } });
    await tenantContext.run(inWs0, async () => {
      const leaked = await prisma.$queryRaw<Array<{ workspaceId: string; id: string }>>`
        select workspace_id::text as "workspaceId", id::text from projects where workspace_id = ${other}::uuid
        union all
        select workspace_id::text, id::text from tasks where workspace_id = ${other}::uuid`;
      expect(otherWorkspaceRows(leaked, a.workspaceIds[0], '$queryRaw of the other workspace')).toEqual([]);
      const all = await prisma.$queryRaw<Array<{ workspaceId: string; id: string }>>`
        select workspace_id::text as "workspaceId", id::text from tasks`;
      expect(otherWorkspaceRows(all, a.workspaceIds[0], '$queryRaw of all tasks')).toEqual([]);
      expect(all.map((t) => t.id).sort()).toEqual(ws0Tasks.map((t) => t.id).sort());
      expect(await prisma.$executeRaw`update projects set name = 'hijacked' where workspace_id = ${other}::uuid`).toBe(
        0,
      );
      expect(await prisma.$executeRaw`delete from tasks where workspace_id = ${other}::uuid`).toBe(0);
    });
    expect(await ws1Rows()).toEqual(before);
  });

  it('a raw insert into another workspace, or a raw move into it, is rejected by row-level security', async () => {
    const prisma = db.client();
    const before = await ws1Rows();
    const other = a.workspaceIds[1];
    await tenantContext.run(inWs0, async () => {
      await expect(
        prisma.$executeRaw`insert into projects (tenant_id, workspace_id, id, name, updated_at)
          values (${a.tenantId}::uuid, ${other}::uuid, gen_random_uuid(), 'misplaced raw', now())`,
      ).rejects.toMatchObject(rlsViolation);
      await expect(
        prisma.$executeRaw`insert into tasks (tenant_id, workspace_id, id, project_id, title, updated_at)
          values (${a.tenantId}::uuid, ${other}::uuid, gen_random_uuid(), ${ws1.projectIds[0]}::uuid, 'misplaced raw', now())`,
      ).rejects.toMatchObject(rlsViolation);
      await expect(
        prisma.$executeRaw`update tasks set workspace_id = ${other}::uuid, project_id = ${ws1.projectIds[0]}::uuid
          where id = ${ws0.taskIds[0]}::uuid`,
      ).rejects.toMatchObject(rlsViolation);
    });
    expect(await admin.project.findMany({ where: { name: 'misplaced raw' } })).toEqual([]);
    expect(await admin.task.findMany({ where: { title: 'misplaced raw' } })).toEqual([]);
    expect(await ws1Rows()).toEqual(before);
  });

  it('a workspace context naming another tenant workspace sees nothing and can create nothing there', async () => {
    const prisma = db.client();
    const before = await admin.project.count({ where: { tenantId: b.tenantId } });
    await tenantContext.run({ tenantId: a.tenantId, workspaceId: b.workspaceIds[0] }, async () => {
      expect(await prisma.project.findMany()).toEqual([]);
      expect(await prisma.task.findMany()).toEqual([]);
      // (A, B's workspace id) is no workspace at all: the composite foreign key (I6) refuses it.
      await expect(prisma.project.create({ data: { name: 'alpha in bravo ws' } })).rejects.toMatchObject({
        code: 'P2003',
      });
    });
    expect(await admin.project.findMany({ where: { name: 'alpha in bravo ws' } })).toEqual([]);
    expect(await admin.project.count({ where: { tenantId: b.tenantId } })).toBe(before);
  });
});
