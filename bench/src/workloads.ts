/**
 * The five workloads every strategy implements, and the isolation check run on every result.
 *
 * - findMany: 20 tasks of the tenant.
 * - findUnique: one task by its composite key (tenantId, id).
 * - create: one project in a workspace of the tenant.
 * - nestedCreate: a project with 5 tasks in one create, returning both.
 * - transaction: an interactive transaction of 3 statements (read the project, count its tasks,
 *   rename the project).
 */
import type { Pick } from './dataset.js';

export const WORKLOADS = ['findMany', 'findUnique', 'create', 'nestedCreate', 'transaction'] as const;
export type WorkloadName = (typeof WORKLOADS)[number];

/** Rows as they come back: Prisma's `tenantId`, or raw pg's `tenant_id`. */
export type Row = { tenantId?: string; tenant_id?: string };

export type Operation = (pick: Pick) => Promise<Row[]>;
export type Operations = Record<WorkloadName, Operation>;

/** Workloads that are one statement, so one round trip is the target. */
export const SINGLE_STATEMENT: ReadonlySet<WorkloadName> = new Set(['findMany', 'findUnique', 'create']);

export const NESTED_TASKS = 5;

/**
 * Counts rows that belong to another tenant. A read that returns nothing also fails the run: every
 * seeded tenant has rows, so an empty answer means the strategy did not do the work (a fast wrong
 * answer must not win).
 */
export function wrongTenantRows(workload: WorkloadName, rows: Row[], tenantId: string): number {
  if (rows.length === 0) {
    throw new Error(
      `Cannot trust this run because ${workload} returned no rows for tenant ${tenantId}, which has seeded rows.`,
    );
  }
  let wrong = 0;
  for (const row of rows) if ((row.tenantId ?? row.tenant_id) !== tenantId) wrong += 1;
  return wrong;
}
