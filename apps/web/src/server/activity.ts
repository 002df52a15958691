/**
 * The Activity page's data: the active tenant's audit events, newest first, one page at a time, and
 * what each event changed, as short text. The events are written by the database's triggers on
 * every write to an audited table (packages/db, migration 20261203000200_audit_log); the runtime role
 * reads them under RLS like any tenant row, so nothing here names the tenant.
 *
 * Everything an event holds (row keys, old and new values) was typed by some user of the tenant:
 * it leaves here as plain strings, which React escapes. Never HTML.
 */
import { prisma } from './db';

export const ACTIVITY_PAGE_SIZE = 25;

/** The `?cursor=` of the "Older" link: the last event id of the page before (a positive bigint). */
export type ActivityCursor = { ok: true; before: bigint | undefined } | { ok: false; message: string };

const INT8_MAX = 9_223_372_036_854_775_807n;

export function parseActivityCursor(raw: string | string[] | undefined): ActivityCursor {
  if (raw === undefined || raw === '') return { ok: true, before: undefined };
  if (typeof raw === 'string' && /^[1-9][0-9]{0,18}$/.test(raw) && BigInt(raw) <= INT8_MAX)
    return { ok: true, before: BigInt(raw) };
  return {
    ok: false,
    message: 'Cannot show older activity because the link’s position is not valid. Start again from the newest.',
  };
}

export interface ActivityEvent {
  id: string;
  at: Date;
  /** The member's email, "you", or the user id (a user who is no member any more); null: no user (a script, the seed). */
  user: string | null;
  tableName: string;
  operation: string;
  rowKey: string;
  changes: ChangeLine[];
}

export interface ChangeLine {
  field: string;
  /** `"old" → "new"` for an update, the value for an insert or a delete. */
  text: string;
}

export interface ActivityPage {
  events: ActivityEvent[];
  /** The `?cursor=` of the next (older) page; null on the last one. */
  olderCursor: string | null;
}

/** Columns every event repeats (the tenant) or that say nothing a reader needs. */
const HIDDEN_FIELDS = new Set(['tenant_id']);
const MAX_VALUE_CHARS = 80;

/** One JSON value as short text: strings quoted, long ones cut. JSON.stringify, so nothing is markup. */
export function valueText(value: unknown): string {
  const text = JSON.stringify(value) ?? 'null';
  return text.length > MAX_VALUE_CHARS ? `${text.slice(0, MAX_VALUE_CHARS - 1)}…` : text;
}

/** `{ id: "…" }` as `id "…"`, without the tenant (the same on every row). */
export function rowKeyText(rowKey: unknown): string {
  if (rowKey === null || typeof rowKey !== 'object' || Array.isArray(rowKey)) return valueText(rowKey);
  const parts = Object.entries(rowKey as Record<string, unknown>)
    .filter(([key]) => !HIDDEN_FIELDS.has(key))
    .map(([key, value]) => `${key} ${valueText(value)}`);
  return parts.join(', ') || '—';
}

/**
 * What an event changed: an UPDATE's `changes` is `{ column: { old, new } }` (only the columns that
 * changed); an INSERT's is the new row and a DELETE's the old one; an ERASE's a summary.
 */
export function changeLines(operation: string, changes: unknown): ChangeLine[] {
  if (changes === null || typeof changes !== 'object' || Array.isArray(changes)) return [];
  const entries = Object.entries(changes as Record<string, unknown>).filter(([key]) => !HIDDEN_FIELDS.has(key));
  if (operation === 'UPDATE') {
    return entries.map(([field, change]) => {
      const { old, new: next } = (change ?? {}) as { old?: unknown; new?: unknown };
      return { field, text: `${valueText(old)} → ${valueText(next)}` };
    });
  }
  return entries.map(([field, value]) => ({ field, text: valueText(value) }));
}

/**
 * One page of the active tenant's events, older than `before`. Must run inside the tenant context
 * (`tenantQuery`). Keyset on the id (`id < before`), which stays right while new events arrive.
 */
export async function loadActivity(
  before: bigint | undefined,
  currentUserId: string,
  pageSize = ACTIVITY_PAGE_SIZE,
): Promise<ActivityPage> {
  const rows = await prisma.auditEvent.findMany({
    where: before === undefined ? {} : { id: { lt: before } },
    orderBy: { id: 'desc' },
    take: pageSize + 1,
  });
  const page = rows.slice(0, pageSize);
  // Emails of the users named, as far as RLS shows them (members of this tenant, and the caller).
  const userIds = [...new Set(page.map((r) => r.userId).filter((id): id is string => id !== null))];
  const users =
    userIds.length === 0
      ? []
      : await prisma.user.findMany({ where: { id: { in: userIds } }, select: { id: true, email: true } });
  const emails = new Map(users.map((u) => [u.id, u.email]));
  return {
    events: page.map((row) => ({
      id: row.id.toString(),
      at: row.at,
      user: row.userId === null ? null : row.userId === currentUserId ? 'you' : (emails.get(row.userId) ?? row.userId),
      tableName: row.tableName,
      operation: row.operation,
      rowKey: rowKeyText(row.rowKey),
      changes: changeLines(row.operation, row.changes),
    })),
    olderCursor: rows.length > pageSize ? page[page.length - 1]!.id.toString() : null,
  };
}
