// Which columns hold the tenant and the workspace, for policy generation (`tenantry migrate dev`,
// `tenantry policies`) and the audit (`tenantry check`). They follow the engine's tenantField /
// workspaceField options (default tenantId / workspaceId): a field's column is its `@map`, else its
// name, read from the schema the way the engine's model metadata reads it (src/extension/model-metadata.ts).
import internals from '@prisma/internals';
import { tenantFieldsFrom, type TenantFields } from '../extension/model-metadata.js';

export interface TenantColumns {
  /** The tenant column, e.g. tenant_id or organization_id. */
  readonly tenant: string;
  /** The workspace column, e.g. workspace_id. */
  readonly workspace: string;
}

export const DEFAULT_TENANT_COLUMNS: TenantColumns = Object.freeze({ tenant: 'tenant_id', workspace: 'workspace_id' });

/** One model of the schema as policy generation needs it. */
export interface SchemaModelColumns {
  readonly model: string;
  /** `@@map`, else the model name. */
  readonly table: string;
  /** `@@schema`, when the model names one. */
  readonly schema?: string;
  /** The tenant field's column; undefined when the model has no tenant field (not tenant-scoped). */
  readonly tenantColumn?: string;
  /** The workspace field's column; undefined when the model has no workspace field (tenant-wide). */
  readonly workspaceColumn?: string;
}

/** Every model of the Prisma schema at `schemaPath` (a file or a folder), with its table and tenant/workspace columns. */
export async function schemaModels(
  schemaPath: string,
  fields: Partial<TenantFields> = {},
): Promise<SchemaModelColumns[]> {
  const names = tenantFieldsFrom(fields);
  const context = await internals.loadSchemaContext({
    schemaPath: internals.createSchemaPathInput({ schemaPathFromArgs: schemaPath, baseDir: process.cwd() }),
    printLoadMessage: false,
  });
  const dmmf = await internals.getDMMF({ datamodel: context.schemaFiles });
  return dmmf.datamodel.models.map((model) => {
    const column = (field: string) => {
      const f = model.fields.find((candidate) => candidate.name === field && candidate.kind !== 'object');
      return f ? (f.dbName ?? f.name) : undefined;
    };
    const schema = (model as { schema?: string | null }).schema;
    return {
      model: model.name,
      table: model.dbName ?? model.name,
      ...(schema ? { schema } : {}),
      tenantColumn: column(names.tenantField),
      workspaceColumn: column(names.workspaceField),
    };
  });
}

/**
 * The tenant and workspace columns for `fields`. With neither field configured: tenant_id and
 * workspace_id, without reading any schema (today's behaviour). Otherwise the columns of the first
 * model of `schemaPath` that has the field; a field no model has keeps its default column
 * (tenant_id / workspace_id) when it is the default field, else its own name.
 */
export async function tenantColumnsFor(fields: Partial<TenantFields>, schemaPath?: string): Promise<TenantColumns> {
  if (fields.tenantField === undefined && fields.workspaceField === undefined) return DEFAULT_TENANT_COLUMNS;
  const names = tenantFieldsFrom(fields);
  const models = schemaPath ? await schemaModels(schemaPath, names) : [];
  const fallback = (field: string, defaultField: string, defaultColumn: string) =>
    field === defaultField ? defaultColumn : field;
  return {
    tenant: models.find((m) => m.tenantColumn)?.tenantColumn ?? fallback(names.tenantField, 'tenantId', 'tenant_id'),
    workspace:
      models.find((m) => m.workspaceColumn)?.workspaceColumn ??
      fallback(names.workspaceField, 'workspaceId', 'workspace_id'),
  };
}
