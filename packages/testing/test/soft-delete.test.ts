/**
 * Soft delete on a real PostgreSQL, on every route the rig has (direct, PgBouncer session and
 * transaction mode; PgBouncer routes fall back to direct where it is not installed): the fixture's
 * folders and files have `deletedAt DateTime?`, so deletes set it, reads hide those rows, and the
 * tenant scope and RLS still decide whose rows anything can reach.
 */
import { randomUUID } from 'node:crypto';
import { MissingTenantContextError, SoftDeleteError, tenantContext, withDeleted } from '@tenantry/prisma';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedTenants, type Route, type SeededTenant } from '../src/index.js';
import { FIELDS, fixtureSchema, provisionFixtureRig, type FixtureRig } from './support/fixture-rig.js';

let db: FixtureRig;
let tenants: SeededTenant[];

beforeAll(async () => {
  db = await provisionFixtureRig('softdelete', ['session', 'transaction']);
  tenants = await seedTenants(db.admin, 10, {
    ...FIELDS,
    schema: fixtureSchema,
    seed: 16,
    counts: { Member: 1, Note: 0, Folder: 0, File: 0 },
  });
});
afterAll(() => db?.stop());

const code = (error: unknown) => (error as { code?: string }).code;
const failure = async (p: PromiseLike<unknown>) => {
  try {
    await p;
  } catch (error) {
    return error;
  }
  throw new Error('expected the operation to fail, it succeeded');
};

const ROUTES: Route[] = ['direct', 'pgbouncer-session', 'pgbouncer-transaction'];

