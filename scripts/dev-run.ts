/**
 * `pnpm dev`: everything a fresh clone needs to serve the apps, in one command.
 *
 * 1. The database: `DATABASE_URL`/`DIRECT_URL`/`DATABASE_ADMIN_URL` from the environment or `.env`
 *    when set (docker-compose, Supabase), else a persistent embedded PostgreSQL in
 *    `.tenantry/dev-db` (git-ignored) on a free port (never 5432) or `EMBEDDED_PG_PORT`, with the
 *    roles, migrations, demo data and PgBouncer in session mode (see provisionDevDatabase).
 * 2. The apps in APPS, through `turbo run dev` (each app's own `dev` script, in watch mode), with
 *    the database URLs in their environment.
 * 3. Waits until each app answers its health check and prints how to try it.
 * Ctrl-C stops the apps, then PgBouncer and Postgres; the data stays for the next run.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import dotenv from 'dotenv';
import { provisionDevDatabase, type DevDatabase } from '@tenantry/db/testing';

interface DevApp {
  /** The workspace package, as `turbo --filter` takes it. */
  filter: string;
  port: number;
  /** Environment the app reads its port (and anything else) from. */
  env: Record<string, string>;
  /** Path that answers 200 once the app is ready. */
  healthPath: string;
  /** Lines printed once it is ready. */
  hints: (url: string) => string[];
}

const root = path.resolve(import.meta.dirname, '..');
dotenv.config({ path: path.join(root, '.env'), quiet: true });

// A fixed local secret so demo tokens survive restarts. Production sets its own (the API refuses
// short secrets when NODE_ENV=production).
process.env.JWT_SECRET ||= 'tenantry-local-dev-jwt-secret-not-for-production';

const apiPort = Number(process.env.API_PORT || 3001);

/** The apps `pnpm dev` starts. Adding one is one entry here. */
const APPS: DevApp[] = [
  { filter: '@tenantry/api', port: apiPort, env: { API_PORT: String(apiPort) }, healthPath: '/health', hints: apiHints },
  { filter: '@tenantry/web', port: Number(process.env.WEB_PORT || 3000), env: { WEB_PORT: process.env.WEB_PORT || '3000' }, healthPath: '/api/health', hints: (url) => [`  web:      ${url}  (Next.js; dev sign-in at ${url}/sign-in as alice@acme.test, bob@globex.test or carol@both.test)`] },
];

const log = (message: string) => console.log(`[dev] ${message}`);

async function main(): Promise<void> {
  log(process.env.DATABASE_URL ? 'using DATABASE_URL from the environment' : 'no DATABASE_URL: starting the embedded dev database');
  const db = await provisionDevDatabase({ dataDir: path.join(root, '.tenantry', 'dev-db'), log });
  if (db.appliedMigrations.length) log(`applied migrations: ${db.appliedMigrations.join(', ')}`);
  if (db.seeded) log(`demo data: ${JSON.stringify(db.seeded)}`);

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: db.databaseUrl,
    ...(db.directUrl ? { DIRECT_URL: db.directUrl } : {}),
    ...(db.adminUrl ? { DATABASE_ADMIN_URL: db.adminUrl } : {}),
    ...Object.assign({}, ...APPS.map((app) => app.env)),
  };
  const turbo = spawn('pnpm', ['exec', 'turbo', 'run', 'dev', '--ui=stream', ...APPS.map((app) => `--filter=${app.filter}`)], {
    cwd: root,
    env,
    stdio: 'inherit',
  });

  let stopping: Promise<void> | undefined;
  const stop = (code: number) =>
    (stopping ??= (async () => {
      if (turbo.exitCode === null && turbo.signalCode === null) {
        turbo.kill('SIGINT');
        await new Promise((resolve) => turbo.once('exit', resolve));
      }
      await db.stop();
      log('stopped (the data stays in .tenantry/dev-db)');
      process.exit(code);
    })());
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));
  turbo.once('exit', (code) => void stop(code ?? 1));

  for (const app of APPS) await waitForHealth(`http://127.0.0.1:${app.port}${app.healthPath}`, app.filter);
  printBanner(db);
}

async function waitForHealth(url: string, name: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      /* not listening yet */
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  log(`${name} did not answer ${url} within 120 s; see its output above`);
}

function printBanner(db: DevDatabase): void {
  const lines = [
    '',
    'Tenantry is running.',
    `  database: ${db.source === 'embedded' ? 'embedded PostgreSQL, data in .tenantry/dev-db' : 'from your environment'}`,
    `  route:    ${db.route}`,
    `  DATABASE_URL=${db.databaseUrl}`,
    ...APPS.flatMap((app) => app.hints(`http://localhost:${app.port}`)),
    '',
    'Ctrl-C stops everything.',
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
  console.error(`[dev] ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exit(1);
});
