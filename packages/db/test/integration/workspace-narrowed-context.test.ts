/**
 * A context narrowed to one workspace (`workspaceId` set) writes only inside that workspace: rows
 * of workspace-scoped tables in it, and its own workspace row (rename, delete; never its id). It
 * creates no workspace and writes no tenant-wide row (memberships, invitations). It still reads
 * every workspace of its tenant, so a user can switch. Deleting or re-keying a workspace cascades
 * (ON DELETE/UPDATE CASCADE, which RLS does not check) into its projects and tasks, so these rules
 * are what keeps a narrowed context from reaching a sibling workspace's rows through the cascade.
 *
 * Every attack is judged through the admin client.
 */
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { tenantContext, type TenantContext, type TenantPrismaClient } from '../../src/index.js';
import type { AdminPrismaClient } from '../../src/admin.js';
import { useTestDatabase, type TestDatabase } from '../support/test-database.js';
import { seedTenants, type SeededTenant } from '../support/fixtures.js';
import { postgresCode } from '../support/errors.js';

let db: TestDatabase;
let admin: AdminPrismaClient;
let prisma: TenantPrismaClient;
let a: SeededTenant;
/** Tenant A narrowed to its first workspace; the second is the sibling under attack. */
let inWs0: TenantContext;
let sibling: string;

beforeAll(async () => {
  db = await useTestDatabase();
  admin = db.admin();
  prisma = db.client();
  [a] = await seedTenants(admin, ['alpha']);
  inWs0 = { tenantId: a.tenantId, workspaceId: a.workspaceIds[0] };
  sibling = a.workspaceIds[1];
});

/** The sibling workspace with its projects and tasks, read past RLS. */
async function siblingRows() {
  return {
    workspace: await admin.workspace.findMany({ where: { tenantId: a.tenantId, id: sibling } }),
    projects: await admin.project.findMany({
      where: { tenantId: a.tenantId, workspaceId: sibling },
      orderBy: { id: 'asc' },
    }),
    tasks: await admin.task.findMany({ where: { tenantId: a.tenantId, workspaceId: sibling }, orderBy: { id: 'asc' } }),
  };
}

async function sqlstate(promise: Promise<unknown>): Promise<string> {
  return promise.then(
    () => 'ok',
    (error: unknown) =>
      postgresCode(error) ?? (error as { code?: string }).code ?? `no code: ${(error as Error).message}`,
  );
}

const key = (id: string) => ({ tenantId_id: { tenantId: a.tenantId, id } });

