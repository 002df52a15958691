import type { Operations } from '../workloads.js';

/** The strategies of the main comparison (tables, chart, targets), in the order they interleave. */
export const STRATEGIES = [
  'baseline',
  'prisma-example',
  'tenantry-direct',
  'tenantry-pgbouncer-session',
  'tenantry-pgbouncer-transaction',
  'raw-pg',
] as const;
export type MainStrategyName = (typeof STRATEGIES)[number];

/** One layer of tenantry-direct each (see layers.ts), for the cost-per-layer table. */
export const LAYER_STRATEGIES = ['layer-extension', 'layer-settings', 'layer-rls-settings'] as const;
export type StrategyName = MainStrategyName | (typeof LAYER_STRATEGIES)[number];

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
