/**
 * `pnpm bench`: what tenant isolation costs, against unscoped Prisma and Prisma's RLS example, in
 * one process run. Provisions its own Postgres, databases and PgBouncers like the tests do, runs the
 * interleaved matrix and the tenant-count sweep, prints the tables and writes bench/results/.
 * Exits 1 when any strategy returned a row of another tenant; targets are reported, not enforced.
 */
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runMatrix } from './matrix.js';
import { parseOptions, type BenchOptions } from './options.js';
import { provisionRig, type Rig } from './provisioning.js';
import { aggregate } from './results.js';
import { installRoundTripCounter } from './round-trips.js';
import { runSoak, type SoakReport } from './soak.js';
import { STRATEGIES, createStrategies } from './strategies/index.js';
import { runSweep, type SweepRecord } from './sweep.js';
import { checkTargets } from './targets.js';
import { soakTable, sweepTable, targetsTable, workloadTables } from './report/tables.js';
import { renderSvg } from './report/svg.js';
import { writeResults } from './report/write.js';
import { WORKLOADS } from './workloads.js';

const started = Date.now();
const log = (m: string) => console.error(`[bench ${((Date.now() - started) / 1000).toFixed(0).padStart(4)}s] ${m}`);
const resultsDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'results');

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2), resultsDir);
  installRoundTripCounter();
  log(
    `mode ${options.mode}: ${options.rounds} rounds × ${options.durationMs} ms per cell, tenants ${options.tenants}, pool ${options.poolSize}, concurrency ${options.concurrencies.join(' and ')}`,
  );
  const rig = await provisionRig(log, options.poolSize);
  try {
    return options.mode === 'soak' ? await soak(rig, options) : await bench(rig, options);
  } finally {
    await rig.stop();
  }
}

async function bench(rig: Rig, options: BenchOptions): Promise<number> {
  const db = await rig.database('main');
  await db.seedTo(options.tenants);
  log(
    `database ${db.name} seeded with ${options.tenants} tenants (${rig.server.source} postgres, pgbouncer session :${rig.bouncers.session.port} transaction :${rig.bouncers.transaction.port})`,
  );

  const strategies = createStrategies(db, STRATEGIES, { poolSize: options.poolSize });
  const timing = { warmupMs: options.warmupMs, durationMs: options.durationMs };
  let samples;
  try {
    samples = await runMatrix({
      strategies,
      workloads: WORKLOADS,
      concurrencies: options.concurrencies,
      rounds: options.rounds,
      tenants: options.tenants,
      timing,
      log,
    });
  } finally {
    for (const s of strategies) await s.close();
  }
  const results = aggregate(samples, WORKLOADS, options.concurrencies, STRATEGIES);
  // The same per-round ratios, against Prisma's RLS example instead of the baseline (tables, targets).
  const vsPrismaExample = aggregate(samples, WORKLOADS, options.concurrencies, STRATEGIES, 'prisma-example');

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
  const targets = checkTargets(results, vsPrismaExample);

  const environment = describeEnvironment(rig, options);
  const conditions = `${options.tenants} tenants drawn at random, pool ${options.poolSize}, median of ${options.rounds} interleaved rounds × ${options.durationMs / 1000} s per cell`;
  const markdown = [
    `# Tenantry benchmark (${options.mode})`,
    '',
    `${new Date().toISOString()} · ${environment.summary}`,
    '',
    `${conditions}. Ratios are taken per round (against the baseline, or against prisma-example), then the median. ` +
      'Round trips are ReadyForQuery messages per operation; wrong-tenant rows are summed over all rounds.',
    '',
    workloadTables(results, vsPrismaExample),
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

  const wrong = results.reduce((n, r) => n + r.wrongTenantRows, 0) + sweep.reduce((n, r) => n + r.wrongTenantRows, 0);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const files = await writeResults(options.outDir, stamp, {
    json: { mode: options.mode, createdAt: new Date().toISOString(), environment, conditions, results, targets, sweep },
    markdown,
    svg: renderSvg(results, `${environment.summary}; ${conditions}`),
    // Only a full run replaces latest.* (committed, embedded in the README); --quick writes quick-latest.*.
    latest: options.mode === 'full' ? 'latest' : `${options.mode}-latest`,
  });
  log(`wrote ${files.json}, ${files.latestJson}, ${files.markdown}, ${files.svg}`);
  log(
    `done in ${((Date.now() - started) / 1000).toFixed(0)} s; targets met: ${targets.filter((t) => t.pass).length}/${targets.length}`,
  );
  if (wrong > 0) {
    console.error(
      `FAILED: ${wrong} wrong-tenant rows. Isolation is broken; see the tables above for the strategy and workload.`,
    );
    return 1;
  }
  return 0;
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
  const markdown = `# Tenantry soak\n\n${new Date().toISOString()} · ${environment.summary}\n\n${soakTable(report)}\n`;
  console.log(markdown);
  const stamp = `soak-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  await writeResults(options.outDir, stamp, {
    json: { mode: 'soak', createdAt: new Date().toISOString(), environment, soak: report },
    markdown,
    latest: 'soak-latest',
  }).then((f) => log(`wrote ${f.json}`));
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
