/**
 * Soft delete on this repository's schema (docs/soft-delete.md, "This repository"): projects and
 * tasks carry `deletedAt`. A delete marks the row, reads hide it, includeDeleted / withDeleted see
 * it, `$restore` brings it back; deleting a project marks its live tasks with the same time and
 * restoring it restores exactly those (the migration's triggers); a live task never hangs under a
 * deleted project; another tenant can neither see, restore nor delete the row; raw SQL still sees
 * it, under RLS, in its own tenant only. Workspaces stay hard-deleted (their name's unique key).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { TenantMismatchError, tenantContext, withDeleted, type TenantPrismaClient } from '../../src/index.js';
import { useTestDatabase, type TestDatabase } from '../support/test-database.js';
import { seedTenants, type SeededTenant } from '../support/fixtures.js';
import { expectPostgresError } from '../support/errors.js';

let db: TestDatabase;
let prisma: TenantPrismaClient;
let a: SeededTenant;
let b: SeededTenant;

beforeAll(async () => {
  db = await useTestDatabase();
  prisma = db.client();
  [a, b] = await seedTenants(db.admin(), ['alpha', 'bravo'], 3);
});

const inTenant = <R>(t: SeededTenant, fn: () => Promise<R>, workspaceId?: string) =>
  tenantContext.run({ tenantId: t.tenantId, ...(workspaceId ? { workspaceId } : {}) }, fn);
const key = (t: SeededTenant, id: string) => ({ tenantId_id: { tenantId: t.tenantId, id } });
const includeDeleted = { includeDeleted: true } as object;

/** What the table holds, read as the admin (no RLS, no soft-delete filter). */
async function stored(table: 'projects' | 'tasks', id: string) {
  const { rows } = await db
    .pgPool('tenantry_admin')
    .query<{ deleted_at: Date | null }>(`select deleted_at from ${table} where id = $1`, [id]);
  expect(rows, `${table} row ${id} must still exist`).toHaveLength(1);
  return rows[0]!.deleted_at;
}

/** A fresh project with `tasks` tasks in workspace 0 of `t`, created through the tenant client. */
async function projectWithTasks(t: SeededTenant, name: string, tasks: number) {
  return inTenant(t, () =>
    prisma.project.create({
      data: {
        workspaceId: t.workspaceIds[0],
        name,
        tasks: { create: Array.from({ length: tasks }, (_, i) => ({ title: `${name} t${i}` })) },
      },
      include: { tasks: true },
    }),
  );
}

