/**
 * The app when the database cannot serve, over HTTP against real servers and the real database:
 * two `next start` instances of the same build beside the shared one, `deadline` with a short
 * WEB_REQUEST_DEADLINE_MS and pool timeout (its database behind a TCP proxy that can stop
 * forwarding), `down` with a DATABASE_URL nobody listens on. The superuser holds an ACCESS
 * EXCLUSIVE lock (what a migration's ALTER TABLE takes) to make a table wait; nothing is mocked.
 */
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdminPrismaClient } from '@tenantry/db/admin';
import { freePort, startNextServer, type NextServer } from '../support/next-server';
import { startPausableProxy, type PausableProxy } from '../support/pausable-proxy';
import { logLine, logLines } from '../support/server-log';
import { adminClient, requestAt, rig, seedTenant, sessionToken, warmUp, type SeededTenant } from '../support/web';

const DEADLINE_MS = 800;
const POOL_TIMEOUT_MS = 300;
const POOL_SIZE = 2;

let admin: AdminPrismaClient;
let tenant: SeededTenant;
let token: string;
let superuser: pg.Client;
let deadline: NextServer;
let down: NextServer;
let proxy: PausableProxy;
const servers: NextServer[] = [];

async function start(options: Parameters<typeof startNextServer>[0]): Promise<NextServer> {
  const server = await startNextServer(options);
  servers.push(server);
  return server;
}

beforeAll(async () => {
  admin = adminClient();
  tenant = await seedTenant(admin, 'eve');
  token = await sessionToken(tenant.userId, { tenantId: tenant.tenantId });
  superuser = new pg.Client({ connectionString: rig().superuserUrl });
  await superuser.connect();
  const runtime = new URL(rig().runtimeUrl);
  proxy = await startPausableProxy({ host: runtime.hostname, port: Number(runtime.port) });
  const proxied = new URL(rig().runtimeUrl);
  proxied.host = `${proxy.host}:${proxy.port}`;
  const closed = `postgres://tenantry_app:unused@127.0.0.1:${await freePort()}/${rig().database}`;
  const common = { JWT_SECRET: rig().jwtSecret, DATABASE_POOL_SIZE: String(POOL_SIZE) };
  [deadline, down] = await Promise.all([
    start({
      logName: 'next-start-deadline.log',
      env: {
        ...common,
        DATABASE_URL: proxied.href,
        DATABASE_ADMIN_URL: rig().adminUrl,
        WEB_REQUEST_DEADLINE_MS: String(DEADLINE_MS),
        DATABASE_POOL_TIMEOUT_MS: String(POOL_TIMEOUT_MS),
      },
    }),
    // Readiness never answers 200 there: wait for liveness instead.
    start({
      logName: 'next-start-unreachable.log',
      healthPath: '/api/health/live',
      env: { ...common, DATABASE_URL: closed, DATABASE_ADMIN_URL: closed },
    }),
  ]);
  await warmUp(deadline.baseUrl, token);
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  await proxy?.close();
  await superuser?.end();
  await admin?.$disconnect();
});

/** Runs `fn` while the superuser holds an ACCESS EXCLUSIVE lock on `table`; always releases it. */
async function whileLocked<R>(table: 'projects' | 'workspaces', fn: () => Promise<R>): Promise<R> {
  await superuser.query('begin');
  try {
    await superuser.query(`lock table ${table} in access exclusive mode`);
    return await fn();
  } finally {
    await superuser.query('rollback');
  }
}

const after = <T>(ms: number, fn: () => Promise<T>) =>
  new Promise<T>((resolve, reject) => setTimeout(() => fn().then(resolve, reject), ms));

