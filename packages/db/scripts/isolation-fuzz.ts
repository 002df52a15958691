// `pnpm test:isolation [-- --ops N --seed S --tenants N --concurrency N --pool N]`
//
// The isolation fuzzer against a real Postgres, on every route the runtime takes: directly, through
// PgBouncer in session mode and in transaction mode (a third of the operations each), with backends
// terminated and PgBouncer restarted while it runs. Prints the figure block per route and, last,
// one line for tools: `isolation: ops=N tenants=N faults=N crossTenantRows=N ... seed=S`.
// Exits 1 when any of the five counters is not 0 (inheritedSessionState: session state such as temp
// tables, cursors, SETs, prepared statements, LISTENs or advisory locks that one operation left and a
// later one found) or too few operations succeeded.
import { randomInt } from 'node:crypto';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { createTenantPrismaClient } from '../src/client.js';
import { createAdminPrismaClient } from '../src/admin.js';
import { ROLES } from '../src/testing/index.js';
import { provisionTestRig } from '../src/testing/index.js';
import {
  formatIsolationReport, isolationLine, runIsolationFuzz, seedTenantryFuzzData, tenantryOperations, type IsolationReport,
} from '../src/testing/index.js';

const { values } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: {
    ops: { type: 'string', default: '100000' },
    seed: { type: 'string' },
    tenants: { type: 'string', default: '60' },
    concurrency: { type: 'string', default: '32' },
    pool: { type: 'string', default: '8' },
  },
});
const ops = Number(values.ops);
const seed = values.seed !== undefined ? Number(values.seed) : randomInt(1, 2 ** 31);
const tenantCount = Number(values.tenants);
const concurrency = Number(values.concurrency);
const poolSize = Number(values.pool);
for (const [name, v] of Object.entries({ ops, seed, tenants: tenantCount, concurrency, pool: poolSize })) {
  if (!Number.isInteger(v) || v < 1) throw new Error(`Cannot run the fuzzer because --${name} is not a positive integer.`);
}

const log = (m: string) => console.log(`[fuzz] ${m}`);
const started = Date.now();
// Both PgBouncers are required: a third of the operations go through each.
const rig = await provisionTestRig({
  purpose: 'the isolation fuzzer',
  database: `tenantry_fuzz_${process.pid}`,
  pgbouncer: { modes: ['session', 'transaction'], poolSize: 10 },
  log,
});
let failed = false;
try {
  const admin = createAdminPrismaClient({ connectionString: rig.url('admin') });
  const superuser = new pg.Pool({ connectionString: rig.url('superuser'), max: 2 });
  superuser.on('error', () => {});
  const tenants = await seedTenantryFuzzData(admin, { tenants: tenantCount, seed });
  log(`seeded ${tenants.length} tenants; seed ${seed}; ${ops} operations at concurrency ${concurrency}, pool ${poolSize}`);

  const routes = [
    { name: 'direct', url: rig.url('app', 'direct'), bouncer: undefined, pooler: 'none' as const },
    { name: 'pgbouncer-session', url: rig.url('app', 'pgbouncer-session'), bouncer: rig.bouncer('session'), pooler: 'session' as const },
    { name: 'pgbouncer-transaction', url: rig.url('app', 'pgbouncer-transaction'), bouncer: rig.bouncer('transaction'), pooler: 'transaction' as const },
  ];
  const reports: IsolationReport[] = [];
  for (const [i, route] of routes.entries()) {
    const client = createTenantPrismaClient({ connectionString: route.url, poolSize, pooler: route.pooler, connectionTimeoutMillis: 30_000 });
    const report = await runIsolationFuzz({
      client,
      admin,
      tenants,
      ops: Math.ceil(ops / routes.length),
      seed: (seed + i) >>> 0,
      concurrency,
      extraOperations: tenantryOperations(),
      faults: {
        terminateBackends: async (rng) => {
          const { rowCount } = await superuser.query(
            `select pg_terminate_backend(pid) from pg_stat_activity
              where datname = current_database() and usename = $1 and pid <> pg_backend_pid()
              order by random() limit $2`,
            [ROLES.app, 1 + rng.int(2)],
          );
          return rowCount ?? 0;
        },
        ...(route.bouncer ? { restartPooler: () => route.bouncer!.restart() } : {}),
        intervalMs: 300,
      },
    });
    await client.$disconnect();
    console.log(formatIsolationReport(report, route.name));
    reports.push(report);
  }
  await admin.$disconnect();
  await superuser.end();

  const total = reports.reduce(
    (acc, r) => ({
      ops: acc.ops + r.ops,
      succeeded: acc.succeeded + r.opsSucceeded,
      faults: acc.faults + r.faults,
      crossTenantRows: acc.crossTenantRows + r.crossTenantRows,
      noContextRows: acc.noContextRows + r.noContextRows,
      lostWrites: acc.lostWrites + r.lostWrites,
      phantomWrites: acc.phantomWrites + r.phantomWrites,
      inheritedSessionState: acc.inheritedSessionState + r.inheritedSessionState,
    }),
    { ops: 0, succeeded: 0, faults: 0, crossTenantRows: 0, noContextRows: 0, lostWrites: 0, phantomWrites: 0, inheritedSessionState: 0 },
  );
  const successRate = total.succeeded / total.ops;
  console.log(`\ntotal: ${total.ops} operations (${(successRate * 100).toFixed(1)}% succeeded, the rest rejected as designed or cut by faults) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  failed = total.crossTenantRows + total.noContextRows + total.lostWrites + total.phantomWrites + total.inheritedSessionState > 0 || successRate < 0.5;
  if (successRate < 0.5) console.log('FAILED: fewer than half of the operations succeeded, so the run proves too little.');
  console.log(isolationLine({ ...total, tenants: tenants.length, seed }));
} finally {
  await rig.stop();
}
process.exit(failed ? 1 : 0);
