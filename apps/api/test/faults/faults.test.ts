/**
 * Issue 12's proof: the API keeps its promises while its database route breaks under it.
 *
 * Against real Postgres and PgBouncer, with the API as a child process and 3 tenants loading it
 * concurrently over loopback, four faults run one after another, each followed by a quiet period:
 *   1. terminate: pg_terminate_backend on every backend of the runtime role;
 *   2. pgbouncer: PgBouncer restarts (every client connection drops, the port refuses for a moment);
 *   3. pause: "Postgres" stops answering for 3 s (the proxy holds every byte; sockets stay open);
 *   4. lock: LOCK TABLE tasks IN ACCESS EXCLUSIVE MODE held for 6 s.
 * Then it prints one line of figures and asserts each: 0 wrong-tenant rows, 0 lost and 0 phantom
 * acknowledged writes, no API restart, every failure a 503/504 with Retry-After and a documented
 * cause, unrelated routes and readiness answering during the lock, recovery within 1 s of each
 * fault's end; and, beyond the issue's list, no answer later than its route's deadline allows (the
 * pause is what tests that the deadlines hold when the database goes silent). See oracle.ts for
 * the exact definitions. The whole run takes 25-40 s; every answer, with its timing, is written to
 * $TMPDIR/tenantry-faults-<run id>.json, which failure messages name.
 *
 * Run: TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres pnpm test:faults
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { ROLES } from '@tenantry/db/testing';
import { startApiProcess, type ApiProcess } from './api-process.js';
import { busyBackends, holdTableLock, terminateBackends, type HeldLock } from './injectors.js';
import { startLoad, type Load } from './load.js';
import { judge, summaryLine, type FaultWindow, type Report } from './oracle.js';
import { provisionFaultRig, type FaultRig } from './rig.js';

const suiteStartedAt = performance.now();
const JWT_SECRET = 'fault-test-secret-at-least-32-characters-long';
const TENANTS = ['alpha', 'bravo', 'charlie'];
const MIXED_CLIENTS_PER_TENANT = 4;
// Long enough to see a recovery up to the 1 s limit and somewhat beyond, so a slow recovery reads
// as a number rather than as "none".
const QUIET_MS = 2_000;
const BASELINE_MIN_MS = 2_000;
const BASELINE_MAX_MS = 15_000;
const PAUSE_MS = 3_000;
const LOCK_MS = 6_000;
// Shorter than the lock and the pause, so both outlast the API's deadline: the answers during them
// are the API's own 503/504s, not slow 200s. (API default: 5000.)
const REQUEST_DEADLINE_MS = 2_000;
// The client gives up on a request after this: anything that long is a hang, recorded as such.
const REQUEST_TIMEOUT_MS = 15_000;
const RUN_LIMIT_MS = 180_000;

const runId = `f${randomBytes(4).toString('hex')}`;
const log = (m: string) => console.log(`[faults] ${m}`);
let rig: FaultRig | undefined;
let api: ApiProcess | undefined;
let load: Load | undefined;

beforeAll(async () => {
  rig = await provisionFaultRig({ tenantLabels: TENANTS, log });
  api = await startApiProcess({
    DATABASE_URL: rig.runtimeUrl,
    DATABASE_ADMIN_URL: rig.apiAdminUrl,
    // ≤ 10: the server is shared; PgBouncer's pool (20) leaves room for readiness's own connection.
    DATABASE_POOL_SIZE: '10',
    DATABASE_POOLER: 'session',
    JWT_SECRET,
    API_PORT: '0',
    API_HOST: '127.0.0.1',
    API_REQUEST_DEADLINE_MS: String(REQUEST_DEADLINE_MS),
  });
  log(
    `api pid ${api.pid} on ${api.url}; database ${rig.database}; pgbouncer :${rig.bouncer.port} → proxy :${rig.proxy.port} → postgres ${rig.server.host}:${rig.server.port}`,
  );
});

afterAll(async () => {
  // Each step on its own: a failing one must not leave the API, PgBouncer or the database behind.
  await load?.stop().catch(() => {});
  await api?.stop().catch(() => {});
  await rig?.close();
});

test('under concurrent tenant load the API survives terminated backends, a PgBouncer restart, a paused Postgres and a locked table', async () => {
  if (!rig || !api) throw new Error('Cannot run the fault test because the rig did not start (see beforeAll).');
  const theRig = rig;
  const theApi = api;

  const loadStartedAt = performance.now();
  load = await startLoad({
    url: theApi.url,
    tenants: theRig.tenants,
    jwtSecret: JWT_SECRET,
    mixedPerTenant: MIXED_CLIENTS_PER_TENANT,
    thinkMs: [20, 60],
    requestTimeoutMs: REQUEST_TIMEOUT_MS,
    runId,
  });

  // Baseline: every client answered 2xx at least once before anything breaks, or we stop waiting.
  for (;;) {
    await sleep(200);
    const elapsed = performance.now() - loadStartedAt;
    const healthy = new Set(load.outcomes.filter((o) => o.status >= 200 && o.status < 300).map((o) => o.client));
    if (elapsed >= BASELINE_MIN_MS && (healthy.size === load.clients.length || elapsed >= BASELINE_MAX_MS)) break;
  }
  const baselineEndedAt = performance.now();

  const faults: FaultWindow[] = [];
  let lock: { acquiredAt: number; releasedAt: number } | undefined;
  const runFault = async (name: string, inject: (window: FaultWindow) => Promise<void>) => {
    const window: FaultWindow = { name, startedAt: performance.now(), endedAt: 0, quietUntil: 0 };
    try {
      await inject(window);
    } catch (error) {
      window.error = error instanceof Error ? error.message : String(error);
    }
    window.endedAt = performance.now();
    faults.push(window);
    log(
      `fault ${name}: ${Math.round(window.endedAt - window.startedAt)} ms${window.detail ? ` (${window.detail})` : ''}${window.error ? ` FAILED: ${window.error}` : ''}`,
    );
    await sleep(QUIET_MS);
    window.quietUntil = performance.now();
  };

  await runFault('terminate', async (w) => {
    const n = await terminateBackends(theRig.superuserUrl, ROLES.app, theRig.database);
    w.detail = `${n} backends terminated`;
    if (n === 0) throw new Error('no backend of the runtime role was connected, so nothing was terminated');
  });
  await runFault('pgbouncer', async () => {
    await theRig.bouncer.restart();
  });
  await runFault('pause', async (w) => {
    theRig.proxy.pause();
    let frozen = 0;
    try {
      await sleep(PAUSE_MS);
    } finally {
      frozen = theRig.proxy.connections;
      w.detail = `${frozen} proxied connections frozen`;
      theRig.proxy.resume();
    }
    // Checked after the finally, so an error of the pause itself is never replaced by this one.
    if (frozen === 0) throw new Error('no connection went through the proxy, so the pause froze nothing');
  });
  await runFault('lock', async (w) => {
    let held: HeldLock | undefined;
    try {
      held = await holdTableLock(theRig.superuserUrl, 'tasks');
      // The fault starts when the lock is granted (it may first wait for in-flight inserts).
      w.startedAt = held.acquiredAt;
      await sleep(LOCK_MS);
    } finally {
      await held?.release();
      if (held) lock = { acquiredAt: held.acquiredAt, releasedAt: performance.now() };
    }
  });

  await load.stop();
  // A statement the API gave up on may still be waiting in Postgres: let it finish (or not) before
  // reading what was written, so a late commit counts.
  for (
    let waited = 0;
    waited < 5_000 && (await busyBackends(theRig.superuserUrl, ROLES.app, theRig.database)) > 0;
    waited += 100
  )
    await sleep(100);
  const databaseTasks = await theRig.oracle.task.findMany({
    where: { title: { contains: runId } },
    select: { id: true, tenantId: true, title: true },
  });
  const exitedDuringRun = theApi.exit
    ? `${theApi.exit.signal ?? `exit code ${theApi.exit.code}`} after ${theApi.exit.afterMs} ms`
    : undefined;

  const report: Report = judge({
    runId,
    tenants: theRig.tenants,
    clients: load.clients,
    outcomes: load.outcomes,
    baselineEndedAt,
    faults,
    lock,
    databaseTasks,
    api: { pid: theApi.pid, exitedDuringRun, listenCount: theApi.listenCount, aliveAtEnd: isAlive(theApi.pid) },
    apiLogs: theApi.logs,
    requestDeadlineMs: REQUEST_DEADLINE_MS,
    durationMs: performance.now() - suiteStartedAt,
  });
  const f = report.figures;
  console.log(summaryLine(f));

  // Everything behind the line, for whoever has to explain a failure.
  const reportFile = path.join(os.tmpdir(), `tenantry-faults-${runId}.json`);
  const t0 = loadStartedAt;
  const timeline = {
    baselineEndedAt: Math.round(baselineEndedAt - t0),
    faults: faults.map((w) => ({
      ...w,
      startedAt: Math.round(w.startedAt - t0),
      endedAt: Math.round(w.endedAt - t0),
      quietUntil: Math.round(w.quietUntil - t0),
    })),
    // Every answer, times in ms since the load started, rows left out (they are in the evidence when they matter).
    outcomes: load.outcomes.map((o) => ({
      id: o.requestId,
      client: o.client,
      op: o.op,
      start: Math.round(o.startedAt - t0),
      end: Math.round(o.endedAt - t0),
      status: o.status,
      ...(o.cause ? { cause: o.cause } : {}),
      ...(o.networkError ? { networkError: o.networkError } : {}),
    })),
  };
  await fs.writeFile(
    reportFile,
    JSON.stringify(
      { runId, figures: f, perFault: report.perFault, evidence: report.evidence, timeline, apiTail: theApi.tail() },
      null,
      2,
    ),
  );
  const show = (list: string[]) =>
    `${list.length}:\n  ${list.slice(0, 10).join('\n  ')}${list.length > 10 ? `\n  ... (${list.length - 10} more in ${reportFile})` : ''}`;
  const e = report.evidence;

  expect.soft(e.faultErrors, `faults that did not happen as planned ${show(e.faultErrors)}`).toEqual([]);
  expect.soft(e.unhealthyAtBaseline, `clients unhealthy before any fault ${show(e.unhealthyAtBaseline)}`).toEqual([]);
  expect.soft(f.other, `answers other than 2xx/503/504 ${show(e.other)}`).toBe(0);
  expect.soft(f.missingRetryAfter, `503/504 without Retry-After ${show(e.missingRetryAfter)}`).toBe(0);
  expect.soft(f.badCause, `503/504 without a documented cause ${show(e.badCause)}`).toBe(0);
  expect.soft(f.lateAnswers, `answers later than the route's deadline allows ${show(e.lateAnswers)}`).toBe(0);
  expect.soft(f.wrongTenantRows, `rows of another tenant ${show(e.wrongTenantRows)}`).toBe(0);
  expect.soft(f.lostWrites, `acknowledged writes missing from the database ${show(e.lostWrites)}`).toBe(0);
  expect.soft(f.phantomWrites, `writes in the database that were reported as not run ${show(e.phantomWrites)}`).toBe(0);
  expect.soft(f.apiRestarts, `API process restarts ${show(e.apiRestarts)}`).toBe(0);
  expect.soft(f.unrelatedDuringLock.total, 'unrelated requests sent during the lock').toBeGreaterThan(0);
  expect
    .soft(
      f.unrelatedDuringLock.ok,
      `unrelated routes not answering 200 within 1 s during the lock ${show(e.unrelatedDuringLock)}`,
    )
    .toBe(f.unrelatedDuringLock.total);
  expect.soft(f.readyDuringLock.total, 'readiness requests sent during the lock').toBeGreaterThan(0);
  expect
    .soft(
      f.readyDuringLock.ok,
      `GET /health/ready not answering 200 within 1 s during the lock ${show(e.readyDuringLock)}`,
    )
    .toBe(f.readyDuringLock.total);
  for (const [name, ms] of Object.entries(f.recoveryMs)) {
    expect
      .soft(
        ms ?? Infinity,
        `recovery after fault ${name} (ms) ${show(e.recovery.filter((line) => line.startsWith(`fault ${name}:`)))}`,
      )
      .toBeLessThanOrEqual(1_000);
  }
  expect.soft(f.durationMs, 'the whole run, provisioning included (ms)').toBeLessThan(RUN_LIMIT_MS);
  // Not figures of the issue, but a mismatch means the figures above may not be what the API did.
  expect
    .soft(e.unexpectedServerErrors, `requests the API logged as unexpected failures ${show(e.unexpectedServerErrors)}`)
    .toEqual([]);
  expect.soft(e.logMismatches, `answers the API's request log does not match ${show(e.logMismatches)}`).toEqual([]);
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
