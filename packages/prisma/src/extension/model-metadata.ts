/**
 * Which models are tenant-scoped, read from the Prisma client's own data model (the schema the
 * client was generated from), never from a hand-kept list: a model gains the tenant field
 * (`tenantId` unless configured otherwise), the extension scopes it.
 */
import { TenantryConfigError } from '../errors.js';
import { inlineSchemaOf, runtimeDataModelOf, type RuntimeDataModel } from '../internals/prisma-internals.js';

export type { RuntimeDataModel } from '../internals/prisma-internals.js';

/**
 * The model fields that hold the tenant and the workspace. The context always names them
 * `{ tenantId, workspaceId }`; these say which field of YOUR models each one fills and filters.
 */
export interface TenantFields {
  /** The model field that holds the tenant, e.g. 'organizationId'. Default 'tenantId'. */
  readonly tenantField: string;
  /** The model field that holds the workspace, e.g. 'projectGroupId'. Default 'workspaceId'. */
  readonly workspaceField: string;
}

export interface ModelScope {
  /** The model has the tenant field. */
  readonly tenant: boolean;
  /** The model has the workspace field. */
  readonly workspace: boolean;
  /** Relation field name -> target model name. */
  readonly relations: ReadonlyMap<string, string>;
  /**
   * Relation field name -> the scalar foreign-key fields it sets (`@relation(fields: [...])`), for
   * the relations this model owns. Empty for back-relations (lists, the other side).
   */
  readonly foreignKeys: ReadonlyMap<string, readonly string[]>;
  /** Scalar field names, to tell Prisma's "unchecked" (foreign-key scalars) input form. */
  readonly scalars: ReadonlySet<string>;
  /** The table (`@@map`, else the model name). */
  readonly table: string;
  /** The tenant field's column (`@map`, else the field name); undefined when `tenant` is false. */
  readonly tenantColumn?: string;
  /** The workspace field's column (`@map`, else the field name); undefined when `workspace` is false. */
  readonly workspaceColumn?: string;
  /** Relation fields that are lists (to-many), from the schema text; empty when it is missing. */
  readonly lists: ReadonlySet<string>;
  /**
   * The soft-delete field (`deletedAt DateTime?` unless configured) and its column, when the model
   * has one: its deletes become updates that set it, its reads hide rows where it is set.
   */
  readonly softDelete?: { readonly field: string; readonly column: string };
}

export type TenantMetadata = ReadonlyMap<string, ModelScope> & {
  /** The configured field names (absent on a hand-built map: then the defaults). */
  readonly fields?: TenantFields;
  /** True when some model is soft-deletable (a fast path for schemas without any). */
  readonly softDeletes?: boolean;
};

/** The soft-delete option: the field name, or false to turn soft delete off. Default 'deletedAt'. */
export interface SoftDeleteFieldOption {
  /**
   * The model field whose value marks a row as soft-deleted (an optional DateTime, e.g.
   * `deletedAt DateTime? @map("deleted_at")`). Default 'deletedAt'; `false` turns soft delete off.
   */
  readonly softDeleteField?: string | false;
}

export const SOFT_DELETE_FIELD = 'deletedAt';

export const TENANT_FIELD = 'tenantId';
export const WORKSPACE_FIELD = 'workspaceId';
export const DEFAULT_TENANT_FIELDS: TenantFields = Object.freeze({
  tenantField: TENANT_FIELD,
  workspaceField: WORKSPACE_FIELD,
});

/** The field names of `meta`, defaults when it carries none. */
export function fieldsOf(meta: TenantMetadata): TenantFields {
  return meta.fields ?? DEFAULT_TENANT_FIELDS;
}

const IDENTIFIER = /^[A-Za-z][A-Za-z0-9_]*$/;

