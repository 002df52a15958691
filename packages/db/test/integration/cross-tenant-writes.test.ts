/**
 * I1 for writes: inside tenant A's context no write of any kind (single-row, bulk, upsert, create,
 * raw SQL, a move to another tenant) changes, deletes or adds a row of tenant B.
 *
 * Every attack is judged afterwards through the admin client: the tenant client cannot see B's rows,
 * so it cannot tell "untouched" from "hidden".
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { TenantMismatchError, tenantContext } from '../../src/index.js';
import type { AdminPrismaClient } from '../../src/admin.js';
import { useTestDatabase, type TestDatabase } from '../support/test-database.js';
import { foreignRows, seedTenants, type SeededTenant } from '../support/fixtures.js';
import { citusPartitionUpdate, onCitus } from '../support/citus.js';

let db: TestDatabase;
let admin: AdminPrismaClient;
let a: SeededTenant;
let b: SeededTenant;
let bBefore: Holdings;

beforeAll(async () => {
  db = await useTestDatabase();
  admin = db.admin();
  [a, b] = await seedTenants(admin, ['alpha', 'bravo']);
  bBefore = await holdings(b.tenantId);
});

type Row = { tenantId: string; id: string };
type Holdings = Record<'workspaces' | 'projects' | 'tasks', Row[]>;

/** Every row a tenant owns, read past RLS. */
async function holdings(tenantId: string): Promise<Holdings> {
  const where = { tenantId };
  const orderBy = { id: 'asc' } as const;
  return {
    workspaces: await admin.workspace.findMany({ where, orderBy }),
    projects: await admin.project.findMany({ where, orderBy }),
    tasks: await admin.task.findMany({ where, orderBy }),
  };
}

/**
 * Rows of `victim` that `operation`, run in tenant A's context, deleted, changed or added, one line
 * each, so a failure names the tenant, the operation and the row.
 */
async function tampered(before: Holdings, operation: string): Promise<string[]> {
  const victim = before.workspaces[0]!.tenantId;
  const after = await holdings(victim);
  const out: string[] = [];
  for (const kind of ['workspaces', 'projects', 'tasks'] as const) {
    const now = new Map(after[kind].map((r) => [r.id, r]));
    const then = new Map(before[kind].map((r) => [r.id, r]));
    for (const [id, row] of then) {
      const current = now.get(id);
      if (!current) out.push(`tenant ${a.tenantId} ${operation} deleted ${kind} row ${id} of tenant ${victim}`);
      else if (JSON.stringify(current) !== JSON.stringify(row)) {
        out.push(`tenant ${a.tenantId} ${operation} changed ${kind} row ${id} of tenant ${victim}`);
      }
    }
    for (const id of now.keys()) {
      if (!then.has(id)) out.push(`tenant ${a.tenantId} ${operation} added ${kind} row ${id} to tenant ${victim}`);
    }
  }
  return out;
}

/** What Prisma reports for a raw statement that Postgres refused with 42501 (an RLS WITH CHECK). */
const rlsViolation = {
  code: 'P2010',
  meta: { driverAdapterError: { cause: { originalCode: '42501' } } },
  message: expect.stringContaining('new row violates row-level security policy'),
};

