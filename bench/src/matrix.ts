/**
 * The main matrix: every workload at every concurrency under every strategy, interleaved
 * (A B C … A B C …) for `rounds` rounds in one process, so that drift on the machine (other
 * processes, thermal, autovacuum) lands on every strategy alike.
 */
import { picker } from './dataset.js';
import { keyOf, type Samples } from './results.js';
import { measureCell, type CellProbe, type CellTiming } from './runner.js';
import type { Strategy, StrategyName } from './strategies/index.js';
import type { WorkloadName } from './workloads.js';

export interface MatrixPlan {
  strategies: Strategy[];
  workloads: readonly WorkloadName[];
  concurrencies: readonly number[];
  rounds: number;
  tenants: number;
  timing: CellTiming;
  log: (m: string) => void;
  /** Which cells to run (default all): e.g. the layer strategies on findMany only in --quick. */
  include?: (strategy: StrategyName, workload: WorkloadName, concurrency: number) => boolean;
  probe?: CellProbe;
  /** Prefix for log lines, e.g. `RTT 2 ms`. */
  label?: string;
}

export async function runMatrix(plan: MatrixPlan): Promise<Samples> {
  const samples: Samples = new Map();
  const pick = picker(plan.tenants);
  for (let round = 1; round <= plan.rounds; round++) {
    for (const workload of plan.workloads) {
      for (const concurrency of plan.concurrencies) {
        const line: string[] = [];
        for (const strategy of plan.strategies) {
          if (plan.include && !plan.include(strategy.name, workload, concurrency)) continue;
          const op = strategy.ops[workload];
          const sample = await measureCell(workload, op, concurrency, plan.timing, pick, plan.probe).catch(
            (error: unknown) => {
              // Which cell failed is the first thing to know when a strategy breaks (an empty read).
              throw new Error(
                `${strategy.name} ${workload} c=${concurrency} round ${round}: ${(error as Error).message}`,
                {
                  cause: error,
                },
              );
            },
          );
          const key = keyOf(workload, concurrency, strategy.name);
          samples.set(key, [...(samples.get(key) ?? []), sample]);
          line.push(`${strategy.name} ${Math.round(sample.rps)}/s`);
          if (sample.wrongTenantRows > 0) line.push(`(${sample.wrongTenantRows} WRONG-TENANT ROWS)`);
        }
        if (line.length === 0) continue;
        const label = plan.label ? `${plan.label} ` : '';
        plan.log(`${label}round ${round}/${plan.rounds} ${workload} c=${concurrency}: ${line.join(', ')}`);
      }
    }
  }
  return samples;
}
