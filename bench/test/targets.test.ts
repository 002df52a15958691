/**
 * The targets on synthetic records: a run that meets them, one that misses some, and one that
 * skipped cells (as --quick does), whose targets must read "not measured", never met.
 */
import { describe, expect, it } from 'vitest';
import type { ResultRecord } from '../src/results.js';
import type { StrategyName } from '../src/strategies/index.js';
import type { SweepRecord } from '../src/sweep.js';
import { TARGETS, checkTargets, type TargetCheck } from '../src/targets.js';
import { SINGLE_STATEMENT, WORKLOADS, type WorkloadName } from '../src/workloads.js';

const STRATEGIES: StrategyName[] = [
  'baseline',
  'prisma-example',
  'tenantry-direct',
  'tenantry-pgbouncer-session',
  'tenantry-pgbouncer-transaction',
  'raw-pg',
];

function record(
  workload: WorkloadName,
  concurrency: number,
  strategy: StrategyName,
  rttMs: number,
  ratio: { thr: number; p50: number },
): ResultRecord {
  // The baseline coalesces concurrent findUniques: a few round trips per hundred calls.
  const coalesced = strategy === 'baseline' && workload === 'findUnique' && concurrency === 32;
  return {
    workload,
    concurrency,
    strategy,
    rps: 1000 * ratio.thr,
    p50Ms: ratio.p50,
    p99Ms: ratio.p50 * 3,
    roundTrips: coalesced ? 0.03 : SINGLE_STATEMENT.has(workload) ? 1 : 5,
    wrongTenantRows: 0,
    throughputVsBaseline: ratio.thr,
    p50VsBaseline: ratio.p50,
    rttMs,
  };
}

/** Every cell at RTT 0 and 2, tenantry at `thr`× baseline and `pe`× prisma-example. */
function run(thr: number, pe: number, rtts = [0, 2]) {
  const results: ResultRecord[] = [];
  const vsPrismaExample: ResultRecord[] = [];
  for (const rttMs of rtts)
    for (const workload of WORKLOADS)
      for (const c of [1, 32])
        for (const s of STRATEGIES) {
          const tenantry = s.startsWith('tenantry');
          results.push(record(workload, c, s, rttMs, tenantry ? { thr, p50: 1 / thr } : { thr: 1, p50: 1 }));
          vsPrismaExample.push(record(workload, c, s, rttMs, tenantry ? { thr: pe, p50: 1 / pe } : { thr: 1, p50: 1 }));
        }
  return { results, vsPrismaExample };
}

function sweep(at10: number, at10k: number): SweepRecord[] {
  return [10, 100, 1_000, 10_000].flatMap((tenants) =>
    (['findMany', 'findUnique', 'create'] as const).flatMap((workload) =>
      (['baseline', 'tenantry-direct'] as const).map((strategy) => {
        const ratio = strategy === 'baseline' ? 1 : tenants === 10 ? at10 : tenants === 10_000 ? at10k : at10;
        return {
          tenants,
          workload,
          concurrency: 32,
          strategy,
          rps: 1000 * ratio,
          p50Ms: 1 / ratio,
          wrongTenantRows: 0,
          throughputVsBaseline: ratio,
          p50VsBaseline: 1 / ratio,
        };
      }),
    ),
  );
}

const of = (checks: TargetCheck[], target: string) => checks.filter((c) => c.target === target);
const statuses = (checks: TargetCheck[]) => new Set(checks.map((c) => c.status));

