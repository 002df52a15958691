/**
 * Renders results as Markdown tables with padded columns, readable both in a terminal (what
 * `pnpm bench` prints) and rendered (`bench/results/latest.md`).
 */
import type { AuditCostRecord } from '../audit-cost.js';
import type { ResultRecord } from '../results.js';
import type { SoakReport } from '../soak.js';
import type { SweepRecord } from '../sweep.js';
import { FIND_UNIQUE_REASON, TARGETS, type TargetCheck } from '../targets.js';
import { WORKLOADS, type WorkloadName } from '../workloads.js';

const TITLES: Record<WorkloadName, string> = {
  findMany: 'findMany (take 20) by tenant',
  findUnique: 'findUnique by composite key',
  create: 'create (one project)',
  nestedCreate: 'nested create (project + 5 tasks)',
  transaction: 'interactive transaction (3 statements)',
};

export function markdownTable(
  header: string[],
  rows: Array<Array<string | number>>,
  align: Array<'l' | 'r'> = [],
): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(3, ...cells.map((r) => r[i]!.length)));
  const pad = (s: string, i: number) => ((align[i] ?? 'r') === 'l' ? s.padEnd(widths[i]!) : s.padStart(widths[i]!));
  const line = (r: string[]) => `| ${r.map(pad).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => ((align[i] ?? 'r') === 'l' ? `:${'-'.repeat(w + 1)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  return [line(cells[0]!), rule, ...cells.slice(1).map(line)].join('\n');
}

const fixed = (n: number, d = 2) => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');

export function workloadTables(results: ResultRecord[], vsPrismaExample: ResultRecord[]): string {
  const parts: string[] = [];
  for (const workload of WORKLOADS) {
    const rows = results.filter((r) => r.workload === workload);
    if (rows.length === 0) continue;
    const body = rows.map((r) => {
      const peer = vsPrismaExample.find(
        (p) => p.workload === r.workload && p.concurrency === r.concurrency && p.strategy === r.strategy,
      );
      return [
        r.strategy,
        r.concurrency,
        Math.round(r.rps),
        fixed(r.p50Ms, 3),
        fixed(r.p99Ms, 3),
        fixed(r.throughputVsBaseline),
        fixed(r.p50VsBaseline),
        peer ? fixed(peer.throughputVsBaseline) : 'n/a',
        peer ? fixed(peer.p50VsBaseline) : 'n/a',
        fixed(r.roundTrips),
        r.wrongTenantRows,
      ];
    });
    parts.push(
      `### ${TITLES[workload]}\n\n` +
        markdownTable(
          [
            'strategy',
            'c',
            'req/s',
            'p50 ms',
            'p99 ms',
            'thr ×base',
            'p50 ×base',
            'thr ×prisma-ex',
            'p50 ×prisma-ex',
            'round trips/op',
            'wrong-tenant rows',
          ],
          body,
          ['l'],
        ),
    );
  }
  return parts.join('\n\n');
}

/**
 * The targets in two tables: per-cell ones with a column per strategy (a row per target, workload,
 * c and RTT), then the run-wide ones (sweep, wrong-tenant rows). A cell reads "0.95 yes", "0.62 NO",
 * "not measured" (the run skipped it: never counted as met) or, for findUnique at c=32, the figure
 * with its round trips (informational).
 */
