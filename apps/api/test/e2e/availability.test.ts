/**
 * Availability: a locked table, a lost connection and an unreachable database answer as a load
 * balancer and a client need (503 / 504 with Retry-After and a machine-readable cause), and a
 * locked table does not take the routes and the readiness check that never touch it down with it.
 * Real app, real PostgreSQL through PgBouncer, real locks and terminated backends.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freeLocalPort } from '@tenantry/db/testing';
import { seedTenants, type SeededTenant } from '../support/fixtures.js';
import { startTestApi, type TestApi } from '../support/test-api.js';

let api: TestApi;
let a: SeededTenant;
let tokenA: string;
let superuser: pg.Pool;

const DEADLINE_MS = 1200;

beforeAll(async () => {
  // Pool 10 (the test client's), at most 4 requests per controller, 1.2 s per request.
  api = await startTestApi({ env: { API_REQUEST_DEADLINE_MS: String(DEADLINE_MS), API_ROUTE_CONCURRENCY: '4' } });
  a = (await seedTenants(api.admin, ['avail']))[0]!;
  tokenA = await api.token(a!.userId);
  superuser = new pg.Pool({ connectionString: inject('apiRig').superuserUrl, max: 3 });
});

afterAll(async () => {
  await superuser?.end();
  await api?.close();
});

const get = (path: string) => api.request('GET', path, { token: tokenA, tenant: a.tenantId });

/** Holds ACCESS EXCLUSIVE on `table` until the returned function is called. */
async function lockTable(table: string): Promise<() => Promise<void>> {
  const client = await superuser.connect();
  await client.query('begin');
  await client.query(`lock table ${table} in access exclusive mode`);
  return async () => {
    await client.query('rollback');
    client.release();
  };
}

describe('a locked table', () => {
  it('answers 504 with Retry-After and cause deadline_exceeded, within the deadline, naming it in the log', async () => {
    const unlock = await lockTable('tasks');
    try {
      const started = performance.now();
      const res = await get('/tasks');
      const took = performance.now() - started;
      expect(res.status).toBe(504);
      expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(res.body).toMatchObject({ statusCode: 504, cause: 'deadline_exceeded' });
      expect(JSON.stringify(res.body)).not.toContain(a.tenantId);
      // The deadline, not a 30 s lock wait, decides when it answers.
      expect(took).toBeLessThan(DEADLINE_MS + 1000);
      const line = api.logs.find((l) => l.msg === 'request completed' && l.requestId === res.body.requestId);
      expect(line).toMatchObject({ level: 'warn', status: 504, cause: 'deadline_exceeded' });
      const warning = api.logs.find((l) => l.msg === 'database unavailable' && l.requestId === res.body.requestId);
      expect(warning).toMatchObject({ cause: 'deadline_exceeded', error: 'DeadlineExceededError', code: '55P03' });
    } finally {
      await unlock();
    }
    expect((await get('/tasks')).status).toBe(200);
  });

  it('twelve requests behind the lock leave /workspaces, /me and /health/ready answering', async () => {
    const unlock = await lockTable('tasks');
    let stuck: Array<{ status: number; headers: Headers; body: any }>;
    const unrelated: number[] = [];
    try {
      const behindLock = Promise.all(Array.from({ length: 12 }, () => get('/tasks')));
      // Give the twelve time to take their slots and connections.
      await new Promise((r) => setTimeout(r, 200));
      for (let i = 0; i < 3; i++) {
        const [workspaces, me, ready] = await Promise.all([
          get('/workspaces'),
          get('/me'),
          api.request('GET', '/health/ready'),
        ]);
        unrelated.push(workspaces.status, me.status, ready.status);
      }
      stuck = await behindLock;
    } finally {
      await unlock();
    }
    expect(unrelated).toEqual(Array(9).fill(200));
    // Those that held a slot ran out of time (504); those queued behind them got 503 route_busy.
    for (const res of stuck) {
      expect([503, 504]).toContain(res.status);
      expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(['deadline_exceeded', 'route_busy']).toContain(res.body.cause);
    }
    expect(stuck.filter((r) => r.status === 504).length).toBeGreaterThan(0);
    expect((await get('/tasks')).status).toBe(200);
  });
});

