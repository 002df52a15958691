/**
 * Export: every row of one tenant, as JSON lines, streamed. What belongs to a tenant's export:
 *
 * - its row in the tenant table (`tenants`);
 * - the rows of global tables that its rows reference (`users` through `memberships.user_id`): the
 *   accounts of its members, which the tenant's data is meaningless without; no other global rows;
 * - every row of every tenant table (every table with the tenant column, see tenant-tables.ts).
 *
 * How: one REPEATABLE READ, READ ONLY transaction (one snapshot, so the files agree with each other
 * even while the tenant keeps writing), and per table keyset pagination by primary key in batches
 * of `batchSize` rows: memory stays at one batch whatever the tenant's size. Postgres renders each
 * row (`row_to_json`, with TimeZone UTC and fixed output settings), so no value passes through a
 * JavaScript type that could round it, and two exports of the same data are byte-identical: tables
 * in dependency order (parents first), rows by primary key, nothing time-dependent in the output.
 */
import { assertBypassesRls, isUuid, quoteIdent, type LifecycleClient, type RawClient } from './sql.js';
import { InvalidTenantInputError, TenantNotFoundError, TenantSchemaError } from './errors.js';
import { fileNameOf, LineFile, stageTarget } from './export-output.js';
import { readTenantTables, type TableInfo } from './tenant-tables.js';

export type ExportFormat = 'jsonl' | 'per-table';

export interface ExportTenantOptions {
  /**
   * 'jsonl' (default): one file, a header line, `{"table":..,"row":{..}}` per row, a trailer with
   * the counts. 'per-table': a folder with `<table>.jsonl` (one row per line) and `manifest.json`.
   */
  format?: ExportFormat;
  /** jsonl: the file (an existing folder means `<out>/tenant-<id>.jsonl`). per-table: a new or empty folder. */
  out: string;
  /** Rows per query, 1 to 10,000. Default 1,000. */
  batchSize?: number;
  /** The model field that holds the tenant. Default `tenantId`. */
  tenantField?: string;
  /** The export transaction's timeout. Default 1 hour. */
  timeoutMs?: number;
  /** Called after each table, e.g. for progress output. */
  onTable?: (table: string, rows: number) => void;
}

export interface TenantExport {
  tenantId: string;
  format: ExportFormat;
  /** The file (jsonl) or folder (per-table) written. */
  path: string;
  /** Rows per table, in the export's order (the tenant table, related global tables, tenant tables). */
  counts: Record<string, number>;
  totalRows: number;
}

export const EXPORT_FORMAT_NAME = 'tenantry.tenant-export';
export const EXPORT_FORMAT_VERSION = 1;
const ACTION = 'export the tenant';

/** One table's rows of the tenant: the SQL condition (with `$1` = tenant id) and the key to page by. */
interface Source extends TableInfo {
  kind: 'tenant-row' | 'related' | 'tenant-table';
  where: string;
}

