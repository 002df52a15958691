/**
 * Which tables hold a tenant's rows, read from the schema, never from a hand-kept list:
 *
 * 1. The generated client's data model says which models have the tenant field (`tenantId` unless
 *    configured) and which column it maps to (`tenant_id` here), and in which schemas the tables live.
 * 2. The live catalog then lists EVERY table in those schemas with that column, also tables no model
 *    describes (an audit log created by a raw migration): an erasure that trusted the models alone
 *    would leave those rows behind. Each table comes with its primary key and its foreign keys.
 * 3. The tenant table itself is the one the tenant column references (`memberships.tenant_id ->
 *    tenants.id`); the global tables tenant rows reference otherwise (`memberships.user_id -> users`)
 *    are the tenant's "related" tables: their referenced rows belong in its export, not its erasure.
 */
import { tenantMetadataOf, type TenantFields } from '../extension/model-metadata.js';
import { dependencyOrder, type DependencyOrder } from './dependency-order.js';
import { TenantSchemaError } from './errors.js';
import type { RawClient } from './sql.js';

export interface TableInfo {
  /** The table as SQL names it from the client's search_path (`tasks`, `audit."Log"`): quoted where needed. */
  readonly label: string;
  /** Primary-key columns, in key order; empty when the table has none. */
  readonly primaryKey: readonly string[];
}

export interface TenantTable extends TableInfo {
  /** The tenant column (`tenant_id`). */
  readonly tenantColumn: string;
  /** The tables its foreign keys reference (tenant tables, the tenant table, global tables), by label. */
  readonly references: readonly string[];
}

/** A foreign key from tenant tables into a global table: `columns` of `from` reference `refColumns`. */
export interface GlobalReference {
  readonly from: string;
  readonly columns: readonly string[];
  readonly refColumns: readonly string[];
}

export interface TenantTables {
  readonly tenantColumn: string;
  /** Tenant tables, parents first (the export's order; deletes run in reverse). */
  readonly tables: readonly TenantTable[];
  /** Set when the foreign keys between tenant tables form a cycle. */
  readonly cycle?: DependencyOrder['cycle'];
  /** The tenant table (`tenants`) and its id column, when a tenant column references one. */
  readonly root?: TableInfo & { readonly idColumn: string };
  /** Global tables that tenant rows reference (`users`), with the references, by label. */
  readonly related: ReadonlyArray<TableInfo & { readonly references: readonly GlobalReference[] }>;
}

interface CatalogTable {
  oid: string;
  label: string;
  pk: string[];
}
interface CatalogForeignKey {
  from: string;
  to: string;
  columns: string[];
  refColumns: string[];
}

const CATALOG_QUERY = `
with model_tables as (
  select to_regclass(quote_ident(name)) as oid from unnest($1::text[]) as m(name)
), spaces as (
  select distinct c.relnamespace from pg_class c join model_tables m on m.oid = c.oid
), tenant_tables as (
  select c.oid from pg_class c
  join pg_attribute a on a.attrelid = c.oid and a.attname = $2 and a.attnum > 0 and not a.attisdropped
  where c.relnamespace in (select relnamespace from spaces) and c.relkind in ('r', 'p') and not c.relispartition
), fks as (
  select con.conrelid, con.confrelid,
    array(select a.attname::text from unnest(con.conkey) with ordinality k(n, i)
          join pg_attribute a on a.attrelid = con.conrelid and a.attnum = k.n order by k.i) as columns,
    array(select a.attname::text from unnest(con.confkey) with ordinality k(n, i)
          join pg_attribute a on a.attrelid = con.confrelid and a.attnum = k.n order by k.i) as ref_columns
  from pg_constraint con
  where con.contype = 'f' and con.conrelid in (select oid from tenant_tables)
), tables as (
  select oid from tenant_tables union select confrelid from fks
)
select json_build_object(
  'missing', (select count(*) from model_tables where oid is null),
  'tenant', coalesce((select json_agg(oid::text) from tenant_tables), '[]'),
  'tables', coalesce((select json_agg(json_build_object(
      'oid', t.oid::text,
      'label', t.oid::regclass::text,
      'pk', array(select a.attname::text from pg_index i
                  cross join lateral unnest(i.indkey::int2[]) with ordinality k(n, o)
                  join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.n
                  where i.indrelid = t.oid and i.indisprimary order by k.o)
    )) from tables t), '[]'),
  'fks', coalesce((select json_agg(json_build_object(
      'from', f.conrelid::text, 'to', f.confrelid::text, 'columns', f.columns, 'refColumns', f.ref_columns
    )) from fks f), '[]')
)::text as catalog`;