describe('a workspace-narrowed context and the workspaces table', () => {
  it('cannot delete a sibling workspace, so the cascade cannot take its projects and tasks', async () => {
    const before = await siblingRows();
    expect(before.projects.length).toBeGreaterThan(0);
    await tenantContext.run(inWs0, async () => {
      await expect(prisma.workspace.delete({ where: key(sibling) })).rejects.toMatchObject({ code: 'P2025' });
      expect(await prisma.workspace.deleteMany({ where: { id: sibling } })).toEqual({ count: 0 });
      expect(await prisma.$executeRaw`delete from workspaces where id = ${sibling}::uuid`).toBe(0);
    });
    expect(await siblingRows()).toEqual(before);
  });

  it('cannot rename or re-key a sibling workspace', async () => {
    const before = await siblingRows();
    await tenantContext.run(inWs0, async () => {
      await expect(prisma.workspace.update({ where: key(sibling), data: { name: 'hijacked' } })).rejects.toMatchObject({
        code: 'P2025',
      });
      expect(await prisma.workspace.updateMany({ where: { id: sibling }, data: { name: 'hijacked' } })).toEqual({
        count: 0,
      });
      expect(await prisma.$executeRaw`update workspaces set name = 'hijacked' where id = ${sibling}::uuid`).toBe(0);
      // ON UPDATE CASCADE would carry the sibling's projects and tasks along with a new id.
      expect(await prisma.$executeRaw`update workspaces set id = gen_random_uuid() where id = ${sibling}::uuid`).toBe(
        0,
      );
    });
    expect(await siblingRows()).toEqual(before);
  });

  it('cannot create a workspace, through the client or raw SQL', async () => {
    await tenantContext.run(inWs0, async () => {
      expect(await sqlstate(prisma.workspace.create({ data: { name: 'alpha narrowed create' } }))).toBe('42501');
      expect(await sqlstate(prisma.workspace.createMany({ data: [{ name: 'alpha narrowed createMany' }] }))).toBe(
        '42501',
      );
      expect(
        await sqlstate(
          prisma.$executeRaw`insert into workspaces (id, name) values (gen_random_uuid(), 'alpha narrowed raw')`,
        ),
      ).toBe('42501');
    });
    expect(await admin.workspace.findMany({ where: { name: { startsWith: 'alpha narrowed' } } })).toEqual([]);
  });

  it('may rename its own workspace but not change its id', async () => {
    const own = a.workspaceIds[0];
    const projectsBefore = await admin.project.findMany({
      where: { tenantId: a.tenantId, workspaceId: own },
      orderBy: { id: 'asc' },
    });
    await tenantContext.run(inWs0, async () => {
      expect(await prisma.workspace.update({ where: key(own), data: { name: 'alpha ws0 renamed' } })).toMatchObject({
        id: own,
        name: 'alpha ws0 renamed',
      });
      expect(await sqlstate(prisma.workspace.update({ where: key(own), data: { id: randomUUID() } }))).toBe('42501');
      expect(
        await sqlstate(prisma.$executeRaw`update workspaces set id = ${sibling}::uuid where id = ${own}::uuid`),
      ).toBe('42501');
      expect(
        await sqlstate(prisma.$executeRaw`update workspaces set id = gen_random_uuid() where id = ${own}::uuid`),
      ).toBe('42501');
      await prisma.workspace.update({ where: key(own), data: { name: 'alpha ws0' } });
    });
    expect(
      await admin.project.findMany({ where: { tenantId: a.tenantId, workspaceId: own }, orderBy: { id: 'asc' } }),
    ).toEqual(projectsBefore);
  });

  it('may delete its own workspace, and the cascade takes only that workspace rows', async () => {
    const doomed = randomUUID();
    const project = randomUUID();
    await admin.workspace.create({ data: { tenantId: a.tenantId, id: doomed, name: 'alpha doomed' } });
    await admin.project.create({
      data: { tenantId: a.tenantId, workspaceId: doomed, id: project, name: 'alpha doomed p' },
    });
    await admin.task.create({
      data: { tenantId: a.tenantId, workspaceId: doomed, projectId: project, title: 'alpha doomed t' },
    });
    const before = await siblingRows();
    const others = await admin.project.count({ where: { tenantId: a.tenantId, workspaceId: { not: doomed } } });
    await tenantContext.run({ tenantId: a.tenantId, workspaceId: doomed }, async () => {
      expect(await prisma.workspace.deleteMany()).toEqual({ count: 1 });
    });
    expect(await admin.workspace.findMany({ where: { id: doomed } })).toEqual([]);
    expect(await admin.project.count({ where: { workspaceId: doomed } })).toBe(0);
    expect(await admin.task.count({ where: { workspaceId: doomed } })).toBe(0);
    expect(await siblingRows()).toEqual(before);
    expect(await admin.project.count({ where: { tenantId: a.tenantId, workspaceId: { not: doomed } } })).toBe(others);
  });

  it('still reads every workspace of its tenant, to list and switch', async () => {
    await tenantContext.run(inWs0, async () => {
      expect((await prisma.workspace.findMany({ orderBy: { id: 'asc' } })).map((w) => w.id)).toEqual(
        [...a.workspaceIds].sort(),
      );
    });
  });

  it('writes no tenant-wide rows: memberships and invitations are read-only in it', async () => {
    const memberships = await admin.membership.findMany({ where: { tenantId: a.tenantId } });
    await tenantContext.run(inWs0, async () => {
      expect(await prisma.membership.findMany()).toHaveLength(memberships.length);
      expect(await prisma.membership.updateMany({ data: { role: 'member' } })).toEqual({ count: 0 });
      expect(await prisma.membership.deleteMany()).toEqual({ count: 0 });
      expect(
        await sqlstate(
          prisma.invitation.create({ data: { email: `narrowed-${randomUUID().slice(0, 8)}@example.test` } }),
        ),
      ).toBe('42501');
    });
    expect(await admin.membership.findMany({ where: { tenantId: a.tenantId } })).toEqual(memberships);
    expect(await admin.invitation.count({ where: { tenantId: a.tenantId } })).toBe(0);
  });

  it('a tenant-wide context still creates, renames and deletes any workspace of its tenant', async () => {
    await tenantContext.run({ tenantId: a.tenantId }, async () => {
      const created = await prisma.workspace.create({ data: { name: 'alpha tenant-wide' } });
      expect(
        await prisma.workspace.update({ where: key(created.id), data: { name: 'alpha tenant-wide renamed' } }),
      ).toMatchObject({ name: 'alpha tenant-wide renamed' });
      await prisma.project.create({ data: { workspaceId: created.id, name: 'alpha tenant-wide p' } });
      await prisma.workspace.delete({ where: key(created.id) });
    });
    expect(await admin.project.count({ where: { name: 'alpha tenant-wide p' } })).toBe(0);
  });
});

describe('what a narrowed context can learn about a sibling workspace rows through keys', () => {
  it('a foreign key answers the same for a sibling project and a project that does not exist', async () => {
    const siblingProject = a.projectIds[2]!; // seedTenants: workspace 1's first project
    expect((await admin.project.findUniqueOrThrow({ where: key(siblingProject) })).workspaceId).toBe(sibling);
    await tenantContext.run(inWs0, async () => {
      const toSibling = await sqlstate(prisma.task.create({ data: { title: 'probe', projectId: siblingProject } }));
      const toNothing = await sqlstate(prisma.task.create({ data: { title: 'probe', projectId: randomUUID() } }));
      expect(toSibling).toBe('23503');
      expect(toNothing).toBe(toSibling);
    });
  });

  it('documented limit (README, Workspace scope): the (tenant_id, id) primary key of projects and tasks spans workspaces', async () => {
    // Ids are random UUIDs, so this only confirms an id the caller already holds; it reads, changes
    // and deletes nothing. Keys per workspace would change every `tenantId_id` lookup in the API.
    const siblingProject = a.projectIds[2]!;
    await tenantContext.run(inWs0, async () => {
      expect(await sqlstate(prisma.project.create({ data: { id: siblingProject, name: 'probe' } }))).toBe('23505');
      expect(await sqlstate(prisma.project.create({ data: { id: randomUUID(), name: 'probe fresh' } }))).toBe('ok');
    });
    expect((await admin.project.findUniqueOrThrow({ where: key(siblingProject) })).name).not.toBe('probe');
  });
});
