/**
 * `pnpm bench`: what tenant isolation costs, against unscoped Prisma and Prisma's RLS example, in
 * one process run. Provisions its own Postgres, databases and PgBouncers like the tests do, runs the
 * interleaved matrix and the tenant-count sweep, prints the tables and writes bench/results/.
 * Exits 1 when any strategy returned a row of another tenant; targets are reported, not enforced.
 */
import os from 'node:os';
import pg from 'pg';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AUDIT_TARGET, runAuditCost, type AuditCostRecord } from './audit-cost.js';
import { startLatencyProxy, type DelayProxyStats, type LatencyProxy } from './latency/latency-proxy.js';
import { runMatrix } from './matrix.js';
import { busyVerdict, cellNoise, cpuSnapshot, pinCores, type CpuSnapshot, type Pinning } from './noise.js';
import { parseOptions, type BenchOptions } from './options.js';
import { provisionRig, type BenchDatabase, type Rig } from './provisioning.js';
import { aggregate, routeRecords, type ResultRecord, type Samples } from './results.js';
import type { CellProbe, Sample } from './runner.js';
import { installRoundTripCounter } from './round-trips.js';
import { SOAK_SAMPLES, SOAK_WARMUP, runSoak, type SoakReport } from './soak.js';
import {
  LAYER_STRATEGIES,
  ROUTE_BASELINE_STRATEGIES,
  STRATEGIES,
  createStrategies,
  type StrategyName,
} from './strategies/index.js';
import { runSweep, type SweepRecord } from './sweep.js';
import { checkTargets } from './targets.js';
import {
  auditTable,
  latencyTable,
  layerTable,
  routeTable,
  soakTable,
  sweepTable,
  targetsTable,
  workloadTables,
} from './report/tables.js';
import { renderSvg } from './report/svg.js';
import { writeResults } from './report/write.js';
import { WORKLOADS, type WorkloadName } from './workloads.js';

const started = Date.now();
const log = (m: string) => console.error(`[bench ${((Date.now() - started) / 1000).toFixed(0).padStart(4)}s] ${m}`);
const resultsDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'results');

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2), resultsDir);
  installRoundTripCounter();
  log(
    `mode ${options.mode}: ${options.rounds} rounds × ${options.durationMs} ms per cell, tenants ${options.tenants}, pool ${options.poolSize}, concurrency ${options.concurrencies.join(' and ')}, RTT ${options.rtts.join(', ')} ms`,
  );
  const rig = await provisionRig(log, options.poolSize);
  try {
    return options.mode === 'soak' ? await soak(rig, options) : await bench(rig, options);
  } finally {
    await rig.stop();
  }
}

