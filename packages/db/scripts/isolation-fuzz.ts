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
import { createTenantPrismaClient } from '../src/client.js';
import { createAdminPrismaClient } from '../src/admin.js';
import {
  appMigrations,
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
  },
});
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
// Both PgBouncers are required: a third of the operations go through each.
const rig = await provisionTestRig({
  purpose: 'the isolation fuzzer',
  database: `tenantry_fuzz_${process.pid}`,
  pgbouncer: { modes: ['session', 'transaction'], poolSize: 10 },
  log,
});
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
  } finally {
    await admin.$disconnect();
  }
} finally {
  await rig.stop();
}
process.exit(exitCode);
