import { describe, expect, it } from 'vitest';
import { scopeArgs } from '../../../prisma/src/extension/scope-args.js';
import { tenantMetadataFrom } from '../../../prisma/src/extension/model-metadata.js';
import { MissingTenantContextError, MissingWorkspaceError, TenantMismatchError } from '../../src/index.js';

const meta = tenantMetadataFrom(
  {
    models: {
      Tenant: {
        fields: [
          { name: 'id', kind: 'scalar', type: 'String' },
          { name: 'workspaces', kind: 'object', type: 'Workspace' },
        ],
      },
      Workspace: {
        fields: [
          { name: 'tenantId', kind: 'scalar', type: 'String' },
          { name: 'id', kind: 'scalar', type: 'String' },
          { name: 'name', kind: 'scalar', type: 'String' },
          { name: 'projects', kind: 'object', type: 'Project' },
        ],
      },
      Project: {
        fields: [
          { name: 'tenantId', kind: 'scalar', type: 'String' },
          { name: 'workspaceId', kind: 'scalar', type: 'String' },
          { name: 'id', kind: 'scalar', type: 'String' },
          { name: 'name', kind: 'scalar', type: 'String' },
          { name: 'workspace', kind: 'object', type: 'Workspace' },
        ],
      },
    },
  },
  `
model Workspace {
  tenantId String
  id       String
  projects Project[]
}
model Project {
  tenantId    String
  workspaceId String
  workspace   Workspace @relation(fields: [tenantId, workspaceId], references: [tenantId, id]) // owning side
}
`,
);
const A = '11111111-1111-4111-8111-111111111111';
const B = '22222222-2222-4222-8222-222222222222';
const W1 = '33333333-3333-4333-8333-333333333333';
const W2 = '44444444-4444-4444-8444-444444444444';