describe.each(ROUTES)('soft delete through %s', (route) => {
  const client = () => db.client(db.rig.hasRoute(route) ? route : 'direct', 3);
  let prisma: ReturnType<FixtureRig['client']>;
  let t: SeededTenant;
  let other: SeededTenant;
  let ctx: { tenantId: string; workspaceId: string };
  const run = <T>(fn: () => Promise<T>, c: { tenantId: string; workspaceId?: string } = ctx) =>
    tenantContext.run(c, fn);
  const key = (id: string, tenantId = t.tenantId) => ({ organizationId_id: { organizationId: tenantId, id } });
  const folder = (name = `f-${randomUUID()}`) => run(() => prisma.folder.create({ data: { name } }));

  beforeAll(() => {
    const i = ROUTES.indexOf(route) * 3;
    t = tenants[i]!;
    other = tenants[i + 1]!;
    ctx = { tenantId: t.tenantId, workspaceId: t.workspaceIds[0]! };
    prisma = client();
  });

  it('delete sets deletedAt and returns the row; every default read hides it; the row stays in the table', async () => {
    const kept = await folder();
    const gone = await folder();
    const deleted = await run(() => prisma.folder.delete({ where: key(gone.id) }));
    expect(deleted.id).toBe(gone.id);
    expect(deleted.deletedAt).toBeInstanceOf(Date);
    const ids = [kept.id, gone.id];
    await run(async () => {
      expect((await prisma.folder.findMany({ where: { id: { in: ids } } })).map((f) => f.id)).toEqual([kept.id]);
      expect(await prisma.folder.findFirst({ where: { id: gone.id } })).toBeNull();
      expect(await prisma.folder.findUnique({ where: key(gone.id) })).toBeNull();
      expect(code(await failure(prisma.folder.findUniqueOrThrow({ where: key(gone.id) })))).toBe('P2025');
      expect(code(await failure(prisma.folder.findFirstOrThrow({ where: { id: gone.id } })))).toBe('P2025');
      expect(await prisma.folder.count({ where: { id: { in: ids } } })).toBe(1);
      expect((await prisma.folder.aggregate({ where: { id: { in: ids } }, _count: { _all: true } }))._count._all).toBe(
        1,
      );
      const groups = await prisma.folder.groupBy({
        by: ['teamId'],
        where: { id: { in: ids } },
        _count: { _all: true },
      });
      expect(groups.map((g) => g._count._all)).toEqual([1]);
      // Raw SQL is not rewritten (RLS still scopes it): the row is there, marked.
      const raw = await prisma.$queryRaw<Array<{ n: number }>>`
        select count(*)::int as n from folders where id = ${gone.id}::uuid and deleted_at is not null`;
      expect(raw[0]!.n).toBe(1);
    });
    const stored = await db.admin.folder.findUniqueOrThrow({ where: key(gone.id) });
    expect(stored.deletedAt).toEqual(deleted.deletedAt);
  });

  it('deleteMany returns the count of rows it soft-deleted, and a second run finds none', async () => {
    const prefix = `many-${randomUUID()}`;
    for (let i = 0; i < 3; i++) await folder(`${prefix}-${i}`);
    const where = { name: { startsWith: prefix } };
    expect(await run(() => prisma.folder.deleteMany({ where }))).toEqual({ count: 3 });
    expect(await run(() => prisma.folder.deleteMany({ where }))).toEqual({ count: 0 });
    expect(await db.admin.folder.count({ where: { ...where, deletedAt: { not: null } } })).toBe(3);
  });

  it('a nested delete and deleteMany inside update soft-delete the children; include returns only live ones', async () => {
    const f = await folder();
    const files = await run(() =>
      Promise.all(
        ['a', 'b', 'c', 'd'].map((name) =>
          prisma.file.create({ data: { name, size: 1, folderId: f.id, teamId: ctx.workspaceId } }),
        ),
      ),
    );
    const byName = Object.fromEntries(files.map((file) => [file.name, file]));
    const updated = await run(() =>
      prisma.folder.update({
        where: key(f.id),
        data: {
          name: `${f.name}-renamed`,
          files: { delete: key(byName.a!.id), deleteMany: { name: { in: ['b', 'c'] } } },
        },
        include: { files: { orderBy: { name: 'asc' } }, _count: { select: { files: true } } },
      }),
    );
    expect(updated.files.map((file) => file.name)).toEqual(['d']);
    expect(updated._count.files).toBe(1);
    const stored = await db.admin.file.findMany({ where: { folderId: f.id }, orderBy: { name: 'asc' } });
    expect(stored.map((file) => [file.name, file.deletedAt !== null])).toEqual([
      ['a', true],
      ['b', true],
      ['c', true],
      ['d', false],
    ]);
    // A to-one relation to a soft-deleted row is returned (docs/soft-delete.md): the file still points at it.
    await run(() => prisma.folder.delete({ where: key(f.id) }));
    const file = await run(() =>
      prisma.file.findUniqueOrThrow({ where: key(byName.d!.id), include: { folder: true } }),
    );
    expect(file.folder.deletedAt).toBeInstanceOf(Date);
  });

  it('includeDeleted: true and withDeleted show deleted rows; includeDeleted on a delete is refused', async () => {
    const f = await folder();
    await run(() => prisma.folder.delete({ where: key(f.id) }));
    await run(async () => {
      const args = { where: { id: f.id }, includeDeleted: true } as unknown as { where: { id: string } };
      expect((await prisma.folder.findMany(args)).map((x) => x.id)).toEqual([f.id]);
      expect((await withDeleted(() => prisma.folder.findUnique({ where: key(f.id) })))?.deletedAt).toBeInstanceOf(Date);
      expect(await withDeleted(() => prisma.folder.count({ where: { id: f.id } }))).toBe(1);
      const refused = await failure(
        prisma.folder.deleteMany({ where: { id: f.id }, includeDeleted: true } as unknown as { where: { id: string } }),
      );
      expect(refused).toBeInstanceOf(SoftDeleteError);
      expect((refused as Error).message).toMatch(/^Cannot run Folder\.deleteMany because .*purgeSoftDeleted/);
    });
    // withDeleted is over once it returned.
    expect(await run(() => prisma.folder.findUnique({ where: key(f.id) }))).toBeNull();
  });

  it('$restore brings a deleted row back; a live or missing row is P2025', async () => {
    const f = await folder();
    await run(() => prisma.folder.delete({ where: key(f.id) }));
    const restored = await run(() => prisma.$restore('folder', key(f.id)));
    expect(restored).toMatchObject({ id: f.id, deletedAt: null });
    expect((await run(() => prisma.folder.findUniqueOrThrow({ where: key(f.id) }))).id).toBe(f.id);
    expect(code(await failure(run(() => prisma.$restore('folder', key(f.id)))))).toBe('P2025');
    expect(code(await failure(run(() => prisma.$restore('folder', key(randomUUID())))))).toBe('P2025');
    await expect(run(() => prisma.$restore('member' as never, key(f.id) as never))).rejects.toThrow(SoftDeleteError);
  });

  it('a deleted name can be created again (partial unique index); two live ones cannot, nor a restore onto a taken name', async () => {
    const name = `unique-${randomUUID()}`;
    const first = await folder(name);
    expect(code(await failure(folder(name)))).toBe('P2002');
    await run(() => prisma.folder.delete({ where: key(first.id) }));
    const second = await folder(name);
    expect(second.id).not.toBe(first.id);
    // The live row is found by the compound key the partial index gives.
    const live = await run(() =>
      prisma.folder.findUnique({
        where: { organizationId_teamId_name: { organizationId: t.tenantId, teamId: ctx.workspaceId, name } },
      }),
    );
    expect(live?.id).toBe(second.id);
    expect(code(await failure(run(() => prisma.$restore('folder', key(first.id)))))).toBe('P2002');
  });

  it('update, updateMany and upsert do not touch a deleted row', async () => {
    const f = await folder();
    await run(() => prisma.folder.delete({ where: key(f.id) }));
    expect(code(await failure(run(() => prisma.folder.update({ where: key(f.id), data: { name: 'x' } }))))).toBe(
      'P2025',
    );
    expect(await run(() => prisma.folder.updateMany({ where: { id: f.id }, data: { name: 'x' } }))).toEqual({
      count: 0,
    });
    expect(await run(() => prisma.folder.updateManyAndReturn({ where: { id: f.id }, data: { name: 'x' } }))).toEqual(
      [],
    );
    // upsert: the deleted row does not match, so it tries the create, which its primary key refuses.
    expect(
      code(
        await failure(
          run(() => prisma.folder.upsert({ where: key(f.id), update: { name: 'x' }, create: { id: f.id, name: 'y' } })),
        ),
      ),
    ).toBe('P2002');
    expect((await db.admin.folder.findUniqueOrThrow({ where: key(f.id) })).name).toBe(f.name);
  });

  it("another tenant's row: delete is P2025, deleteMany and restore reach nothing, the row is untouched", async () => {
    const theirs = await run(() => prisma.folder.create({ data: { name: `theirs-${randomUUID()}` } }), {
      tenantId: other.tenantId,
      workspaceId: other.workspaceIds[0]!,
    });
    // By their key (the extension refuses another tenant's id in the key) and by id alone (RLS hides it).
    expect(await failure(run(() => prisma.folder.delete({ where: key(theirs.id, other.tenantId) })))).toHaveProperty(
      'name',
      'TenantMismatchError',
    );
    expect(code(await failure(run(() => prisma.folder.delete({ where: key(theirs.id) }))))).toBe('P2025');
    expect(await run(() => prisma.folder.deleteMany({ where: { id: theirs.id } }))).toEqual({ count: 0 });
    await db.admin.folder.update({ where: key(theirs.id, other.tenantId), data: { deletedAt: new Date() } });
    expect(code(await failure(run(() => prisma.$restore('folder', key(theirs.id)))))).toBe('P2025');
    expect(await run(() => withDeleted(() => prisma.folder.findMany({ where: { id: theirs.id } })))).toEqual([]);
    const stored = await db.admin.folder.findUniqueOrThrow({ where: key(theirs.id, other.tenantId) });
    expect(stored.name).toBe(theirs.name);
  });

  it('without a context, deletes and reads fail closed', async () => {
    const f = await folder();
    await expect(prisma.folder.delete({ where: key(f.id) })).rejects.toThrow(MissingTenantContextError);
    await expect(prisma.folder.deleteMany({ where: { id: f.id } })).rejects.toThrow(MissingTenantContextError);
    await expect(prisma.folder.findMany({ includeDeleted: true } as object)).rejects.toThrow(MissingTenantContextError);
    await expect(prisma.$restore('folder', key(f.id))).rejects.toThrow(MissingTenantContextError);
    expect((await db.admin.folder.findUniqueOrThrow({ where: key(f.id) })).deletedAt).toBeNull();
  });

  it('inside an interactive transaction: a rolled-back delete leaves the row live, a committed one and tx.$restore hold', async () => {
    const f = await folder();
    await expect(
      run(() =>
        prisma.$transaction(async (tx) => {
          await tx.folder.delete({ where: key(f.id) });
          expect(await tx.folder.findUnique({ where: key(f.id) })).toBeNull();
          throw new Error('roll back');
        }),
      ),
    ).rejects.toThrow('roll back');
    expect((await db.admin.folder.findUniqueOrThrow({ where: key(f.id) })).deletedAt).toBeNull();
    await run(() =>
      prisma.$transaction(async (tx) => {
        await tx.folder.delete({ where: key(f.id) });
        expect(await tx.folder.count({ where: { id: f.id } })).toBe(0);
      }),
    );
    expect((await db.admin.folder.findUniqueOrThrow({ where: key(f.id) })).deletedAt).toBeInstanceOf(Date);
    await run(() =>
      prisma.$transaction(async (tx) => {
        const restored = await (tx as unknown as typeof prisma).$restore('folder', key(f.id));
        expect(restored.deletedAt).toBeNull();
        throw new Error('undo the restore');
      }),
    ).catch(() => {});
    expect((await db.admin.folder.findUniqueOrThrow({ where: key(f.id) })).deletedAt).toBeInstanceOf(Date);
    // A batch transaction too.
    const g = await folder();
    const [deleted, count] = await run(() =>
      prisma.$transaction([prisma.folder.delete({ where: key(g.id) }), prisma.folder.count({ where: { id: g.id } })]),
    );
    expect([deleted.deletedAt instanceof Date, count]).toEqual([true, 0]);
  });
});

