/**
 * The main matrix: every workload at every concurrency under every strategy, interleaved
 * (A B C … B C A … C A B …) for `rounds` rounds in one process, so that drift on the machine (other
 * processes, thermal, autovacuum) lands on every strategy alike.
 *
 * The order rotates from round to round (roundOrder): in a fixed order the first strategy of every
 * cell group is always the one that runs right after the previous workload or concurrency (cold JIT
 * for the new query shape, the autovacuum and checkpoints the previous cell's writes set off), and
 * the first was the baseline, against which every ratio of its round is taken. The 2026-12-04 19:53
 * run shows it: findMany c=1 round 1, the very first cell, baseline 920/s against 1,805/s for the same
 * baseline through PgBouncer in the same round, and strategies on the baseline's queries at 1.17–1.25×
 * the baseline in the medians. Before round 1 an unmeasured pass runs every cell once for the
 * warm-up time (warmUpPass), so that the first round is not the one that pays for the process's
 * cold start (V8 compiling Prisma's runtime, pools opening their connections); the 300 ms warm-up
 * of each cell alone left the first cell at a fifth of its later rounds (baseline 499 → 2,533/s in a
 * two-round --quick run).
 */
import { picker } from './dataset.js';
import { keyOf, type Samples } from './results.js';
import { measureCell, warmUpCell, type CellProbe, type CellTiming } from './runner.js';
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
  if (plan.timing.warmupMs > 0) await warmUpPass(plan, pick);
  for (let round = 1; round <= plan.rounds; round++) {
    for (const workload of plan.workloads) {
      for (const concurrency of plan.concurrencies) {
        const line: string[] = [];
        for (const strategy of roundOrder(plan.strategies, round, plan.rounds)) {
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

/** Every cell of the plan once, unmeasured, for the warm-up time; fails on a wrong-tenant row. */
async function warmUpPass(plan: MatrixPlan, pick: ReturnType<typeof picker>): Promise<void> {
  for (const workload of plan.workloads) {
    for (const concurrency of plan.concurrencies) {
      for (const strategy of plan.strategies) {
        if (plan.include && !plan.include(strategy.name, workload, concurrency)) continue;
        const wrong = await warmUpCell(workload, strategy.ops[workload], concurrency, plan.timing.warmupMs, pick);
        if (wrong > 0) {
          throw new Error(
            `${strategy.name} ${workload} c=${concurrency} (warm-up pass): ${wrong} WRONG-TENANT ROWS. The run stops: no figure counts when isolation failed.`,
          );
        }
      }
    }
  }
  const label = plan.label ? `${plan.label} ` : '';
  plan.log(`${label}warm-up pass done (every cell once, ${plan.timing.warmupMs} ms, unmeasured)`);
}

/**
 * The strategies in round `round`'s order (1-based): rotated by (round − 1) × ⌈n / rounds⌉, so that
 * over the rounds each strategy starts from a different place and the first slot goes to a
 * different strategy each round (with n ≥ rounds; with fewer strategies than rounds, by one).
 */
export function roundOrder<T>(strategies: readonly T[], round: number, rounds: number): T[] {
  const n = strategies.length;
  if (n === 0) return [];
  const step = Math.max(1, Math.ceil(n / Math.max(1, rounds)));
  const offset = ((round - 1) * step) % n;
  return [...strategies.slice(offset), ...strategies.slice(0, offset)];
}
