/**
 * The schema as the seeder and the generic write operations need it: per model, its fields with
 * type, required-ness, defaults and uniqueness, its relations with their foreign keys (composite
 * ones too) and its unique keys; the enums with their values; which model is the tenant root (the
 * target of the tenant field's relation) and which is the workspace model.
 *
 * Why the schema file and not the client: Prisma 7's runtime data model carries only field names,
 * kinds, types and columns (no required-ness, defaults, foreign keys, uniques or enum values), so we
 * read Prisma's full DMMF from the same schema.prisma the client was generated from, with Prisma's
 * own parser (`getDMMF` of @prisma/internals, as the engine's policy generation does).
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { tenantMetadataOf, type TenantFields } from '@tenantry/prisma';
import { migrationSourceFromEnv } from './databases.js';

export interface FieldDef {
  name: string;
  /** The column (`@map`, else the field name). */
  column: string;
  kind: 'scalar' | 'enum';
  /** Prisma's scalar type (String, Int, DateTime, ...) or the enum's name. */
  type: string;
  /** The native type's name, e.g. 'Uuid' for `@db.Uuid`, 'VarChar' for `@db.VarChar(n)`. */
  nativeType?: string;
  /** `@db.VarChar(n)` / `@db.Char(n)`: n. */
  maxLength?: number;
  isRequired: boolean;
  isList: boolean;
  hasDefault: boolean;
  isUpdatedAt: boolean;
  isId: boolean;
  isUnique: boolean;
}

export interface RelationDef {
  /** The relation field, e.g. `team`. */
  name: string;
  target: string;
  /** Scalar fields of this model that hold the key (`@relation(fields: [...])`); empty on the back side. */
  fromFields: string[];
  /** The target's fields they reference (`references: [...]`), pairwise. */
  toFields: string[];
  isList: boolean;
  isRequired: boolean;
  relationName: string;
}

export interface ModelDef {
  name: string;
  /** The client property, e.g. `team` for `Team`. */
  delegate: string;
  table: string;
  scalars: FieldDef[];
  relations: RelationDef[];
  /** Primary key fields (`@id` or `@@id`). */
  primaryKey: string[];
  /** Every unique key: the primary key, `@unique` fields and `@@unique` sets. */
  uniqueKeys: string[][];
  /** The model has the tenant field. */
  tenant: boolean;
  /** The model has the workspace field. */
  workspace: boolean;
}

export interface SchemaModel {
  fields: TenantFields;
  models: Map<string, ModelDef>;
  enums: Map<string, string[]>;
  /** The model the tenant field's relation points to (e.g. Organization), and its referenced field. */
  root?: { model: string; field: string };
  /** The model the workspace field's relation points to (e.g. Team), and the field the workspace id is. */
  workspaceModel?: { model: string; field: string };
}

export interface SchemaModelOptions {
  /**
   * The schema the client was generated from: a schema.prisma file or a folder of them. Default: the
   * project's (TENANTRY_SCHEMA_PATH, else prisma/schema.prisma in the current directory).
   */
  schema?: string;
  tenantField?: string;
  workspaceField?: string;
}

interface DmmfField {
  name: string;
  kind: string;
  type: string;
  dbName?: string | null;
  isList: boolean;
  isRequired: boolean;
  isUnique: boolean;
  isId: boolean;
  hasDefaultValue: boolean;
  isUpdatedAt?: boolean;
  nativeType?: [string, string[]] | null;
  relationName?: string | null;
  relationFromFields?: string[];
  relationToFields?: string[];
}

interface DmmfModel {
  name: string;
  dbName?: string | null;
  fields: DmmfField[];
  primaryKey?: { fields: string[] } | null;
  uniqueFields: string[][];
  documentation?: string;
}

const cache = new Map<
  string,
  Promise<Omit<SchemaModel, 'fields' | 'root' | 'workspaceModel'> & { dmmf: DmmfModel[] }>
>();

/** The .prisma files of a schema path (a file, or a folder of them), as [path, text], sorted. */
async function schemaTexts(schemaPath: string): Promise<Array<[string, string]>> {
  if (!(await stat(schemaPath)).isDirectory()) return [[schemaPath, await readFile(schemaPath, 'utf8')]];
  const out: Array<[string, string]> = [];
  for (const entry of (await readdir(schemaPath, { recursive: true, withFileTypes: true })).sort((a, b) =>
    path.join(a.parentPath, a.name).localeCompare(path.join(b.parentPath, b.name)),
  )) {
    if (entry.isFile() && entry.name.endsWith('.prisma')) {
      const file = path.join(entry.parentPath, entry.name);
      out.push([file, await readFile(file, 'utf8')]);
    }
  }
  return out;
}

/**
 * The schema's models and enums from Prisma's parser, cached on disk by the schema's text and Prisma's version
 * (os.tmpdir()/tenantry-schema-model): loading @prisma/internals costs about a second, once per test file that
 * seeds, so only a changed schema pays it.
 */
