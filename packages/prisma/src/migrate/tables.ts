// What a Prisma-generated migration creates, read from its text (policies.ts and citus-migration.ts).
import { DEFAULT_TENANT_COLUMNS, type TenantColumns } from './columns.js';

export interface TenantTable {
  /** Unquoted schema, when the migration names one. */
  schema?: string;
  name: string;
  workspaceScoped: boolean;
}

const CREATE_TABLE = /^CREATE TABLE (?:"((?:[^"]|"")+)"\.)?"((?:[^"]|"")+)" \(\n([\s\S]*?)\n\);$/gm;

/** Every table that `sql` (a Prisma-generated migration) creates, with whether it has the tenant column. */
export function tablesCreatedIn(
  sql: string,
  columns: TenantColumns = DEFAULT_TENANT_COLUMNS,
): (TenantTable & { tenant: boolean })[] {
  const tables: (TenantTable & { tenant: boolean })[] = [];
  for (const match of sql.matchAll(CREATE_TABLE)) {
    const [, schema, name, body] = match as unknown as [string, string | undefined, string, string];
    const declared = new Set([...body.matchAll(/^\s+"((?:[^"]|"")+)" /gm)].map((m) => m[1]!.replaceAll('""', '"')));
    tables.push({
      ...(schema ? { schema: schema.replaceAll('""', '"') } : {}),
      name: name.replaceAll('""', '"'),
      workspaceScoped: declared.has(columns.tenant) && declared.has(columns.workspace),
      tenant: declared.has(columns.tenant),
    });
  }
  return tables;
}

/** Tables with a tenant_id column that `sql` (a Prisma-generated migration) creates. */
export function tenantTablesCreatedIn(sql: string, columns: TenantColumns = DEFAULT_TENANT_COLUMNS): TenantTable[] {
  return tablesCreatedIn(sql, columns)
    .filter((t) => t.tenant)
    .map(({ tenant: _, ...table }) => table);
}
