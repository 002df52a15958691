/**
 * The audit log as the erasure sees it (docs/audit-log.md, "Erasure"): found in the live catalog by
 * the comment `tenantry migrate dev` puts on it (src/audit/sql.ts), never by a name. It is a tenant
 * table (it has the tenant column), so the erasure deletes the tenant's events, but LAST: deleting
 * the other tables fires their audit triggers, which write DELETE events (with the deleted rows'
 * values) until the end. Then `tenantry_audit_erasure()` writes the one event that stays: the
 * erasure record, row counts per table and nothing else.
 */
import { AUDIT_LOG_COMMENT, ERASURE_FUNCTION } from '../audit/names.js';
import type { RawClient } from './sql.js';

export interface AuditLogInfo {
  /** The table as SQL names it from the client's search_path, as readTenantTables labels it. */
  readonly label: string;
  /** `schema.tenantry_audit_erasure`, quoted. */
  readonly erasureFunction: string;
}

export async function findAuditLog(client: RawClient): Promise<AuditLogInfo | undefined> {
  const rows = await client.$queryRawUnsafe<Array<{ label: string; fn: string | null }>>(
    `select c.oid::regclass::text as label,
            to_regprocedure(format('%I.%I(uuid, text, jsonb)', n.nspname, $2::text))::oid::regproc::text as fn
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where c.relkind in ('r', 'p') and starts_with(coalesce(obj_description(c.oid, 'pg_class'), ''), $1::text)
      order by 1 limit 1`,
    AUDIT_LOG_COMMENT,
    ERASURE_FUNCTION,
  );
  const row = rows[0];
  if (!row || row.fn === null) return undefined;
  return { label: row.label, erasureFunction: row.fn };
}