describe('cross-tenant writes', () => {
  it('update and delete by another tenant id fail with record not found and leave its rows alone', async () => {
    const prisma = db.client();
    await tenantContext.run({ tenantId: a.tenantId }, async () => {
      // The compound key must carry A's tenantId (B's would be a TenantMismatchError): this is the
      // id-guessing attack, where only the id belongs to B.
      const project = { tenantId_id: { tenantId: a.tenantId, id: b.projectIds[0]! } };
      const task = { tenantId_id: { tenantId: a.tenantId, id: b.taskIds[0]! } };
      const workspace = { tenantId_id: { tenantId: a.tenantId, id: b.workspaceIds[0] } };
      await expect(prisma.project.update({ where: project, data: { name: 'hijacked' } })).rejects.toMatchObject({
        code: 'P2025',
      });
      await expect(prisma.task.update({ where: task, data: { done: true } })).rejects.toMatchObject({ code: 'P2025' });
      await expect(prisma.workspace.update({ where: workspace, data: { name: 'hijacked' } })).rejects.toMatchObject({
        code: 'P2025',
      });
      await expect(prisma.task.delete({ where: task })).rejects.toMatchObject({ code: 'P2025' });
      await expect(prisma.project.delete({ where: project })).rejects.toMatchObject({ code: 'P2025' });
      await expect(prisma.workspace.delete({ where: workspace })).rejects.toMatchObject({ code: 'P2025' });
    });
    expect(await tampered(bBefore, 'update/delete by id')).toEqual([]);
  });

  it('updateMany and deleteMany aimed at another tenant ids count zero rows', async () => {
    const prisma = db.client();
    await tenantContext.run({ tenantId: a.tenantId }, async () => {
      expect(
        await prisma.project.updateMany({ where: { id: { in: b.projectIds } }, data: { name: 'hijacked' } }),
      ).toEqual({ count: 0 });
      expect(await prisma.task.updateMany({ where: { id: { in: b.taskIds } }, data: { done: true } })).toEqual({
        count: 0,
      });
      expect(await prisma.task.updateManyAndReturn({ where: { id: { in: b.taskIds } }, data: { done: true } })).toEqual(
        [],
      );
      expect(await prisma.task.deleteMany({ where: { id: { in: b.taskIds } } })).toEqual({ count: 0 });
      expect(await prisma.project.deleteMany({ where: { id: { in: b.projectIds } } })).toEqual({ count: 0 });
      expect(await prisma.workspace.deleteMany({ where: { id: { in: b.workspaceIds } } })).toEqual({ count: 0 });
      // Mixed with one of A's own ids, exactly A's row is hit: the filter narrows, it does not block.
      const mixed = await prisma.task.updateManyAndReturn({
        where: { id: { in: [a.taskIds[0]!, ...b.taskIds] } },
        data: { done: true },
      });
      expect(foreignRows(mixed, a.tenantId, 'task.updateManyAndReturn')).toEqual([]);
      expect(mixed.map((t) => t.id)).toEqual([a.taskIds[0]]);
    });
    expect(await tampered(bBefore, 'updateMany/deleteMany by ids')).toEqual([]);
  });

  it('upsert with another tenant key creates the row in the context tenant and never touches the other tenant', async () => {
    const prisma = db.client();
    const victimId = b.projectIds[1]!;
    const args = {
      where: { tenantId_id: { tenantId: a.tenantId, id: victimId } },
      create: { id: victimId, name: 'alpha upserted', workspaceId: a.workspaceIds[0] },
      update: { name: 'alpha upsert updated' },
    };
    await tenantContext.run({ tenantId: a.tenantId }, async () => {
      // Keys are (tenant_id, id) (I6), so (A, B's id) is a different row: the upsert misses and
      // creates A's own row with the same id, and its update branch can only ever reach that row.
      const created = await prisma.project.upsert(args);
      expect(created).toMatchObject({ tenantId: a.tenantId, id: victimId, name: 'alpha upserted' });
      const updated = await prisma.project.upsert(args);
      expect(updated).toMatchObject({ tenantId: a.tenantId, id: victimId, name: 'alpha upsert updated' });
      const workspace = await prisma.workspace.upsert({
        where: { tenantId_name: { tenantId: a.tenantId, name: 'bravo ws0' } },
        create: { name: 'bravo ws0' },
        update: { name: 'hijacked' },
      });
      expect(workspace.tenantId).toBe(a.tenantId);
      expect(workspace.id).not.toBe(b.workspaceIds[0]);
    });
    const rows = await admin.project.findMany({ where: { id: victimId } });
    expect(rows.map((r) => [r.tenantId, r.name]).sort()).toEqual(
      [
        [a.tenantId, 'alpha upsert updated'],
        [b.tenantId, 'bravo ws0 p1'],
      ].sort(),
    );
    expect(await tampered(bBefore, 'upsert')).toEqual([]);
    // Deleting by the shared id marks A's copy only (projects are soft-deleted); a raw DELETE then
    // removes it for good, so later tests aim at B's ids alone.
    await tenantContext.run({ tenantId: a.tenantId }, () => prisma.project.delete({ where: args.where }));
    const twins = await admin.project.findMany({ where: { id: victimId } });
    expect(twins.map((r) => [r.tenantId, r.deletedAt === null]).sort()).toEqual(
      [
        [a.tenantId, false],
        [b.tenantId, true],
      ].sort(),
    );
    expect(await tampered(bBefore, 'delete of the upserted twin')).toEqual([]);
    await tenantContext.run(
      { tenantId: a.tenantId },
      () => prisma.$executeRaw`delete from projects where id = ${victimId}::uuid`,
    );
    expect((await admin.project.findMany({ where: { id: victimId } })).map((r) => r.tenantId)).toEqual([b.tenantId]);
    expect(await tampered(bBefore, 'raw delete of the upserted twin')).toEqual([]);
  });

  it('create with another tenant id in data throws TenantMismatchError and writes nothing', async () => {
    const prisma = db.client();
    await tenantContext.run({ tenantId: a.tenantId }, async () => {
      const name = 'smuggled';
      await expect(prisma.workspace.create({ data: { tenantId: b.tenantId, name } })).rejects.toBeInstanceOf(
        TenantMismatchError,
      );
      await expect(
        prisma.project.create({ data: { tenantId: b.tenantId, workspaceId: b.workspaceIds[0], name } }),
      ).rejects.toBeInstanceOf(TenantMismatchError);
      await expect(
        prisma.task.create({
          data: { tenantId: b.tenantId, workspaceId: b.workspaceIds[0], projectId: b.projectIds[0]!, title: name },
        }),
      ).rejects.toBeInstanceOf(TenantMismatchError);
      // One bad row fails the whole call: the good row before it must not be written either.
      await expect(
        prisma.workspace.createMany({ data: [{ name: `${name} 1` }, { tenantId: b.tenantId, name: `${name} 2` }] }),
      ).rejects.toBeInstanceOf(TenantMismatchError);
      await expect(
        prisma.workspace.createManyAndReturn({
          data: [{ name: `${name} 3` }, { tenantId: b.tenantId, name: `${name} 4` }],
        }),
      ).rejects.toBeInstanceOf(TenantMismatchError);
      await expect(
        prisma.workspace.upsert({
          where: { tenantId_name: { tenantId: a.tenantId, name } },
          create: { tenantId: b.tenantId, name },
          update: {},
        }),
      ).rejects.toBeInstanceOf(TenantMismatchError);
    });
    expect(await admin.workspace.findMany({ where: { name: { startsWith: 'smuggled' } } })).toEqual([]);
    expect(await admin.project.findMany({ where: { name: 'smuggled' } })).toEqual([]);
    expect(await admin.task.findMany({ where: { title: 'smuggled' } })).toEqual([]);
    expect(await tampered(bBefore, 'create with tenantId B')).toEqual([]);
  });

  it('raw UPDATE and DELETE of another tenant rows affect zero rows', async () => {
    const prisma = db.client();
    await tenantContext.run({ tenantId: a.tenantId }, async () => {
      expect(
        await prisma.$executeRaw`update projects set name = 'hijacked' where id = any(${b.projectIds}::uuid[])`,
      ).toBe(0);
      expect(await prisma.$executeRaw`update tasks set done = true where tenant_id = ${b.tenantId}::uuid`).toBe(0);
      expect(
        await prisma.$executeRaw`update workspaces set name = 'hijacked' where tenant_id = ${b.tenantId}::uuid`,
      ).toBe(0);
      expect(await prisma.$executeRaw`delete from tasks where id = any(${b.taskIds}::uuid[])`).toBe(0);
      expect(await prisma.$executeRaw`delete from projects where tenant_id = ${b.tenantId}::uuid`).toBe(0);
      expect(await prisma.$executeRawUnsafe('delete from workspaces where id = any($1::uuid[])', b.workspaceIds)).toBe(
        0,
      );
      expect(await prisma.$executeRaw`delete from memberships where tenant_id = ${b.tenantId}::uuid`).toBe(0);
    });
    // A statement with no filter at all reaches exactly the context tenant's rows.
    const aTasks = await admin.task.count({ where: { tenantId: a.tenantId } });
    await tenantContext.run({ tenantId: a.tenantId }, async () => {
      expect(await prisma.$executeRaw`update tasks set done = false`).toBe(aTasks);
    });
    expect(await tampered(bBefore, '$executeRaw update/delete')).toEqual([]);
    expect(await admin.membership.count({ where: { tenantId: b.tenantId } })).toBe(1);
  });

  it('a raw INSERT with another tenant id is rejected by row-level security', async () => {
    const prisma = db.client();
    await tenantContext.run({ tenantId: a.tenantId }, async () => {
      await expect(
        prisma.$executeRaw`insert into workspaces (tenant_id, id, name) values (${b.tenantId}::uuid, gen_random_uuid(), 'smuggled raw')`,
      ).rejects.toMatchObject(rlsViolation);
      // B's own workspace and project make the foreign keys valid: only RLS stands in the way.
      await expect(
        prisma.$executeRaw`insert into projects (tenant_id, workspace_id, id, name, updated_at)
          values (${b.tenantId}::uuid, ${b.workspaceIds[0]}::uuid, gen_random_uuid(), 'smuggled raw', now())`,
      ).rejects.toMatchObject(rlsViolation);
      await expect(
        prisma.$executeRaw`insert into tasks (tenant_id, workspace_id, id, project_id, title, updated_at)
          values (${b.tenantId}::uuid, ${b.workspaceIds[0]}::uuid, gen_random_uuid(), ${b.projectIds[0]}::uuid, 'smuggled raw', now())`,
      ).rejects.toMatchObject(rlsViolation);
      await expect(
        prisma.$executeRaw`insert into memberships (tenant_id, user_id) values (${b.tenantId}::uuid, ${a.userId}::uuid)`,
      ).rejects.toMatchObject(rlsViolation);
    });
    expect(await tampered(bBefore, '$executeRaw insert')).toEqual([]);
    expect(await admin.membership.count({ where: { tenantId: b.tenantId } })).toBe(1);
  });

  it('moving a row of the context tenant to another tenant throws TenantMismatchError, and in raw SQL violates row-level security', async () => {
    const prisma = db.client();
    const aBefore = await holdings(a.tenantId);
    const project = { tenantId_id: { tenantId: a.tenantId, id: a.projectIds[0]! } };
    await tenantContext.run({ tenantId: a.tenantId }, async () => {
      await expect(prisma.project.update({ where: project, data: { tenantId: b.tenantId } })).rejects.toBeInstanceOf(
        TenantMismatchError,
      );
      await expect(
        prisma.project.update({ where: project, data: { tenantId: { set: b.tenantId } } }),
      ).rejects.toBeInstanceOf(TenantMismatchError);
      await expect(prisma.task.updateMany({ data: { tenantId: b.tenantId } })).rejects.toBeInstanceOf(
        TenantMismatchError,
      );
      await expect(
        prisma.workspace.update({
          where: { tenantId_id: { tenantId: a.tenantId, id: a.workspaceIds[0] } },
          data: { tenantId: b.tenantId },
        }),
      ).rejects.toBeInstanceOf(TenantMismatchError);
      // The checked form names B only as the tenant row's `id`, which the extension does not inspect:
      // Prisma's lookup of that tenant row runs under RLS and finds nothing.
      await expect(
        prisma.workspace.update({
          where: { tenantId_id: { tenantId: a.tenantId, id: a.workspaceIds[0] } },
          data: { tenant: { connect: { id: b.tenantId } } },
        }),
      ).rejects.toMatchObject({ code: 'P2025' });
      // On Citus the distribution column cannot be updated at all: refused before RLS sees it.
      const moveRefused = onCitus ? citusPartitionUpdate : rlsViolation;
      await expect(
        prisma.$executeRaw`update projects set tenant_id = ${b.tenantId}::uuid where id = ${a.projectIds[0]}::uuid`,
      ).rejects.toMatchObject(moveRefused);
      await expect(prisma.$executeRaw`update workspaces set tenant_id = ${b.tenantId}::uuid`).rejects.toMatchObject(
        moveRefused,
      );
      await expect(prisma.$executeRaw`update tasks set tenant_id = ${b.tenantId}::uuid`).rejects.toMatchObject(
        moveRefused,
      );
    });
    expect(await holdings(a.tenantId)).toEqual(aBefore);
    expect(await tampered(bBefore, 'move to tenant B')).toEqual([]);
  });

  it('createMany and createManyAndReturn fill in the context tenant', async () => {
    const prisma = db.client();
    await tenantContext.run({ tenantId: a.tenantId }, async () => {
      const many = await prisma.project.createMany({
        data: [
          { name: 'alpha many 0', workspaceId: a.workspaceIds[0] },
          { name: 'alpha many 1', workspaceId: a.workspaceIds[1] },
        ],
      });
      expect(many).toEqual({ count: 2 });
      const returned = await prisma.project.createManyAndReturn({
        data: [{ name: 'alpha many 2', workspaceId: a.workspaceIds[0] }],
      });
      expect(foreignRows(returned, a.tenantId, 'project.createManyAndReturn')).toEqual([]);
      expect(await prisma.workspace.createMany({ data: [{ name: 'alpha many ws' }] })).toEqual({ count: 1 });
    });
    const projects = await admin.project.findMany({ where: { name: { startsWith: 'alpha many' } } });
    expect(projects).toHaveLength(3);
    expect(foreignRows(projects, a.tenantId, 'project.createMany (admin view)')).toEqual([]);
    const workspaces = await admin.workspace.findMany({ where: { name: 'alpha many ws' } });
    expect(workspaces.map((w) => w.tenantId)).toEqual([a.tenantId]);
    expect(await tampered(bBefore, 'createMany')).toEqual([]);
  });
});