describe('a request that outlasts its deadline', () => {
  it('answers 504 with Retry-After and cause deadline_exceeded once WEB_REQUEST_DEADLINE_MS has run out, and logs a warning without values', async () => {
    const started = performance.now();
    const res = await whileLocked('projects', () =>
      requestAt(deadline.baseUrl, 'GET', '/api/projects', { session: token }),
    );
    const elapsed = performance.now() - started;
    expect(res.status).toBe(504);
    expect(res.headers.get('retry-after')).toBe('1');
    // Postgres cancelled the lock wait itself, so nothing can have been written: mayHaveCommitted false.
    expect(res.body).toEqual({
      statusCode: 504,
      cause: 'deadline_exceeded',
      kind: 'lock',
      mayHaveCommitted: false,
      message: 'The database is busy and did not answer in time; try again in 1 s.',
    });
    // The request's deadline ended it (not the pool timeout, not a default): about DEADLINE_MS in all.
    expect(elapsed).toBeGreaterThan(DEADLINE_MS - 150);
    expect(elapsed).toBeLessThan(DEADLINE_MS + 2500);

    const line = await logLine(
      deadline.logFile,
      (l) => l.where === 'GET /api/projects' && l.error === 'DeadlineExceededError',
    );
    expect(line).toMatchObject({
      level: 'warn',
      status: 504,
      cause: 'deadline_exceeded',
      kind: 'lock',
      source: 'deadline',
      postgresCode: '55P03',
      retryAfterSeconds: 1,
    });
    expect(line).not.toHaveProperty('message');
    const log = readFileSync(deadline.logFile, 'utf8');
    expect(log).not.toContain(tenant.tenantId);
    expect(log).not.toContain(tenant.userId);
    expect(logLines(deadline.logFile).filter((l) => l.level === 'error')).toEqual([]);
  });

  it('answers readiness and liveness from their own connection while the app pool is held, and 503 pool_exhausted to a request that finds no connection', async () => {
    const done: Record<string, number> = {};
    const timed = <T>(name: string, p: Promise<T>) => p.then((v) => ((done[name] = performance.now()), v));
    const [held1, held2, ready, live, starved] = await whileLocked('projects', () =>
      Promise.all([
        // Both of the app's connections wait on the lock...
        timed('held1', requestAt(deadline.baseUrl, 'GET', '/api/projects', { session: token })),
        timed('held2', requestAt(deadline.baseUrl, 'GET', '/api/projects', { session: token })),
        // ...while these arrive.
        timed(
          'ready',
          after(200, () => requestAt(deadline.baseUrl, 'GET', '/api/health/ready')),
        ),
        timed(
          'live',
          after(200, () => requestAt(deadline.baseUrl, 'GET', '/api/health/live')),
        ),
        timed(
          'starved',
          after(200, () => requestAt(deadline.baseUrl, 'GET', '/api/workspaces', { session: token })),
        ),
      ]),
    );
    expect([held1.status, held2.status]).toEqual([504, 504]);
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ status: 'ok', database: 'ok' });
    expect(ready.body.latencyMs).toBeLessThan(500);
    expect(live).toMatchObject({ status: 200, body: { status: 'ok' } });
    // Readiness did not queue behind the app's pool: it answered while both requests still waited.
    expect(done.ready).toBeLessThan(Math.min(done.held1!, done.held2!));
    expect(starved.status).toBe(503);
    expect(starved.headers.get('retry-after')).toBe('1');
    expect(starved.body).toEqual({
      statusCode: 503,
      cause: 'pool_exhausted',
      mayHaveCommitted: false,
      message: 'The database is busy or unreachable; try again in 1 s.',
    });
  });

  it("answers on time, saying a write may have been saved, when the database stops answering mid-statement; readiness 503 from the probe's timer", async () => {
    // First an answered request, so an open connection sits idle in the app's pool: adapter-pg
    // destroys a connection whose statement failed (the 504s above), and a NEW connection through
    // the paused proxy would fail at connect (503 database_unreachable, ETIMEDOUT), not mid-statement.
    expect((await requestAt(deadline.baseUrl, 'GET', '/api/projects', { session: token })).status).toBe(200);
    proxy.pause();
    const started = performance.now();
    let answeredAfter = 0;
    const [res, ready] = await Promise.all([
      requestAt(deadline.baseUrl, 'GET', '/api/projects', { session: token }).then(
        (r) => ((answeredAfter = performance.now() - started), r),
      ),
      requestAt(deadline.baseUrl, 'GET', '/api/health/ready'),
    ]).finally(() => proxy.resume());
    // No statement_timeout can fire: the statement never reached Postgres. The engine closes the
    // connection 200 ms after the deadline (the app's own HTTP timer, 50 ms later, is the backstop).
    expect(answeredAfter).toBeGreaterThan(DEADLINE_MS);
    expect(answeredAfter).toBeLessThan(DEADLINE_MS + 1500);
    expect(res.headers.get('retry-after')).toBe('1');
    // The engine means this to be DeadlineExceededError kind no-answer (504); at 0c1e80f pg-pool's own
    // 'error' listener hands Prisma the raw "Connection terminated unexpectedly" first, which the app
    // classifies as ConnectionLostError (503). Either way: on time, and a write may have been saved.
    if (res.status === 504) expect(res.body).toMatchObject({ cause: 'deadline_exceeded', kind: 'no-answer' });
    else expect(res.body).toMatchObject({ statusCode: 503, cause: 'connection_lost' });
    expect(res.body.mayHaveCommitted).toBe(true);
    expect(res.body.message).toMatch(/may have been saved: reload to check/);
    expect(ready.status).toBe(503);
    expect(ready.headers.get('retry-after')).toBe('2');
    expect(ready.body).toMatchObject({ cause: 'database_unreachable' });
    expect(performance.now() - started).toBeLessThan(5000); // the probe's own timer (2.5 s), not a hang
    const line = await logLine(deadline.logFile, (l) => l.where === 'GET /api/projects' && l.mayHaveCommitted === true);
    expect(line).toMatchObject({ level: 'warn', status: res.status, cause: res.body.cause });
  });

  it('serves the same routes, and readiness, again once the lock or the pause is gone', async () => {
    const res = await requestAt(deadline.baseUrl, 'GET', '/api/projects', { session: token });
    expect(res.status).toBe(200);
    expect(res.body.items.map((p: { id: string }) => p.id).sort()).toEqual([...tenant.projectIds].sort());
    expect((await requestAt(deadline.baseUrl, 'GET', '/api/health/ready')).status).toBe(200);
  });
});

