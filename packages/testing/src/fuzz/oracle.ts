/**
 * The fuzzer's oracle: an independent record of what each tenant was told it wrote, checked against
 * what every read returned and, at the end, against the database itself (read through the
 * RLS-bypassing admin client).
 *
 * A write's outcome is conclusive when the client was told (success, or an error that proves nothing
 * was committed). When a fault cut the connection mid-flight the client cannot know whether the
 * server committed: such writes are "indeterminate" and counted apart, never as lost or phantom.
 */
import type { SessionStateRow } from './session-state-operations.js';

/** `softDeleted`: acknowledged as soft-deleted, so present in the table and marked (never live). */
export type WriteState = 'pending' | 'acked' | 'absent' | 'indeterminate' | 'deleted' | 'softDeleted';

interface TrackedRow {
  model: string;
  tenantId: string;
  state: WriteState;
}

export interface Violation {
  kind: 'crossTenantRow' | 'noContextRow' | 'lostWrite' | 'phantomWrite' | 'inheritedSessionState';
  detail: string;
}

export interface OracleFields {
  /** The model field that holds the tenant (rows from Prisma). Default 'tenantId'. */
  tenantField?: string;
  /** The model field that holds the workspace. Default 'workspaceId'. */
  workspaceField?: string;
}

export class Oracle {
  private readonly tenantField: string;
  private readonly workspaceField: string;

  /** Raw rows name the columns `tenant_id`/`workspace_id` (the fuzzer's raw reads alias them so). */
  constructor(fields: OracleFields = {}) {
    this.tenantField = fields.tenantField ?? 'tenantId';
    this.workspaceField = fields.workspaceField ?? 'workspaceId';
  }

  readonly rows = new Map<string, TrackedRow>();
  crossTenantRows = 0;
  noContextRows = 0;
  lostWrites = 0;
  phantomWrites = 0;
  /** Session state (temp table, cursor, setting, ...) an operation found left by an earlier one. */
  inheritedSessionState = 0;
  readonly inheritedByKind: Record<string, number> = {};
  /** Session-state statements refused as designed, by operation and error. */
  readonly refusedByKind: Record<string, number> = {};
  readonly violations: Violation[] = [];
  private readonly violationsByKind = new Map<Violation['kind'], number>();
  /** Who left which session state last (`tempTable:projects` -> `tenant ...`), for the details. */
  private readonly leftBy = new Map<string, string>();

  private violate(kind: Violation['kind'], detail: string, count = 1): void {
    if (kind === 'crossTenantRow') this.crossTenantRows += count;
    if (kind === 'noContextRow') this.noContextRows += count;
    if (kind === 'lostWrite') this.lostWrites += count;
    if (kind === 'phantomWrite') this.phantomWrites += count;
    if (kind === 'inheritedSessionState') this.inheritedSessionState += count;
    // Up to 50 of each kind, so that one noisy kind cannot hide the others.
    const listed = this.violationsByKind.get(kind) ?? 0;
    if (listed < 50) {
      this.violationsByKind.set(kind, listed + 1);
      this.violations.push({ kind, detail });
    }
  }

  /** A writer left `key` (e.g. `cursor:c_1a2b`, `setting:search_path`) on its session. */
  leftSessionState(key: string, by: string): void {
    if (this.leftBy.size > 10_000) this.leftBy.clear();
    this.leftBy.set(key, by);
  }

  refused(kind: string): void {
    this.refusedByKind[kind] = (this.refusedByKind[kind] ?? 0) + 1;
  }

  /** Every row of a session-state check is state the operation inherited: one finding each. */
  checkInherited(operation: string, by: string, rows: readonly SessionStateRow[]): void {
    for (const r of rows) {
      const kind = r.kind === 'setting' ? `setting ${r.name}` : r.kind;
      this.inheritedByKind[kind] = (this.inheritedByKind[kind] ?? 0) + 1;
      const origin = this.leftBy.get(`${r.kind}:${r.name}`);
      const what = r.kind === 'setting' ? `${r.name} = ${JSON.stringify(r.value)}` : `${r.kind} ${r.name}`;
      this.violate(
        'inheritedSessionState',
        `${by} ${operation} inherited ${what}${origin ? ` (last left by ${origin})` : ''}`,
      );
    }
  }

  /** An operation failed because of state an earlier one left on its connection. */
  inheritedError(operation: string, by: string, kind: string): void {
    const key = `error ${kind}`;
    this.inheritedByKind[key] = (this.inheritedByKind[key] ?? 0) + 1;
    this.violate('inheritedSessionState', `${by} ${operation} failed: ${kind}`);
  }

  /** Every row a read returned must belong to the context's tenant (and workspace, when set). */
  checkRows(operation: string, ctx: { tenantId: string; workspaceId?: string }, rows: unknown[]): void {
    for (const row of rows as Array<Record<string, unknown>>) {
      if (row === null || typeof row !== 'object') continue;
      const tenantId = row[this.tenantField] ?? row.tenant_id;
      const workspaceId = row[this.workspaceField] ?? row.workspace_id;
      if (tenantId !== undefined && tenantId !== ctx.tenantId) {
        this.violate(
          'crossTenantRow',
          `tenant ${ctx.tenantId} ${operation} returned row ${String(row.id)} of tenant ${String(tenantId)}`,
        );
      } else if (ctx.workspaceId && workspaceId !== undefined && workspaceId !== ctx.workspaceId) {
        this.violate(
          'crossTenantRow',
          `tenant ${ctx.tenantId} workspace ${ctx.workspaceId} ${operation} returned row ${String(row.id)} of workspace ${String(workspaceId)}`,
        );
      }
    }
  }

