/**
 * The soak's criterion on synthetic series: 60 samples over 60,000 operations, the first 10 % warm-up.
 * A flat series and a noisy flat one pass; a slow leak of 8 % over the measured run lifts the last
 * third's floor by 2/3 of that (5.3 %) and fails; a heap leak under a flat RSS fails too.
 */
import { describe, expect, it } from 'vitest';
import { soakTrend, type SoakSample } from '../src/soak.js';

const TOTAL = 60_000;
const POINTS = 60;

/** Samples every 1/60 of the run; `at(f)` gives [rss, heap] at fraction f of the run. */
function series(at: (f: number) => [number, number]): SoakSample[] {
  return Array.from({ length: POINTS }, (_, i) => {
    const operations = ((i + 1) * TOTAL) / POINTS;
    const [rssMb, heapMb] = at(operations / TOTAL);
    return { operations, rssMb, heapMb };
  });
}

/** Deterministic noise in [-1, 1] (a small LCG), so that the test does not depend on Math.random. */
function noise(seed: number): () => number {
  let x = seed;
  return () => {
    x = (x * 1_103_515_245 + 12_345) % 2 ** 31;
    return (x / 2 ** 31) * 2 - 1;
  };
}

/** 8 % more from the end of the warm-up to the end of the run. */
const leak = (f: number) => 1 + 0.08 * Math.max(0, (f - 0.1) / 0.9);

/** The warm-up climbs from 60 % to the plateau, which the criterion must not see. */
const warming = (f: number, plateau: number) => (f <= 0.1 ? plateau * (0.6 + 4 * f) : plateau);

describe('soakTrend', () => {
  it('passes a flat series and leaves the warm-up out', () => {
    const trend = soakTrend(
      series((f) => [warming(f, 200), warming(f, 80)]),
      TOTAL,
    );
    expect(trend.warmupOperations).toBe(6_000);
    expect([trend.first.samples, trend.middle.samples, trend.last.samples]).toEqual([18, 18, 18]);
    expect(trend.first.minRssMb).toBe(200);
    expect(trend.rssRatio).toBe(1);
    expect(trend.heapRatio).toBe(1);
    expect(trend.flat).toBe(true);
  });

  it('fails a slow upward leak of 8 % over the measured run', () => {
    const trend = soakTrend(
      series((f) => [warming(f, 200) * leak(f), warming(f, 80) * leak(f)]),
      TOTAL,
    );
    expect(trend.rssRatio).toBeGreaterThan(1.05);
    expect(trend.rssRatio).toBeLessThan(1.06);
    expect(trend.rssFlat).toBe(false);
    expect(trend.heapFlat).toBe(false);
    expect(trend.flat).toBe(false);
  });

  it('fails a heap leak even when RSS stays flat', () => {
    const trend = soakTrend(
      series((f) => [200, 80 * leak(f)]),
      TOTAL,
    );
    expect(trend.rssFlat).toBe(true);
    expect(trend.heapFlat).toBe(false);
    expect(trend.flat).toBe(false);
  });

  it('passes a noisy but flat series (±4 % around the plateau, spikes included)', () => {
    const rss = noise(7);
    const heap = noise(11);
    const trend = soakTrend(
      series((f) => {
        // Every seventh sample lands in a burst of allocations: 20 % up, which minimums ignore.
        const spike = Math.round(f * POINTS) % 7 === 0 ? 1.2 : 1;
        return [warming(f, 200) * (1 + 0.04 * rss()) * spike, warming(f, 80) * (1 + 0.04 * heap()) * spike];
      }),
      TOTAL,
    );
    expect(Math.abs(trend.rssRatio - 1)).toBeLessThanOrEqual(0.05);
    expect(Math.abs(trend.heapRatio - 1)).toBeLessThanOrEqual(0.05);
    expect(trend.flat).toBe(true);
  });

  it('is not flat when a third has no samples', () => {
    const trend = soakTrend([{ operations: 10, rssMb: 100, heapMb: 50 }], 12);
    expect(trend.first.samples + trend.middle.samples + trend.last.samples).toBeLessThan(3);
    expect(trend.flat).toBe(false);
  });
});
