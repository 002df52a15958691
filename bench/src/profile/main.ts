/**
 * `pnpm bench:profile`: CPU profiles of one workload under one or more strategies, as flame graphs.
 * Provisions the rig as `pnpm bench` does (same Postgres, roles, migrations, 200 seeded tenants,
 * PgBouncers, pool 10, the round-trip counter), then per strategy runs the workload as a closed
 * loop: 1 s of warm-up, then the profiled window. Writes, per strategy, to bench/results/profiles/:
 * `<strategy>-<workload>-c<n>.cpuprofile` (open it in Chrome DevTools or speedscope), `.svg` (the
 * flame graph) and `.top.txt` (shares per group and the top functions, also printed).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { picker } from '../dataset.js';
import { provisionRig } from '../provisioning.js';
import { renderFlameGraph } from '../report/flamegraph.js';
import { installRoundTripCounter } from '../round-trips.js';
import { measureCell, type CellProbe } from '../runner.js';
import { createStrategies } from '../strategies/index.js';
import { summarizeProfile, type CpuProfile } from './cpuprofile.js';
import { parseProfileOptions } from './options.js';
import { startCpuProfile, type Recording } from './record.js';
import { topReport } from './top.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '..', '..', '..');
const started = Date.now();
const log = (m: string) => console.error(`[profile ${((Date.now() - started) / 1000).toFixed(0).padStart(4)}s] ${m}`);
/** As in `pnpm bench`. */
const TENANTS = 200;
const POOL_SIZE = 10;

async function main(): Promise<number> {
  const options = parseProfileOptions(process.argv.slice(2), path.join(repoRoot, 'bench', 'results', 'profiles'));
  // Counted as in the bench, so that the profile includes the counter's (small) share.
  installRoundTripCounter();
  const rig = await provisionRig(log, POOL_SIZE);
  let wrong = 0;
  try {
    const db = await rig.database('profile');
    await db.seedTo(TENANTS);
    await fs.mkdir(options.outDir, { recursive: true });
    for (const name of options.strategies) {
      const [strategy] = createStrategies(db, [name], { poolSize: POOL_SIZE });
      let profile: CpuProfile | undefined;
      // The probe brackets exactly the timed window, after the runner's warm-up.
      const probe: CellProbe<Recording> = {
        before: () => startCpuProfile(options.intervalUs),
        async after(recording) {
          profile = await recording.stop();
          return {};
        },
      };
      log(`${name} ${options.workload} c=${options.concurrency}: 1 s warm-up, then ${options.seconds} s profiled`);
      const sample = await (async () => {
        try {
          return await measureCell(
            options.workload,
            strategy!.ops[options.workload],
            options.concurrency,
            { warmupMs: options.warmupMs, durationMs: options.seconds * 1000 },
            picker(TENANTS),
            probe as CellProbe,
          );
        } finally {
          await strategy!.close();
        }
      })();
      wrong += sample.wrongTenantRows;
      const base = `${name}-${options.workload}-c${options.concurrency}`;
      const summary = summarizeProfile(profile!, repoRoot);
      const idlePct = summary.wallUs ? ((summary.idleUs / summary.wallUs) * 100).toFixed(0) : '0';
      const heading = `${name} · ${options.workload} · c=${options.concurrency}: ${sample.ops} operations in ${options.seconds} s (${Math.round(sample.rps)} req/s, p50 ${sample.p50Ms.toFixed(2)} ms, ${sample.roundTrips.toFixed(2)} round trips/op, ${sample.wrongTenantRows} wrong-tenant rows), sampled every ${options.intervalUs} µs`;
      const svg = renderFlameGraph(summary.root, {
        title: `${name} · ${options.workload} · c=${options.concurrency} · ${summary.samples} samples over ${options.seconds} s`,
        subtitle: `Width ∝ CPU time (self + callees), root at the bottom; main thread idle ${idlePct} % left out. ${Math.round(sample.rps)} req/s, pool ${POOL_SIZE}, ${TENANTS} tenants. Hover a frame for its times.`,
      });
      const top = topReport(summary, heading);
      await fs.writeFile(path.join(options.outDir, `${base}.cpuprofile`), JSON.stringify(profile));
      await fs.writeFile(path.join(options.outDir, `${base}.svg`), svg);
      await fs.writeFile(path.join(options.outDir, `${base}.top.txt`), top);
      console.log(top);
      log(`wrote ${path.join(options.outDir, base)}.{cpuprofile,svg,top.txt}`);
    }
  } finally {
    await rig.stop();
  }
  if (wrong > 0) {
    console.error(`FAILED: ${wrong} wrong-tenant rows. Isolation is broken; the profile above names the strategy.`);
    return 1;
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
