// `pnpm bench:citus` (docs/citus.md, "What it costs"): the same tenant-scoped workload on a Citus
// cluster (Citus mode) and on a single PostgreSQL, in one process and the same minutes, alternated:
// findMany (20 rows of one tenant), create, at c=1 and c=32. Each side gets a fresh database,
// migrated (and on Citus distributed), with 20 seeded tenants; both are dropped after.
//   CITUS_URL=<coordinator superuser url> TEST_DATABASE_URL=<single-node superuser url> pnpm bench:citus [-- --seconds 5]
import os from 'node:os';
import { parseArgs } from 'node:util';
import { createTenantPrismaClient, tenantContext } from '../src/index.js';
import { createAdminPrismaClient } from '../src/admin.js';
import { provisionTestRig, seedTenants } from '../src/testing/index.js';
import { citusUrlFromEnv, citusWorkers, distributeTestDatabase, dropWorkerDatabases } from '../src/testing/citus.js';

const { values } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: { seconds: { type: 'string', default: '5' }, rounds: { type: 'string', default: '3' } },
});
const seconds = Number(values.seconds);
const rounds = Number(values.rounds);
const citusUrl = citusUrlFromEnv();
const singleUrl = process.env.TEST_DATABASE_URL;
if (!singleUrl)
  throw new Error(
    'Cannot compare with a single node because TEST_DATABASE_URL is not set. Set it to a superuser URL of a PostgreSQL.',
  );

type Side = {
  name: string;
  client: ReturnType<typeof createTenantPrismaClient>;
  tenants: { tenantId: string; workspaceIds: string[] }[];
  stop: () => Promise<void>;
};

async function side(name: 'citus' | 'single'): Promise<Side> {
  process.env.TEST_DATABASE_URL = name === 'citus' ? citusUrl : singleUrl;
  const database = `tenantry_bench_${name}_${process.pid}`;
  const rig = await provisionTestRig({ purpose: 'bench:citus', database, source: 'env' });
  const workers = name === 'citus' ? await citusWorkers(rig.server.superuserUrl()) : [];
  if (name === 'citus') await distributeTestDatabase(rig.server.superuserUrl(), database, workers);
  const admin = createAdminPrismaClient({ connectionString: rig.url('admin') });
  const tenants = await seedTenants(
    admin,
    Array.from({ length: 20 }, (_, i) => `bench${i}`),
    20,
  );
  await admin.$disconnect();
  const client = createTenantPrismaClient({
    connectionString: rig.url('app'),
    poolSize: 8,
    ...(name === 'citus' ? { distributed: 'citus' as const } : {}),
  });
  return {
    name,
    client,
    tenants,
    stop: async () => {
      await client.$disconnect();
      await rig.stop();
      if (workers.length) await dropWorkerDatabases(rig.server.superuserUrl(), workers, [database]);
    },
  };
}

async function run(s: Side, workload: 'findMany' | 'create', concurrency: number): Promise<number> {
  const until = performance.now() + seconds * 1000;
  let ops = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, w) => {
      let i = w;
      while (performance.now() < until) {
        const t = s.tenants[i++ % s.tenants.length]!;
        await tenantContext.run({ tenantId: t.tenantId, workspaceId: t.workspaceIds[0] }, () =>
          workload === 'findMany'
            ? s.client.project.findMany({ take: 20, orderBy: { id: 'asc' } })
            : s.client.project.create({ data: { name: `bench ${w} ${i}` } }),
        );
        ops++;
      }
    }),
  );
  return ops / seconds;
}

const load = () => os.loadavg()[0]!.toFixed(2);
console.log(
  `bench:citus: ${seconds} s per cell, ${rounds} rounds alternated; load ${load()} at start, ${os.cpus().length} cores`,
);
const sides = [await side('citus'), await side('single')];
try {
  for (const workload of ['findMany', 'create'] as const) {
    for (const c of [1, 32]) {
      const results: Record<string, number[]> = { citus: [], single: [] };
      for (let r = 0; r < rounds; r++)
        for (const s of r % 2 ? [...sides].reverse() : sides) results[s.name]!.push(await run(s, workload, c));
      const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
      const citus = median(results.citus!);
      const single = median(results.single!);
      console.log(
        `${workload.padEnd(8)} c=${String(c).padEnd(2)}  citus ${citus.toFixed(0).padStart(6)} ops/s  single ${single.toFixed(0).padStart(6)} ops/s  citus/single ${(citus / single).toFixed(2)}  (load ${load()})`,
      );
    }
  }
} finally {
  for (const s of sides) await s.stop();
}