  /** A count (updateMany/deleteMany/raw) aimed only at other tenants' rows must be 0. */
  checkForeignCount(operation: string, tenantId: string, count: number): void {
    if (count !== 0)
      this.violate('crossTenantRow', `tenant ${tenantId} ${operation} affected ${count} rows of other tenants`, count);
  }

  checkNoContext(operation: string, rows: number): void {
    if (rows !== 0) this.violate('noContextRow', `no-context ${operation} returned ${rows} rows`, rows);
  }

  attempt(model: string, id: string, tenantId: string): void {
    this.rows.set(id, { model, tenantId, state: 'pending' });
  }

  /** A write or delete of these rows was cut mid-flight: whether it committed is unknowable. */
  uncertain(ids: readonly string[]): void {
    for (const id of ids) {
      const row = this.rows.get(id);
      if (row) row.state = 'indeterminate';
    }
  }

  settle(ids: readonly string[], state: WriteState): void {
    for (const id of ids) {
      const row = this.rows.get(id);
      if (row && (row.state === 'pending' || state === 'deleted')) row.state = state;
    }
  }

  /** A soft delete of these rows was acknowledged: they stay in the table, marked. */
  softDeleted(ids: readonly string[]): void {
    for (const id of ids) {
      const row = this.rows.get(id);
      if (row && (row.state === 'acked' || row.state === 'pending')) row.state = 'softDeleted';
    }
  }

  /** A restore of these soft-deleted rows was acknowledged: they are live again. */
  restored(ids: readonly string[]): void {
    for (const id of ids) {
      const row = this.rows.get(id);
      if (row?.state === 'softDeleted') row.state = 'acked';
    }
  }

  /**
   * A default read (no includeDeleted) must return no soft-deleted row: none whose `field` is set,
   * and none of `deletedIds` (rows whose soft delete this operation saw acknowledged before it read).
   */
  checkLive(
    operation: string,
    ctx: { tenantId: string },
    rows: unknown[],
    field: string,
    deletedIds: readonly string[] = [],
  ): void {
    for (const row of rows as Array<Record<string, unknown>>) {
      if (row === null || typeof row !== 'object') continue;
      const marked = row[field] !== null && row[field] !== undefined;
      if (marked || deletedIds.includes(String(row.id))) {
        this.violate(
          'phantomWrite',
          `tenant ${ctx.tenantId} ${operation} returned row ${String(row.id)}, which is soft-deleted (a default read must hide it)`,
        );
      }
    }
  }

  /** A soft delete or restore the fuzzer was told about did not leave the row as it said. */
  lostSoftDelete(operation: string, tenantId: string, id: string): void {
    this.violate(
      'lostWrite',
      `${operation} of row ${id} acknowledged to tenant ${tenantId} did not leave it as acknowledged (soft-deleted, then restorable)`,
    );
  }

  /**
   * Compares the record with the database: `found` maps id -> tenantId for every tracked id present
   * (`deleted`: its soft-delete field is set, for soft-deletable models).
   */
  reconcile(found: ReadonlyMap<string, { tenantId: string; count: number; deleted?: boolean }>): void {
    for (const [id, row] of this.rows) {
      const actual = found.get(id);
      if (actual && actual.tenantId !== row.tenantId) {
        this.violate(
          'crossTenantRow',
          `${row.model} ${id} written by tenant ${row.tenantId} is stored under tenant ${actual.tenantId}`,
        );
        continue;
      }
      if (row.state === 'acked' && actual?.count !== 1) {
        this.violate(
          'lostWrite',
          `${row.model} ${id} acknowledged to tenant ${row.tenantId} is ${actual ? `present ${actual.count} times` : 'missing'}`,
        );
      } else if (row.state === 'acked' && actual?.deleted) {
        this.violate('lostWrite', `${row.model} ${id} acknowledged live to tenant ${row.tenantId} is soft-deleted`);
      }
      if (row.state === 'softDeleted' && actual?.count !== 1) {
        this.violate(
          'lostWrite',
          `${row.model} ${id} soft-deleted by tenant ${row.tenantId} is ${actual ? `present ${actual.count} times` : 'missing'} (a soft delete keeps the row)`,
        );
      } else if (row.state === 'softDeleted' && actual && !actual.deleted) {
        this.violate(
          'phantomWrite',
          `${row.model} ${id} of tenant ${row.tenantId} is live although its soft deletion was acknowledged`,
        );
      }
      if ((row.state === 'absent' || row.state === 'deleted') && actual) {
        this.violate(
          'phantomWrite',
          `${row.model} ${id} of tenant ${row.tenantId} is present although ${row.state === 'deleted' ? 'its deletion was acknowledged' : 'its write failed or rolled back'}`,
        );
      }
    }
  }

  counts(): Record<WriteState, number> {
    const out: Record<WriteState, number> = {
      pending: 0,
      acked: 0,
      absent: 0,
      indeterminate: 0,
      deleted: 0,
      softDeleted: 0,
    };
    for (const row of this.rows.values()) out[row.state]++;
    return out;
  }
}
