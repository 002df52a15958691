import type { Operations } from '../workloads.js';

export const STRATEGIES = [
  'baseline',
  'prisma-example',
  'tenantry-direct',
  'tenantry-pgbouncer-session',
  'tenantry-pgbouncer-transaction',
  'raw-pg',
] as const;
export type StrategyName = (typeof STRATEGIES)[number];

/** One way of running the five workloads for a tenant. */
export interface Strategy {
  readonly name: StrategyName;
  readonly ops: Operations;
  close(): Promise<void>;
}

export interface StrategyOptions {
  /** Connections in the strategy's pool (the issue fixes 10). */
  poolSize: number;
}
