/**
 * `pnpm dev` (scripts/dev.ts) as a newcomer meets it: run as a child process with its own dev
 * directory (TENANTRY_DEV_DIR in a temp dir) and ports picked here, never the repository's
 * `.tenantry` or 3000/3001. Each failure mode stops within seconds, exits non-zero and names what to
 * fix; a clean Ctrl-C exits 0 with no ELIFECYCLE; the data a user changed survives a restart (and a
 * crash); a killed PgBouncer is restarted (a bounded number of times), a killed embedded Postgres
 * stops everything, and a database from DATABASE_URL that goes away only draws a warning.
 * Only the API is started (`--app @tenantry/api`): no Next.js compile, no browser.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { ROLES, devPassword } from '../../src/testing/index.js';
import { startPgBouncer } from '../../src/testing/index.js';
import { freeLocalPort } from '../../src/testing/index.js';

const repoRoot = path.resolve(import.meta.dirname, '../../../..');

interface DevRun {
  child: ChildProcess;
  output: () => string;
  /** Resolves with the exit code and how long the run took. */
  exited: Promise<{ code: number | null; seconds: number }>;
  /** Resolves once `pattern` appears in the output; rejects if the process exits first. */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<void>;
}

const runs: DevRun[] = [];
const tempDirs: string[] = [];

/** Starts `pnpm dev` (or node on scripts/dev.ts) with a clean environment: no .env value leaks in. */
function startDev(env: Record<string, string>, options: { viaPnpm?: boolean; args?: string[] } = {}): DevRun {
  const cleanEnv: NodeJS.ProcessEnv = { ...process.env };
  // Set to '' rather than deleted: dotenv then leaves them alone, so a developer's .env cannot change the test.
  for (const name of [
    'DATABASE_URL',
    'DIRECT_URL',
    'DATABASE_ADMIN_URL',
    'EMBEDDED_PG_PORT',
    'API_HOST',
    'NODE_ENV',
    'TENANTRY_ROUTE',
  ])
    cleanEnv[name] = '';
  Object.assign(cleanEnv, { NO_COLOR: '1', FORCE_COLOR: '0', ...env });
  const args = ['--app', '@tenantry/api', ...(options.args ?? [])];
  const child = options.viaPnpm
    ? spawn('pnpm', ['--silent', 'dev', ...args], {
        cwd: repoRoot,
        env: cleanEnv,
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      })
    : spawn(process.execPath, ['--import', 'tsx', 'scripts/dev.ts', ...args], {
        cwd: repoRoot,
        env: cleanEnv,
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      });
  let text = '';
  const waiters = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    text += chunk.toString();
    for (const check of waiters) check();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const started = Date.now();
  const exited = new Promise<{ code: number | null; seconds: number }>((resolve) =>
    child.once('exit', (code) => resolve({ code, seconds: (Date.now() - started) / 1000 })),
  );
  const run: DevRun = {
    child,
    output: () => text,
    exited,
    waitFor(pattern, timeoutMs) {
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => done(new Error(`pnpm dev did not print ${pattern} within ${timeoutMs / 1000} s. Output:\n${text}`)),
          timeoutMs,
        );
        const check = () => pattern.test(text) && done();
        const done = (error?: Error) => {
          clearTimeout(timer);
          waiters.delete(check);
          if (error) reject(error);
          else resolve();
        };
        waiters.add(check);
        void exited.then(({ code }) =>
          done(
            pattern.test(text)
              ? undefined
              : new Error(`pnpm dev exited (${code}) before printing ${pattern}. Output:\n${text}`),
          ),
        );
        check();
      });
    },
  };
  runs.push(run);
  return run;
}