/** Validates `tenantField`/`workspaceField` options and fills the defaults. */
export function tenantFieldsFrom(options: Partial<TenantFields> = {}): TenantFields {
  const tenantField = options.tenantField ?? TENANT_FIELD;
  const workspaceField = options.workspaceField ?? WORKSPACE_FIELD;
  for (const [name, value] of [
    ['tenantField', tenantField],
    ['workspaceField', workspaceField],
  ] as const) {
    if (typeof value !== 'string' || !IDENTIFIER.test(value)) {
      throw new TenantryConfigError(
        `Cannot create the tenant client because ${name} is not a Prisma field name. ` +
          `Pass the name of the model field as it appears in schema.prisma, e.g. ${name}: '${name === 'tenantField' ? 'organizationId' : 'workspaceId'}'.`,
      );
    }
  }
  if (tenantField === workspaceField) {
    throw new TenantryConfigError(
      'Cannot create the tenant client because tenantField and workspaceField name the same field. ' +
        'Give the workspace its own field, or leave workspaceField at its default if your schema has no workspaces.',
    );
  }
  return Object.freeze({ tenantField, workspaceField });
}

interface SchemaModel {
  /** Relation field -> `@relation(fields: [...])`. */
  readonly foreignKeys: Map<string, string[]>;
  /** Field -> its type as written (`DateTime?`, `Note[]`). */
  readonly types: Map<string, string>;
  /** Field -> `@map("column")`. */
  readonly columns: Map<string, string>;
  /** `@@map("table")`. */
  readonly table?: string;
}

function stripComment(line: string): string {
  return line.replace(/\/\/.*$/, '');
}

/** `@relation(fields: [...])`, `@map` and `@@map` per model, read from the Prisma schema text. */
function modelsFromSchema(schema: string): Map<string, SchemaModel> {
  const result = new Map<string, SchemaModel>();
  for (const block of schema.matchAll(/^model\s+(\w+)\s*\{([\s\S]*?)^\}/gm)) {
    const foreignKeys = new Map<string, string[]>();
    const columns = new Map<string, string>();
    const types = new Map<string, string>();
    let table: string | undefined;
    for (const raw of block[2]!.split('\n')) {
      const line = stripComment(raw);
      const typed = /^\s*(\w+)\s+([\w.]+(?:\[\])?\??)(?:\s|$)/.exec(line);
      if (typed) types.set(typed[1]!, typed[2]!);
      const m = /^\s*(\w+)\s+\w+\??\s.*@relation\(([^)]*)\)/.exec(line);
      const keys = m && /fields:\s*\[([^\]]*)\]/.exec(m[2]!);
      if (m && keys)
        foreignKeys.set(
          m[1]!,
          keys[1]!
            .split(',')
            .map((f) => f.trim())
            .filter(Boolean),
        );
      const mapped = /^\s*(\w+)\s+[\w.]+(?:\[\])?\??\s.*(?<!@)@map\(\s*(?:name:\s*)?"([^"]+)"/.exec(line);
      if (mapped) columns.set(mapped[1]!, mapped[2]!);
      const tableMap = /^\s*@@map\(\s*(?:name:\s*)?"([^"]+)"/.exec(line);
      if (tableMap) table = tableMap[1]!;
    }
    result.set(block[1]!, { foreignKeys, columns, types, table });
  }
  return result;
}

/**
 * `@relation(fields: [...])` per model and field, read from the Prisma schema text the generated
 * client embeds (its runtime data model has no foreign-key information).
 */
export function foreignKeysFromSchema(schema: string): Map<string, Map<string, string[]>> {
  return new Map([...modelsFromSchema(schema)].map(([name, model]) => [name, model.foreignKeys]));
}

/**
 * The scope of every model. `fields` names the tenant and workspace fields (defaults `tenantId`,
 * `workspaceId`); their columns come from the data model's `dbName`, else the schema's `@map`,
 * else the field name.
 */
