/**
 * Runs one (strategy, workload, concurrency) cell for a fixed time as a closed loop: `concurrency`
 * workers each start the next operation as soon as their previous one settles, all sharing the
 * strategy's pool of 10. Every result is checked for wrong-tenant rows, and ReadyForQuery messages
 * are counted over the timed window only (warm-up excluded).
 */
import { performance } from 'node:perf_hooks';
import type { Pick as Draw } from './dataset.js';
import type { CellNoise } from './noise.js';
import { percentile } from './stats.js';
import { roundTripsSoFar } from './round-trips.js';
import { wrongTenantRows, type Operation, type WorkloadName } from './workloads.js';

export interface Sample {
  ops: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  roundTrips: number;
  wrongTenantRows: number;
  /** Load and steal around the timed window (noise.ts). */
  noise?: CellNoise;
  /** Through the latency proxy: its measured hold per chunk and the server's time per operation. */
  proxy?: { heldOneWayMs: number; serverMsPerOp: number };
}

/** Work around the timed window (after warm-up): pinning, noise snapshots, proxy counters. */
export interface CellProbe<T = unknown> {
  before(): Promise<T>;
  after(state: T, ops: number): Promise<Pick<Sample, 'noise' | 'proxy'>>;
}

export interface CellTiming {
  warmupMs: number;
  durationMs: number;
}

async function closedLoop(
  workload: WorkloadName,
  op: Operation,
  concurrency: number,
  durationMs: number,
  pick: () => Draw,
  latencies: number[] | undefined,
): Promise<{ ops: number; wrong: number; elapsedMs: number }> {
  let ops = 0;
  let wrong = 0;
  const started = performance.now();
  const deadline = started + durationMs;
  const worker = async () => {
    while (performance.now() < deadline) {
      const p = pick();
      const t0 = performance.now();
      const rows = await op(p);
      latencies?.push(performance.now() - t0);
      wrong += wrongTenantRows(workload, rows, p.tenantId);
      ops += 1;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { ops, wrong, elapsedMs: performance.now() - started };
}

/**
 * An unmeasured closed loop (the matrix's warm-up pass, see matrix.ts). Returns the wrong-tenant rows
 * it read: none may pass unnoticed, measured or not.
 */
export async function warmUpCell(
  workload: WorkloadName,
  op: Operation,
  concurrency: number,
  durationMs: number,
  pick: () => Draw,
): Promise<number> {
  return (await closedLoop(workload, op, concurrency, durationMs, pick, undefined)).wrong;
}

export async function measureCell(
  workload: WorkloadName,
  op: Operation,
  concurrency: number,
  timing: CellTiming,
  pick: () => Draw,
  probe?: CellProbe,
): Promise<Sample> {
  // Warm-up at the same concurrency: opens the pool's connections (pg-pool closes idle ones after
  // 10 s, and other strategies run in between), warms Prisma's and V8's caches.
  if (timing.warmupMs > 0) await closedLoop(workload, op, concurrency, timing.warmupMs, pick, undefined);
  const latencies: number[] = [];
  const state = await probe?.before();
  const before = roundTripsSoFar();
  const { ops, wrong, elapsedMs } = await closedLoop(workload, op, concurrency, timing.durationMs, pick, latencies);
  const trips = roundTripsSoFar() - before;
  const probed = probe ? await probe.after(state, ops) : {};
  return {
    ...probed,
    ops,
    rps: (ops / elapsedMs) * 1000,
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
    roundTrips: ops ? trips / ops : Number.NaN,
    wrongTenantRows: wrong,
  };
}