async function bench(rig: Rig, options: BenchOptions): Promise<number> {
  const loadAtStart = cpuSnapshot().loadavg;
  const db = await rig.database('main');
  await db.seedTo(options.tenants);
  log(
    `database ${db.name} seeded with ${options.tenants} tenants (${rig.server.source} postgres, pgbouncer session :${rig.bouncers.session.port} transaction :${rig.bouncers.transaction.port})`,
  );
  // Pin after provisioning (the PgBouncers exist) and before any proxy starts (it inherits Node's cores).
  const pinning = rig.server.source === 'testcontainers' ? undefined : pinCores();
  await checkConnectionSlots(db.superuserUrl, options, rig.server.source);
  const admin = new pg.Client({ connectionString: db.superuserUrl });
  // rig.stop() drops the database WITH (FORCE): a failure before admin.end() must not turn into
  // an unhandled 57P01 that hides it.
  admin.on('error', () => {});
  await admin.connect();
  const serverPids = async () => {
    const r = await admin.query<{ pid: number }>('select pid from pg_stat_activity where datname = $1', [db.name]);
    return [...r.rows.map((x) => x.pid), rig.bouncers.session.pid, rig.bouncers.transaction.pid].filter(
      (p): p is number => p !== undefined,
    );
  };

  const timing = { warmupMs: options.warmupMs, durationMs: options.durationMs };
  const results: ResultRecord[] = [];
  const vsPrismaExample: ResultRecord[] = [];
  const vsRoute: ResultRecord[] = [];
  const cells: CellRecord[] = [];
  try {
    for (const rttMs of options.rtts) {
      const names = strategiesAt(rttMs, options);
      const proxy =
        rttMs > 0
          ? await startLatencyProxy({
              rttMs,
              targets: [
                { host: rig.server.host, port: rig.server.port },
                { host: '127.0.0.1', port: rig.bouncers.session.port },
                { host: '127.0.0.1', port: rig.bouncers.transaction.port },
              ],
            })
          : undefined;
      const via = proxy ? throughProxy(db, proxy) : db;
      const strategies = createStrategies(via, names, { poolSize: options.poolSize });
      let samples: Samples;
      try {
        samples = await runMatrix({
          strategies,
          workloads: WORKLOADS,
          concurrencies: options.concurrencies,
          rounds: options.rounds,
          tenants: options.tenants,
          timing,
          log,
          label: `RTT ${rttMs} ms`,
          include: (strategy, workload, c) => cellIncluded(strategy, workload, c, rttMs, options),
          probe: cellProbe(proxy, pinning, serverPids),
        });
      } finally {
        for (const s of strategies) await s.close();
        await proxy?.close();
      }
      results.push(...aggregate(samples, WORKLOADS, options.concurrencies, names, 'baseline', rttMs));
      // The same per-round ratios, against Prisma's RLS example instead of the baseline (tables, targets).
      vsPrismaExample.push(...aggregate(samples, WORKLOADS, options.concurrencies, names, 'prisma-example', rttMs));
      // Each pooled route against the baseline through the same PgBouncer (same-route table).
      vsRoute.push(...routeRecords(samples, WORKLOADS, options.concurrencies, names, rttMs));
      for (const [key, list] of samples) {
        const [workload, concurrency, strategy] = key.split('|');
        list.forEach((sample, round) =>
          cells.push({
            rttMs,
            workload: workload!,
            concurrency: Number(concurrency),
            strategy: strategy!,
            round,
            ...sample,
          }),
        );
      }
    }
  } finally {
    await admin.end();
  }
  // The audit log's cost on writes: its own database (the main one's write counts stay as they were).
  const auditDb = await rig.database('audit');
  await auditDb.seedTo(options.tenants);
  const auditCost: AuditCostRecord[] = await runAuditCost({
    db: auditDb,
    concurrencies: options.concurrencies,
    rounds: options.rounds,
    tenants: options.tenants,
    poolSize: options.poolSize,
    timing,
    log,
  });
  const loopback = results.filter((r) => r.rttMs === 0);
  const loopbackVsPe = vsPrismaExample.filter((r) => r.rttMs === 0);
  const main = (r: ResultRecord) => (STRATEGIES as readonly string[]).includes(r.strategy);

  // The sweep goes straight to Postgres: stop the PgBouncers now so that their idle upstream
  // connections (kept for server_idle_timeout, 10 min) do not hold slots on a shared server.
  await Promise.all([rig.bouncers.session.stop(), rig.bouncers.transaction.stop()]);
  const sweepDb = await rig.database('sweep');
  const sweep: SweepRecord[] = await runSweep(sweepDb, options.sweep.tenants, {
    rounds: options.rounds,
    warmupMs: options.warmupMs,
    durationMs: options.sweep.durationMs,
    poolSize: options.poolSize,
    log,
  });
  // Every strategy at every RTT: the targets pick their cells, and wrong-tenant rows count everywhere.
  const targets = checkTargets({
    results,
    vsPrismaExample,
    sweep,
    rtts: options.rtts,
    concurrencies: options.concurrencies,
  });
  const auditCell = auditCost.find(
    (r) => r.workload === AUDIT_TARGET.workload && r.concurrency === AUDIT_TARGET.concurrency,
  );
  targets.push({
    target: `audited ${AUDIT_TARGET.workload} ≥ ${AUDIT_TARGET.min.toFixed(2)}× unaudited at c=${AUDIT_TARGET.concurrency}`,
    strategy: 'tenantry-direct',
    workload: AUDIT_TARGET.workload,
    concurrency: AUDIT_TARGET.concurrency,
    rttMs: 0,
    value: auditCell?.throughputVsUnaudited ?? Number.NaN,
    status: auditCell ? (auditCell.throughputVsUnaudited >= AUDIT_TARGET.min ? 'pass' : 'fail') : 'not measured',
    note: 'same database, triggers enabled vs disabled, interleaved',
  });

  const noise = busyVerdict(
    loadAtStart,
    cells.flatMap((c) => (c.noise ? [c.noise] : [])),
    os.cpus().length,
  );
  // Read at the end: the count of pinned server processes grows cell by cell.
  const pinNote = pinning?.note ?? 'not pinned: Postgres runs in a container, its processes are not ours to see';
  const environment = { ...describeEnvironment(rig, options), pinning: pinNote, noise };
  const conditions = `${options.tenants} tenants drawn at random, pool ${options.poolSize}, median of ${options.rounds} interleaved rounds × ${options.durationMs / 1000} s per cell`;
  const machine = noise.busy
    ? `**Busy machine: treat these numbers as noisy** (${noise.reasons.join('; ')}).`
    : `Quiet machine (1-min load ${noise.loadAtStart[0]} at start, median ${noise.medianLoadBefore} before cells, steal ≤ ${noise.maxStealPct ?? 'n/a'} %).`;
  const latencyRows = results.filter(
    (r) =>
      main(r) &&
      options.rtts.some((t) => t > 0) &&
      results.some(
        (x) => x.rttMs > 0 && x.workload === r.workload && x.concurrency === r.concurrency && x.strategy === r.strategy,
      ),
  );
  const markdown = [
    `# Tenantry benchmark (${options.mode})`,
    '',
    `${new Date().toISOString()} · ${environment.summary}`,
    '',
    `${machine} Cores: ${pinNote}.`,
    '',
    `${conditions}. Ratios are taken per round (against the baseline, or against prisma-example), then the median. ` +
      'Round trips are ReadyForQuery messages per operation; wrong-tenant rows are summed over all rounds.',
    '',
    '## Loopback (RTT 0)',
    '',
    workloadTables(loopback.filter(main), loopbackVsPe.filter(main)),
    '',
    ...(latencyRows.length
      ? [
          `## At network latency (RTT ${options.rtts.join(', ')} ms)`,
          '',
          'A proxy in a child process holds every chunk half the RTT each way (held one-way: what it really applied). ' +
            'Floor = round trips/op × RTT + server ms/op (the time the server took to answer, measured by the proxy in the same cell). ' +
            'Ratios are against the baseline at the same RTT.',
          '',
          latencyTable(latencyRows, vsPrismaExample),
          '',
        ]
      : []),
    ...(vsRoute.length
      ? [
          '## The same route (RTT ' + [...new Set(vsRoute.map((r) => r.rttMs))].join(', ') + ' ms)',
          '',
          'The baseline through the same PgBouncer (unscoped Prisma, BYPASSRLS role): what the pooler costs without isolation. ' +
            '×base: against the direct baseline; ×route base: the tenantry route against unscoped Prisma on the same route (per round, then the median). ' +
            "The targets stay against the direct baseline, as the issue sets them; this table says how much of a pooled route's gap is PgBouncer's.",
          '',
          routeTable(results, vsRoute),
          '',
        ]
      : []),
    ...(results.some((r) => r.strategy === 'layer-extension')
      ? [
          '## Cost per layer (RTT 0)',
          '',
          'ext only: the tenant extension on a BYPASSRLS pool, no settings. settings only: the TenantPool on the BYPASSRLS role under plain Prisma (baseline queries). ' +
            'RLS+settings: the same on the runtime role. full: tenantry-direct. Each cost is a loss of throughput ×base; its share is of the gap (1 − full).',
          '',
          layerTable(loopback),
          '',
        ]
      : []),
    '## Audit log cost (RTT 0, tenantry-direct)',
    '',
    'Project create and rename with the audit triggers enabled vs disabled (ALTER TABLE ... DISABLE TRIGGER of the `tenantry_audit_capture` triggers only), same database, interleaved per cell. ' +
      'Ratios are per round, then the median.',
    '',
    auditTable(auditCost),
    '',
    '### Targets',
    '',
    targetsTable(targets),
    '',
    `### Scaling sweep: tenantry-direct vs baseline as the database grows (c=32, median of ${options.rounds} rounds × ${options.sweep.durationMs / 1000} s)`,
    '',
    sweepTable(sweep),
    '',
  ].join('\n');
  console.log(markdown);

  const wrong =
    results.reduce((n, r) => n + r.wrongTenantRows, 0) +
    sweep.reduce((n, r) => n + r.wrongTenantRows, 0) +
    auditCost.reduce((n, r) => n + r.wrongTenantRows, 0);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const svgs: Record<string, string> = {};
  for (const rttMs of options.rtts.filter((r) => r > 0)) {
    const at = results.filter((r) => r.rttMs === rttMs && main(r));
    if (at.length) svgs[`rtt-${rttMs}ms`] = renderSvg(at, `RTT ${rttMs} ms; ${environment.summary}; ${conditions}`);
  }
  const files = await writeResults(options.outDir, stamp, {
    json: {
      mode: options.mode,
      createdAt: new Date().toISOString(),
      environment,
      conditions,
      rtts: options.rtts,
      results,
      vsPrismaExample,
      vsRouteBaseline: vsRoute,
      targets,
      sweep,
      auditCost,
      cells,
    },
    markdown,
    svg: renderSvg(loopback.filter(main), `${environment.summary}; ${conditions}`),
    svgs,
    // Only a full run replaces latest.* (committed, embedded in the README); --quick writes quick-latest.*.
    latest: options.mode === 'full' ? 'latest' : `${options.mode}-latest`,
  });
  log(`wrote ${files.json}, ${files.latestJson}, ${files.markdown}, ${files.svg}`);
  const count = (status: (typeof targets)[number]['status']) => targets.filter((t) => t.status === status).length;
  const met = count('pass');
  log(
    `done in ${((Date.now() - started) / 1000).toFixed(0)} s; targets met: ${met}/${met + count('fail')} measured (${count('not measured')} not measured)`,
  );
  if (wrong > 0) {
    console.error(
      `FAILED: ${wrong} wrong-tenant rows. Isolation is broken; see the tables above for the strategy and workload.`,
    );
    return 1;
  }
  return 0;
}