export function targetsTable(checks: TargetCheck[]): string {
  const perCell = checks.filter((c) => c.strategy !== undefined);
  const runWide = checks.filter((c) => c.strategy === undefined);
  const strategies = [...new Set(perCell.map((c) => c.strategy!))];
  const rows = new Map<string, { head: Array<string | number>; cells: Map<string, TargetCheck> }>();
  for (const c of perCell) {
    const key = `${c.target}|${c.workload}|${c.concurrency}|${c.rttMs}`;
    const row = rows.get(key) ?? {
      head: [c.target, c.workload ?? '', c.concurrency ?? '', c.rttMs ?? ''],
      cells: new Map(),
    };
    row.cells.set(c.strategy!, c);
    rows.set(key, row);
  }
  const verdict = (c: TargetCheck) => {
    if (c.status === 'not measured') return 'not measured';
    if (c.status === 'info') return `${fixed(c.value)} info: ${c.note}`;
    return `${fixed(c.value)} ${c.status === 'pass' ? 'yes' : 'NO'}`;
  };
  const cellTable = markdownTable(
    ['target', 'workload', 'c', 'RTT ms', ...strategies],
    [...rows.values()].map((r) => [
      ...r.head,
      ...strategies.map((s) => (r.cells.has(s) ? verdict(r.cells.get(s)!) : '')),
    ]),
    ['l', 'l', 'r', 'r', ...strategies.map(() => 'l' as const)],
  );
  const wideTable = markdownTable(
    ['target', 'workload', 'what is compared', 'value', 'met'],
    runWide.map((c) => [
      c.target,
      c.workload ?? 'all',
      c.note ?? '',
      c.target === TARGETS.noWrongRows ? (Number.isFinite(c.value) ? c.value : 'n/a') : fixed(c.value, 3),
      c.status === 'pass' ? 'yes' : c.status === 'fail' ? 'NO' : c.status,
    ]),
    ['l', 'l', 'l'],
  );
  const count = (s: TargetCheck['status']) => checks.filter((c) => c.status === s).length;
  const measured = count('pass') + count('fail');
  const summary =
    `${count('pass')} of ${measured} measured targets met, ${count('not measured')} not measured, ${count('info')} informational. ` +
    `findUnique at c=32 is informational: ${FIND_UNIQUE_REASON}.`;
  return `${summary}\n\n${cellTable}\n\n${wideTable}`;
}

export function sweepTable(records: SweepRecord[]): string {
  const rows = records
    .filter((r) => r.strategy !== 'baseline')
    .map((r) => {
      const base = records.find(
        (b) => b.tenants === r.tenants && b.workload === r.workload && b.strategy === 'baseline',
      );
      return [
        r.tenants,
        r.workload,
        r.concurrency,
        Math.round(base?.rps ?? Number.NaN),
        Math.round(r.rps),
        fixed(r.throughputVsBaseline),
        fixed(r.p50VsBaseline),
        r.wrongTenantRows,
      ];
    });
  return markdownTable(
    [
      'tenants',
      'workload',
      'c',
      'baseline req/s',
      'tenantry-direct req/s',
      'thr ×base',
      'p50 ×base',
      'wrong-tenant rows',
    ],
    rows,
    ['r', 'l'],
  );
}

/**
 * The soak's criterion: after the warm-up, the minimum of the last third against the minimum of the
 * first third, for RSS and for the heap after a forced GC (soak.ts says why minimums).
 */
export function soakTable(soak: SoakReport): string {
  const t = soak.trend;
  const range = (x: SoakReport['trend']['first']) => `${x.fromOperations}–${x.toOperations}, ${x.samples} samples`;
  const run = markdownTable(
    ['strategy', 'c', 'operations', 'seconds', 'op/s', 'warm-up ops', 'forced GC', 'wrong-tenant rows', 'flat'],
    [
      [
        soak.strategy,
        soak.concurrency,
        soak.operations,
        soak.seconds,
        Math.round(soak.rps),
        t.warmupOperations,
        soak.gc,
        soak.wrongTenantRows,
        t.flat ? 'yes' : 'NO',
      ],
    ],
    ['l'],
  );
  const pct = Math.round(t.tolerance * 100);
  const trend = markdownTable(
    [
      'measure',
      `first third min MB (${range(t.first)})`,
      'middle third min MB',
      `last third min MB (${range(t.last)})`,
      'last ÷ first',
      `within ±${pct} %`,
    ],
    [
      [
        'RSS',
        fixed(t.first.minRssMb, 1),
        fixed(t.middle.minRssMb, 1),
        fixed(t.last.minRssMb, 1),
        fixed(t.rssRatio, 3),
        t.rssFlat ? 'yes' : 'NO',
      ],
      [
        'heap after GC',
        fixed(t.first.minHeapMb, 1),
        fixed(t.middle.minHeapMb, 1),
        fixed(t.last.minHeapMb, 1),
        fixed(t.heapRatio, 3),
        t.heapFlat ? 'yes' : 'NO',
      ],
    ],
    ['l'],
  );
  return `${run}\n\n${trend}`;
}