describe('a connection lost mid-read', () => {
  it('is retried once on a fresh connection: 200, counted in the log line', async () => {
    const unlock = await lockTable('tasks');
    let res: Awaited<ReturnType<typeof get>>;
    try {
      const pending = get('/tasks');
      // Wait until the read waits on the lock, then kill its backend.
      let killed = 0;
      for (let i = 0; i < 50 && killed === 0; i++) {
        await new Promise((r) => setTimeout(r, 20));
        const { rows } = await superuser.query(
          `select pg_terminate_backend(pid) as done from pg_stat_activity
            where usename = 'tenantry_app' and datname = current_database() and wait_event_type = 'Lock'`,
        );
        killed = rows.length;
      }
      expect(killed).toBeGreaterThan(0);
      await new Promise((r) => setTimeout(r, 50));
      await unlock();
      res = await pending;
    } catch (error) {
      await unlock().catch(() => {});
      throw error;
    }
    expect(res.status).toBe(200);
    expect(res.body.items.every((t: { tenantId: string }) => t.tenantId === a.tenantId)).toBe(true);
    const retry = api.logs.find(
      (l) => l.msg === 'database read retried' && l.requestId === res.headers.get('x-request-id'),
    );
    expect(retry).toMatchObject({ level: 'warn', model: 'Task', operation: 'findMany', cause: 'connection_lost' });
    const line = api.logs.find((l) => l.msg === 'request completed' && l.requestId === res.headers.get('x-request-id'));
    expect(line).toMatchObject({ status: 200, dbRetries: 1 });
  });

  it('a write whose connection is lost is not retried: 503 connection_lost, and the row is written at most once', async () => {
    const unlock = await lockTable('tasks');
    const title = `avail lost write ${Date.now()}`;
    let res: Awaited<ReturnType<typeof get>>;
    try {
      const pending = api.request('POST', '/tasks', {
        token: tokenA,
        tenant: a.tenantId,
        body: { projectId: a.projectIds[0], title },
      });
      let killed = 0;
      for (let i = 0; i < 50 && killed === 0; i++) {
        await new Promise((r) => setTimeout(r, 20));
        const { rows } = await superuser.query(
          `select pg_terminate_backend(pid) from pg_stat_activity
            where usename = 'tenantry_app' and datname = current_database() and wait_event_type = 'Lock'`,
        );
        killed = rows.length;
      }
      expect(killed).toBeGreaterThan(0);
      await unlock();
      res = await pending;
    } catch (error) {
      await unlock().catch(() => {});
      throw error;
    }
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(res.body.cause).toBe('connection_lost');
    // Killed while waiting for the lock, before the insert ran: nothing was written, and no retry wrote it.
    expect(await api.admin.task.count({ where: { tenantId: a.tenantId, title } })).toBe(0);
  });
});

describe('an unreachable database', () => {
  it('answers 503 database_unreachable with Retry-After; liveness stays 200, readiness 503', async () => {
    const closed = `postgres://tenantry_app@127.0.0.1:${await freeLocalPort()}/nowhere`;
    const down = await startTestApi({ runtimeUrl: closed, readinessUrl: closed });
    try {
      const token = await down.token(a.userId);
      const res = await down.request('GET', '/workspaces', { token, tenant: a.tenantId });
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('2');
      expect(res.body).toMatchObject({ statusCode: 503, cause: 'database_unreachable' });
      expect((await down.request('GET', '/health/live')).status).toBe(200);
      const ready = await down.request('GET', '/health/ready');
      expect(ready.status).toBe(503);
      expect(ready.headers.get('retry-after')).toBe('2');
      expect(ready.body).toMatchObject({ cause: 'database_unreachable', database: { code: 'ECONNREFUSED' } });
      expect(down.logs.filter((l) => l.level === 'error')).toEqual([]);
    } finally {
      await down.close();
    }
  });
});