export async function exportTenant(
  client: LifecycleClient & object,
  tenantId: string,
  options: ExportTenantOptions,
): Promise<TenantExport> {
  if (!isUuid(tenantId))
    throw new InvalidTenantInputError(ACTION, 'tenantId', 'is not a UUID', 'Pass the tenant id (a canonical UUID).');
  if (options === null || typeof options !== 'object')
    throw new InvalidTenantInputError(ACTION, 'options', 'is missing', "Pass { out, format: 'jsonl' | 'per-table' }.");
  const format = options.format ?? 'jsonl';
  if (format !== 'jsonl' && format !== 'per-table')
    throw new InvalidTenantInputError(
      ACTION,
      'format',
      "is not 'jsonl' or 'per-table'",
      "Pass format: 'jsonl' or 'per-table'.",
    );
  const batchSize = options.batchSize ?? 1000;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000)
    throw new InvalidTenantInputError(
      ACTION,
      'batchSize',
      'is not an integer from 1 to 10000',
      'Pass e.g. batchSize: 1000.',
    );

  await assertBypassesRls(client, ACTION);
  const sources = sourcesOf(await readTenantTables(client, { tenantField: options.tenantField }));
  const target = await stageTarget(options.out, format, tenantId);
  try {
    const counts = await client.$transaction(
      async (tx: RawClient) => {
        await tx.$executeRawUnsafe('set transaction read only');
        // Fixed output settings: row_to_json renders timestamptz in the session's TimeZone.
        await tx.$queryRawUnsafe(
          "select set_config('TimeZone', 'UTC', true), set_config('IntervalStyle', 'postgres', true), " +
            "set_config('extra_float_digits', '1', true), set_config('bytea_output', 'hex', true)",
        );
        const root = sources.find((s) => s.kind === 'tenant-row');
        if (root) {
          const [found] = await tx.$queryRawUnsafe<Array<{ n: number }>>(
            `select count(*)::int as n from ${root.label} t where ${root.where}`,
            tenantId,
          );
          if (!found || found.n === 0) throw new TenantNotFoundError(ACTION);
        }
        return format === 'jsonl'
          ? writeJsonl(tx, tenantId, sources, target.staging, batchSize, options.onTable)
          : writePerTable(tx, tenantId, sources, target.staging, batchSize, options.onTable);
      },
      { isolationLevel: 'RepeatableRead', timeout: options.timeoutMs ?? 3_600_000, maxWait: 10_000 },
    );
    await target.publish();
    return {
      tenantId,
      format,
      path: target.final,
      counts,
      totalRows: Object.values(counts).reduce((a, b) => a + b, 0),
    };
  } catch (error) {
    await target.discard().catch(() => {});
    throw error;
  }
}

function sourcesOf(plan: Awaited<ReturnType<typeof readTenantTables>>): Source[] {
  const sources: Source[] = [];
  const col = (alias: string, c: string) => `${alias}.${quoteIdent(c)}`;
  if (plan.root) sources.push({ ...plan.root, kind: 'tenant-row', where: `${col('t', plan.root.idColumn)} = $1` });
  for (const related of plan.related) {
    // Rows some tenant row references: one EXISTS per foreign key into the table.
    const exists = related.references.map(
      (r) =>
        `exists (select 1 from ${r.from} r where ${col('r', plan.tenantColumn)} = $1 and ` +
        r.columns.map((c, i) => `${col('r', c)} = ${col('t', r.refColumns[i]!)}`).join(' and ') +
        ')',
    );
    sources.push({ ...related, kind: 'related', where: `(${exists.join(' or ')})` });
  }
  for (const table of plan.tables)
    sources.push({ ...table, kind: 'tenant-table', where: `${col('t', table.tenantColumn)} = $1` });
  const keyless = sources.filter((s) => s.primaryKey.length === 0).map((s) => s.label);
  if (keyless.length > 0) {
    throw new TenantSchemaError(
      `Cannot ${ACTION} because ${keyless.join(', ')} ${keyless.length > 1 ? 'have' : 'has'} no primary key, which the export pages by ` +
        '(and orders by, so that two exports of the same data are identical). Add a primary key to each.',
    );
  }
  return sources;
}

/** A page of rows: `n` lines, joined and newline-terminated, as Postgres rendered them. */
interface Page {
  n: number;
  text: string;
}

type PageRow = Page & { last: string | null };

/**
 * Every row of `source`, a page of `batchSize` rows at a time. Postgres renders and joins each page
 * (`string_agg` of `row_to_json`), so a page reaches this process as one string: no per-row object
 * is built, which keeps both the CPU and the garbage per row small. `tableLabel` set: each line is
 * wrapped as `{"table":<label>,"row":<row>}` (the jsonl format).
 */
