/**
 * The scaling sweep: the same database grown from 10 to 10,000 tenants (500,000 tasks), measuring
 * tenantry-direct against the baseline at each size. Overhead should stay flat: the policies'
 * InitPlan lets the tenant_id-leading indexes serve any number of tenants.
 */
import type { BenchDatabase } from './provisioning.js';
import { aggregate } from './results.js';
import { runMatrix } from './matrix.js';
import { createStrategies, type StrategyName } from './strategies/index.js';
import type { WorkloadName } from './workloads.js';

export interface SweepRecord {
  tenants: number;
  workload: WorkloadName;
  concurrency: number;
  strategy: StrategyName;
  rps: number;
  p50Ms: number;
  wrongTenantRows: number;
  throughputVsBaseline: number;
  p50VsBaseline: number;
}

export const SWEEP_WORKLOADS: readonly WorkloadName[] = ['findMany', 'findUnique', 'create'];
export const SWEEP_CONCURRENCY = 32;
const SWEEP_STRATEGIES: readonly StrategyName[] = ['baseline', 'tenantry-direct'];

export async function runSweep(
  db: BenchDatabase,
  sizes: number[],
  options: { rounds: number; warmupMs: number; durationMs: number; poolSize: number; log: (m: string) => void },
): Promise<SweepRecord[]> {
  const out: SweepRecord[] = [];
  for (const tenants of sizes) {
    const started = Date.now();
    await db.seedTo(tenants);
    options.log(`sweep: ${tenants} tenants seeded in ${Date.now() - started} ms`);
    const strategies = createStrategies(db, SWEEP_STRATEGIES, { poolSize: options.poolSize });
    try {
      const samples = await runMatrix({
        strategies,
        workloads: SWEEP_WORKLOADS,
        concurrencies: [SWEEP_CONCURRENCY],
        rounds: options.rounds,
        tenants,
        timing: { warmupMs: options.warmupMs, durationMs: options.durationMs },
        log: (m) => options.log(`sweep ${tenants}: ${m}`),
      });
      for (const r of aggregate(samples, SWEEP_WORKLOADS, [SWEEP_CONCURRENCY], SWEEP_STRATEGIES)) {
        out.push({
          tenants,
          workload: r.workload,
          concurrency: r.concurrency,
          strategy: r.strategy,
          rps: r.rps,
          p50Ms: r.p50Ms,
          wrongTenantRows: r.wrongTenantRows,
          throughputVsBaseline: r.throughputVsBaseline,
          p50VsBaseline: r.p50VsBaseline,
        });
      }
    } finally {
      for (const s of strategies) await s.close();
    }
  }
  return out;
}