/** One per (RTT, workload, c, strategy, round) in the JSON: the raw sample with its noise record. */
type CellRecord = Sample & { rttMs: number; workload: string; concurrency: number; strategy: string; round: number };

/**
 * Which strategies run at an RTT: all of them at 0 (the layer split is CPU cost, clearest on loopback);
 * the main six and the same-route baselines at RTT > 0, four in --quick (baseline, prisma-example,
 * tenantry-direct, raw-pg), which also leaves the same-route baselines out at RTT 0.
 */
function strategiesAt(rttMs: number, options: BenchOptions): StrategyName[] {
  // --quick (the CI smoke, on a shared server) leaves out the same-route baselines.
  if (rttMs === 0)
    return options.mode === 'quick'
      ? [...STRATEGIES, ...LAYER_STRATEGIES]
      : [...STRATEGIES, ...ROUTE_BASELINE_STRATEGIES, ...LAYER_STRATEGIES];
  return options.mode === 'quick'
    ? ['baseline', 'prisma-example', 'tenantry-direct', 'raw-pg']
    : [...STRATEGIES, ...ROUTE_BASELINE_STRATEGIES];
}

/**
 * At c=32 every strategy of a round holds its pool's connections until they idle out, so the server
 * must have that many slots free (plus the PgBouncers' and this process's own): fail before any cell
 * runs, saying how to get a server of its own, rather than with 53300 in the middle of a run.
 */
