/**
 * The same-route comparison on synthetic samples: each pooled tenantry route is divided by the
 * baseline through the same PgBouncer, per round, then the median; a route whose reference did not
 * run has no record; the table shows the route baseline's own cost next to tenantry's.
 */
import { describe, expect, it } from 'vitest';
import { aggregate, keyOf, routeRecords, type Samples } from '../src/results.js';
import { routeTable } from '../src/report/tables.js';
import type { Sample } from '../src/runner.js';
import type { StrategyName } from '../src/strategies/index.js';

const sample = (rps: number, p50Ms = 1): Sample => ({
  ops: rps,
  rps,
  p50Ms,
  p99Ms: p50Ms * 2,
  roundTrips: 1,
  wrongTenantRows: 0,
});

function samplesOf(perStrategy: Partial<Record<StrategyName, number[]>>): Samples {
  const samples: Samples = new Map();
  for (const [strategy, rounds] of Object.entries(perStrategy) as Array<[StrategyName, number[]]>)
    samples.set(
      keyOf('findMany', 1, strategy),
      rounds.map((rps) => sample(rps, 1000 / rps)),
    );
  return samples;
}

describe('the same-route baselines', () => {
  it('divide each pooled route by unscoped Prisma through the same PgBouncer, per round', () => {
    const samples = samplesOf({
      baseline: [1000, 1000, 1000],
      'baseline-pgbouncer-session': [800, 600, 700],
      'tenantry-pgbouncer-session': [720, 480, 700],
      'baseline-pgbouncer-transaction': [500, 500, 500],
      'tenantry-pgbouncer-transaction': [400, 450, 300],
    });
    const names = Object.keys(Object.fromEntries(samples)).map((k) => k.split('|')[2] as StrategyName);
    const vsRoute = routeRecords(samples, ['findMany'], [1], names);
    const session = vsRoute.find((r) => r.strategy === 'tenantry-pgbouncer-session');
    const transaction = vsRoute.find((r) => r.strategy === 'tenantry-pgbouncer-transaction');
    // Per round 0.9, 0.8, 1.0 → median 0.9 (a ratio of medians would say 700/700 = 1.0).
    expect(session?.throughputVsBaseline).toBe(0.9);
    // 0.8, 0.9, 0.6 → 0.8.
    expect(transaction?.throughputVsBaseline).toBe(0.8);
    expect(vsRoute).toHaveLength(2);

    const results = aggregate(samples, ['findMany'], [1], names);
    const table = routeTable(results, vsRoute);
    const sessionRow = table.split('\n').find((l) => l.includes('| pgbouncer-session'));
    // unscoped through PgBouncer ×base 0.70, tenantry ×base 0.70, tenantry ×route base 0.90.
    expect(sessionRow?.split('|').map((c) => c.trim())).toEqual([
      '',
      'findMany',
      '1',
      '0',
      'pgbouncer-session',
      '700',
      '0.70',
      '700',
      '0.70',
      '0.90',
      expect.any(String),
      '0',
      '',
    ]);
  });

  it('leave out a route whose baseline was not run', () => {
    const samples = samplesOf({ baseline: [1000], 'tenantry-pgbouncer-session': [700] });
    expect(routeRecords(samples, ['findMany'], [1], ['baseline', 'tenantry-pgbouncer-session'])).toEqual([]);
  });
});