describe('soft delete under concurrency', () => {
  it('many tenants deleting, restoring and reading at once each see only their own live rows', async () => {
    const prisma = db.client('direct', 6);
    const outcomes = await Promise.all(
      tenants.flatMap((t) =>
        [0, 1, 2].map((round) =>
          tenantContext.run({ tenantId: t.tenantId, workspaceId: t.workspaceIds[round % 2]! }, async () => {
            const made = await Promise.all(
              [0, 1, 2, 3].map((i) => prisma.folder.create({ data: { name: `c-${round}-${i}-${randomUUID()}` } })),
            );
            const ids = made.map((f) => f.id);
            const { count } = await prisma.folder.deleteMany({ where: { id: { in: ids.slice(0, 2) } } });
            await prisma.$restore('folder', { organizationId_id: { organizationId: t.tenantId, id: ids[0]! } });
            const visible = await prisma.folder.findMany({ where: { id: { in: ids } }, orderBy: { name: 'asc' } });
            const all = await withDeleted(() => prisma.folder.findMany({ where: { organizationId: t.tenantId } }));
            return { t, ids, count, visible, all };
          }),
        ),
      ),
    );
    for (const { t, ids, count, visible, all } of outcomes) {
      expect(count, `tenant ${t.tenantId} deleteMany`).toBe(2);
      expect(visible.map((f) => f.id).sort(), `tenant ${t.tenantId} live rows`).toEqual(
        [ids[0], ids[2], ids[3]].sort(),
      );
      for (const row of all) expect(row.organizationId, `tenant ${t.tenantId} row ${row.id}`).toBe(t.tenantId);
    }
  });
});
