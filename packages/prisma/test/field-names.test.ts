/**
 * The tenant and workspace fields are configurable (`tenantField`, `workspaceField`): a schema keyed
 * by `organizationId` is scoped exactly as ours is by `tenantId`, and the defaults change nothing.
 */
import { describe, expect, it } from 'vitest';
import { scopeArgs } from '../src/extension/scope-args.js';
import {
  DEFAULT_TENANT_FIELDS,
  tenantFieldsFrom,
  tenantMetadataFrom,
  type RuntimeDataModel,
} from '../src/extension/model-metadata.js';
import {
  MissingTenantContextError,
  MissingWorkspaceError,
  TenantMismatchError,
  TenantryConfigError,
} from '../src/errors.js';

const A = '11111111-1111-4111-8111-111111111111';
const B = '22222222-2222-4222-8222-222222222222';
const W1 = '33333333-3333-4333-8333-333333333333';
const W2 = '44444444-4444-4444-8444-444444444444';

const scalar = (name: string, dbName?: string) => ({
  name,
  kind: 'scalar',
  type: 'String',
  ...(dbName ? { dbName } : {}),
});
const relation = (name: string, type: string) => ({ name, kind: 'object', type });

// Someone else's schema: organizations, their teams (the "workspace") and documents in a team.
const orgDataModel: RuntimeDataModel = {
  models: {
    Organization: { fields: [scalar('id'), relation('teams', 'Team')], dbName: 'organizations' },
    Team: {
      fields: [
        scalar('organizationId', 'organization_id'),
        scalar('id'),
        scalar('name'),
        relation('documents', 'Document'),
      ],
      dbName: 'teams',
    },
    // No dbName on the fields: the columns must come from the schema's @map.
    Document: {
      fields: [scalar('organizationId'), scalar('teamId'), scalar('id'), scalar('title'), relation('team', 'Team')],
    },
  },
};
const orgSchema = `
model Organization {
  id    String @id @db.Uuid
  teams Team[]
  @@map("organizations")
}
model Team {
  organizationId String     @map("organization_id") @db.Uuid
  id             String     @db.Uuid
  name           String
  documents      Document[]
  @@id([organizationId, id])
  @@map("teams")
}
model Document {
  organizationId String @map("org_id") @db.Uuid // mapped differently on purpose
  teamId         String @map(name: "team_id") @db.Uuid
  id             String @db.Uuid
  title          String
  team           Team   @relation(fields: [organizationId, teamId], references: [organizationId, id])
  @@id([organizationId, id])
  @@map("documents")
}
`;
const meta = tenantMetadataFrom(orgDataModel, orgSchema, { tenantField: 'organizationId', workspaceField: 'teamId' });

