// `pnpm test:isolation [-- --ops N --seed S --tenants N --concurrency N --pool N] [--citus]`
//
// --citus (run by `pnpm test:citus`): the same against the Citus coordinator at CITUS_URL, on a
// database migrated and then distributed over its workers (src/testing/citus.ts), with every client
// in Citus mode; PgBouncer sits in front of the coordinator.
//
// The isolation fuzzer against a real Postgres, on every route the runtime takes: directly, through
// PgBouncer in session mode and in transaction mode (a third of the operations each), with backends
// terminated and PgBouncer restarted while it runs. Prints the figure block per route and, last,
// one line for tools: `isolation: ops=N tenants=N faults=N crossTenantRows=N ... seed=S`.
// Exits 1 when any of the five counters is not 0 (inheritedSessionState: session state such as temp
// tables, cursors, SETs, prepared statements, LISTENs or advisory locks that one operation left and a
// later one found), when the audit log does not replay to the tables (auditMismatches, printed after
// the routes), or too few operations succeeded.
import { randomInt } from 'node:crypto';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { createTenantPrismaClient } from '../src/client.js';
import { createAdminPrismaClient } from '../src/admin.js';
import { citusUrlFromEnv, citusWorkers, distributeTestDatabase, dropWorkerDatabases } from '../src/testing/citus.js';
import {
  appMigrations,
  auditMismatches,
  fuzzAllRoutes,
  provisionTestRig,
  seedTenantryFuzzData,
  tenantryOperations,
} from '../src/testing/index.js';

const { values } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: {
    ops: { type: 'string', default: '100000' },
    seed: { type: 'string' },
    tenants: { type: 'string', default: '60' },
    concurrency: { type: 'string', default: '32' },
    pool: { type: 'string', default: '8' },
    citus: { type: 'boolean', default: false },
  },
});
const citus = values.citus === true;
const ops = Number(values.ops);
const seed = values.seed !== undefined ? Number(values.seed) : randomInt(1, 2 ** 31);
const tenantCount = Number(values.tenants);
const concurrency = Number(values.concurrency);
const poolSize = Number(values.pool);
for (const [name, v] of Object.entries({ ops, seed, tenants: tenantCount, concurrency, pool: poolSize })) {
  if (!Number.isInteger(v) || v < 1)
    throw new Error(`Cannot run the fuzzer because --${name} is not a positive integer.`);
}

const log = (m: string) => console.log(`[fuzz] ${m}`);
const started = Date.now();
const database = `tenantry_fuzz_${process.pid}`;
let workers: Awaited<ReturnType<typeof citusWorkers>> = [];
if (citus) {
  process.env.TEST_DATABASE_URL = citusUrlFromEnv();
  workers = await citusWorkers(process.env.TEST_DATABASE_URL);
}
// Both PgBouncers are required: a third of the operations go through each.
const rig = await provisionTestRig({
  purpose: citus ? 'the isolation fuzzer on Citus' : 'the isolation fuzzer',
  database,
  ...(citus ? { source: 'env' as const } : {}),
  pgbouncer: { modes: ['session', 'transaction'], poolSize: 10 },
  log,
});
if (citus) {
  const distributed = await distributeTestDatabase(rig.server.superuserUrl(), database, workers);
  log(
    `citus: ${distributed.distributed.length} distributed and ${distributed.reference.length} reference tables over ${distributed.workers} workers`,
  );
}
let exitCode = 1;
try {
  const admin = createAdminPrismaClient({ connectionString: rig.url('admin') });
  const tenants = await seedTenantryFuzzData(admin, { tenants: tenantCount, seed });
  log(
    `seeded ${tenants.length} tenants; seed ${seed}; ${ops} operations at concurrency ${concurrency}, pool ${poolSize}`,
  );
  try {
    ({ exitCode } = await fuzzAllRoutes({
      rig,
      routes: ['direct', 'pgbouncer-session', 'pgbouncer-transaction'],
      makeClient: (route) =>
        createTenantPrismaClient({
          connectionString: route.url,
          poolSize,
          pooler: route.pooler,
          connectionTimeoutMillis: 30_000,
          ...(citus ? { distributed: 'citus' as const } : {}),
        }),
      admin,
      tenants,
      ops,
      seed,
      concurrency,
      schema: appMigrations().schemaPath,
      extraOperations: tenantryOperations(),
      startedAt: started,
      out: (line) => console.log(line),
    }));
    // The audit log must hold exactly the acknowledged writes: its events replayed give the tables.
    const superuser = new pg.Pool({ connectionString: rig.server.superuserUrl(database), max: 1 });
    try {
      const audit = await auditMismatches(superuser);
      console.log(`audit: events ${audit.events}, rows ${audit.rows}, auditMismatches ${audit.auditMismatches}`);
      for (const sample of audit.samples) console.log(`  audit mismatch: ${sample}`);
      if (audit.auditMismatches > 0) exitCode = 1;
    } finally {
      await superuser.end();
    }
  } finally {
    await admin.$disconnect();
  }
} finally {
  await rig.stop();
  if (citus) await dropWorkerDatabases(process.env.TEST_DATABASE_URL!, workers, [database]);
}
process.exit(exitCode);
