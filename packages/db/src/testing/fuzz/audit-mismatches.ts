/**
 * The fuzzer's audit counter (docs/isolation-testing.md, "auditMismatches"): after a run, the audit
 * log (docs/audit-log.md) must account for every write exactly. Per audited table (a table with the
 * audit triggers), the events replayed in order (INSERT sets the row, UPDATE applies the new values,
 * re-keying the row when its key changed, DELETE removes it) must give exactly the rows the table
 * holds, value for value, and every event must belong to its row's tenant. Each difference is one
 * mismatch: a row without events, events without the row, a value the log does not explain, an
 * event for a row that was not there (UPDATE/DELETE) or already was (INSERT), an event of the wrong
 * tenant. The fuzzer's own oracle already proves the table holds exactly the acknowledged writes
 * (lostWrites, phantomWrites = 0); equal to the replay, the log holds them too, and nothing else.
 *
 * Needs a database whose audited tables were empty before the audit triggers existed (a test
 * database migrated from scratch is). Reads as a role that bypasses RLS (the superuser pool).
 */
import type pg from 'pg';

export interface AuditMismatchReport {
  /** Events and rows checked. */
  events: number;
  rows: number;
  auditMismatches: number;
  /** The first few mismatches, by table and key (ids only, no values). */
  samples: string[];
}

type Row = Record<string, unknown>;
const keyOf = (key: Row) =>
  JSON.stringify(
    Object.keys(key)
      .sort()
      .map((k) => [k, key[k]]),
  );

export async function auditMismatches(db: Pick<pg.Pool, 'query'>, log = 'audit_events'): Promise<AuditMismatchReport> {
  const report: AuditMismatchReport = { events: 0, rows: 0, auditMismatches: 0, samples: [] };
  const mismatch = (table: string, key: string, what: string) => {
    report.auditMismatches++;
    if (report.samples.length < 20) report.samples.push(`${table} ${key}: ${what}`);
  };
  const { rows: tables } = await db.query<{ table: string; label: string; definition: string }>(
    `select c.relname as table, c.oid::regclass::text as label, pg_get_triggerdef(t.oid) as definition
       from pg_trigger t join pg_class c on c.oid = t.tgrelid
      where t.tgname = 'tenantry_audit_insert' order by 1`,
  );
  for (const t of tables) {
    // The trigger's second argument: the excluded columns (a text[] literal), whose values the log leaves out.
    const args = /\('([^']*)', '([^']*)'\)$/.exec(t.definition);
    const excluded = new Set(
      (args?.[2] ?? '{}')
        .replace(/^\{|\}$/g, '')
        .split(',')
        .filter(Boolean)
        .map((c) => c.replace(/^"|"$/g, '')),
    );
    const { rows: events } = await db.query<{
      tenant_id: string;
      operation: string;
      row_key: Row;
      changes: Row | null;
    }>(
      `select tenant_id::text, operation, row_key, changes from ${log} where table_name = $1 and operation <> 'ERASE' order by id`,
      [t.table],
    );
    report.events += events.length;
    const state = new Map<string, Row>();
    for (const e of events) {
      const key = keyOf(e.row_key);
      if (e.row_key.tenant_id !== undefined && e.row_key.tenant_id !== e.tenant_id)
        mismatch(t.table, key, `event of tenant ${e.tenant_id} for a row of tenant ${String(e.row_key.tenant_id)}`);
      const changes = e.changes ?? {};
      if (e.operation === 'INSERT') {
        if (state.has(key)) mismatch(t.table, key, 'INSERT of a row that the log says exists');
        state.set(key, { ...changes });
      } else if (e.operation === 'UPDATE') {
        // The row before: its key as the changes' old values say (a key change), else the same key.
        const before: Row = { ...e.row_key };
        for (const k of Object.keys(before)) {
          const change = changes[k] as { old?: unknown } | undefined;
          if (change && typeof change === 'object' && 'old' in change) before[k] = change.old;
        }
        const previous = state.get(keyOf(before));
        if (!previous) {
          mismatch(t.table, key, 'UPDATE of a row that the log says does not exist');
          continue;
        }
        state.delete(keyOf(before));
        const next = { ...previous };
        for (const [column, change] of Object.entries(changes)) next[column] = (change as { new: unknown }).new;
        state.set(key, next);
      } else if (e.operation === 'DELETE') {
        if (!state.delete(key)) mismatch(t.table, key, 'DELETE of a row that the log says does not exist');
      } else mismatch(t.table, key, `unknown operation ${e.operation}`);
    }
    const keyColumns = events.length > 0 ? Object.keys(events[0]!.row_key) : [];
    const { rows } = await db.query<{ row: Row }>(`select to_jsonb(t) as row from ${t.label} t`);
    report.rows += rows.length;
    for (const { row } of rows) {
      const key = keyOf(Object.fromEntries(keyColumns.map((k) => [k, row[k]])));
      const replayed = state.get(key);
      if (!replayed) {
        mismatch(t.table, key, 'row without audit events');
        continue;
      }
      state.delete(key);
      const differs = Object.keys(row).filter(
        (c) => !excluded.has(c) && JSON.stringify(row[c]) !== JSON.stringify(replayed[c]),
      );
      if (differs.length > 0) mismatch(t.table, key, `columns ${differs.join(', ')} differ from the log's replay`);
    }
    for (const key of state.keys()) mismatch(t.table, key, 'the log says the row exists, the table has no such row');
  }
  return report;
}
