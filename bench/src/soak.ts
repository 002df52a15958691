/**
 * `--soak`: N operations (default 1,000,000) of tenantry-direct at c=32, cycling findMany,
 * findUnique and create, with the process's RSS sampled every N/20 operations. The first 10% are
 * warm-up (JIT, Prisma's caches, the pool); the rest must stay within ±10% of the RSS at the end of
 * warm-up. Isolation is checked on every result, as in the main run.
 */
import { performance } from 'node:perf_hooks';
import { picker } from './dataset.js';
import type { Strategy } from './strategies/index.js';
import { round } from './stats.js';
import { wrongTenantRows, type WorkloadName } from './workloads.js';

export interface SoakReport {
  strategy: string;
  concurrency: number;
  operations: number;
  seconds: number;
  rps: number;
  wrongTenantRows: number;
  /** RSS in MB after each 5% of the operations. */
  rssMb: Array<{ operations: number; rssMb: number }>;
  referenceRssMb: number;
  maxDeviation: number;
  withinTenPercent: boolean;
}

const MIX: readonly WorkloadName[] = ['findMany', 'findUnique', 'create'];

export async function runSoak(
  strategy: Strategy,
  operations: number,
  concurrency: number,
  tenants: number,
  log: (m: string) => void,
): Promise<SoakReport> {
  const pick = picker(tenants);
  const every = Math.max(1, Math.floor(operations / 20));
  const samples: Array<{ operations: number; rssMb: number }> = [];
  let started = 0;
  let done = 0;
  let wrong = 0;
  const t0 = performance.now();
  const worker = async () => {
    while (started < operations) {
      const workload = MIX[started % MIX.length]!;
      started += 1;
      const p = pick();
      wrong += wrongTenantRows(workload, await strategy.ops[workload](p), p.tenantId);
      done += 1;
      if (done % every === 0) {
        const rssMb = round(process.memoryUsage().rss / 2 ** 20, 1);
        samples.push({ operations: done, rssMb });
        log(`soak: ${done} operations, RSS ${rssMb} MB, ${Math.round(done / ((performance.now() - t0) / 1000))} op/s`);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - t0) / 1000;
  const afterWarmup = samples.filter((s) => s.operations > operations * 0.1);
  const reference = afterWarmup[0]?.rssMb ?? Number.NaN;
  const maxDeviation = Math.max(...afterWarmup.map((s) => Math.abs(s.rssMb - reference) / reference));
  return {
    strategy: strategy.name,
    concurrency,
    operations: done,
    seconds: round(seconds, 1),
    rps: round(done / seconds, 1),
    wrongTenantRows: wrong,
    rssMb: samples,
    referenceRssMb: reference,
    maxDeviation: round(maxDeviation),
    withinTenPercent: maxDeviation <= 0.1,
  };
}