async function checkConnectionSlots(url: string, options: BenchOptions, source: string): Promise<void> {
  // Each strategy's pool, or its own PgBouncer server pool (one per user and mode), up to poolSize.
  const strategies = strategiesAt(0, options).length;
  const needed = strategies * options.poolSize;
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => {});
  await client.connect();
  let max: number;
  let used: number;
  try {
    const { rows } = await client.query<{ max: number; used: number }>(
      "select current_setting('max_connections')::int as max, (select count(*)::int from pg_stat_activity) as used",
    );
    ({ max, used } = rows[0]!);
  } finally {
    await client.end();
  }
  // This client's own slot is free again now.
  const free = max - used + 1;
  if (free < needed) {
    throw new Error(
      `Cannot run the benchmark because the ${source} server has ${free} connection slots free ` +
        `(max_connections ${max}) and this run needs up to ${needed} at once (${strategies} strategies × pool ${options.poolSize}). ` +
        'Give it a server of its own (TENANTRY_PG=embedded pnpm bench, or unset TEST_DATABASE_URL), or raise max_connections.',
    );
  }
}

/** --quick keeps CI under 2 minutes: the layers on findMany only, every RTT > 0 on findMany at c=1 only. */
function cellIncluded(
  strategy: StrategyName,
  workload: WorkloadName,
  concurrency: number,
  rttMs: number,
  options: BenchOptions,
): boolean {
  if (options.mode !== 'quick') return true;
  if (rttMs > 0) return workload === 'findMany' && concurrency === 1;
  if ((LAYER_STRATEGIES as readonly string[]).includes(strategy)) return workload === 'findMany';
  return true;
}