describe('checkTargets', () => {
  it('meets every target when tenantry keeps up (findUnique at c=32 informational, with its round trips)', () => {
    const checks = checkTargets({
      ...run(0.97, 4),
      sweep: sweep(0.9, 0.88),
      soak: { wrongTenantRows: 0 },
      rtts: [0, 2],
    });
    const judged = checks.filter((c) => c.status !== 'info');
    expect(statuses(judged)).toEqual(new Set(['pass']));
    // 4 workloads × 2 c × 3 strategies at RTT 0, and 3 single statements at RTT 2 less findUnique c=32.
    expect(of(checks, TARGETS.loopbackThroughput)).toHaveLength(24);
    expect(of(checks, TARGETS.loopbackP50)).toHaveLength(12);
    expect(of(checks, TARGETS.latencyThroughput)).toHaveLength(15);
    expect(of(checks, TARGETS.latencyVsPrismaExample)).toHaveLength(18);
    expect(of(checks, TARGETS.transactionVsPrismaExample)).toHaveLength(12);
    const info = of(checks, TARGETS.findUniqueBestSafe);
    expect(info).toHaveLength(6);
    expect(statuses(info)).toEqual(new Set(['info']));
    expect(info[0]!.note).toBe('1.00 round trips/op, baseline 0.03');
    expect(of(checks, TARGETS.sweepFlat).map((c) => c.note)).toContain(
      'tenantry-direct thr ×base at 10000 tenants (0.88) ÷ at 10 (0.90), c=32',
    );
    expect(of(checks, TARGETS.noWrongRows).map((c) => c.note?.split(':')[0])).toEqual(['matrix', 'sweep', 'soak']);
  });

  it('fails what falls short, on the right cells', () => {
    const { results, vsPrismaExample } = run(0.97, 4);
    const cell = (from: ResultRecord[], w: WorkloadName, c: number, s: StrategyName, rtt: number) =>
      from.find((r) => r.workload === w && r.concurrency === c && r.strategy === s && r.rttMs === rtt)!;
    cell(results, 'findMany', 32, 'tenantry-pgbouncer-session', 0).throughputVsBaseline = 0.62;
    cell(results, 'create', 1, 'tenantry-direct', 0).p50VsBaseline = 1.12;
    cell(vsPrismaExample, 'create', 1, 'tenantry-direct', 2).throughputVsBaseline = 2.8;
    cell(vsPrismaExample, 'transaction', 32, 'tenantry-pgbouncer-transaction', 0).throughputVsBaseline = 0.97;
    cell(results, 'findUnique', 1, 'raw-pg', 2).roundTrips = 2;
    cell(results, 'findMany', 1, 'baseline', 0).wrongTenantRows = 1;
    const checks = checkTargets({ results, vsPrismaExample, sweep: sweep(0.9, 0.7), rtts: [0, 2] });
    const failed = checks
      .filter((c) => c.status === 'fail')
      .map((c) => [c.target, c.strategy, c.workload, c.concurrency, c.rttMs, c.value]);
    expect(failed).toEqual([
      [TARGETS.loopbackThroughput, 'tenantry-pgbouncer-session', 'findMany', 32, 0, 0.62],
      [TARGETS.loopbackP50, 'tenantry-direct', 'create', 1, 0, 1.12],
      [TARGETS.latencyVsPrismaExample, 'tenantry-direct', 'create', 1, 2, 2.8],
      [TARGETS.transactionVsPrismaExample, 'tenantry-pgbouncer-transaction', 'transaction', 32, 0, 0.97],
      [TARGETS.oneRoundTrip, 'raw-pg', 'findUnique', 1, 2, 2],
      [TARGETS.sweepFlat, undefined, 'findMany', undefined, undefined, 0.7 / 0.9],
      [TARGETS.sweepFlat, undefined, 'findUnique', undefined, undefined, 0.7 / 0.9],
      [TARGETS.sweepFlat, undefined, 'create', undefined, undefined, 0.7 / 0.9],
      [TARGETS.noWrongRows, undefined, undefined, undefined, undefined, 1],
    ]);
  });

  it('lists skipped cells as not measured, never as met', () => {
    // A --quick-like run: RTT 2 has findMany at c=1 only, and tenantry-direct only; the sweep stops at 100.
    const full = run(0.97, 4, [0]);
    const rtt2 = run(0.97, 4, [2]);
    const keep = (r: ResultRecord) =>
      r.workload === 'findMany' &&
      r.concurrency === 1 &&
      ['baseline', 'prisma-example', 'tenantry-direct'].includes(r.strategy);
    const results = [...full.results, ...rtt2.results.filter(keep)];
    const vsPrismaExample = [...full.vsPrismaExample, ...rtt2.vsPrismaExample.filter(keep)];
    const shortSweep = sweep(0.9, 0.9).filter((r) => r.tenants <= 100);
    const checks = checkTargets({ results, vsPrismaExample, sweep: shortSweep, rtts: [0, 2] });

    const atRtt2 = checks.filter((c) => c.rttMs === 2);
    const measured = atRtt2.filter((c) => c.status !== 'not measured');
    expect(measured.map((c) => [c.target, c.strategy, c.workload, c.concurrency])).toEqual([
      [TARGETS.latencyThroughput, 'tenantry-direct', 'findMany', 1],
      [TARGETS.latencyVsPrismaExample, 'tenantry-direct', 'findMany', 1],
      [TARGETS.oneRoundTrip, 'tenantry-direct', 'findMany', 1],
    ]);
    for (const c of atRtt2.filter((x) => x.status === 'not measured')) expect(c.value).toBeNaN();
    expect(
      of(checks, TARGETS.findUniqueBestSafe)
        .filter((c) => c.rttMs === 2)
        .map((c) => c.status),
    ).toEqual(['not measured', 'not measured', 'not measured']);
    // 10 → 100 tenants is not the 10 → 10,000: shown, not judged.
    const flat = of(checks, TARGETS.sweepFlat);
    expect(statuses(flat)).toEqual(new Set(['not measured']));
    expect(flat[0]!.value).toBe(1);
    expect(flat[0]!.note).toContain('did not span 10 to 10,000 tenants');

    // No sweep and no soak: the sweep's wrong-row count is not measured, the soak's is not listed.
    const bare = checkTargets({ results, vsPrismaExample, rtts: [0, 2] });
    expect(of(bare, TARGETS.noWrongRows).map((c) => [c.note?.split(':')[0], c.status])).toEqual([
      ['matrix', 'pass'],
      ['sweep', 'not measured'],
    ]);
  });
});