async function* pagesOf(
  tx: RawClient,
  tenantId: string,
  source: Source,
  batchSize: number,
  tableLabel?: string,
): AsyncGenerator<Page> {
  const key = source.primaryKey.map((c) => `t.${quoteIdent(c)}`).join(', ');
  const keyOf = source.primaryKey.map((c) => `k.${quoteIdent(c)}`).join(', ');
  // $1 tenant id, $2 page size, then the table label (jsonl only), then the cursor (after page 1).
  const params: unknown[] = tableLabel === undefined ? [tenantId, batchSize] : [tenantId, batchSize, tableLabel];
  const line =
    tableLabel === undefined ? 'p.line' : `'{"table":' || to_json($3::text)::text || ',"row":' || p.line || '}'`;
  const cursorParam = `$${params.length + 1}`;
  const page = (after: string) =>
    `with p as (select row_number() over (order by ${key}) as i, row_to_json(t)::text as line ` +
    `from ${source.label} t where ${source.where}${after} order by ${key} limit $2) ` +
    `select count(*)::int as n, coalesce(string_agg(${line} || chr(10), '' order by p.i), '') as text, ` +
    '(array_agg(p.line order by p.i desc))[1] as last from p';
  const first = page('');
  // The next page starts after the last row's key, read back from that row's own JSON.
  const next = page(
    ` and (${key}) > (select ${keyOf} from jsonb_populate_record(null::${source.label}, ${cursorParam}::jsonb) k)`,
  );
  let last: string | null = null;
  for (;;) {
    const cursor: string | null = last;
    const rows: PageRow[] =
      cursor === null
        ? await tx.$queryRawUnsafe<Array<PageRow>>(first, ...params)
        : await tx.$queryRawUnsafe<Array<PageRow>>(next, ...params, cursor);
    const row: PageRow | undefined = rows[0];
    if (!row || row.n === 0) return;
    yield { n: row.n, text: row.text };
    if (row.n < batchSize) return;
    last = row.last;
  }
}

async function writeJsonl(
  tx: RawClient,
  tenantId: string,
  sources: Source[],
  file: string,
  batchSize: number,
  onTable?: (table: string, rows: number) => void,
): Promise<Record<string, number>> {
  const out = new LineFile(file);
  const counts: Record<string, number> = {};
  try {
    await out.write(`${JSON.stringify({ format: EXPORT_FORMAT_NAME, version: EXPORT_FORMAT_VERSION, tenantId })}\n`);
    for (const source of sources) {
      let n = 0;
      for await (const page of pagesOf(tx, tenantId, source, batchSize, source.label)) {
        await out.write(page.text);
        n += page.n;
      }
      counts[source.label] = n;
      onTable?.(source.label, n);
    }
    const totalRows = Object.values(counts).reduce((a, b) => a + b, 0);
    await out.write(`${JSON.stringify({ end: true, counts, totalRows })}\n`);
  } finally {
    await out.close();
  }
  return counts;
}

async function writePerTable(
  tx: RawClient,
  tenantId: string,
  sources: Source[],
  dir: string,
  batchSize: number,
  onTable?: (table: string, rows: number) => void,
): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  const tables: Array<{ table: string; file: string; rows: number }> = [];
  for (const source of sources) {
    const file = fileNameOf(source.label);
    const out = new LineFile(`${dir}/${file}`);
    let n = 0;
    try {
      for await (const page of pagesOf(tx, tenantId, source, batchSize)) {
        await out.write(page.text);
        n += page.n;
      }
    } finally {
      await out.close();
    }
    counts[source.label] = n;
    tables.push({ table: source.label, file, rows: n });
    onTable?.(source.label, n);
  }
  const manifest = new LineFile(`${dir}/manifest.json`);
  try {
    const totalRows = tables.reduce((a, t) => a + t.rows, 0);
    await manifest.write(
      `${JSON.stringify({ format: `${EXPORT_FORMAT_NAME}.per-table`, version: EXPORT_FORMAT_VERSION, tenantId, tables, totalRows }, null, 2)}\n`,
    );
  } finally {
    await manifest.close();
  }
  return counts;
}
