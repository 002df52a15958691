/**
 * The strategies' order rotates from round to round (matrix.ts, roundOrder): no strategy, the
 * baseline least of all, may always run first in its cell group, where the previous cell's after-
 * effects land.
 */
import { describe, expect, it } from 'vitest';
import { roundOrder, runMatrix } from '../src/matrix.js';
import { WORKLOADS } from '../src/workloads.js';

const eleven = Array.from({ length: 11 }, (_, i) => `s${i}`);

describe('roundOrder', () => {
  it('keeps every strategy exactly once in every round', () => {
    for (let round = 1; round <= 5; round++)
      expect([...roundOrder(eleven, round, 3)].sort()).toEqual([...eleven].sort());
  });

  it('gives the first slot to a different strategy in each of 3 rounds, and round 1 the declared order', () => {
    const firsts = [1, 2, 3].map((round) => roundOrder(eleven, round, 3)[0]);
    expect(new Set(firsts).size).toBe(3);
    expect(roundOrder(eleven, 1, 3)).toEqual(eleven);
  });

  it('places the baseline (declared first) at a different position in every round', () => {
    const positions = [1, 2, 3].map((round) => roundOrder(eleven, round, 3).indexOf('s0'));
    expect(new Set(positions).size).toBe(3);
  });

  it('works with fewer strategies than rounds and with none', () => {
    expect([1, 2, 3].map((round) => roundOrder(['a', 'b'], round, 3)[0])).toEqual(['a', 'b', 'a']);
    expect(roundOrder([], 2, 3)).toEqual([]);
  });
});

describe('runMatrix warm-up pass', () => {
  const strategy = (name: string, rows: (tenantId: string) => Array<{ tenant_id: string }>) => ({
    name: name as never,
    ops: Object.fromEntries(WORKLOADS.map((w) => [w, async (p: { tenantId: string }) => rows(p.tenantId)])) as never,
    close: async () => {},
  });
  const plan = (strategies: ReturnType<typeof strategy>[]) => ({
    strategies,
    workloads: ['findMany'] as const,
    concurrencies: [1],
    rounds: 2,
    tenants: 3,
    timing: { warmupMs: 5, durationMs: 5 },
    log: () => {},
  });

  it('fails the run on a wrong-tenant row read while warming up, before anything is measured', async () => {
    let calls = 0;
    const leaky = strategy('leaky', (tenantId) =>
      calls++ === 0 ? [{ tenant_id: 'another tenant' }] : [{ tenant_id: tenantId }],
    );
    await expect(runMatrix(plan([leaky]))).rejects.toThrow(/leaky findMany c=1 \(warm-up pass\): 1 WRONG-TENANT ROWS/);
  });

  it('measures every strategy in every round after a clean warm-up', async () => {
    const samples = await runMatrix(
      plan([strategy('a', (t) => [{ tenant_id: t }]), strategy('b', (t) => [{ tenant_id: t }])]),
    );
    expect([...samples.values()].map((s) => s.length)).toEqual([2, 2]);
  });
});