/**
 * Every strategy at every injected RTT: throughput against the baseline of the same RTT, and p50
 * against the floor (round trips × RTT + the server time the proxy measured in the same cell).
 */
export function latencyTable(results: ResultRecord[], vsPrismaExample: ResultRecord[]): string {
  const rows = [...results]
    .sort(
      (a, b) =>
        WORKLOADS.indexOf(a.workload) - WORKLOADS.indexOf(b.workload) ||
        a.concurrency - b.concurrency ||
        a.rttMs - b.rttMs,
    )
    .map((r) => {
      const peer = vsPrismaExample.find(
        (p) =>
          p.rttMs === r.rttMs &&
          p.workload === r.workload &&
          p.concurrency === r.concurrency &&
          p.strategy === r.strategy,
      );
      return [
        r.workload,
        r.concurrency,
        r.rttMs,
        r.strategy,
        Math.round(r.rps),
        fixed(r.p50Ms, 3),
        fixed(r.throughputVsBaseline),
        peer ? fixed(peer.throughputVsBaseline) : 'n/a',
        fixed(r.roundTrips),
        r.serverMsPerOp === undefined ? '–' : fixed(r.serverMsPerOp, 3),
        r.floorMs === undefined ? '–' : fixed(r.floorMs, 3),
        r.floorMs === undefined ? '–' : fixed(r.p50Ms - r.floorMs, 3),
        r.heldOneWayMs === undefined ? '–' : fixed(r.heldOneWayMs, 3),
        r.wrongTenantRows,
      ];
    });
  return markdownTable(
    [
      'workload',
      'c',
      'RTT ms',
      'strategy',
      'req/s',
      'p50 ms',
      'thr ×base',
      'thr ×prisma-ex',
      'round trips/op',
      'server ms/op',
      'floor ms',
      'p50 − floor ms',
      'held one-way ms',
      'wrong-tenant rows',
    ],
    rows,
    ['l', 'r', 'r', 'l'],
  );
}

/**
 * Each pooled route against unscoped Prisma through the same PgBouncer: the route baseline's own
 * ratio to the direct baseline (PgBouncer's cost without isolation), the tenantry route's ratio to
 * the direct baseline, and to its route baseline (tenantry's own cost on that route). `vsRoute`
 * holds the last, per round then the median (results.ts).
 */
export function routeTable(results: ResultRecord[], vsRoute: ResultRecord[]): string {
  const rows = [...vsRoute]
    .sort(
      (a, b) =>
        a.rttMs - b.rttMs ||
        WORKLOADS.indexOf(a.workload) - WORKLOADS.indexOf(b.workload) ||
        a.concurrency - b.concurrency ||
        a.strategy.localeCompare(b.strategy),
    )
    .map((r) => {
      const at = (strategy: string) =>
        results.find(
          (x) =>
            x.rttMs === r.rttMs &&
            x.workload === r.workload &&
            x.concurrency === r.concurrency &&
            x.strategy === strategy,
        );
      const route = r.strategy.replace('tenantry-', '');
      const base = at(`baseline-${route}`);
      const own = at(r.strategy);
      return [
        r.workload,
        r.concurrency,
        r.rttMs,
        route,
        base ? Math.round(base.rps) : 'n/a',
        base ? fixed(base.throughputVsBaseline) : 'n/a',
        Math.round(r.rps),
        own ? fixed(own.throughputVsBaseline) : 'n/a',
        fixed(r.throughputVsBaseline),
        fixed(r.p50VsBaseline),
        r.wrongTenantRows,
      ];
    });
  return markdownTable(
    [
      'workload',
      'c',
      'RTT ms',
      'route',
      'unscoped req/s',
      'unscoped ×base',
      'tenantry req/s',
      'tenantry ×base',
      'tenantry ×route base',
      'p50 ×route base',
      'wrong-tenant rows',
    ],
    rows,
    ['l', 'r', 'r', 'l'],
  );
}

