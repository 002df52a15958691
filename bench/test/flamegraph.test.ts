/**
 * The profile's aggregation and the flame graph on a tiny synthetic cpuprofile whose times are
 * known: 10 samples of 1 ms (plus idle), a recursive engine function, a native frame under pg, GC.
 */
import { describe, expect, it } from 'vitest';
import { summarizeProfile, type CpuProfile } from '../src/profile/cpuprofile.js';
import { topReport } from '../src/profile/top.js';
import { fitLabel, renderFlameGraph } from '../src/report/flamegraph.js';

const ROOT = '/repo';
const frame = (functionName: string, url = '', lineNumber = 0) => ({ functionName, url, lineNumber, columnNumber: 0 });
const PG = 'file:///repo/node_modules/.pnpm/pg@8.16.0/node_modules/pg/lib/client.js';
const ENGINE = 'file:///repo/packages/prisma/src/extension/scope.ts';
const PRISMA = 'file:///repo/node_modules/.pnpm/@prisma+client@7.0.0/node_modules/@prisma/client/runtime/client.js';

/**
 * (root) ─ main (bench) ─┬─ query (pg) ─ JSON.parse (native)
 *                        ├─ scope (engine) ─ scope (engine, recursion) ─ request (prisma)
 *                        └─ scope (engine; a second V8 node for the same frame: merged with the one above)
 *        ├─ (garbage collector)
 *        └─ (idle)
 */
const profile: CpuProfile = {
  nodes: [
    { id: 1, callFrame: frame('(root)'), children: [2, 8, 9] },
    { id: 2, callFrame: frame('main', 'file:///repo/bench/src/runner.js', 9), children: [3, 5, 7, 11] },
    { id: 3, callFrame: frame('query', PG, 99), children: [4] },
    { id: 4, callFrame: frame('JSON.parse') },
    { id: 5, callFrame: frame('scope', ENGINE, 41), children: [6] },
    { id: 6, callFrame: frame('scope', ENGINE, 41), children: [10] },
    { id: 7, callFrame: frame('scope', ENGINE, 41) },
    // tsx compiles a module onto one line: V8 reports line 0, and the column tells functions apart.
    { id: 11, callFrame: { ...frame('', ENGINE, 0), columnNumber: 3527 } },
    { id: 8, callFrame: frame('(garbage collector)') },
    { id: 9, callFrame: frame('(idle)') },
    { id: 10, callFrame: frame('request', PRISMA, 0) },
  ],
  startTime: 0,
  endTime: 14_000,
  // Each sample lasts until the next one: 1 ms apart, the last until endTime.
  samples: [2, 3, 4, 4, 5, 6, 10, 10, 7, 8, 9, 9, 9, 9],
  timeDeltas: [0, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000],
};

describe('summarizeProfile', () => {
  const s = summarizeProfile(profile, ROOT);
  const fn = (label: string) => s.functions.find((f) => f.label === label)!;

  it('weighs samples by time, keeps idle out of CPU, and merges frames by call path', () => {
    expect(s.samples).toBe(14);
    expect(s.wallUs).toBe(14_000);
    expect(s.idleUs).toBe(4_000);
    expect(s.cpuUs).toBe(10_000);
    const main = s.root.children.find((c) => c.label.startsWith('main'))!;
    expect(main.label).toBe('main (bench/src/runner.js:10)');
    expect(main.totalUs).toBe(9_000);
    // Two scope frames under main (ids 5 and 7) are one call path: one frame of 1 + 1 ms self.
    const scopes = main.children.filter((c) => c.label.startsWith('scope'));
    expect(scopes).toHaveLength(1);
    expect(scopes[0]!.selfUs).toBe(2_000);
    expect(scopes[0]!.totalUs).toBe(5_000);
    expect(s.root.children.map((c) => c.label)).not.toContain('(idle)');
  });

  it('counts self and total per function, recursion once', () => {
    expect(fn('scope (packages/prisma/src/extension/scope.ts:42)')).toMatchObject({ selfUs: 3_000, totalUs: 5_000 });
    expect(fn('request (@prisma/client:1)')).toMatchObject({
      selfUs: 2_000,
      totalUs: 2_000,
      group: 'prisma client runtime',
    });
    expect(fn('query (pg:100)')).toMatchObject({ selfUs: 1_000, totalUs: 3_000, group: 'pg/pg-protocol' });
    expect(fn('JSON.parse (native)')).toMatchObject({ selfUs: 2_000, group: 'native' });
    expect(fn('(anonymous) (packages/prisma/src/extension/scope.ts col 3527)')).toMatchObject({
      selfUs: 0,
      totalUs: 0,
    });
  });

  it('gives each group its self time, natives to their caller', () => {
    const share = Object.fromEntries(s.groups.map((g) => [g.group, g.selfUs]));
    expect(share).toMatchObject({
      'pg/pg-protocol': 3_000,
      'tenantry engine (packages/prisma/src)': 3_000,
      'prisma client runtime': 2_000,
      'bench harness': 1_000,
      'node internals/GC': 1_000,
      '@prisma/adapter-pg': 0,
    });
    expect(s.groups.reduce((n, g) => n + g.selfUs, 0)).toBe(s.cpuUs);
  });

  it('lists the top functions by self and by total time', () => {
    const text = topReport(s, 'synthetic', 3);
    const bySelf = text.split('Top 3 by self time:')[1]!.split('\n').slice(2, 5);
    expect(bySelf[0]).toContain('scope (packages/prisma/src/extension/scope.ts:42)');
    expect(bySelf[0]).toContain('30.0 %');
    const byTotal = text.split('Top 3 by total time')[1]!.split('\n').slice(2, 5);
    expect(byTotal[0]).toContain('main (bench/src/runner.js:10)');
    expect(byTotal[0]).toContain('90.0 %');
  });
});

describe('renderFlameGraph', () => {
  const s = summarizeProfile(profile, ROOT);
  const svg = renderFlameGraph(s.root, {
    title: 'tenantry-direct · findMany · c=32 · 14 samples',
    subtitle: 'a <test>',
  });

  it('draws one rect per merged frame, as wide as its share of the root', () => {
    const rects = [...svg.matchAll(/<g><title>([^<]*)<\/title><rect x="([\d.]+)" y="(\d+)" width="([\d.]+)"/g)];
    // all, main, query, JSON.parse, scope, scope, request, (garbage collector)
    expect(rects).toHaveLength(8);
    const width = (label: string) => Number(rects.find((r) => r[1]!.startsWith(label))![4]);
    const all = width('all');
    expect(width('main') / all).toBeCloseTo(0.9, 2);
    expect(width('(garbage collector)') / all).toBeCloseTo(0.1, 1);
    expect(width('query') / all).toBeCloseTo(0.3, 2);
    // The root sits at the bottom: the deepest frame (request) is highest up.
    const y = (label: string) => Number(rects.find((r) => r[1]!.startsWith(label))![3]);
    expect(y('request')).toBeLessThan(y('main'));
    expect(y('main')).toBeLessThan(y('all'));
  });

  it('has the title, escapes text, and truncates labels to fit', () => {
    expect(svg).toContain('tenantry-direct · findMany · c=32 · 14 samples');
    expect(svg).toContain('a &lt;test&gt;');
    expect(svg).not.toContain('<test>');
    expect(fitLabel('scope (packages/prisma/src/extension/scope.ts:42)', 80)).toBe('scope (pac…');
    expect(fitLabel('anything', 20)).toBe('');
    expect(fitLabel('short', 200)).toBe('short');
  });
});