/** Stops a run the way a user would (SIGINT to its process group, as a terminal's Ctrl-C), then harder. */
async function stopRun(run: DevRun): Promise<void> {
  if (run.child.exitCode !== null || run.child.signalCode !== null) return;
  try {
    process.kill(-run.child.pid!, 'SIGINT');
  } catch {
    return;
  }
  const stopped = await Promise.race([
    run.exited.then(() => true),
    new Promise<boolean>((r) => setTimeout(() => r(false), 25_000)),
  ]);
  if (!stopped) {
    try {
      process.kill(-run.child.pid!, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}

function tempDevDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tenantry-dev-test-'));
  // As root the server runs as the `postgres` OS user, which must traverse the directory.
  chmodSync(dir, 0o755);
  tempDirs.push(dir);
  return dir;
}

/** A port held by a plain TCP server for the duration of a test. */
async function occupiedPort(): Promise<{ port: number; close: () => Promise<void> }> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return { port, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** True when nothing listens on 127.0.0.1:port any more. */
function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

afterEach(async () => {
  for (const run of runs.splice(0)) await stopRun(run);
});

afterAll(() => {
  for (const dir of tempDirs) {
    // A Postgres left behind by a run that was killed: stop it before removing its directory.
    const pidFile = path.join(dir, 'dev-db', 'postmaster.pid');
    if (existsSync(pidFile)) {
      try {
        process.kill(Number(readFileSync(pidFile, 'utf8').split('\n')[0]), 'SIGINT');
      } catch {
        /* not running */
      }
    }
    rmSync(dir, { recursive: true, force: true });
  }
});

describe('pnpm dev fails fast and names the variable', () => {
  let ports: { api: number; web: number };
  beforeAll(async () => {
    ports = { api: await freeLocalPort(), web: await freeLocalPort() };
  });

  it.each(['API_PORT', 'WEB_PORT', 'EMBEDDED_PG_PORT'])(
    '%s in use: exit 1 within seconds, naming the port and the variable',
    async (variable) => {
      const held = await occupiedPort();
      try {
        const env = {
          TENANTRY_DEV_DIR: tempDevDir(),
          API_PORT: String(ports.api),
          WEB_PORT: String(ports.web),
          [variable]: String(held.port),
        };
        // WEB_PORT is checked only for the apps that start: start both for that case.
        const run = startDev(env, variable === 'WEB_PORT' ? { args: ['--app', '@tenantry/web'] } : {});
        const { code, seconds } = await run.exited;
        expect(code).toBe(1);
        expect(seconds).toBeLessThan(30);
        expect(run.output()).toContain(
          `Cannot start pnpm dev because port ${held.port} (${variable} from the environment`,
        );
        expect(run.output()).toContain(`set ${variable} to a free port`);
        expect(run.output()).not.toMatch(/Tenantry is running|postgres: embedded/);
      } finally {
        await held.close();
      }
    },
  );

  it('a malformed DATABASE_URL: exit 1, names the variable, never prints its value', async () => {
    const run = startDev({
      TENANTRY_DEV_DIR: tempDevDir(),
      API_PORT: String(ports.api),
      DATABASE_URL: 'postgres//tenantry_app:s3cret-value@db.example:6432/tenantry',
    });
    const { code, seconds } = await run.exited;
    expect(code).toBe(1);
    expect(seconds).toBeLessThan(30);
    expect(run.output()).toMatch(
      /Cannot start pnpm dev because DATABASE_URL from the environment is not a postgres:\/\/ URL .*remove DATABASE_URL to use the embedded dev database\./,
    );
    expect(run.output()).not.toContain('s3cret-value');
  });

  it('a port variable that is not a port: exit 1, names it', async () => {
    const run = startDev({ TENANTRY_DEV_DIR: tempDevDir(), API_PORT: 'http://localhost:3001' });
    const { code } = await run.exited;
    expect(code).toBe(1);
    expect(run.output()).toContain(
      'Cannot start pnpm dev because API_PORT from the environment is "http://localhost:3001", not a port number (1-65535).',
    );
  });

  it("an unreachable DATABASE_URL: prints the API's health message once, no banner, exit 1", async () => {
    const nowhere = await freeLocalPort();
    const run = startDev({
      TENANTRY_DEV_DIR: tempDevDir(),
      API_PORT: String(ports.api),
      DATABASE_URL: `postgres://tenantry_app@127.0.0.1:${nowhere}/tenantry`,
    });
    const { code, seconds } = await run.exited;
    const output = run.output();
    expect(code, output).toBe(1);
    expect(seconds).toBeLessThan(60);
    const failures = output
      .split('\n')
      .filter((line) =>
        line.startsWith('[dev] Cannot start pnpm dev because @tenantry/api answered GET /health with 503'),
      );
    expect(failures, output).toHaveLength(1);
    expect(failures[0]).toContain('Cannot reach the database through DATABASE_URL');
    expect(failures[0]).toContain(
      'remove DATABASE_URL, DIRECT_URL and DATABASE_ADMIN_URL to use the embedded dev database',
    );
    expect(output).not.toContain('Tenantry is running');
    // One health request, not one per poll.
    expect(output.match(/"route":"\/health"/g) ?? []).toHaveLength(1);
  }, 90_000);
});

describe('pnpm dev on the embedded database, restarted', () => {
  let devDir: string;
  let apiPort: number;
  let userMarketingId: string;

  beforeAll(async () => {
    devDir = tempDevDir();
    apiPort = await freeLocalPort();
  });

  async function api(method: string, route: string, token?: string, body?: unknown) {
    const response = await fetch(`http://127.0.0.1:${apiPort}${route}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: response.status, body: (await response.json().catch(() => undefined)) as any };
  }

  it('first start: banner once the API answered; the user edits the demo data; Ctrl-C exits 0 without ELIFECYCLE', async () => {
    const run = startDev({ TENANTRY_DEV_DIR: devDir, API_PORT: String(apiPort) }, { viaPnpm: true });
    await run.waitFor(/Tenantry is running/, 100_000);
    expect(run.output()).toContain('[dev] demo data loaded: 2 tenants');

    const { token } = (await api('POST', '/dev/token', undefined, { email: 'alice@acme.test' })).body;
    const workspaces = (await api('GET', '/workspaces', token)).body.items as Array<{ id: string; name: string }>;
    const marketing = workspaces.find((w) => w.name === 'Marketing')!;
    expect((await api('DELETE', `/workspaces/${marketing.id}`, token)).status).toBeLessThan(300);
    const created = await api('POST', '/workspaces', token, { name: 'Marketing' });
    expect(created.status).toBe(201);
    userMarketingId = created.body.id;

    process.kill(-run.child.pid!, 'SIGINT'); // what a terminal's Ctrl-C does: the whole foreground group
    const { code, seconds } = await run.exited;
    expect(code, run.output()).toBe(0);
    expect(seconds).toBeGreaterThan(0);
    expect(run.output()).toContain('[dev] stopped');
    expect(run.output()).not.toMatch(/ELIFECYCLE|Command failed|ERR_PNPM/);
    expect(await portIsFree(apiPort), 'the API still listens after pnpm dev exited').toBe(true);
    // The banner's readiness check is one request, not one log line per poll.
    expect(run.output().match(/"route":"\/health"/g) ?? []).toHaveLength(1);
  }, 150_000);

  it('the embedded Postgres it started is killed: stops everything, exit 1, names the data directory', async () => {
    const run = startDev({ TENANTRY_DEV_DIR: devDir, API_PORT: String(apiPort) });
    await run.waitFor(/Tenantry is running/, 100_000);
    const postmaster = Number(readFileSync(path.join(devDir, 'dev-db', 'postmaster.pid'), 'utf8').split('\n')[0]);
    process.kill(postmaster, 'SIGKILL');
    const killedAt = Date.now();
    const { code } = await run.exited;
    const output = run.output();
    expect(code, output).toBe(1);
    // Its pid is checked every 500 ms; the rest is stopping the API.
    expect((Date.now() - killedAt) / 1000).toBeLessThan(20);
    expect(output).toContain(`[dev] Cannot keep serving because the embedded PostgreSQL (pid ${postmaster}, `);
    expect(output).toContain(`data in ${path.join(devDir, 'dev-db')}) exited (it was killed or crashed).`);
    expect(output).toContain('Run pnpm dev again: Postgres recovers the data from its write-ahead log');
    expect(output).toContain('[dev] stopped');
    expect(output).not.toContain('restarted it on the same port');
    expect(await portIsFree(apiPort), 'the API still listens after pnpm dev exited').toBe(true);
  }, 150_000);

  it("restart after that crash keeps the user's data; a dead PgBouncer is restarted on the same port, until it dies too often", async () => {
    const run = startDev({ TENANTRY_DEV_DIR: devDir, API_PORT: String(apiPort) });
    await run.waitFor(/Tenantry is running/, 100_000);
    expect(run.output()).toContain('demo data: the demo tenants exist, left as they are');
    const { token } = (await api('POST', '/dev/token', undefined, { email: 'alice@acme.test' })).body;
    const names = ((await api('GET', '/workspaces', token)).body.items as Array<{ id: string; name: string }>).map(
      (w) => [w.name, w.id === userMarketingId],
    );
    expect(names.sort()).toEqual([
      ['Engineering', false],
      ['Marketing', true],
    ]);

    const databaseUrl = /DATABASE_URL=(\S+)/.exec(run.output())![1]!;
    const bouncerPort = Number(new URL(databaseUrl).port);
    expect(run.output()).toContain(`pgbouncer session mode on 127.0.0.1:${bouncerPort}`);
    const pidFile = path.join(devDir, 'pgbouncer', 'pgbouncer.pid');
    const bouncerPid = () => Number(readFileSync(pidFile, 'utf8').trim());
    const restartLine = (n: number) =>
      new RegExp(
        `\\[dev\\] PgBouncer on 127\\.0\\.0\\.1:${bouncerPort} \\(pid \\d+\\) exited \\([^)]+\\); restarted it on the same port in [\\d.]+ s \\(pid \\d+; restart ${n} of at most 3 within 60 s\\)`,
      );

    // 1. SIGKILL: restarted within a second or two, and DATABASE_URL (unchanged) works again.
    const first = bouncerPid();
    process.kill(first, 'SIGKILL');
    const killedAt = Date.now();
    await run.waitFor(restartLine(1), 10_000);
    expect(run.output()).toContain(`(pid ${first}) exited (killed by SIGKILL); restarted it on the same port`);
    expect(await selectOneWithin(databaseUrl, 5_000)).toBe(1);
    expect((Date.now() - killedAt) / 1000).toBeLessThan(8);
    expect(bouncerPid()).not.toBe(first);
    // The API reconnects by itself: its pool drops the dead connections and opens new ones.
    expect(await statusWithin(() => api('GET', '/workspaces', token), 200, 5_000)).toBe(200);
    expect(run.child.exitCode).toBeNull();

    // 2. A clean exit (admin-console SHUTDOWN) counts too; 3. another SIGKILL.
    const adminConsole = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${bouncerPort}/pgbouncer` });
    adminConsole.on('error', () => {}); // the connection drops as PgBouncer exits
    await adminConsole.connect();
    await adminConsole.query('SHUTDOWN').catch(() => {});
    await adminConsole.end().catch(() => {});
    await run.waitFor(restartLine(2), 10_000);
    process.kill(bouncerPid(), 'SIGKILL');
    await run.waitFor(restartLine(3), 10_000);

    // 4. The fourth death within 60 s: everything stops, exit 1, the message names the log.
    const last = bouncerPid();
    process.kill(last, 'SIGKILL');
    const { code } = await run.exited;
    const output = run.output();
    expect(code, output).toBe(1);
    expect(output).toContain(
      `[dev] Cannot keep serving because PgBouncer on 127.0.0.1:${bouncerPort} (pid ${last}) exited (killed by SIGKILL), its 4th death within 60 s: pnpm dev restarted it 3 times and stops rather than restart it forever. ` +
        `Its log is ${path.join(devDir, 'pgbouncer', 'pgbouncer.log')}:`,
    );
    expect(output).toContain('[dev] stopped');
    expect(
      output.match(/\[dev\] pgbouncer: session mode/g),
      'the restarts print their own line, not the start line again',
    ).toHaveLength(1);
    expect(await portIsFree(apiPort), 'the API still listens after pnpm dev exited').toBe(true);
    expect(await portIsFree(bouncerPort), 'PgBouncer still listens after pnpm dev exited').toBe(true);
    expect(existsSync(path.join(devDir, 'dev-db', 'postmaster.pid')), 'Postgres still runs after pnpm dev exited').toBe(
      false,
    );
    // The log outlives the run: that is what the message points at.
    expect(readFileSync(path.join(devDir, 'pgbouncer', 'pgbouncer.log'), 'utf8')).toContain('stale pidfile');
  }, 150_000);
});

