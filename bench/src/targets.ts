/**
 * The targets, evaluated on the medians. Reported, never enforced: only isolation failures
 * fail the run. Honest numbers, whichever way they fall.
 */
import type { ResultRecord } from './results.js';
import type { StrategyName } from './strategies/index.js';
import { SINGLE_STATEMENT, type WorkloadName } from './workloads.js';

export interface TargetCheck {
  target: string;
  strategy: StrategyName;
  workload: WorkloadName;
  concurrency: number;
  value: number;
  pass: boolean;
}

const TENANTRY: readonly StrategyName[] = [
  'tenantry-direct',
  'tenantry-pgbouncer-session',
  'tenantry-pgbouncer-transaction',
];
const HEADLINE: readonly WorkloadName[] = ['findMany', 'create'];

export function checkTargets(results: ResultRecord[], vsPrismaExample: ResultRecord[]): TargetCheck[] {
  const find = (w: WorkloadName, c: number, s: StrategyName, from = results) =>
    from.find((r) => r.workload === w && r.concurrency === c && r.strategy === s);
  const checks: TargetCheck[] = [];
  for (const strategy of TENANTRY) {
    for (const workload of HEADLINE) {
      const c32 = find(workload, 32, strategy);
      if (c32)
        checks.push({
          target: 'throughput ≥ 0.90× baseline at c=32',
          strategy,
          workload,
          concurrency: 32,
          value: c32.throughputVsBaseline,
          pass: c32.throughputVsBaseline >= 0.9,
        });
      const c1 = find(workload, 1, strategy);
      if (c1)
        checks.push({
          target: 'p50 ≤ 1.10× baseline at c=1',
          strategy,
          workload,
          concurrency: 1,
          value: c1.p50VsBaseline,
          pass: c1.p50VsBaseline <= 1.1,
        });
      for (const concurrency of [1, 32]) {
        // Per-round ratios against prisma-example, then the median (as for the baseline ratios).
        const own = find(workload, concurrency, strategy, vsPrismaExample);
        if (own) {
          const value = own.throughputVsBaseline;
          checks.push({
            target: 'throughput ≥ 3.5× prisma-example',
            strategy,
            workload,
            concurrency,
            value,
            pass: value >= 3.5,
          });
        }
      }
    }
  }
  for (const r of results) {
    if (SINGLE_STATEMENT.has(r.workload) && (TENANTRY.includes(r.strategy) || r.strategy === 'raw-pg')) {
      checks.push({
        target: 'one round trip per operation',
        strategy: r.strategy,
        workload: r.workload,
        concurrency: r.concurrency,
        value: r.roundTrips,
        pass: Math.abs(r.roundTrips - 1) < 0.005,
      });
    }
  }
  return checks;
}
