/**
 * What every test file shares, once per run (provisionTestRig): PostgreSQL with the Tenantry roles, one migrated
 * database with the demo data, PgBouncer in session mode in front of it (the route `pnpm dev` uses),
 * a production build of the app (`next build`) and `next start` on a random loopback port, with the
 * runtime role's URL as DATABASE_URL. WEB_TEST_SKIP_BUILD=1 reuses an existing build (local loops).
 */
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { provisionTestRig } from '@tenantry/db/testing';
import {
  APP_DIR as appDir,
  NEXT_BIN as nextBin,
  RESULTS_DIR as resultsDir,
  startNextServer,
  type NextServer,
} from '../support/next-server';

export const TEST_JWT_SECRET = 'web-e2e-test-secret-at-least-32-characters';

export interface WebRig {
  baseUrl: string;
  /** tenantry_app, through PgBouncer when installed (what the server uses). */
  runtimeUrl: string;
  /** tenantry_app, straight to Postgres (connection counting). */
  directRuntimeUrl: string;
  /** tenantry_admin, direct: seeding and checking behind the app's back. */
  adminUrl: string;
  /** postgres superuser on the same server (pg_stat_activity sees every backend). */
  superuserUrl: string;
  database: string;
  jwtSecret: string;
  route: 'pgbouncer-session' | 'direct';
}

declare module 'vitest' {
  export interface ProvidedContext {
    webRig: WebRig;
  }
}

const log = (m: string) => console.log(`[web-rig] ${m}`);

function run(command: string, args: string[], env: NodeJS.ProcessEnv, logFile: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const out = createWriteStream(logFile);
    const child = spawn(command, args, { cwd: appDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.pipe(out);
    child.stderr.pipe(out);
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0
        ? resolve()
        : reject(
            new Error(
              `Cannot build the web app: \`${command} ${args.join(' ')}\` exited with ${code}. See ${logFile}.`,
            ),
          ),
    );
  });
}

export default async function setup(project: TestProject) {
  mkdirSync(resultsDir, { recursive: true });
  const baseEnv = { ...process.env, NEXT_TELEMETRY_DISABLED: '1' };
  // Build while the database is being provisioned: both take a while, the build most.
  const build =
    process.env.WEB_TEST_SKIP_BUILD === '1' && existsSync(path.join(appDir, '.next', 'BUILD_ID'))
      ? Promise.resolve(log('reusing the existing .next build (WEB_TEST_SKIP_BUILD=1)'))
      : (log('next build --webpack ...'),
        run(
          process.execPath,
          [nextBin, 'build', '--webpack'],
          { ...baseEnv, NODE_ENV: 'production' },
          path.join(resultsDir, 'next-build.log'),
        ));
  build.catch(() => {}); // awaited below; do not let it surface as an unhandled rejection first

  // PgBouncer is optional here, deliberately: without the binary the app goes straight to Postgres
  // (and `route` says so) rather than the web tests not running at all.
  const rig = await provisionTestRig({
    purpose: 'the web tests',
    database: `tenantry_web_t${process.pid}`,
    seed: 'demo',
    pgbouncer: { modes: ['session'], poolSize: 20, ifMissing: 'direct' },
    log,
  });
  const database = rig.info.database!;
  let next: NextServer | undefined;
  const cleanup = async () => {
    await next?.stop();
    await rig.stop();
  };
  try {
    const route = rig.hasRoute('pgbouncer-session') ? 'pgbouncer-session' : 'direct';
    const runtimeUrl = rig.url('app', route);
    const adminUrl = rig.url('admin');

    await build;
    next = await startNextServer({
      logName: 'next-start.log',
      env: {
        DATABASE_URL: runtimeUrl,
        DATABASE_ADMIN_URL: adminUrl,
        DATABASE_POOL_SIZE: '8',
        JWT_SECRET: TEST_JWT_SECRET,
        WEB_DEV_SIGN_IN: '1', // the dev sign-in, on a throwaway database only
      },
    });
    log(`next start on ${next.baseUrl} (log: ${path.relative(process.cwd(), next.logFile)})`);
    project.provide('webRig', {
      baseUrl: next.baseUrl,
      runtimeUrl,
      directRuntimeUrl: rig.url('app'),
      adminUrl,
      superuserUrl: rig.url('superuser'),
      database,
      jwtSecret: TEST_JWT_SECRET,
      route,
    });
  } catch (error) {
    await cleanup().catch((cleanupError: unknown) => log(`cleanup after a failed setup: ${String(cleanupError)}`));
    throw error;
  }
  return cleanup;
}
