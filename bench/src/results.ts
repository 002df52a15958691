/**
 * Turns per-round samples into the records `bench/results/*.json` holds: one per (workload,
 * concurrency, strategy), every field the median over the rounds. Ratios are taken per round
 * (strategy and baseline measured minutes apart at most, interleaved) and then the median of those.
 */
import type { Sample } from './runner.js';
import { median, round } from './stats.js';
import { ROUTE_BASELINES, type StrategyName } from './strategies/index.js';
import type { WorkloadName } from './workloads.js';

export interface ResultRecord {
  workload: WorkloadName;
  concurrency: number;
  strategy: StrategyName;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  roundTrips: number;
  wrongTenantRows: number;
  throughputVsBaseline: number;
  p50VsBaseline: number;
  /** Injected round-trip time (0: loopback, no proxy). */
  rttMs: number;
  /** Through the proxy only: hold applied per chunk, server time per operation, and the floor. */
  heldOneWayMs?: number;
  serverMsPerOp?: number;
  /** round trips × RTT + server time: the latency no client can beat on this network. */
  floorMs?: number;
}

export type SampleKey = `${WorkloadName}|${number}|${StrategyName}`;
export const keyOf = (workload: WorkloadName, concurrency: number, strategy: StrategyName): SampleKey =>
  `${workload}|${concurrency}|${strategy}`;

/** Samples per cell, one per round, in round order. */
export type Samples = Map<SampleKey, Sample[]>;

export function aggregate(
  samples: Samples,
  workloads: readonly WorkloadName[],
  concurrencies: readonly number[],
  strategies: readonly StrategyName[],
  reference: StrategyName = 'baseline',
  rttMs = 0,
): ResultRecord[] {
  const out: ResultRecord[] = [];
  for (const workload of workloads) {
    for (const concurrency of concurrencies) {
      const base = samples.get(keyOf(workload, concurrency, reference)) ?? [];
      for (const strategy of strategies) {
        const own = samples.get(keyOf(workload, concurrency, strategy)) ?? [];
        // Cells not run (a subset in --quick, or layers at RTT > 0) leave no record.
        if (own.length === 0) continue;
        const proxied = own.filter((s) => s.proxy);
        const server = proxied.length ? round(median(proxied.map((s) => s.proxy!.serverMsPerOp))) : undefined;
        const trips = round(median(own.map((s) => s.roundTrips)), 2);
        out.push({
          workload,
          concurrency,
          strategy,
          rps: round(median(own.map((s) => s.rps)), 1),
          p50Ms: round(median(own.map((s) => s.p50Ms))),
          p99Ms: round(median(own.map((s) => s.p99Ms))),
          roundTrips: trips,
          // Not a median: a single wrong row in any round must show.
          wrongTenantRows: own.reduce((n, s) => n + s.wrongTenantRows, 0),
          throughputVsBaseline: round(median(own.map((s, i) => s.rps / (base[i]?.rps ?? Number.NaN)))),
          p50VsBaseline: round(median(own.map((s, i) => s.p50Ms / (base[i]?.p50Ms ?? Number.NaN)))),
          rttMs,
          ...(proxied.length
            ? {
                heldOneWayMs: round(median(proxied.map((s) => s.proxy!.heldOneWayMs))),
                serverMsPerOp: server,
                floorMs: round(trips * rttMs + server!),
              }
            : {}),
        });
      }
    }
  }
  return out;
}

/**
 * Each pooled tenantry route against the baseline through the same PgBouncer (ROUTE_BASELINES):
 * the same per-round ratios as `aggregate`, with the route baseline as the reference. Routes whose
 * strategy or reference was not run leave no record.
 */
export function routeRecords(
  samples: Samples,
  workloads: readonly WorkloadName[],
  concurrencies: readonly number[],
  strategies: readonly StrategyName[],
  rttMs = 0,
): ResultRecord[] {
  const out: ResultRecord[] = [];
  for (const [strategy, reference] of Object.entries(ROUTE_BASELINES) as Array<[StrategyName, StrategyName]>) {
    if (strategies.includes(strategy) && strategies.includes(reference))
      out.push(...aggregate(samples, workloads, concurrencies, [strategy], reference, rttMs));
  }
  return out;
}
