/**
 * Erasure: deletes every row of one tenant, then proves it. In order:
 *
 * 1. Refuse without `confirm` equal to the tenant's id or slug (ErasureNotConfirmedError): the one
 *    irreversible operation here needs the operator to name what they erase.
 * 2. Derive the delete order from the foreign keys between tenant tables (children first); a cycle
 *    is an error before anything is deleted (ForeignKeyCycleError).
 * 3. In ONE transaction: lock the tenant row (FOR UPDATE, so concurrent writes that reference it
 *    wait and then fail), delete table by table with one set-based DELETE each, delete the tenant
 *    row, count what is left (0 everywhere or roll back), call `recordErasure`, commit.
 * 4. After the commit, count again per table on fresh statements: the returned `remaining` is what
 *    the database holds, not what the transaction believed.
 *
 * Why one transaction, also for a 100,000-row tenant: every DELETE runs in the server (no row
 * travels to this process, so memory does not grow with the tenant), 100,000 rows take seconds,
 * and a half-erased tenant (tasks gone, projects left) can never be observed or left behind by a
 * crash. The costs, row locks on the tenant's rows only and WAL for the deleted rows, concern no
 * other tenant. For tenants of tens of millions of rows, batch per table at a quiet hour instead.
 *
 * The audit log (`/// @tenantry.audit-log`, docs/audit-log.md), when the schema has one, is a tenant
 * table like the others, deleted last (the other deletes write DELETE events into it until then),
 * verified empty, and then given the erasure record: one ERASE event with row counts per table,
 * which stays. Retaining the log (retainTables) keeps its events and writes no record.
 *
 * Global rows stay: users are accounts that may belong to other tenants. Their memberships of this
 * tenant are tenant rows and go; an account that belonged only here is for the user-deletion flow.
 */
import { assertBypassesRls, isUuid, quoteIdent, sqlStateOf, type LifecycleClient, type RawClient } from './sql.js';
import {
  ErasureNotConfirmedError,
  ForeignKeyCycleError,
  InvalidTenantInputError,
  TenantErasureIncompleteError,
  TenantLifecycleError,
  TenantNotFoundError,
} from './errors.js';
import { readTenantTables } from './tenant-tables.js';
import { findAuditLog } from './audit-log.js';

/**
 * What an audit log may keep about an erasure: no personal data, no names, no slug, only the
 * tenant's id, when, and how many rows of which table.
 */
export interface TenantErasureRecord {
  readonly event: 'tenant.erased';
  readonly tenantId: string;
  /** The erasure transaction's time (the database's now()). */
  readonly erasedAt: Date;
  /** Rows deleted per table, the tenant table included. */
  readonly deleted: Readonly<Record<string, number>>;
  readonly totalRows: number;
}

export interface EraseTenantOptions<Tx = any> {
  /** The tenant's id or its slug, exactly. Without it (or with another value) nothing is deleted. */
  confirm: string;
  /** The model field that holds the tenant. Default `tenantId`. */
  tenantField?: string;
  /** The tenant table's column that `confirm` may also match. Default `slug` (ignored when absent). */
  slugColumn?: string;
  /**
   * Tenant tables whose rows are kept (labels as reported, e.g. an append-only audit log that
   * must outlive the tenant). They are left out of the deletes and of the verification.
   */
  retainTables?: readonly string[];
  /**
   * The hook for an erasure record: called inside the erasure transaction after every delete and
   * the in-transaction count, with the transaction client, so the record commits with the erasure
   * or not at all (if it throws, nothing is deleted). Write only what the record holds.
   */
  recordErasure?: (record: TenantErasureRecord, tx: Tx) => Promise<void>;
  /** The erasure transaction's timeout. Default 10 minutes. */
  timeoutMs?: number;
}

export interface TenantErasure {
  tenantId: string;
  erasedAt: Date;
  /** Rows deleted per table, in delete order (children first, the tenant table last). */
  deleted: Record<string, number>;
  totalRows: number;
  /** Rows of the tenant per table after the commit, counted on the admin role: all 0. */
  remaining: Record<string, number>;
  /** Tables left alone (retainTables). */
  retained: string[];
  /** The erasure record in the audit log (its ERASE event), when the schema has an audit log it erased. */
  auditEvent?: { table: string; id: string };
}

const ACTION = 'erase the tenant';

