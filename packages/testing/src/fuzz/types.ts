import type { TenantContext } from '@tenantry/prisma';
import type { Oracle } from './oracle.js';
import type { Random } from './random.js';

/** Any Prisma 7 client: the fuzzer reaches models by name (`client[model]`), so any schema works. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyPrismaClient = any;

export interface FuzzTenant {
  tenantId: string;
  /** Workspaces of this tenant; some operations run inside one of them. */
  workspaceIds: string[];
  /** Ids of rows per model known to exist for this tenant (seeded or acknowledged), for targets. */
  known: Map<string, string[]>;
  /**
   * Rows per model known to exist for this tenant and never deleted by the fuzzer (the seeded ones):
   * the targets of the relations of the rows the generic writes create. Set by seedTenants().
   */
  rows?: Map<string, Array<Record<string, unknown>>>;
  /** Strings the generic writes create start with it. */
  label?: string;
}

export interface OperationEnv {
  client: AnyPrismaClient;
  rng: Random;
  oracle: Oracle;
  tenant: FuzzTenant;
  /** The context the operation runs in (with a workspace some of the time). */
  ctx: TenantContext;
  /** Another tenant, for operations that aim at foreign rows. */
  other: FuzzTenant;
}

export interface FuzzOperation {
  /** A stable name, reported in the per-kind counts. */
  name: string;
  weight: number;
  /** Runs inside `tenantContext.run(env.ctx, ...)`; records expectations in env.oracle. */
  run(env: OperationEnv): Promise<void>;
  /** Runs outside any context instead (the no-context operations). */
  noContext?: boolean;
  /**
   * SQLSTATEs this operation provokes on purpose (e.g. 57014 for one that sets a statement_timeout):
   * not counted as signs of state inherited from an earlier operation.
   */
  expectedSqlstates?: readonly string[];
  /** Runs once before the first operation (e.g. to sample what a clean connection looks like). */
  before?(env: BeforeRunEnv): Promise<void>;
}

export interface BeforeRunEnv {
  client: AnyPrismaClient;
  oracle: Oracle;
  tenants: FuzzTenant[];
  /** Runs `fn` inside the first tenant's context. */
  runInContext<T>(fn: () => Promise<T>): Promise<T>;
}

/** Thrown on purpose inside an interactive transaction to roll it back. */
export class RollbackSignal extends Error {
  override name = 'RollbackSignal';
}