function throughProxy(db: BenchDatabase, proxy: LatencyProxy): BenchDatabase {
  return {
    ...db,
    appUrl: proxy.rewrite(db.appUrl),
    appUrlSession: proxy.rewrite(db.appUrlSession),
    appUrlTransaction: proxy.rewrite(db.appUrlTransaction),
    adminUrl: proxy.rewrite(db.adminUrl),
    adminUrlSession: proxy.rewrite(db.adminUrlSession),
    adminUrlTransaction: proxy.rewrite(db.adminUrlTransaction),
  };
}

/** Around each timed window: pin new server processes, snapshot load and steal, read the proxy's counters. */
function cellProbe(
  proxy: LatencyProxy | undefined,
  pinning: Pinning | undefined,
  serverPids: () => Promise<number[]>,
): CellProbe<{ cpu: CpuSnapshot; proxy?: DelayProxyStats }> {
  const total = (list: DelayProxyStats[]) =>
    list.reduce(
      (a, s) => ({
        chunks: a.chunks + s.chunks,
        heldMsTotal: a.heldMsTotal + s.heldMsTotal,
        heldMsMax: Math.max(a.heldMsMax, s.heldMsMax),
        exchanges: a.exchanges + s.exchanges,
        serverMsTotal: a.serverMsTotal + s.serverMsTotal,
        connections: a.connections + s.connections,
      }),
      { chunks: 0, heldMsTotal: 0, heldMsMax: 0, exchanges: 0, serverMsTotal: 0, connections: 0 },
    );
  return {
    async before() {
      if (pinning?.pinned) pinning.pinServer(await serverPids());
      return { cpu: cpuSnapshot(), proxy: proxy ? total(await proxy.stats()) : undefined };
    },
    async after(state, ops) {
      const noise = cellNoise(state.cpu, cpuSnapshot());
      if (!proxy || !state.proxy) return { noise };
      const now = total(await proxy.stats());
      const chunks = now.chunks - state.proxy.chunks;
      return {
        noise,
        proxy: {
          heldOneWayMs: chunks ? (now.heldMsTotal - state.proxy.heldMsTotal) / chunks : Number.NaN,
          serverMsPerOp: ops ? (now.serverMsTotal - state.proxy.serverMsTotal) / ops : Number.NaN,
        },
      };
    },
  };
}

async function soak(rig: Rig, options: BenchOptions): Promise<number> {
  const db = await rig.database('soak');
  await db.seedTo(options.tenants);
  const [strategy] = createStrategies(db, ['tenantry-direct'], { poolSize: options.poolSize });
  let report: SoakReport;
  try {
    report = await runSoak(strategy!, options.soakQueries, 32, options.tenants, log);
  } finally {
    await strategy!.close();
  }
  const environment = describeEnvironment(rig, options);
  const t = report.trend;
  const criterion =
    `Flat means no upward trend: RSS and heap after a forced GC sampled every 1/${SOAK_SAMPLES} of the operations; ` +
    `the first ${SOAK_WARMUP * 100} % are warm-up and excluded; the minimum of the last third must be within ` +
    `${t.tolerance * 100} % of the minimum of the first third, for both. op/s leaves out the forced GCs.`;
  const markdown = `# Tenantry soak\n\n${new Date().toISOString()} · ${environment.summary}\n\n${criterion}\n\n${soakTable(report)}\n`;
  console.log(markdown);
  const stamp = `soak-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  await writeResults(options.outDir, stamp, {
    json: { mode: 'soak', createdAt: new Date().toISOString(), environment, soak: report },
    markdown,
    latest: 'soak-latest',
  }).then((f) => log(`wrote ${f.json}`));
  log(
    `soak: memory ${t.flat ? 'flat' : 'NOT flat'} (RSS last/first third min ${t.rssRatio}, heap after GC ${t.heapRatio}); ${report.wrongTenantRows} wrong-tenant rows`,
  );
  // Like the targets, the trend is reported, not enforced: only isolation failures fail the run.
  return report.wrongTenantRows > 0 ? 1 : 0;
}

function describeEnvironment(rig: Rig, options: BenchOptions) {
  const cpus = os.cpus();
  return {
    node: process.version,
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? 'unknown',
    postgres: `${rig.server.source} ${rig.server.host}:${rig.server.port}`,
    poolSize: options.poolSize,
    summary: `Node ${process.version}, ${cpus.length} × ${cpus[0]?.model?.trim() ?? 'cpu'}, ${rig.server.source} PostgreSQL, PgBouncer session + transaction`,
  };
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
