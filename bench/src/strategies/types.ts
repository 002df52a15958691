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

/**
 * The baseline (unscoped Prisma, BYPASSRLS role) through each PgBouncer: what the pooler's own hop
 * costs an application without isolation, so that the "same route" table can say how much of a
 * pooled route's gap is PgBouncer's and how much tenantry's.
 */
export const ROUTE_BASELINES = {
  'tenantry-pgbouncer-session': 'baseline-pgbouncer-session',
  'tenantry-pgbouncer-transaction': 'baseline-pgbouncer-transaction',
} as const;
export type RouteBaselineName = (typeof ROUTE_BASELINES)[keyof typeof ROUTE_BASELINES];
export const ROUTE_BASELINE_STRATEGIES: readonly RouteBaselineName[] = Object.values(ROUTE_BASELINES);

export type StrategyName = MainStrategyName | (typeof LAYER_STRATEGIES)[number] | RouteBaselineName;

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
