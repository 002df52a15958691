/**
 * `--soak`: N operations (default 1,000,000) of tenantry-direct at c=32, cycling findMany,
 * findUnique and create. Isolation is checked on every result, as in the main run.
 *
 * "Flat memory" means no upward trend: every 1/60 of the operations the process's RSS and its heap
 * after a forced GC are sampled; the first 10 % of the operations are warm-up (JIT, Prisma's
 * caches, the pool) and excluded; the rest is split into thirds, and the minimum of the last third
 * must be within 5 % of the minimum of the first third, for RSS and for the heap alike. Minimums,
 * because a sample taken in the middle of a burst of allocations (or before the allocator returned
 * pages) says nothing about what is retained, while a leak lifts the floor.
 */
import { performance } from 'node:perf_hooks';
import v8 from 'node:v8';
import vm from 'node:vm';
import { picker } from './dataset.js';
import type { Strategy } from './strategies/index.js';
import { round } from './stats.js';
import { wrongTenantRows, type WorkloadName } from './workloads.js';

/** One sample point: after `operations` operations, RSS and heap used right after a forced GC. */
export interface SoakSample {
  operations: number;
  rssMb: number;
  heapMb: number;
}

/** The minimums of one third of the measured (post-warm-up) operations. */
export interface SoakThird {
  /** Operations (from, to] this third covers. */
  fromOperations: number;
  toOperations: number;
  samples: number;
  minRssMb: number;
  minHeapMb: number;
}

export interface SoakTrend {
  /** Operations excluded as warm-up (the first 10 %). */
  warmupOperations: number;
  first: SoakThird;
  middle: SoakThird;
  last: SoakThird;
  /** Last third's minimum ÷ first third's minimum. */
  rssRatio: number;
  heapRatio: number;
  tolerance: number;
  rssFlat: boolean;
  heapFlat: boolean;
  /** Both within the tolerance, and every third had samples. */
  flat: boolean;
}

export interface SoakReport {
  strategy: string;
  concurrency: number;
  operations: number;
  seconds: number;
  rps: number;
  wrongTenantRows: number;
  /** How the forced GC was obtained (the `--expose-gc` flag, or enabled at run time). */
  gc: GcSource;
  /** Every 1/60 of the operations. */
  samples: SoakSample[];
  trend: SoakTrend;
}

const MIX: readonly WorkloadName[] = ['findMany', 'findUnique', 'create'];
export const SOAK_SAMPLES = 60;
export const SOAK_WARMUP = 0.1;
export const SOAK_TOLERANCE = 0.05;

/**
 * The criterion, on samples in operation order. A third's minimum is NaN when no sample fell
 * in it (too few operations for 60 samples); the trend is then not flat, since nothing was shown.
 * The tolerance is two-sided, as the issue words it: a last third far below the first means the
 * first was still warming up, which does not show a flat run either.
 */
export function soakTrend(
  samples: readonly SoakSample[],
  totalOperations: number,
  options: { warmup?: number; tolerance?: number } = {},
): SoakTrend {
  const warmup = options.warmup ?? SOAK_WARMUP;
  const tolerance = options.tolerance ?? SOAK_TOLERANCE;
  const warmupOperations = Math.round(totalOperations * warmup);
  const span = (totalOperations - warmupOperations) / 3;
  const third = (i: number): SoakThird => {
    const from = warmupOperations + span * i;
    const to = i === 2 ? totalOperations : warmupOperations + span * (i + 1);
    const inside = samples.filter((s) => s.operations > from && s.operations <= to);
    const min = (values: number[]) => (values.length ? Math.min(...values) : Number.NaN);
    return {
      fromOperations: Math.round(from),
      toOperations: Math.round(to),
      samples: inside.length,
      minRssMb: min(inside.map((s) => s.rssMb)),
      minHeapMb: min(inside.map((s) => s.heapMb)),
    };
  };
  const [first, middle, last] = [third(0), third(1), third(2)];
  const rssRatio = last.minRssMb / first.minRssMb;
  const heapRatio = last.minHeapMb / first.minHeapMb;
  // NaN compares false: a third without samples is never flat.
  const within = (ratio: number) => Math.abs(ratio - 1) <= tolerance;
  return {
    warmupOperations,
    first,
    middle,
    last,
    rssRatio: round(rssRatio, 4),
    heapRatio: round(heapRatio, 4),
    tolerance,
    rssFlat: within(rssRatio),
    heapFlat: within(heapRatio),
    flat: within(rssRatio) && within(heapRatio),
  };
}

export type GcSource = '--expose-gc' | 'v8.setFlagsFromString';

/**
 * A function that forces a full GC. `pnpm --filter @tenantry/bench soak` starts Node with
 * `--expose-gc`; `pnpm bench --soak` does not (its script is shared with the full run), so the flag
 * is turned on at run time and `gc` is taken from a fresh context, which V8 gives the flag's global.
 */
export function forcedGc(): { gc: () => void; source: GcSource } {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (typeof exposed === 'function') return { gc: exposed, source: '--expose-gc' };
  let reason = 'a fresh context had no gc() after v8.setFlagsFromString("--expose-gc")';
  try {
    v8.setFlagsFromString('--expose-gc');
    const gc: unknown = vm.runInNewContext('typeof gc === "function" ? gc : undefined');
    if (typeof gc === 'function') {
      (gc as () => void)();
      return { gc: gc as () => void, source: 'v8.setFlagsFromString' };
    }
  } catch (error) {
    reason = `enabling it at run time threw: ${(error as Error).message}`;
  }
  throw new Error(
    `Cannot run the soak because it needs a forced GC to read the retained heap and ${reason}. ` +
      'Run it with the flag: pnpm --filter @tenantry/bench soak (node --expose-gc).',
  );
}

export async function runSoak(
  strategy: Strategy,
  operations: number,
  concurrency: number,
  tenants: number,
  log: (m: string) => void,
): Promise<SoakReport> {
  const { gc, source } = forcedGc();
  const pick = picker(tenants);
  const every = Math.max(1, Math.floor(operations / SOAK_SAMPLES));
  const samples: SoakSample[] = [];
  let started = 0;
  let done = 0;
  let wrong = 0;
  let gcMs = 0;
  const t0 = performance.now();
  const worker = async () => {
    while (started < operations) {
      const workload = MIX[started % MIX.length]!;
      started += 1;
      const p = pick();
      wrong += wrongTenantRows(workload, await strategy.ops[workload](p), p.tenantId);
      done += 1;
      if (done % every === 0) {
        // Synchronous: the other workers' operations wait in the event loop, none runs during the GC.
        const g0 = performance.now();
        gc();
        gcMs += performance.now() - g0;
        const memory = process.memoryUsage();
        const sample = {
          operations: done,
          rssMb: round(memory.rss / 2 ** 20, 1),
          heapMb: round(memory.heapUsed / 2 ** 20, 1),
        };
        samples.push(sample);
        if (samples.length % 6 === 0)
          log(
            `soak: ${done} operations, RSS ${sample.rssMb} MB, heap after GC ${sample.heapMb} MB, ${Math.round(done / ((performance.now() - t0) / 1000))} op/s`,
          );
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  // The forced GCs are the probe, not the workload: op/s leaves them out.
  const seconds = (performance.now() - t0 - gcMs) / 1000;
  return {
    strategy: strategy.name,
    concurrency,
    operations: done,
    seconds: round(seconds, 1),
    rps: round(done / seconds, 1),
    wrongTenantRows: wrong,
    gc: source,
    samples,
    trend: soakTrend(samples, done),
  };
}