/** Reads the tenant tables of `client`'s schema (see the module comment). */
export async function readTenantTables(
  client: RawClient & object,
  fields: Partial<Pick<TenantFields, 'tenantField'>> = {},
): Promise<TenantTables> {
  const meta = tenantMetadataOf(client, { tenantField: fields.tenantField });
  const models = [...meta.values()];
  const scoped = models.filter((m) => m.tenant);
  const columns = new Set(scoped.map((m) => m.tenantColumn!));
  const tenantField = meta.fields?.tenantField ?? 'tenantId';
  if (scoped.length === 0) {
    throw new TenantSchemaError(
      `Cannot find the tenant tables because no model has the field ${tenantField}. ` +
        'Pass tenantField naming the field that holds the tenant in your models, e.g. { tenantField: "organizationId" }.',
    );
  }
  if (columns.size > 1) {
    throw new TenantSchemaError(
      `Cannot find the tenant tables because ${tenantField} maps to different columns in different models (${[...columns].sort().join(', ')}). ` +
        'Map the field to one column name in every model (@map).',
    );
  }
  const tenantColumn = [...columns][0]!;
  const rows = await client.$queryRawUnsafe<Array<{ catalog: string }>>(
    CATALOG_QUERY,
    models.map((m) => m.table),
    tenantColumn,
  );
  const catalog = JSON.parse(rows[0]!.catalog) as {
    missing: number;
    tenant: string[];
    tables: CatalogTable[];
    fks: CatalogForeignKey[];
  };
  if (catalog.missing > 0) {
    const tables = models.map((m) => m.table).join(', ');
    throw new TenantSchemaError(
      `Cannot find the tenant tables because some of the client's tables (${tables}) do not exist in this database. ` +
        'Apply the migrations to it (prisma migrate deploy), or connect the client to the database it was generated for.',
    );
  }
  return planFrom(catalog, tenantColumn);
}

function planFrom(
  catalog: { tenant: string[]; tables: CatalogTable[]; fks: CatalogForeignKey[] },
  tenantColumn: string,
): TenantTables {
  const byOid = new Map(catalog.tables.map((t) => [t.oid, t]));
  const tenantOids = new Set(catalog.tenant);
  const label = (oid: string) => byOid.get(oid)!.label;

  // The tenant table: what a foreign key on the tenant column alone references.
  const rootKeys = catalog.fks.filter(
    (f) => !tenantOids.has(f.to) && f.columns.length === 1 && f.columns[0] === tenantColumn,
  );
  const rootOids = [...new Set(rootKeys.map((f) => f.to))];
  if (rootOids.length > 1) {
    throw new TenantSchemaError(
      `Cannot find the tenant table because ${tenantColumn} references more than one table (${rootOids.map(label).sort().join(', ')}). ` +
        `Let every ${tenantColumn} reference the one tenant table.`,
    );
  }
  const rootOid = rootOids[0];
  const rootInfo = rootOid === undefined ? undefined : byOid.get(rootOid)!;

  const order = dependencyOrder(
    [...tenantOids].map(label),
    catalog.fks.filter((f) => tenantOids.has(f.to)).map((f) => ({ child: label(f.from), parent: label(f.to) })),
  );
  const tenantByLabel = new Map([...tenantOids].map((oid) => [label(oid), byOid.get(oid)!]));
  const tables = order.parentsFirst.map((l) => {
    const t = tenantByLabel.get(l)!;
    const references = [...new Set(catalog.fks.filter((f) => f.from === t.oid).map((f) => label(f.to)))].sort();
    return { label: t.label, primaryKey: t.pk, tenantColumn, references };
  });

  const related = new Map<string, GlobalReference[]>();
  for (const f of catalog.fks) {
    if (tenantOids.has(f.to) || f.to === rootOid) continue;
    const list = related.get(f.to) ?? [];
    list.push({ from: label(f.from), columns: f.columns, refColumns: f.refColumns });
    related.set(f.to, list);
  }
  return {
    tenantColumn,
    tables,
    cycle: order.cycle,
    root: rootInfo && { label: rootInfo.label, primaryKey: rootInfo.pk, idColumn: rootKeys[0]!.refColumns[0]! },
    related: [...related]
      .map(([oid, references]) => ({
        label: label(oid),
        primaryKey: byOid.get(oid)!.pk,
        references: references.sort((a, b) => (a.from + a.columns.join() < b.from + b.columns.join() ? -1 : 1)),
      }))
      .sort((a, b) => (a.label < b.label ? -1 : a.label > b.label ? 1 : 0)),
  };
}