describe('pnpm dev on a database from DATABASE_URL that stops answering', () => {
  it('warns once, keeps the API running (503 meanwhile), and says when it is back', async () => {
    const rig = inject('rig');
    // The "user's database": a PgBouncer in front of the shared test server, which this test can
    // kill and start again on the same port. Two server connections at most: the server is shared.
    const bouncer = (await startPgBouncer({
      upstreamHost: rig.host,
      upstreamPort: rig.port,
      mode: 'session',
      poolSize: 2,
      maxServerConnections: 2,
      passwords: { [ROLES.app]: devPassword() },
    }))!;
    expect(bouncer, 'pgbouncer is not installed').toBeDefined();
    try {
      const apiPort = await freeLocalPort();
      const api = (route: string) => fetch(`http://127.0.0.1:${apiPort}${route}`).then((r) => ({ status: r.status }));
      const run = startDev({
        TENANTRY_DEV_DIR: tempDevDir(),
        API_PORT: String(apiPort),
        DATABASE_URL: bouncer.url(ROLES.app, 'postgres', devPassword()),
      });
      await run.waitFor(/Tenantry is running/, 100_000);

      process.kill(bouncer.pid!, 'SIGKILL');
      await run.waitFor(
        /\[dev\] Warning: the database at DATABASE_URL \(127\.0\.0\.1:\d+\/postgres\) stopped answering/,
        15_000,
      );
      expect(run.output()).toContain(
        'pnpm dev did not start it, so it keeps the apps running: they answer 503 until it is back',
      );
      expect((await api('/health')).status).toBe(503);
      expect(run.child.exitCode).toBeNull();

      await bouncer.restart(); // same port
      await run.waitFor(
        /\[dev\] The database at DATABASE_URL \(127\.0\.0\.1:\d+\/postgres\) answers again, after about \d+ s/,
        15_000,
      );
      expect(await statusWithin(() => api('/health'), 200, 5_000)).toBe(200);
      expect(run.output().match(/\[dev\] Warning:/g), 'one warning per outage').toHaveLength(1);
      expect(run.output()).not.toContain('Cannot keep serving');

      process.kill(-run.child.pid!, 'SIGINT');
      expect((await run.exited).code, run.output()).toBe(0);
    } finally {
      await bouncer.stop();
    }
  }, 120_000);
});

/** `select 1` through `url` with a fresh connection, retried until it works or `withinMs` passes. */
async function selectOneWithin(url: string, withinMs: number): Promise<number> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1_000 });
    client.on('error', () => {});
    try {
      await client.connect();
      return (await client.query<{ one: number }>('select 1 as one')).rows[0]!.one;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    } finally {
      await client.end().catch(() => {});
    }
  }
}

/** Calls `request` until it answers `status` or `withinMs` passes; the last status. */
async function statusWithin(
  request: () => Promise<{ status: number }>,
  status: number,
  withinMs: number,
): Promise<number> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const { status: got } = await request().catch(() => ({ status: 0 }));
    if (got === status || Date.now() > deadline) return got;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