async function readDmmf(schemaPath: string) {
  const { version } = createRequire(import.meta.url)('@prisma/internals/package.json') as { version: string };
  const texts = await schemaTexts(schemaPath);
  const key = createHash('sha256')
    .update(JSON.stringify([version, texts.map(([, text]) => text)]))
    .digest('hex')
    .slice(0, 32);
  const cacheFile = path.join(os.tmpdir(), 'tenantry-schema-model', `${key}.json`);
  let parsed = await readFile(cacheFile, 'utf8')
    .then((text) => JSON.parse(text) as { models: DmmfModel[]; enums: Array<[string, string[]]> })
    .catch(() => undefined);
  if (!parsed) {
    const { default: internals } = await import('@prisma/internals');
    const context = await internals.loadSchemaContext({
      schemaPath: internals.createSchemaPathInput({ schemaPathFromArgs: schemaPath, baseDir: process.cwd() }),
      printLoadMessage: false,
    });
    const dmmf = await internals.getDMMF({ datamodel: context.schemaFiles });
    parsed = {
      models: dmmf.datamodel.models as unknown as DmmfModel[],
      enums: dmmf.datamodel.enums.map((e) => [e.name, e.values.map((v) => v.name)]),
    };
    // Written whole then renamed, so a parallel reader never sees half a file; a failed write only costs the cache.
    const partial = `${cacheFile}.${process.pid}.tmp`;
    await mkdir(path.dirname(cacheFile), { recursive: true })
      .then(() => writeFile(partial, JSON.stringify(parsed)))
      .then(() => rename(partial, cacheFile))
      .catch(() => {});
  }
  return { dmmf: parsed.models, enums: new Map(parsed.enums), models: new Map<string, ModelDef>() };
}

/**
 * The schema model of `client` (a generated PrismaClient, plain or extended): its relations and
 * fields from the schema file, checked against the client's own models (via the engine's
 * tenantMetadataOf), so a schema that is not the client's fails here rather than in the seeding.
 */
export async function schemaModelOf(client: object, options: SchemaModelOptions = {}): Promise<SchemaModel> {
  const fields = {
    tenantField: options.tenantField ?? 'tenantId',
    workspaceField: options.workspaceField ?? 'workspaceId',
  };
  const meta = tenantMetadataOf(client, fields);
  const schemaPath = options.schema ?? migrationSourceFromEnv().schemaPath;
  if (!existsSync(schemaPath)) {
    throw new Error(
      `Cannot read the Prisma schema because ${schemaPath} does not exist. Pass \`schema\` (the schema.prisma your client was generated from) or set TENANTRY_SCHEMA_PATH.`,
    );
  }
  let read = cache.get(schemaPath);
  if (!read) cache.set(schemaPath, (read = readDmmf(schemaPath)));
  const { dmmf, enums } = await read;
  const missing = [...meta.keys()].filter((name) => !dmmf.some((m) => m.name === name));
  if (missing.length) {
    throw new Error(
      `Cannot use the schema ${schemaPath} because it has no model ${missing.join(', ')} that the client has. Pass the schema.prisma the client was generated from (and run prisma generate after changing it).`,
    );
  }
  const models = new Map<string, ModelDef>();
  for (const m of dmmf) {
    // The audit log (`/// @tenantry.audit-log`, docs/audit-log.md) is written by the database's
    // triggers alone; no role the kit uses may insert into it, so it is neither seeded nor written.
    if ((m.documentation ?? '').split('\n').some((line) => line.trim() === '@tenantry.audit-log')) continue;
    const scope = meta.get(m.name);
    const scalars: FieldDef[] = m.fields
      .filter((f) => f.kind === 'scalar' || f.kind === 'enum')
      .map((f) => {
        const length =
          f.nativeType && ['VarChar', 'Char'].includes(f.nativeType[0]) ? Number(f.nativeType[1][0]) : undefined;
        return {
          name: f.name,
          column: f.dbName ?? f.name,
          kind: f.kind as 'scalar' | 'enum',
          type: f.type,
          ...(f.nativeType ? { nativeType: f.nativeType[0] } : {}),
          ...(length && Number.isFinite(length) ? { maxLength: length } : {}),
          isRequired: f.isRequired,
          isList: f.isList,
          hasDefault: f.hasDefaultValue,
          isUpdatedAt: f.isUpdatedAt ?? false,
          isId: f.isId,
          isUnique: f.isUnique,
        };
      });
    const relations: RelationDef[] = m.fields
      .filter((f) => f.kind === 'object')
      .map((f) => ({
        name: f.name,
        target: f.type,
        fromFields: f.relationFromFields ?? [],
        toFields: f.relationToFields ?? [],
        isList: f.isList,
        isRequired: f.isRequired,
        relationName: f.relationName ?? '',
      }));
    const primaryKey = m.primaryKey?.fields ?? scalars.filter((f) => f.isId).map((f) => f.name);
    const uniqueKeys = [
      primaryKey,
      ...scalars.filter((f) => f.isUnique).map((f) => [f.name]),
      ...m.uniqueFields,
    ].filter((k) => k.length > 0);
    models.set(m.name, {
      name: m.name,
      delegate: m.name[0]!.toLowerCase() + m.name.slice(1),
      table: scope?.table ?? m.dbName ?? m.name,
      scalars,
      relations,
      primaryKey,
      uniqueKeys,
      tenant: scope?.tenant ?? scalars.some((f) => f.name === fields.tenantField),
      workspace: scope?.workspace ?? scalars.some((f) => f.name === fields.workspaceField),
    });
  }
  return {
    fields,
    models,
    enums,
    ...targetOf(models, fields.tenantField, 'root'),
    ...targetOf(models, fields.workspaceField, 'workspaceModel'),
  };
}

/** The model (and field) that `field`'s foreign keys point to, in the first model whose relation covers it. */
function targetOf(models: Map<string, ModelDef>, field: string, key: 'root' | 'workspaceModel') {
  for (const m of models.values()) {
    for (const r of m.relations) {
      const i = r.fromFields.indexOf(field);
      // The root is not tenant-scoped itself, the workspace model not workspace-scoped (Task -> Project also carries workspaceId).
      const target = models.get(r.target);
      if (i >= 0 && target && !(key === 'root' ? target.tenant : target.workspace))
        return { [key]: { model: r.target, field: r.toFields[i]! } };
    }
  }
  return {};
}