describe('a database nobody listens on', () => {
  it('answers liveness 200, and readiness (also at /api/health) 503 with Retry-After and cause database_unreachable', async () => {
    expect(await requestAt(down.baseUrl, 'GET', '/api/health/live')).toMatchObject({
      status: 200,
      body: { status: 'ok' },
    });
    for (const path of ['/api/health/ready', '/api/health']) {
      const res = await requestAt(down.baseUrl, 'GET', path);
      expect(res.status, path).toBe(503);
      expect(res.headers.get('retry-after'), path).toBe('2');
      expect(res.body, path).toMatchObject({ statusCode: 503, status: 'unavailable', cause: 'database_unreachable' });
    }
  });

  it('answers a route handler 503 with Retry-After and cause database_unreachable (the membership check is the first query)', async () => {
    const res = await requestAt(down.baseUrl, 'GET', '/api/workspaces', { session: token });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('2');
    expect(res.body).toEqual({
      statusCode: 503,
      cause: 'database_unreachable',
      mayHaveCommitted: false,
      message: 'The database is busy or unreachable; try again in 2 s.',
    });
    const line = await logLine(down.logFile, (l) => l.where === 'GET /api/workspaces');
    expect(line).toMatchObject({
      level: 'warn',
      error: 'DatabaseUnreachableError',
      systemCode: 'ECONNREFUSED',
      cause: 'database_unreachable',
    });
  });
});