/**
 * Cost per layer at RTT 0: each layer's loss of throughput against the baseline, and its share of
 * the gap between the baseline and tenantry-direct. extension = 1 − ext-only, settings = 1 −
 * settings-only, RLS = settings-only − RLS+settings; what the three do not add up to is their
 * interaction (or noise), shown as "rest".
 */
export function layerTable(results: ResultRecord[]): string {
  const at = (w: WorkloadName, c: number, s: string) =>
    results.find((r) => r.rttMs === 0 && r.workload === w && r.concurrency === c && r.strategy === s);
  const rows: Array<Array<string | number>> = [];
  for (const workload of WORKLOADS) {
    for (const c of [...new Set(results.map((r) => r.concurrency))].sort((a, b) => a - b)) {
      const base = at(workload, c, 'baseline');
      const ext = at(workload, c, 'layer-extension');
      const set = at(workload, c, 'layer-settings');
      const rls = at(workload, c, 'layer-rls-settings');
      const full = at(workload, c, 'tenantry-direct');
      if (!base || !ext || !set || !rls || !full) continue;
      const gap = 1 - full.throughputVsBaseline;
      const costs = {
        extension: 1 - ext.throughputVsBaseline,
        settings: 1 - set.throughputVsBaseline,
        rls: set.throughputVsBaseline - rls.throughputVsBaseline,
      };
      const rest = gap - costs.extension - costs.settings - costs.rls;
      const share = (x: number) => (Math.abs(gap) < 0.01 ? 'n/a' : `${Math.round((x / gap) * 100)}%`);
      const cell = (x: number) => `${fixed(x)} (${share(x)})`;
      rows.push([
        workload,
        c,
        Math.round(base.rps),
        fixed(ext.throughputVsBaseline),
        fixed(set.throughputVsBaseline),
        fixed(rls.throughputVsBaseline),
        fixed(full.throughputVsBaseline),
        fixed(gap),
        cell(costs.extension),
        cell(costs.settings),
        cell(costs.rls),
        cell(rest),
      ]);
    }
  }
  return markdownTable(
    [
      'workload',
      'c',
      'baseline req/s',
      'ext only ×base',
      'settings only ×base',
      'RLS+settings ×base',
      'full ×base',
      'gap',
      'extension (share)',
      'settings (share)',
      'RLS (share)',
      'rest (share)',
    ],
    rows,
    ['l'],
  );
}

/** The audit log's cost (audit-cost.ts): per workload and concurrency, audited vs unaudited. */
export function auditTable(records: AuditCostRecord[]): string {
  return markdownTable(
    [
      'workload',
      'c',
      'audited ops/s',
      'unaudited ops/s',
      '×unaudited',
      'p50 audited ms',
      'p50 unaudited ms',
      'p50 ×unaudited',
    ],
    records.map((r) => [
      r.workload === 'create' ? 'create (project)' : 'update (rename project)',
      r.concurrency,
      Math.round(r.auditedRps),
      Math.round(r.unauditedRps),
      fixed(r.throughputVsUnaudited),
      fixed(r.auditedP50Ms, 3),
      fixed(r.unauditedP50Ms, 3),
      fixed(r.p50VsUnaudited),
    ]),
    ['l'],
  );
}