describe('configured field names (organizationId, teamId)', () => {
  it('finds the tenant-scoped and workspace-scoped models by the configured fields', () => {
    expect(meta.fields).toEqual({ tenantField: 'organizationId', workspaceField: 'teamId' });
    expect(meta.get('Organization')).toMatchObject({ tenant: false, workspace: false, table: 'organizations' });
    expect(meta.get('Team')).toMatchObject({
      tenant: true,
      workspace: false,
      table: 'teams',
      tenantColumn: 'organization_id',
    });
    expect(meta.get('Document')).toMatchObject({
      tenant: true,
      workspace: true,
      tenantColumn: 'org_id',
      workspaceColumn: 'team_id',
    });
  });

  it('puts the configured fields into filters', () => {
    for (const op of ['findMany', 'findFirst', 'count', 'aggregate', 'groupBy', 'updateMany', 'deleteMany']) {
      expect(scopeArgs(meta, 'Team', op, { where: { name: 'x' } }, { tenantId: A })).toMatchObject({
        where: { name: 'x', organizationId: A },
      });
    }
    expect(scopeArgs(meta, 'Document', 'findMany', {}, { tenantId: A, workspaceId: W1 })).toEqual({
      where: { organizationId: A, teamId: W1 },
    });
    expect(scopeArgs(meta, 'Document', 'findMany', {}, { tenantId: A })).toEqual({ where: { organizationId: A } });
    expect(scopeArgs(meta, 'Team', 'findMany', {}, { tenantId: A, workspaceId: W1 })).toEqual({
      where: { organizationId: A },
    });
    expect(scopeArgs(meta, 'Team', 'findMany', { where: { organizationId: { not: B } } }, { tenantId: A })).toEqual({
      where: { organizationId: { not: B }, AND: [{ organizationId: A }] },
    });
    expect(
      scopeArgs(
        meta,
        'Team',
        'findUnique',
        { where: { organizationId_id: { organizationId: A, id: W1 } } },
        { tenantId: A },
      ),
    ).toEqual({ where: { organizationId_id: { organizationId: A, id: W1 }, organizationId: A } });
  });

  it('puts the configured fields into created data, and never the default names', () => {
    const created = scopeArgs(meta, 'Document', 'create', { data: { title: 't' } }, { tenantId: A, workspaceId: W1 });
    expect(created).toEqual({ data: { title: 't', organizationId: A, teamId: W1 } });
    expect(JSON.stringify(created)).not.toMatch(/tenantId|workspaceId/);
    expect(scopeArgs(meta, 'Document', 'createMany', { data: [{ title: 't', teamId: W2 }] }, { tenantId: A })).toEqual({
      data: [{ title: 't', teamId: W2, organizationId: A }],
    });
    expect(
      scopeArgs(
        meta,
        'Team',
        'upsert',
        { where: { organizationId_id: { organizationId: A, id: W1 } }, create: { name: 'n' }, update: {} },
        { tenantId: A },
      ),
    ).toEqual({
      where: { organizationId_id: { organizationId: A, id: W1 }, organizationId: A },
      create: { name: 'n', organizationId: A },
      update: {},
    });
  });

  it('takes the configured fields from a connected relation in checked input', () => {
    expect(
      scopeArgs(
        meta,
        'Document',
        'create',
        { data: { title: 't', team: { connect: { organizationId_id: { organizationId: A, id: W1 } } } } },
        { tenantId: A },
      ),
    ).toEqual({ data: { title: 't', team: { connect: { organizationId_id: { organizationId: A, id: W1 } } } } });
  });

  it('raises TenantMismatchError naming the configured field', () => {
    const mismatch = (fn: () => unknown) => {
      try {
        fn();
      } catch (error) {
        return error as TenantMismatchError;
      }
      throw new Error('expected a TenantMismatchError');
    };
    const inWhere = mismatch(() =>
      scopeArgs(meta, 'Team', 'findMany', { where: { organizationId: B } }, { tenantId: A }),
    );
    expect(inWhere).toBeInstanceOf(TenantMismatchError);
    expect(inWhere.field).toBe('organizationId');
    expect(inWhere.message).toBe(
      "Cannot run Team.findMany because where.organizationId sets organizationId to a value other than the active context's. " +
        'Remove organizationId from the query (the tenant extension adds it), or run the work inside a context for that tenant.',
    );
    const inData = mismatch(() =>
      scopeArgs(meta, 'Document', 'create', { data: { title: 't', teamId: W2 } }, { tenantId: A, workspaceId: W1 }),
    );
    expect(inData.field).toBe('teamId');
    expect(inData.message).toMatch(/data\.teamId sets teamId .* Remove teamId from the query .* for that workspace\.$/);
    // Nested, in a relation filter of a global model, and in an `in` list.
    expect(() =>
      scopeArgs(
        meta,
        'Organization',
        'findMany',
        { where: { teams: { some: { organizationId: B } } } },
        { tenantId: A },
      ),
    ).toThrow(/where\.teams\.some\.organizationId sets organizationId/);
    expect(() =>
      scopeArgs(meta, 'Team', 'count', { where: { organizationId: { in: [A, B] } } }, { tenantId: A }),
    ).toThrow(TenantMismatchError);
  });

  it('no longer treats a field named tenantId as the tenant', () => {
    // With organizationId configured, `tenantId` is an ordinary field name: not filled, not checked.
    expect(scopeArgs(meta, 'Team', 'findMany', { where: { tenantId: B } }, { tenantId: A })).toEqual({
      where: { tenantId: B, organizationId: A },
    });
  });

  it('raises MissingWorkspaceError naming the configured field', () => {
    let error: MissingWorkspaceError | undefined;
    try {
      scopeArgs(meta, 'Document', 'create', { data: { title: 't' } }, { tenantId: A });
    } catch (e) {
      error = e as MissingWorkspaceError;
    }
    expect(error).toBeInstanceOf(MissingWorkspaceError);
    expect(error!.field).toBe('teamId');
    expect(error!.message).toBe(
      'Cannot run Document.create because Document is workspace-scoped and neither the context nor the data gives a teamId. ' +
        'Run it inside tenantContext.run({ tenantId, workspaceId }, fn), or pass teamId in data.',
    );
  });

  it('still fails closed without a context', () => {
    expect(() => scopeArgs(meta, 'Document', 'findMany', {}, undefined)).toThrow(MissingTenantContextError);
    expect(scopeArgs(meta, 'Organization', 'findMany', { where: { id: A } }, undefined)).toEqual({ where: { id: A } });
  });
});

