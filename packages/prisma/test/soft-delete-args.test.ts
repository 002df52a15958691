/**
 * The soft-delete rewrite as a pure function (no database): which operations become which, where the
 * `deletedAt: null` filter goes, that the tenant scope still lands on the rewritten operation, and the
 * errors for what it refuses. The behaviour on a real PostgreSQL is tested by the kit
 * (packages/testing/test/soft-delete.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { scopeArgs } from '../src/extension/scope-args.js';
import { tenantMetadataFrom, type RuntimeDataModel } from '../src/extension/model-metadata.js';
import { softDeleteArgs } from '../src/soft-delete/soft-delete-args.js';
import { SoftDeleteError } from '../src/soft-delete/errors.js';
import { TenantryConfigError } from '../src/errors.js';

const A = '11111111-1111-4111-8111-111111111111';
const NOW = new Date('2026-12-02T12:00:00Z');
const f = (name: string, type = 'String', kind = 'scalar') => ({ name, kind, type });

const dataModel: RuntimeDataModel = {
  models: {
    Folder: {
      fields: [
        f('organizationId'),
        f('id'),
        f('name'),
        f('deletedAt', 'DateTime'),
        f('files', 'File', 'object'),
        f('owner', 'Owner', 'object'),
      ],
    },
    File: {
      fields: [
        f('organizationId'),
        f('id'),
        f('folderId'),
        f('deletedAt', 'DateTime'),
        f('folder', 'Folder', 'object'),
      ],
    },
    Owner: { fields: [f('organizationId'), f('id'), f('folders', 'Folder', 'object')] },
  },
};
const schema = `
model Folder {
  organizationId String
  id             String
  name           String
  deletedAt      DateTime? @map("deleted_at")
  files          File[]
  owner          Owner    @relation(fields: [organizationId, ownerId], references: [organizationId, id])
}
model File {
  organizationId String
  id             String
  folderId       String
  deletedAt      DateTime?
  folder         Folder   @relation(fields: [organizationId, folderId], references: [organizationId, id])
}
model Owner {
  organizationId String
  id             String
  folders        Folder[]
}`;
const meta = tenantMetadataFrom(dataModel, schema, { tenantField: 'organizationId' });
const rewrite = (model: string, operation: string, args: unknown, visible = false) =>
  softDeleteArgs(meta, model, operation, args, visible, NOW);

describe('soft-delete metadata', () => {
  it('finds deletedAt DateTime? and its column; a model without it is not soft-deletable', () => {
    expect(meta.get('Folder')!.softDelete).toEqual({ field: 'deletedAt', column: 'deleted_at' });
    expect(meta.get('Owner')!.softDelete).toBeUndefined();
    expect(meta.softDeletes).toBe(true);
    expect([...meta.get('Folder')!.lists]).toEqual(['files']);
  });

  it('refuses a deletedAt that is not an optional DateTime, and a bad softDeleteField, naming the fix', () => {
    expect(() => tenantMetadataFrom(dataModel, schema.replace('DateTime? @map', 'DateTime @map'))).toThrow(
      /^Cannot create the tenant client because Folder\.deletedAt is not an optional DateTime.*Declare it as `deletedAt DateTime\?`/,
    );
    expect(() => tenantMetadataFrom(dataModel, schema, { softDeleteField: 'no such' })).toThrow(TenantryConfigError);
    const off = tenantMetadataFrom(dataModel, schema, { softDeleteField: false });
    expect(off.softDeletes).toBe(false);
    expect(softDeleteArgs(off, 'Folder', 'delete', { where: { id: 'x' } }, false)).toEqual({
      operation: 'delete',
      args: { where: { id: 'x' } },
    });
  });
});

describe('softDeleteArgs', () => {
  it('turns delete into update and deleteMany into updateMany, on live rows only, keeping select/include', () => {
    expect(rewrite('Folder', 'delete', { where: { id: 'x' }, select: { id: true } })).toEqual({
      operation: 'update',
      args: { where: { id: 'x', deletedAt: null }, data: { deletedAt: NOW }, select: { id: true } },
    });
    expect(rewrite('Folder', 'deleteMany', { where: { name: 'a' } })).toEqual({
      operation: 'updateMany',
      args: { where: { name: 'a', deletedAt: null }, data: { deletedAt: NOW } },
    });
    expect(rewrite('Folder', 'deleteMany', undefined)).toEqual({
      operation: 'updateMany',
      args: { where: { deletedAt: null }, data: { deletedAt: NOW } },
    });
    // A model without the field is deleted for real.
    expect(rewrite('Owner', 'delete', { where: { id: 'x' } }).operation).toBe('delete');
  });

  it('filters every read and update, and keeps a deletedAt condition the caller wrote (AND)', () => {
    for (const op of [
      'findMany',
      'findFirst',
      'findUniqueOrThrow',
      'count',
      'aggregate',
      'groupBy',
      'update',
      'upsert',
    ]) {
      expect((rewrite('Folder', op, { where: { id: 'x' } }).args as { where: unknown }).where, op).toEqual({
        id: 'x',
        deletedAt: null,
      });
    }
    expect(rewrite('Folder', 'findMany', { where: { deletedAt: { lt: NOW } } }).args).toEqual({
      where: { deletedAt: { lt: NOW }, AND: [{ deletedAt: null }] },
    });
    expect(rewrite('Folder', 'create', { data: { name: 'a' } }).args).toEqual({ data: { name: 'a' } });
  });

  it('includeDeleted: true is stripped and turns the filters off; on a delete it is refused', () => {
    expect(rewrite('Folder', 'findMany', { where: { id: 'x' }, includeDeleted: true })).toEqual({
      operation: 'findMany',
      args: { where: { id: 'x' } },
    });
    expect(rewrite('Owner', 'findMany', { includeDeleted: false }).args).toEqual({});
    expect(() => rewrite('Folder', 'delete', { where: { id: 'x' }, includeDeleted: true })).toThrow(SoftDeleteError);
    expect(() => rewrite('Folder', 'findMany', { includeDeleted: 'yes' })).toThrow(
      /^Cannot run Folder\.findMany because includeDeleted is neither true nor false\. Pass includeDeleted: true/,
    );
    expect(rewrite('Folder', 'findMany', {}, true).args).toEqual({});
  });

  it('filters to-many relation reads and _count, deeply; leaves to-one relations alone', () => {
    expect(
      rewrite('Owner', 'findMany', {
        include: { folders: { include: { files: true, owner: true } }, _count: true },
      }).args,
    ).toEqual({
      include: {
        folders: { where: { deletedAt: null }, include: { files: { where: { deletedAt: null } }, owner: true } },
        _count: { select: { folders: { where: { deletedAt: null } } } },
      },
    });
    expect(rewrite('File', 'findMany', { select: { id: true, folder: true } }).args).toEqual({
      where: { deletedAt: null },
      select: { id: true, folder: true },
    });
  });

  it('turns nested delete/deleteMany into update/updateMany and filters nested updates', () => {
    expect(
      rewrite('Owner', 'update', {
        where: { id: 'o' },
        data: {
          folders: {
            delete: [{ id: 'a' }],
            deleteMany: { name: 'b' },
            update: { where: { id: 'c' }, data: { name: 'c' } },
          },
        },
      }).args,
    ).toEqual({
      where: { id: 'o' },
      data: {
        folders: {
          update: [
            { where: { id: 'c', deletedAt: null }, data: { name: 'c' } },
            { where: { id: 'a', deletedAt: null }, data: { deletedAt: NOW } },
          ],
          updateMany: [{ where: { name: 'b', deletedAt: null }, data: { deletedAt: NOW } }],
        },
      },
    });
    // To-one: `delete: true` becomes an update of the related row.
    expect(rewrite('File', 'update', { where: { id: 'f' }, data: { folder: { delete: true } } }).args).toEqual({
      where: { id: 'f', deletedAt: null },
      data: { folder: { update: { where: { deletedAt: null }, data: { deletedAt: NOW } } } },
    });
    expect(() =>
      rewrite('File', 'update', { where: { id: 'f' }, data: { folder: { delete: true, update: { name: 'x' } } } }),
    ).toThrow(/both updates and deletes/);
  });

  it('the tenant scope lands on the rewritten operation, and a conflicting tenant is still refused', () => {
    const soft = rewrite('Folder', 'deleteMany', { where: { id: 'x' } });
    expect(scopeArgs(meta, 'Folder', soft.operation, soft.args, { tenantId: A })).toEqual({
      where: { id: 'x', deletedAt: null, organizationId: A },
      data: { deletedAt: NOW },
    });
    const other = rewrite('Folder', 'delete', {
      where: { id: 'x', organizationId: '22222222-2222-4222-8222-222222222222' },
    });
    expect(() => scopeArgs(meta, 'Folder', other.operation, other.args, { tenantId: A })).toThrow(/organizationId/);
  });
});
