/**
 * Which columns policy generation and `tenantry check` look for (src/migrate/columns.ts): the tenant and
 * workspace fields' columns, read from the schema (`@map`, `@@map`), here the fixture's organizationId/teamId
 * (organization_id/team_id); with the default fields, tenant_id/workspace_id without reading any schema.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DEFAULT_TENANT_COLUMNS, schemaModels, tenantColumnsFor } from '../src/migrate/columns.js';

const fixtureSchema = fileURLToPath(new URL('./fixture/schema.prisma', import.meta.url));
const fields = { tenantField: 'organizationId', workspaceField: 'teamId' };

describe('schemaModels', () => {
  it("reads each model's table (@@map) and the configured fields' columns (@map)", async () => {
    expect(await schemaModels(fixtureSchema, fields)).toEqual([
      { model: 'Organization', table: 'organizations', tenantColumn: undefined, workspaceColumn: undefined },
      { model: 'Team', table: 'teams', tenantColumn: 'organization_id', workspaceColumn: undefined },
      { model: 'Document', table: 'documents', tenantColumn: 'organization_id', workspaceColumn: 'team_id' },
    ]);
  });

  it('with the default fields (tenantId, workspaceId) no fixture model is tenant-scoped', async () => {
    const models = await schemaModels(fixtureSchema);
    expect(models.map((m) => m.model)).toEqual(['Organization', 'Team', 'Document']);
    expect(models.filter((m) => m.tenantColumn !== undefined || m.workspaceColumn !== undefined)).toEqual([]);
  });

  it('a field without @map keeps its name as the column, and a model without @@map its name as the table', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'tenantry-columns-'));
    try {
      const schema = path.join(dir, 'schema.prisma');
      await writeFile(
        schema,
        'datasource db {\n  provider = "postgresql"\n}\nmodel Note {\n  orgId String @db.Uuid\n  id    String @db.Uuid\n  @@id([orgId, id])\n}\n',
      );
      expect(await schemaModels(schema, { tenantField: 'orgId' })).toEqual([
        { model: 'Note', table: 'Note', tenantColumn: 'orgId', workspaceColumn: undefined },
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('tenantColumnsFor', () => {
  it('is tenant_id / workspace_id when no field is configured, without reading the schema', async () => {
    expect(await tenantColumnsFor({}, '/nonexistent/schema.prisma')).toBe(DEFAULT_TENANT_COLUMNS);
    expect(DEFAULT_TENANT_COLUMNS).toEqual({ tenant: 'tenant_id', workspace: 'workspace_id' });
  });

  it("follows the configured fields to the fixture's @map columns", async () => {
    expect(await tenantColumnsFor(fields, fixtureSchema)).toEqual({ tenant: 'organization_id', workspace: 'team_id' });
  });

  it('keeps the default workspace column when only the tenant field is configured and no model has workspaceId', async () => {
    expect(await tenantColumnsFor({ tenantField: 'organizationId' }, fixtureSchema)).toEqual({
      tenant: 'organization_id',
      workspace: 'workspace_id',
    });
  });

  it('falls back to the field name itself for a non-default field no model has (or without a schema)', async () => {
    expect(await tenantColumnsFor({ tenantField: 'accountId', workspaceField: 'teamId' }, fixtureSchema)).toEqual({
      tenant: 'accountId',
      workspace: 'team_id',
    });
    expect(await tenantColumnsFor(fields)).toEqual({ tenant: 'organizationId', workspace: 'teamId' });
  });

  it('fails on a field name that is not a Prisma identifier, naming the option', async () => {
    await expect(tenantColumnsFor({ tenantField: 'organization id' }, fixtureSchema)).rejects.toThrow(
      /tenantField is not a Prisma field name/,
    );
  });
});