export async function eraseTenant<Tx = any>(
  client: LifecycleClient & object,
  tenantId: string,
  options: EraseTenantOptions<Tx>,
): Promise<TenantErasure> {
  if (!isUuid(tenantId))
    throw new InvalidTenantInputError(ACTION, 'tenantId', 'is not a UUID', 'Pass the tenant id (a canonical UUID).');
  const confirm = options?.confirm;
  if (typeof confirm !== 'string' || confirm === '') throw new ErasureNotConfirmedError('missing');
  if (options.recordErasure !== undefined && typeof options.recordErasure !== 'function')
    throw new InvalidTenantInputError(ACTION, 'recordErasure', 'is not a function', 'Pass async (record, tx) => ...');

  await assertBypassesRls(client, ACTION);
  const plan = await readTenantTables(client, { tenantField: options.tenantField });
  if (plan.cycle) throw new ForeignKeyCycleError(plan.cycle);
  const labels = new Set(plan.tables.map((t) => t.label));
  const retained = [...new Set(options.retainTables ?? [])];
  for (const table of retained) {
    if (!labels.has(table))
      throw new InvalidTenantInputError(
        ACTION,
        'retainTables',
        'names a table that is not a tenant table',
        `Pass tenant table names as the erasure reports them (${[...labels].join(', ')}).`,
      );
  }
  const auditLog = await findAuditLog(client);
  const erasesLog = auditLog !== undefined && labels.has(auditLog.label) && !retained.includes(auditLog.label);
  const tables = [...plan.tables].reverse().filter((t) => !retained.includes(t.label) && t.label !== auditLog?.label);
  const logTable = erasesLog ? plan.tables.find((t) => t.label === auditLog.label) : undefined;
  // A kept row must not reference a deleted one: ON DELETE CASCADE would delete it anyway (and the
  // verification, which skips retained tables, would not notice), NO ACTION would fail the erasure.
  const deletedLabels = new Set([...tables.map((t) => t.label), ...(plan.root ? [plan.root.label] : [])]);
  for (const table of plan.tables.filter((t) => retained.includes(t.label))) {
    const blocking = table.references.filter((r) => deletedLabels.has(r));
    if (blocking.length > 0)
      throw new InvalidTenantInputError(
        ACTION,
        'retainTables',
        `names ${table.label}, whose foreign keys reference ${blocking.join(', ')}, which the erasure deletes`,
        'Retain only tables without foreign keys to the tenant table or to erased tenant tables (an append-only audit log); nothing was deleted.',
      );
  }
  const col = (c: string) => `t.${quoteIdent(c)}`;
  const countOf = async (db: RawClient, label: string, where: string) => {
    const [row] = await db.$queryRawUnsafe<Array<{ n: number }>>(
      `select count(*)::int as n from ${label} t where ${where}`,
      tenantId,
    );
    return row?.n ?? 0;
  };
  // The erasure records (ERASE) are the audit log's rows that outlive the tenant.
  const logWhere = (t: { tenantColumn: string }) => `${col(t.tenantColumn)} = $1 and t."operation" <> 'ERASE'`;
  const countAll = async (db: RawClient) => {
    const remaining: Record<string, number> = {};
    for (const t of tables) remaining[t.label] = await countOf(db, t.label, `${col(t.tenantColumn)} = $1`);
    if (plan.root) remaining[plan.root.label] = await countOf(db, plan.root.label, `${col(plan.root.idColumn)} = $1`);
    if (logTable) remaining[logTable.label] = await countOf(db, logTable.label, logWhere(logTable));
    return remaining;
  };

  const done = await client.$transaction(
    async (tx: RawClient) => {
      if (plan.root) {
        const [row] = await tx.$queryRawUnsafe<Array<{ slug: string | null }>>(
          `select to_jsonb(t) ->> $2 as slug from ${plan.root.label} t where ${col(plan.root.idColumn)} = $1 for update`,
          tenantId,
          options.slugColumn ?? 'slug',
        );
        if (!row) throw new TenantNotFoundError(ACTION);
        if (confirm.toLowerCase() !== tenantId.toLowerCase() && (row.slug === null || confirm !== row.slug))
          throw new ErasureNotConfirmedError('mismatch');
      } else if (confirm.toLowerCase() !== tenantId.toLowerCase()) {
        throw new ErasureNotConfirmedError('mismatch');
      }
      const deleted: Record<string, number> = {};
      const run = async (label: string, where: string) => {
        try {
          deleted[label] = await tx.$executeRawUnsafe(`delete from ${label} t where ${where}`, tenantId);
        } catch (error) {
          if (sqlStateOf(error) !== '23503') throw error;
          throw new TenantLifecycleError(
            `Cannot ${ACTION} because a row outside the tenant tables still references a row of ${label} ` +
              '(a foreign key from a global table without ON DELETE CASCADE or SET NULL). ' +
              'Delete or detach those references first, or give the foreign key an ON DELETE action; nothing was deleted.',
            { cause: error },
          );
        }
      };
      for (const t of tables) await run(t.label, `${col(t.tenantColumn)} = $1`);
      if (plan.root) await run(plan.root.label, `${col(plan.root.idColumn)} = $1`);
      if (logTable) await run(logTable.label, logWhere(logTable));
      const left = await countAll(tx);
      if (Object.values(left).some((n) => n > 0)) throw new TenantErasureIncompleteError(left, false);
      const [clock] = await tx.$queryRawUnsafe<Array<{ at: string }>>(
        `select to_char(now() at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as at`,
      );
      const record: TenantErasureRecord = Object.freeze({
        event: 'tenant.erased' as const,
        tenantId,
        erasedAt: new Date(clock!.at),
        deleted: Object.freeze({ ...deleted }),
        totalRows: Object.values(deleted).reduce((a, b) => a + b, 0),
      });
      let auditEventId: string | undefined;
      if (logTable && auditLog) {
        // Counts only: table labels and numbers, no slug, no name, no value (the function refuses more).
        const [event] = await tx.$queryRawUnsafe<Array<{ id: string }>>(
          `select ${auditLog.erasureFunction}($1::uuid, $2::text, $3::jsonb)::text as id`,
          tenantId,
          plan.root?.label ?? logTable.label,
          JSON.stringify(deleted),
        );
        auditEventId = event?.id;
      }
      await options.recordErasure?.(record, tx as Tx);
      return { record, auditEventId };
    },
    { timeout: options.timeoutMs ?? 600_000, maxWait: 10_000 },
  );

  const remaining = await countAll(client);
  if (Object.values(remaining).some((n) => n > 0)) throw new TenantErasureIncompleteError(remaining, true);
  return {
    tenantId,
    erasedAt: done.record.erasedAt,
    deleted: { ...done.record.deleted },
    totalRows: done.record.totalRows,
    remaining,
    retained,
    ...(done.auditEventId !== undefined && logTable
      ? { auditEvent: { table: logTable.label, id: done.auditEventId } }
      : {}),
  };
}
