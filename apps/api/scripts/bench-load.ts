/**
 * `pnpm --filter @tenantry/api bench:load`: HTTP throughput of the API on Tenantry (tenant client,
 * RLS, transaction-local settings) against the SAME API on an unscoped baseline (admin client with
 * explicit tenant filters), and a count of rows any response returned from a tenant other than the
 * caller's (must be 0).
 *
 * Loopback only and bounded: each API runs in its own process on 127.0.0.1, autocannon drives it
 * for BENCH_DURATION seconds (default 8) with BENCH_CONNECTIONS connections (default 32), rounds
 * alternate tenantry/baseline BENCH_ROUNDS times (default 3) and the medians are compared. Both go
 * through PgBouncer in session mode when it is installed, else straight to Postgres.
 * Postgres: TEST_DATABASE_URL, else Docker, else embedded (as the tests).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import path from 'node:path';
import autocannon from 'autocannon';
import { SignJWT } from 'jose';
import { createAdminPrismaClient } from '@tenantry/db/admin';
import {
  ROLES,
  createMigratedDatabase,
  dropDatabases,
  ensureRoles,
  provisionPostgres,
  roleUrl,
  startPgBouncer,
} from '@tenantry/db/testing';

const DURATION = Number(process.env.BENCH_DURATION || 8);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS || 32);
const ROUNDS = Number(process.env.BENCH_ROUNDS || 3);
const TENANTS = Number(process.env.BENCH_TENANTS || 50);
const SECRET = 'bench-secret-at-least-32-characters-long!';
const log = (m: string) => console.log(`[bench:load] ${m}`);

interface BenchTenant {
  tenantId: string;
  token: string;
  projectId: string;
}

const server = await provisionPostgres({ log });
const database = `tenantry_api_bench_${process.pid}`;
const children: ChildProcess[] = [];
let bouncer: Awaited<ReturnType<typeof startPgBouncer>>;
try {
  await ensureRoles(server);
  await createMigratedDatabase(server, database);
  bouncer = await startPgBouncer({
    upstreamHost: server.host,
    upstreamPort: server.port,
    mode: 'session',
    poolSize: 30,
    log,
  });
  const via = (role: (typeof ROLES)[keyof typeof ROLES]) =>
    bouncer ? roleUrl(server, role, database, bouncer.host, bouncer.port) : roleUrl(server, role, database);
  const tenants = await seed(roleUrl(server, ROLES.admin, database));
  log(`seeded ${tenants.length} tenants × 10 projects × 5 tasks; route: ${bouncer ? 'pgbouncer session' : 'direct'}`);

  const env = {
    ...process.env,
    JWT_SECRET: SECRET,
    BENCH_RUNTIME_URL: via(ROLES.app),
    BENCH_ADMIN_URL: via(ROLES.admin),
  };
  const urls = { tenantry: await startServer('tenantry', env), baseline: await startServer('baseline', env) };
  const results: Record<
    'tenantry' | 'baseline',
    Array<{ rps: number; leaked: number; errors: number; requests: number }>
  > = { tenantry: [], baseline: [] };
  await load(urls.tenantry, tenants, 2); // warm-up: JIT, pools, plans
  await load(urls.baseline, tenants, 2);
  for (let round = 1; round <= ROUNDS; round++) {
    for (const mode of ['tenantry', 'baseline'] as const) {
      const r = await load(urls[mode], tenants, DURATION);
      results[mode].push(r);
      log(
        `round ${round} ${mode.padEnd(8)} ${r.rps.toFixed(0)} req/s, ${r.requests} requests, non-2xx ${r.errors}, foreign rows ${r.leaked}`,
      );
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const t = median(results.tenantry.map((r) => r.rps));
  const b = median(results.baseline.map((r) => r.rps));
  const leaked = [...results.tenantry, ...results.baseline].reduce((n, r) => n + r.leaked, 0);
  const errors = [...results.tenantry, ...results.baseline].reduce((n, r) => n + r.errors, 0);
  console.log(
    JSON.stringify({
      connections: CONNECTIONS,
      durationSeconds: DURATION,
      rounds: ROUNDS,
      tenants: tenants.length,
      tenantryRps: Math.round(t),
      baselineRps: Math.round(b),
      ratio: Number((t / b).toFixed(3)),
      leakedRows: leaked,
      non2xx: errors,
    }),
  );
  if (leaked > 0 || errors > 0) process.exitCode = 1;
} finally {
  for (const child of children) child.kill('SIGTERM');
  await Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once('exit', r)))));
  await bouncer?.stop();
  await dropDatabases(server, [database]).catch(() => {});
  await server.stop();
}

async function seed(adminUrl: string): Promise<BenchTenant[]> {
  const admin = createAdminPrismaClient({ connectionString: adminUrl });
  const out: BenchTenant[] = [];
  try {
    for (let i = 0; i < TENANTS; i++) {
      const tenantId = randomUUID();
      const userId = randomUUID();
      const workspaceId = randomUUID();
      await admin.tenant.create({
        data: { id: tenantId, name: `bench ${i}`, slug: `bench-${i}-${tenantId.slice(0, 8)}` },
      });
      await admin.user.create({
        data: { id: userId, email: `bench-${i}-${userId.slice(0, 8)}@bench.test`, name: `bench ${i}` },
      });
      await admin.membership.create({ data: { tenantId, userId, role: 'owner' } });
      await admin.workspace.create({ data: { tenantId, id: workspaceId, name: 'main' } });
      const projects = Array.from({ length: 10 }, (_, p) => ({
        tenantId,
        workspaceId,
        id: randomUUID(),
        name: `bench ${i} p${p}`,
      }));
      await admin.project.createMany({ data: projects });
      await admin.task.createMany({
        data: projects.flatMap((p) =>
          Array.from({ length: 5 }, (_, k) => ({ tenantId, workspaceId, projectId: p.id, title: `t${k}` })),
        ),
      });
      const token = await new SignJWT({ role: 'authenticated' })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(userId)
        .setAudience('authenticated')
        .setExpirationTime('1h')
        .sign(new TextEncoder().encode(SECRET));
      out.push({ tenantId, token, projectId: projects[0]!.id });
    }
  } finally {
    await admin.$disconnect();
  }
  return out;
}

async function startServer(mode: 'tenantry' | 'baseline', env: NodeJS.ProcessEnv): Promise<string> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(import.meta.dirname, 'bench', 'bench-server.ts')],
    {
      env: { ...env, BENCH_MODE: mode },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  children.push(child);
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) =>
      reject(new Error(`Cannot run the bench because the ${mode} server exited (${code}) before listening.`)),
    );
  });
  return `http://127.0.0.1:${(JSON.parse(line) as { port: number }).port}`;
}

/**
 * Each request picks a tenant at random: GET /projects?limit=20 (3 of 4) or GET /tasks?projectId=
 * (1 of 4), with that tenant's token and x-tenant-id. Every row of every response is checked.
 */
async function load(url: string, tenants: BenchTenant[], duration: number) {
  let leaked = 0;
  let picked = 0;
  const instance = autocannon({
    url,
    connections: CONNECTIONS,
    duration,
    requests: [
      {
        setupRequest(req, ctx) {
          const context = ctx as { tenantId?: string };
          const tenant = tenants[Math.floor(Math.random() * tenants.length)]!;
          context.tenantId = tenant.tenantId;
          picked++;
          const path = picked % 4 === 0 ? `/tasks?projectId=${tenant.projectId}&limit=20` : '/projects?limit=20';
          return {
            ...req,
            method: 'GET',
            path,
            headers: { authorization: `Bearer ${tenant.token}`, 'x-tenant-id': tenant.tenantId },
          };
        },
        onResponse(status, body, ctx) {
          const context = ctx as { tenantId?: string };
          if (status !== 200) return;
          const items = (JSON.parse(body) as { items: Array<{ tenantId: string }> }).items;
          for (const row of items) if (row.tenantId !== context.tenantId) leaked++;
        },
      },
    ],
  });
  const result = await instance;
  return {
    rps: result.requests.average,
    requests: result.requests.total,
    errors: result.non2xx + result.errors,
    leaked,
  };
}