export function tenantMetadataFrom(
  dataModel: RuntimeDataModel,
  schema = '',
  fields: Partial<TenantFields> & SoftDeleteFieldOption = {},
): TenantMetadata {
  const names = tenantFieldsFrom(fields);
  const softDeleteField = softDeleteFieldFrom(fields.softDeleteField);
  let softDeletes = false;
  const result = new Map<string, ModelScope>();
  const fromSchema = modelsFromSchema(schema);
  for (const [name, model] of Object.entries(dataModel.models)) {
    const relations = new Map<string, string>();
    const scalars = new Set<string>();
    const declared = fromSchema.get(name);
    const columnOf = (field: string) =>
      model.fields.find((f) => f.name === field)?.dbName ?? declared?.columns.get(field) ?? field;
    for (const field of model.fields) {
      if (field.kind === 'object') relations.set(field.name, field.type);
      else scalars.add(field.name);
    }
    const tenant = scalars.has(names.tenantField);
    const workspace = scalars.has(names.workspaceField);
    const lists = new Set([...relations.keys()].filter((f) => declared?.types.get(f)?.endsWith('[]')));
    const softDelete = softDeleteField ? softDeleteOf(name, model.fields, declared, softDeleteField) : undefined;
    if (softDelete) softDeletes = true;
    result.set(name, {
      tenant,
      workspace,
      relations,
      foreignKeys: declared?.foreignKeys ?? new Map(),
      scalars,
      table: model.dbName ?? declared?.table ?? name,
      tenantColumn: tenant ? columnOf(names.tenantField) : undefined,
      workspaceColumn: workspace ? columnOf(names.workspaceField) : undefined,
      lists,
      ...(softDelete ? { softDelete: { field: softDelete, column: columnOf(softDelete) } } : {}),
    });
  }
  return Object.assign(result, { fields: names, softDeletes });
}

/** Validates the softDeleteField option: a field name, or false. */
function softDeleteFieldFrom(option: string | false | undefined): string | undefined {
  if (option === false) return undefined;
  const field = option ?? SOFT_DELETE_FIELD;
  if (typeof field !== 'string' || !IDENTIFIER.test(field)) {
    throw new TenantryConfigError(
      'Cannot create the tenant client because softDeleteField is not a Prisma field name. ' +
        "Pass the name of the model field as it appears in schema.prisma (e.g. softDeleteField: 'archivedAt'), or false to turn soft delete off.",
    );
  }
  return field;
}

/**
 * The model's soft-delete field, when it has one. A field of that name that is not an optional
 * DateTime is refused: silently hard-deleting rows of a model that looks soft-deletable would be
 * the worst outcome, so the schema must say which it is.
 */
function softDeleteOf(
  model: string,
  fields: RuntimeDataModel['models'][string]['fields'],
  declared: SchemaModel | undefined,
  field: string,
): string | undefined {
  const found = fields.find((f) => f.name === field);
  if (!found) return undefined;
  const written = declared?.types.get(field);
  if (found.kind !== 'scalar' || found.type !== 'DateTime' || (written !== undefined && written !== 'DateTime?')) {
    throw new TenantryConfigError(
      `Cannot create the tenant client because ${model}.${field} is not an optional DateTime, and ${field} is the soft-delete field. ` +
        `Declare it as \`${field} DateTime?\` to make ${model} soft-deletable, or pass softDeleteField with another name (or false) to createTenantPrismaClient.`,
    );
  }
  return field;
}

/** Reads the data model off a generated PrismaClient instance (Prisma 7 keeps it there). */
export function tenantMetadataOf(
  client: object,
  fields: Partial<TenantFields> & SoftDeleteFieldOption = {},
): TenantMetadata {
  const dataModel = runtimeDataModelOf(client);
  if (!dataModel) {
    throw new Error(
      'Cannot read the Prisma data model from this client because it has no _runtimeDataModel. ' +
        'Pass a PrismaClient generated by Prisma 7 (generator "prisma-client").',
    );
  }
  return tenantMetadataFrom(dataModel, inlineSchemaOf(client), fields);
}
