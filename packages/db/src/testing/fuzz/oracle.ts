/**
 * The fuzzer's oracle: an independent record of what each tenant was told it wrote, checked against
 * what every read returned and, at the end, against the database itself (read through the
 * RLS-bypassing admin client).
 *
 * A write's outcome is conclusive when the client was told (success, or an error that proves nothing
 * was committed). When a fault cut the connection mid-flight the client cannot know whether the
 * server committed: such writes are "indeterminate" and counted apart, never as lost or phantom.
 */
export type WriteState = 'pending' | 'acked' | 'absent' | 'indeterminate' | 'deleted';

interface TrackedRow {
  model: string;
  tenantId: string;
  state: WriteState;
}

export interface Violation {
  kind: 'crossTenantRow' | 'noContextRow' | 'lostWrite' | 'phantomWrite';
  detail: string;
}

export class Oracle {
  readonly rows = new Map<string, TrackedRow>();
  crossTenantRows = 0;
  noContextRows = 0;
  lostWrites = 0;
  phantomWrites = 0;
  readonly violations: Violation[] = [];

  private violate(kind: Violation['kind'], detail: string, count = 1): void {
    if (kind === 'crossTenantRow') this.crossTenantRows += count;
    if (kind === 'noContextRow') this.noContextRows += count;
    if (kind === 'lostWrite') this.lostWrites += count;
    if (kind === 'phantomWrite') this.phantomWrites += count;
    if (this.violations.length < 50) this.violations.push({ kind, detail });
  }

  /** Every row a read returned must belong to the context's tenant (and workspace, when set). */
  checkRows(operation: string, ctx: { tenantId: string; workspaceId?: string }, rows: unknown[]): void {
    for (const row of rows as Array<Record<string, unknown>>) {
      const tenantId = row.tenantId ?? row.tenant_id;
      const workspaceId = row.workspaceId ?? row.workspace_id;
      if (tenantId !== undefined && tenantId !== ctx.tenantId) {
        this.violate('crossTenantRow', `tenant ${ctx.tenantId} ${operation} returned row ${String(row.id)} of tenant ${String(tenantId)}`);
      } else if (ctx.workspaceId && workspaceId !== undefined && workspaceId !== ctx.workspaceId) {
        this.violate('crossTenantRow', `tenant ${ctx.tenantId} workspace ${ctx.workspaceId} ${operation} returned row ${String(row.id)} of workspace ${String(workspaceId)}`);
      }
    }
  }

  /** A count (updateMany/deleteMany/raw) aimed only at other tenants' rows must be 0. */
  checkForeignCount(operation: string, tenantId: string, count: number): void {
    if (count !== 0) this.violate('crossTenantRow', `tenant ${tenantId} ${operation} affected ${count} rows of other tenants`, count);
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

  /** Compares the record with the database: `found` maps id -> tenantId for every tracked id present. */
  reconcile(found: ReadonlyMap<string, { tenantId: string; count: number }>): void {
    for (const [id, row] of this.rows) {
      const actual = found.get(id);
      if (actual && actual.tenantId !== row.tenantId) {
        this.violate('crossTenantRow', `${row.model} ${id} written by tenant ${row.tenantId} is stored under tenant ${actual.tenantId}`);
        continue;
      }
      if (row.state === 'acked' && (!actual || actual.count !== 1)) {
        this.violate('lostWrite', `${row.model} ${id} acknowledged to tenant ${row.tenantId} is ${actual ? `present ${actual.count} times` : 'missing'}`);
      }
      if ((row.state === 'absent' || row.state === 'deleted') && actual) {
        this.violate('phantomWrite', `${row.model} ${id} of tenant ${row.tenantId} is present although ${row.state === 'deleted' ? 'its deletion was acknowledged' : 'its write failed or rolled back'}`);
      }
    }
  }

  counts(): Record<WriteState, number> {
    const out: Record<WriteState, number> = { pending: 0, acked: 0, absent: 0, indeterminate: 0, deleted: 0 };
    for (const row of this.rows.values()) out[row.state]++;
    return out;
  }
}