describe('soft delete on projects and tasks', () => {
  it('deleting a task marks it; reads hide it; includeDeleted and withDeleted see it; $restore brings it back', async () => {
    const project = await projectWithTasks(a, 'alpha task-delete', 2);
    const [task, other] = project.tasks;
    const deleted = await inTenant(a, () => prisma.task.delete({ where: key(a, task!.id) }));
    expect(deleted.deletedAt).toBeInstanceOf(Date);
    expect(await stored('tasks', task!.id)).toEqual(deleted.deletedAt);

    await inTenant(a, async () => {
      expect(await prisma.task.findUnique({ where: key(a, task!.id) })).toBeNull();
      expect((await prisma.task.findMany({ where: { projectId: project.id } })).map((t) => t.id)).toEqual([other!.id]);
      expect(await prisma.task.count({ where: { projectId: project.id } })).toBe(1);
      const withTasks = await prisma.project.findUnique({ where: key(a, project.id), include: { tasks: true } });
      expect(withTasks?.tasks.map((t) => t.id)).toEqual([other!.id]);
      expect(
        await prisma.task.findUnique({ where: key(a, task!.id), ...includeDeleted } as { where: never }),
      ).toMatchObject({ id: task!.id });
      expect(await withDeleted(() => prisma.task.count({ where: { projectId: project.id } }))).toBe(2);
    });

    const restored = await inTenant(a, () => prisma.$restore('task', key(a, task!.id)));
    expect(restored.deletedAt).toBeNull();
    expect(await stored('tasks', task!.id)).toBeNull();
    expect(await inTenant(a, () => prisma.task.count({ where: { projectId: project.id } }))).toBe(2);
  });

  it('deleting a project marks its live tasks with the same time; restoring it restores exactly those', async () => {
    const project = await projectWithTasks(a, 'alpha project-delete', 3);
    const [early, t1, t2] = project.tasks;
    // Deleted on its own before the project: it must stay deleted when the project comes back.
    const earlier = await inTenant(a, () => prisma.task.delete({ where: key(a, early!.id) }));

    const deleted = await inTenant(a, () => prisma.project.delete({ where: key(a, project.id) }));
    expect(deleted.deletedAt).toBeInstanceOf(Date);
    for (const t of [t1!, t2!]) expect(await stored('tasks', t.id)).toEqual(deleted.deletedAt);
    expect(await stored('tasks', early!.id)).toEqual(earlier.deletedAt);

    await inTenant(a, async () => {
      expect(await prisma.project.findUnique({ where: key(a, project.id) })).toBeNull();
      expect(await prisma.task.findMany({ where: { projectId: project.id } })).toEqual([]);
      // No live task points at the deleted project, so a to-one include never shows it.
      const live = await prisma.task.findMany({ include: { project: true } });
      expect(live.filter((t) => t.project.deletedAt !== null)).toEqual([]);
      expect(await withDeleted(() => prisma.task.count({ where: { projectId: project.id } }))).toBe(3);
    });

    await inTenant(a, () => prisma.$restore('project', key(a, project.id)));
    expect(await stored('projects', project.id)).toBeNull();
    expect(await stored('tasks', t1!.id)).toBeNull();
    expect(await stored('tasks', t2!.id)).toBeNull();
    expect(await stored('tasks', early!.id)).toEqual(earlier.deletedAt);
    const tasks = await inTenant(a, () =>
      prisma.task.findMany({ where: { projectId: project.id }, orderBy: { title: 'asc' } }),
    );
    expect(tasks.map((t) => t.id)).toEqual([t1!.id, t2!.id]);
  });

  it('the cascade works from a context narrowed to the workspace, and deleteMany cascades too', async () => {
    const p1 = await projectWithTasks(a, 'alpha narrowed-1', 1);
    const p2 = await projectWithTasks(a, 'alpha narrowed-2', 1);
    const { count } = await inTenant(
      a,
      () => prisma.project.deleteMany({ where: { id: { in: [p1.id, p2.id] } } }),
      a.workspaceIds[0],
    );
    expect(count).toBe(2);
    expect(await stored('tasks', p1.tasks[0]!.id)).toEqual(await stored('projects', p1.id));
    expect(await stored('tasks', p2.tasks[0]!.id)).toEqual(await stored('projects', p2.id));
  });

  it('a live task cannot be created in, moved to, or restored under a deleted project (23503)', async () => {
    const gone = await projectWithTasks(a, 'alpha gone', 1);
    const live = await projectWithTasks(a, 'alpha live', 1);
    await inTenant(a, () => prisma.project.delete({ where: key(a, gone.id) }));
    await expectPostgresError(
      inTenant(a, () =>
        prisma.task.create({ data: { projectId: gone.id, workspaceId: a.workspaceIds[0], title: 'x' } }),
      ),
      '23503',
    );
    await expectPostgresError(
      inTenant(a, () => prisma.task.update({ where: key(a, live.tasks[0]!.id), data: { projectId: gone.id } })),
      '23503',
    );
    await expectPostgresError(
      inTenant(a, () => prisma.$restore('task', key(a, gone.tasks[0]!.id))),
      '23503',
    );
    expect(await stored('tasks', gone.tasks[0]!.id)).not.toBeNull();
    expect(await stored('tasks', live.tasks[0]!.id)).toBeNull();
  });

  it('another tenant can neither see, restore nor delete the row, deleted or live', async () => {
    const project = await projectWithTasks(a, 'alpha foreign', 1);
    const task = project.tasks[0]!;
    await inTenant(a, () => prisma.task.delete({ where: key(a, task.id) }));
    const before = await stored('tasks', task.id);

    await inTenant(b, async () => {
      expect(await withDeleted(() => prisma.task.findMany({ where: { id: task.id } }))).toEqual([]);
      expect(await prisma.task.findMany({ where: { id: task.id }, ...includeDeleted } as object)).toEqual([]);
      // The composite key names tenant a: the extension refuses it; by id alone it matches nothing.
      await expect(prisma.$restore('task', key(a, task.id))).rejects.toBeInstanceOf(TenantMismatchError);
      await expect(prisma.$restore('task', key(b, task.id))).rejects.toMatchObject({ code: 'P2025' });
      await expect(prisma.project.delete({ where: key(b, project.id) })).rejects.toMatchObject({ code: 'P2025' });
      expect(await prisma.project.deleteMany({ where: { id: project.id } })).toEqual({ count: 0 });
      expect(
        await withDeleted(() => prisma.task.updateMany({ where: { id: task.id }, data: { deletedAt: null } })),
      ).toEqual({ count: 0 });
    });
    expect(await stored('tasks', task.id)).toEqual(before);
    expect(await stored('projects', project.id)).toBeNull();
  });

  it('raw SQL still sees a deleted row, under RLS, in its own tenant only', async () => {
    const project = await projectWithTasks(a, 'alpha raw', 0);
    await inTenant(a, () => prisma.project.delete({ where: key(a, project.id) }));
    const query = () =>
      prisma.$queryRaw<Array<{ id: string; deleted: boolean }>>`
        select id::text, deleted_at is not null as deleted from projects where id = ${project.id}::uuid`;
    expect(await inTenant(a, query)).toEqual([{ id: project.id, deleted: true }]);
    expect(await inTenant(b, query)).toEqual([]);
    expect(await inTenant(a, query, a.workspaceIds[1])).toEqual([]);
  });
});

describe('workspaces stay hard-deleted', () => {
  it('deleting a workspace removes its projects and tasks, soft-deleted ones included', async () => {
    const ws = await inTenant(a, () => prisma.workspace.create({ data: { name: 'alpha doomed' } }));
    const project = await inTenant(a, () =>
      prisma.project.create({
        data: { workspaceId: ws.id, name: 'alpha in doomed', tasks: { create: [{ title: 'alpha in doomed t0' }] } },
        include: { tasks: true },
      }),
    );
    await inTenant(a, () => prisma.project.delete({ where: key(a, project.id) }));
    await inTenant(a, () => prisma.workspace.delete({ where: key(a, ws.id) }));
    const admin = db.pgPool('tenantry_admin');
    expect((await admin.query('select 1 from projects where id = $1', [project.id])).rowCount).toBe(0);
    expect((await admin.query('select 1 from tasks where id = $1', [project.tasks[0]!.id])).rowCount).toBe(0);
    // Its name can be taken again right away (a plain unique key: no deleted row holds it).
    await inTenant(a, () => prisma.workspace.create({ data: { name: 'alpha doomed' } }));
  });
});