describe('scopeArgs', () => {
  it('adds the tenant filter to reads, counts and bulk writes', () => {
    for (const op of ['findMany', 'findFirst', 'count', 'aggregate', 'groupBy', 'updateMany', 'deleteMany']) {
      expect(scopeArgs(meta, 'Workspace', op, { where: { name: 'x' } }, { tenantId: A })).toMatchObject({
        where: { name: 'x', tenantId: A },
      });
    }
    expect(scopeArgs(meta, 'Workspace', 'findMany', undefined, { tenantId: A })).toEqual({ where: { tenantId: A } });
  });

  it('adds the workspace filter only for workspace-scoped models and only when the context has one', () => {
    expect(scopeArgs(meta, 'Project', 'findMany', {}, { tenantId: A, workspaceId: W1 })).toEqual({
      where: { tenantId: A, workspaceId: W1 },
    });
    expect(scopeArgs(meta, 'Project', 'findMany', {}, { tenantId: A })).toEqual({ where: { tenantId: A } });
    expect(scopeArgs(meta, 'Workspace', 'findMany', {}, { tenantId: A, workspaceId: W1 })).toEqual({
      where: { tenantId: A },
    });
  });

  it('keeps operator filters on tenantId and ANDs the scope', () => {
    expect(scopeArgs(meta, 'Workspace', 'findMany', { where: { tenantId: { not: B } } }, { tenantId: A })).toEqual({
      where: { tenantId: { not: B }, AND: [{ tenantId: A }] },
    });
  });

  it('adds the scope beside unique keys', () => {
    expect(
      scopeArgs(meta, 'Workspace', 'findUnique', { where: { tenantId_id: { tenantId: A, id: W1 } } }, { tenantId: A }),
    ).toEqual({
      where: { tenantId_id: { tenantId: A, id: W1 }, tenantId: A },
    });
  });

  it('fills tenantId and workspaceId into created rows', () => {
    expect(scopeArgs(meta, 'Project', 'create', { data: { name: 'p' } }, { tenantId: A, workspaceId: W1 })).toEqual({
      data: { name: 'p', tenantId: A, workspaceId: W1 },
    });
    expect(
      scopeArgs(meta, 'Project', 'createMany', { data: [{ name: 'p', workspaceId: W2 }] }, { tenantId: A }),
    ).toEqual({
      data: [{ name: 'p', workspaceId: W2, tenantId: A }],
    });
  });

  it('leaves checked (relation) create input to the relation and the column default', () => {
    const args = { data: { name: 'p', workspace: { connect: { tenantId_id: { tenantId: A, id: W1 } } } } };
    expect(scopeArgs(meta, 'Project', 'create', args, { tenantId: A })).toEqual(args);
  });

  it('requires a workspace for workspace-scoped creates', () => {
    expect(() => scopeArgs(meta, 'Project', 'create', { data: { name: 'p' } }, { tenantId: A })).toThrow(
      MissingWorkspaceError,
    );
    // A to-many nested create is still the unchecked form: no workspace from anywhere.
    expect(() =>
      scopeArgs(
        meta,
        'Project',
        'create',
        { data: { name: 'p', tasks: { create: [{ title: 't' }] } } },
        { tenantId: A },
      ),
    ).toThrow(MissingWorkspaceError);
  });

  it('reads foreign keys from the schema text', () => {
    expect(meta.get('Project')?.foreignKeys.get('workspace')).toEqual(['tenantId', 'workspaceId']);
    expect(meta.get('Workspace')?.foreignKeys.size).toBe(0);
  });

  it.each([
    ['where literal', 'findMany', { where: { tenantId: B } }, 'where.tenantId'],
    ['where equals', 'findMany', { where: { tenantId: { equals: B } } }, 'where.tenantId'],
    ['where in', 'count', { where: { tenantId: { in: [A, B] } } }, 'where.tenantId'],
    ['OR branch', 'findMany', { where: { OR: [{ name: 'x' }, { tenantId: B }] } }, 'where.OR[1].tenantId'],
    ['compound key', 'findUnique', { where: { tenantId_id: { tenantId: B, id: W1 } } }, 'where.tenantId_id.tenantId'],
    ['create data', 'create', { data: { name: 'x', tenantId: B } }, 'data.tenantId'],
    ['createMany row', 'createMany', { data: [{ name: 'x' }, { name: 'y', tenantId: B }] }, 'data[1].tenantId'],
    [
      'update data',
      'update',
      { where: { tenantId_id: { tenantId: A, id: W1 } }, data: { tenantId: B } },
      'data.tenantId',
    ],
    ['update set', 'updateMany', { data: { tenantId: { set: B } } }, 'data.tenantId'],
    [
      'upsert create',
      'upsert',
      { where: { tenantId_id: { tenantId: A, id: W1 } }, create: { name: 'x', tenantId: B }, update: {} },
      'create.tenantId',
    ],
    [
      'nested create',
      'create',
      { data: { name: 'x', projects: { create: [{ name: 'p', tenantId: B }] } } },
      'data.projects.create[0].tenantId',
    ],
    [
      'connectOrCreate',
      'create',
      {
        data: {
          name: 'x',
          projects: { connectOrCreate: { where: { tenantId_id: { tenantId: B, id: W1 } }, create: { name: 'p' } } },
        },
      },
      'data.projects.connectOrCreate.where.tenantId_id.tenantId',
    ],
    ['relation filter', 'findMany', { where: { projects: { some: { tenantId: B } } } }, 'where.projects.some.tenantId'],
    [
      'include filter',
      'findMany',
      { include: { projects: { where: { tenantId: B } } } },
      'include.projects.where.tenantId',
    ],
  ])('rejects another tenant in %s', (_label, op, args, path) => {
    let thrown: unknown;
    try {
      scopeArgs(meta, 'Workspace', op, args, { tenantId: A });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(TenantMismatchError);
    expect((thrown as Error).message).toContain(path);
    expect((thrown as Error).message).not.toContain(B);
  });

  it('rejects another workspace when the context has one', () => {
    expect(() =>
      scopeArgs(meta, 'Project', 'findMany', { where: { workspaceId: W2 } }, { tenantId: A, workspaceId: W1 }),
    ).toThrow(TenantMismatchError);
    expect(scopeArgs(meta, 'Project', 'findMany', { where: { workspaceId: W2 } }, { tenantId: A })).toEqual({
      where: { workspaceId: W2, tenantId: A },
    });
  });

  it('does not mistake sorting and aggregate selections for tenant filters', () => {
    const args = {
      orderBy: [{ tenantId: 'desc' }, { workspaceId: 'asc' }],
      _count: { tenantId: true },
      _min: { tenantId: true },
      distinct: ['tenantId'],
    };
    expect(scopeArgs(meta, 'Project', 'findMany', args, { tenantId: A, workspaceId: W1 })).toEqual({
      ...args,
      where: { tenantId: A, workspaceId: W1 },
    });
    const grouped = { by: ['tenantId'], orderBy: { tenantId: 'asc' }, having: { tenantId: { _count: { gt: 0 } } } };
    expect(scopeArgs(meta, 'Project', 'groupBy', grouped, { tenantId: A })).toMatchObject({ where: { tenantId: A } });
  });

  it('rejects another tenant or workspace inside _count subtrees (include, select, nested)', () => {
    const ctx = { tenantId: A, workspaceId: W1 };
    const foreign = [
      { include: { _count: { select: { tasks: { where: { tenantId: B } } } } } },
      { select: { id: true, _count: { select: { tasks: { where: { workspaceId: W2 } } } } } },
      {
        include: {
          workspace: { include: { _count: { select: { projects: { where: { tenantId: { in: [A, B] } } } } } } },
        },
      },
      { include: { _count: { select: { tasks: { where: { AND: [{ tenantId: { equals: B } }] } } } } } },
    ];
    for (const args of foreign) {
      expect(() => scopeArgs(meta, 'Project', 'findMany', args, ctx), JSON.stringify(args)).toThrow(
        TenantMismatchError,
      );
    }
    const own = { include: { _count: { select: { tasks: { where: { tenantId: A } } } } }, _count: { tenantId: true } };
    expect(scopeArgs(meta, 'Project', 'findMany', own, ctx)).toMatchObject({ where: { tenantId: A, workspaceId: W1 } });
  });

  it('accepts the context tenant in any letter case', () => {
    expect(scopeArgs(meta, 'Workspace', 'findMany', { where: { tenantId: A.toUpperCase() } }, { tenantId: A })).toEqual(
      {
        where: { tenantId: A },
      },
    );
  });

  it('throws MissingTenantContextError for tenant models without a context, and leaves global models alone', () => {
    expect(() => scopeArgs(meta, 'Workspace', 'findMany', {}, undefined)).toThrow(MissingTenantContextError);
    expect(() => scopeArgs(meta, 'Workspace', 'findMany', {}, undefined)).toThrow(/tenantContext\.run/);
    const args = { where: { id: A } };
    expect(scopeArgs(meta, 'Tenant', 'findMany', args, undefined)).toBe(args);
  });
});