describe('default field names (tenantId, workspaceId)', () => {
  const defaultModel: RuntimeDataModel = {
    models: {
      Workspace: { fields: [scalar('tenantId', 'tenant_id'), scalar('id'), scalar('name')], dbName: 'workspaces' },
      Project: {
        fields: [scalar('tenantId', 'tenant_id'), scalar('workspaceId', 'workspace_id'), scalar('id'), scalar('name')],
      },
      Organization: { fields: [scalar('organizationId'), scalar('id')] },
    },
  };
  const metas = {
    implicit: tenantMetadataFrom(defaultModel),
    explicit: tenantMetadataFrom(defaultModel, '', { tenantField: 'tenantId', workspaceField: 'workspaceId' }),
    handBuilt: new Map(tenantMetadataFrom(defaultModel)),
  };

  for (const [name, m] of Object.entries(metas)) {
    it(`scopes by tenantId/workspaceId (${name})`, () => {
      expect(scopeArgs(m, 'Project', 'findMany', {}, { tenantId: A, workspaceId: W1 })).toEqual({
        where: { tenantId: A, workspaceId: W1 },
      });
      expect(scopeArgs(m, 'Project', 'create', { data: { name: 'p' } }, { tenantId: A, workspaceId: W1 })).toEqual({
        data: { name: 'p', tenantId: A, workspaceId: W1 },
      });
      expect(scopeArgs(m, 'Organization', 'findMany', { where: { organizationId: B } }, { tenantId: A })).toEqual({
        where: { organizationId: B },
      });
      expect(() => scopeArgs(m, 'Project', 'findMany', { where: { tenantId: B } }, { tenantId: A })).toThrow(
        "Cannot run Project.findMany because where.tenantId sets tenantId to a value other than the active context's. " +
          'Remove tenantId from the query (the tenant extension adds it), or run the work inside a context for that tenant.',
      );
      expect(() =>
        scopeArgs(m, 'Project', 'findMany', { where: { workspaceId: W2 } }, { tenantId: A, workspaceId: W1 }),
      ).toThrow(
        /Remove workspaceId from the query \(the tenant extension adds it\), or run the work inside a context for that workspace\.$/,
      );
      expect(() => scopeArgs(m, 'Project', 'create', { data: { name: 'p' } }, { tenantId: A })).toThrow(
        'Cannot run Project.create because Project is workspace-scoped and neither the context nor the data gives a workspaceId. ' +
          'Run it inside tenantContext.run({ tenantId, workspaceId }, fn), or pass workspaceId in data.',
      );
    });
  }

  it('reads the columns from dbName, else the field name, and the table from dbName, else the model name', () => {
    expect(metas.implicit.fields).toEqual(DEFAULT_TENANT_FIELDS);
    expect(metas.implicit.get('Workspace')).toMatchObject({
      tenant: true,
      workspace: false,
      table: 'workspaces',
      tenantColumn: 'tenant_id',
      workspaceColumn: undefined,
    });
    expect(metas.implicit.get('Project')).toMatchObject({
      table: 'Project',
      tenantColumn: 'tenant_id',
      workspaceColumn: 'workspace_id',
    });
    expect(metas.implicit.get('Organization')).toMatchObject({ tenant: false, tenantColumn: undefined });
  });

  it('keeps the errors constructed without the new arguments as they were', () => {
    expect(new TenantMismatchError('M', 'op', 'workspaceId', 'where.workspaceId').message).toMatch(
      /for that workspace\.$/,
    );
    expect(new TenantMismatchError('M', 'op', 'tenantId', 'where.tenantId').message).toMatch(/for that tenant\.$/);
    expect(new MissingWorkspaceError('M', 'op').field).toBe('workspaceId');
  });
});

describe('tenantFieldsFrom', () => {
  it('fills the defaults', () => {
    expect(tenantFieldsFrom()).toEqual({ tenantField: 'tenantId', workspaceField: 'workspaceId' });
    expect(tenantFieldsFrom({ tenantField: 'orgId' })).toEqual({ tenantField: 'orgId', workspaceField: 'workspaceId' });
  });

  it('refuses names that cannot be Prisma fields, and one field for both', () => {
    expect(() => tenantFieldsFrom({ tenantField: '' })).toThrow(TenantryConfigError);
    expect(() => tenantFieldsFrom({ tenantField: 'org id' })).toThrow(/tenantField is not a Prisma field name/);
    expect(() => tenantFieldsFrom({ workspaceField: 42 as unknown as string })).toThrow(
      /workspaceField is not a Prisma field name/,
    );
    expect(() => tenantFieldsFrom({ tenantField: 'accountId', workspaceField: 'accountId' })).toThrow(
      /name the same field/,
    );
  });
});
