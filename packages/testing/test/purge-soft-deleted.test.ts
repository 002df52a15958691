/**
 * purgeSoftDeleted on a real PostgreSQL, through the admin client: one tenant's rows soft-deleted
 * before the cutoff go for good, children before parents; live rows, rows deleted after the cutoff,
 * parents something still references and every other tenant's rows stay. Without a tenant or a
 * cutoff it refuses, naming the option.
 */
import { randomUUID } from 'node:crypto';
import { tenantContext } from '@tenantry/prisma';
import { PurgeOptionsError, purgeSoftDeleted } from '@tenantry/prisma/admin';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedTenants, type SeededTenant } from '../src/index.js';
import { FIELDS, fixtureSchema, provisionFixtureRig, type FixtureRig } from './support/fixture-rig.js';

let db: FixtureRig;
let tenants: SeededTenant[];

beforeAll(async () => {
  db = await provisionFixtureRig('purge');
  tenants = await seedTenants(db.admin, 2, {
    ...FIELDS,
    schema: fixtureSchema,
    seed: 5,
    counts: { Member: 1, Note: 0, Folder: 0, File: 0 },
  });
});
afterAll(() => db?.stop());

const DAY = 24 * 3600 * 1000;

/** Per tenant: an old deleted folder with old deleted files, an old deleted folder holding a live file, recent and live rows. */
async function fixtureRows(t: SeededTenant) {
  const prisma = db.client('direct', 2);
  const ctx = { tenantId: t.tenantId, workspaceId: t.workspaceIds[0]! };
  const made = await tenantContext.run(ctx, async () => {
    const folder = (name: string) => prisma.folder.create({ data: { name: `${name}-${randomUUID()}` } });
    const file = (folderId: string, name: string) =>
      prisma.file.create({ data: { name, size: 1, folderId, teamId: ctx.workspaceId } });
    const oldEmpty = await folder('old');
    const oldFiles = [await file(oldEmpty.id, 'a'), await file(oldEmpty.id, 'b')];
    const oldReferenced = await folder('old-referenced');
    const liveFile = await file(oldReferenced.id, 'live');
    const recent = await folder('recent');
    const live = await folder('live');
    await prisma.file.deleteMany({ where: { id: { in: oldFiles.map((f) => f.id) } } });
    await prisma.folder.deleteMany({ where: { id: { in: [oldEmpty.id, oldReferenced.id, recent.id] } } });
    return { oldEmpty, oldFiles, oldReferenced, liveFile, recent, live };
  });
  // Age the "old" deletions by ten days (the admin client writes deletedAt directly).
  const old = new Date(Date.now() - 10 * DAY);
  await db.admin.folder.updateMany({
    where: { id: { in: [made.oldEmpty.id, made.oldReferenced.id] } },
    data: { deletedAt: old },
  });
  await db.admin.file.updateMany({ where: { id: { in: made.oldFiles.map((f) => f.id) } }, data: { deletedAt: old } });
  return made;
}

describe('purgeSoftDeleted', () => {
  it('hard-deletes the tenant rows deleted before the cutoff, children first, and returns the counts', async () => {
    const [a, b] = tenants as [SeededTenant, SeededTenant];
    const mine = await fixtureRows(a);
    const theirs = await fixtureRows(b);
    const result = await purgeSoftDeleted({
      client: db.admin,
      tenantId: a.tenantId,
      before: new Date(Date.now() - 5 * DAY),
      ...FIELDS,
    });
    expect(result).toMatchObject({ tenantId: a.tenantId, deleted: { File: 2, Folder: 1 }, total: 3 });
    expect(Object.keys(result.deleted)).toEqual(['File', 'Folder']);
    const ids = (rows: Array<{ id: string }>) => rows.map((r) => r.id).sort();
    const present = await db.admin.folder.findMany({ where: { organizationId: a.tenantId }, select: { id: true } });
    expect(ids(present)).toEqual(ids([mine.oldReferenced, mine.recent, mine.live]));
    expect(await db.admin.file.count({ where: { id: { in: mine.oldFiles.map((f) => f.id) } } })).toBe(0);
    expect(await db.admin.file.count({ where: { id: mine.liveFile.id } })).toBe(1);
    // The other tenant's old deleted rows are all still there.
    expect(await db.admin.folder.count({ where: { id: theirs.oldEmpty.id } })).toBe(1);
    expect(await db.admin.file.count({ where: { id: { in: theirs.oldFiles.map((f) => f.id) } } })).toBe(2);
    // Nothing is left to purge at that cutoff.
    expect(
      (
        await purgeSoftDeleted({
          client: db.admin,
          tenantId: a.tenantId,
          before: new Date(Date.now() - 5 * DAY),
          ...FIELDS,
        })
      ).total,
    ).toBe(0);
  });

  it('refuses without a tenant, without a valid cutoff, or with a cutoff in the future', async () => {
    const tenantId = tenants[0]!.tenantId;
    const refusal = async (options: object) => {
      try {
        await purgeSoftDeleted(options as never);
      } catch (error) {
        return error as PurgeOptionsError;
      }
      throw new Error('expected purgeSoftDeleted to refuse');
    };
    const cases: Array<[object, string, RegExp]> = [
      [{ client: db.admin, before: new Date() }, 'tenantId', /tenantId is missing\. Pass the id of the one tenant/],
      [{ client: db.admin, tenantId: 'all', before: new Date() }, 'tenantId', /tenantId is not a UUID/],
      [{ client: db.admin, tenantId }, 'before', /before is missing\. Pass the cutoff as a Date/],
      [{ client: db.admin, tenantId, before: new Date('nope') }, 'before', /before is not a valid Date/],
      [{ client: db.admin, tenantId, before: new Date(Date.now() + DAY) }, 'before', /before is in the future/],
      [{ client: {}, tenantId, before: new Date() }, 'client', /client is not a Prisma client/],
    ];
    for (const [options, option, message] of cases) {
      const error = await refusal(options);
      expect(error, option).toBeInstanceOf(PurgeOptionsError);
      expect(error.option).toBe(option);
      expect(error.message).toMatch(/^Cannot purge soft-deleted rows because /);
      expect(error.message).toMatch(message);
    }
  });
});
