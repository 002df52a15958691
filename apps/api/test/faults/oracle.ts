/**
 * Turns what the clients saw, what the database holds at the end and what happened to the API
 * process into the figures issue 12 asks for, each with the evidence behind it: a violation names
 * the tenant, the operation, the request id and the offending row id.
 *
 * Definitions (the why of each):
 * - ok: any 2xx. Every other answer must be a 503 or a 504 carrying Retry-After; a 4xx here is a
 *   bug (the requests are valid), a 500 is an unmapped error, status 0 is no HTTP answer at all.
 * - cause: a 503 says connection_lost | database_unreachable | pool_exhausted |
 *   transaction_conflict | route_busy, a 504 says deadline_exceeded (body.cause).
 * - wrongTenantRows: any row in any answer whose tenantId (or user id, or the tenant label at the
 *   start of a task's title) is not the client's; and any task row in the database whose tenant is
 *   not the one its title's label names.
 * - lostWrites: a POST /tasks answered 2xx whose task is not in the database at the end (read with
 *   the admin role, which bypasses RLS, straight to Postgres).
 * - phantomWrites: a task in the database that no client may expect: its POST was answered with a
 *   refusal that says nothing ran (a 4xx, or a 503 pool_exhausted / database_unreachable /
 *   route_busy / transaction_conflict, or a 504 whose body names a kind that fails before anything
 *   is sent: 'deadline' or 'pool-wait', or an HTTP connection the API refused), a second row for
 *   one POST, or a row no POST sent.
 *   Ambiguous answers are not phantoms either way and are counted apart: connection_lost (the
 *   statement may have committed before the connection broke), a 504 without such a kind (the
 *   statement may already sit in the server's socket buffer: a paused server runs it on resume),
 *   a 500, and no answer at all.
 * - recovery of a fault: from the moment it ended until every client that was healthy before the
 *   faults has had a 2xx again and no request to a route that worked before fails any more,
 *   within the quiet period that follows the fault. A client that never gets a 2xx there has not
 *   recovered (reported as none).
 * - lateAnswers: answers that came more than 750 ms after the route's own time limit (the API's
 *   request deadline; 1 s for /health/*, whose readiness check is bounded by 1 s). A deadline that
 *   does not bound the answer when the database goes silent is what the pause fault is there to find.
 * - during the lock: requests to routes that never touch the locked table (GET /workspaces, /me,
 *   /projects), and GET /health/ready, sent while the lock was held; "answering" means a 200
 *   within 1 s of being sent, since a route stuck behind the lock until release is not answering.
 */
import type { LoadClient, Operation, Outcome } from './load.js';
import type { SeededTenant } from '../support/fixtures.js';

export const SERVICE_UNAVAILABLE_CAUSES = [
  'connection_lost',
  'database_unreachable',
  'pool_exhausted',
  'transaction_conflict',
  'route_busy',
];
export const GATEWAY_TIMEOUT_CAUSES = ['deadline_exceeded'];
const NOT_RUN_503_CAUSES = new Set(['database_unreachable', 'pool_exhausted', 'transaction_conflict', 'route_busy']);
const NOT_RUN_DEADLINE_KINDS = new Set(['deadline', 'pool-wait']);
const UNRELATED_TO_LOCK: Operation[] = ['list-workspaces', 'me', 'list-projects'];
const ANSWERING_WITHIN_MS = 1_000;
const LATE_SLACK_MS = 750;
const HEALTH_LIMIT_MS = 1_000;

export interface FaultWindow {
  name: string;
  startedAt: number;
  endedAt: number;
  /** The quiet period after it ends here (the next fault's start, or the end of the load). */
  quietUntil: number;
  /** Set when the injector itself failed: the fault did not happen as planned. */
  error?: string;
  detail?: string;
}

export interface DatabaseTask {
  id: string;
  tenantId: string;
  title: string;
}

export interface OracleInput {
  runId: string;
  tenants: SeededTenant[];
  clients: LoadClient[];
  outcomes: Outcome[];
  /** Time the baseline ended: clients with a 2xx before it count as healthy before the faults. */
  baselineEndedAt: number;
  faults: FaultWindow[];
  lock: { acquiredAt: number; releasedAt: number } | undefined;
  /** Every task in the database whose title carries the run id. */
  databaseTasks: DatabaseTask[];
  api: { pid: number; exitedDuringRun: string | undefined; listenCount: number; aliveAtEnd: boolean };
  /** API stdout JSON lines (one per request): joined with the outcomes by request id. */
  apiLogs: Array<{ requestId?: string; status?: number; msg: string; level: string; error?: unknown; code?: unknown }>;
  /** The API's request deadline (API_REQUEST_DEADLINE_MS) the run gave it. */
  requestDeadlineMs: number;
  durationMs: number;
}

export interface Figures {
  requests: number;
  ok: number;
  s503: number;
  s504: number;
  other: number;
  missingRetryAfter: number;
  badCause: number;
  lateAnswers: number;
  wrongTenantRows: number;
  lostWrites: number;
  phantomWrites: number;
  ambiguousWrites: number;
  ambiguousCommitted: number;
  apiRestarts: number;
  unrelatedDuringLock: { ok: number; total: number };
  readyDuringLock: { ok: number; total: number };
  /** undefined: not recovered within the quiet period. */
  recoveryMs: Record<string, number | undefined>;
  unhealthyAtBaseline: number;
  faultErrors: number;
  durationMs: number;
}

export interface Evidence {
  other: string[];
  missingRetryAfter: string[];
  badCause: string[];
  lateAnswers: string[];
  wrongTenantRows: string[];
  lostWrites: string[];
  phantomWrites: string[];
  ambiguousWrites: string[];
  apiRestarts: string[];
  unrelatedDuringLock: string[];
  readyDuringLock: string[];
  recovery: string[];
  unhealthyAtBaseline: string[];
  faultErrors: string[];
  /** Requests the API logged as an unexpected failure (HttpErrorFilter's 'request failed' lines). */
  unexpectedServerErrors: string[];
  /** Answers the client got that the API never logged, and the reverse: the log should match. */
  logMismatches: string[];
}

export interface Report {
  figures: Figures;
  evidence: Evidence;
  /** Per fault: what the clients got between its start and the end of its quiet period. */
  perFault: Array<{ name: string; durationMs: number; answers: Record<string, number>; detail?: string }>;
}

const is2xx = (o: Outcome) => o.status >= 200 && o.status < 300;

export function who(o: Outcome): string {
  const tenant = o.tenant ? `tenant ${o.tenant.label} (${o.tenant.tenantId})` : 'no tenant';
  return `${tenant}, client ${o.client}, ${o.method} ${o.path} (request ${o.requestId})`;
}

function answer(o: Outcome): string {
  if (o.status === 0) return `no answer (${o.networkError})`;
  const message = (o.errorBody as { message?: unknown } | undefined)?.message;
  return `${o.status}${o.cause ? ` ${o.cause}` : ''}${o.retryAfter !== null ? ` Retry-After: ${o.retryAfter}` : ''}${message ? ` "${String(message).slice(0, 160)}"` : ''}`;
}

/** Where in the run a moment falls: "during pause (+1200 ms)", "after lock (+300 ms)", "in the baseline". */
function phaseAt(input: OracleInput, t: number): string {
  for (const fault of input.faults) {
    if (t >= fault.startedAt && t < fault.endedAt)
      return `during ${fault.name} (+${Math.round(t - fault.startedAt)} ms)`;
    if (t >= fault.endedAt && t < fault.quietUntil) return `after ${fault.name} (+${Math.round(t - fault.endedAt)} ms)`;
  }
  return t <= input.baselineEndedAt ? 'in the baseline' : 'between faults';
}

function labelOfTitle(title: string, tenants: SeededTenant[]): SeededTenant | undefined {
  return tenants.find((t) => title.startsWith(`${t.label} `));
}

function writeVerdict(o: Outcome): 'not-run' | 'ambiguous' {
  // Refused before a byte of the request went out: the API never saw it.
  if (o.status === 0 && o.networkCode === 'ECONNREFUSED') return 'not-run';
  if (o.status >= 400 && o.status < 500) return 'not-run';
  if (o.status === 503 && o.cause && NOT_RUN_503_CAUSES.has(o.cause)) return 'not-run';
  const kind = (o.errorBody as { kind?: unknown } | undefined)?.kind;
  if (o.status === 504 && typeof kind === 'string' && NOT_RUN_DEADLINE_KINDS.has(kind)) return 'not-run';
  return 'ambiguous';
}

export function judge(input: OracleInput): Report {
  const { outcomes, tenants } = input;
  const evidence: Evidence = {
    other: [],
    missingRetryAfter: [],
    badCause: [],
    lateAnswers: [],
    wrongTenantRows: [],
    lostWrites: [],
    phantomWrites: [],
    ambiguousWrites: [],
    apiRestarts: [],
    unrelatedDuringLock: [],
    readyDuringLock: [],
    recovery: [],
    unhealthyAtBaseline: [],
    faultErrors: [],
    unexpectedServerErrors: [],
    logMismatches: [],
  };

  // Status classes, Retry-After and causes.
  let ok = 0;
  let s503 = 0;
  let s504 = 0;
  for (const o of outcomes) {
    if (is2xx(o)) {
      if (o.malformed) evidence.other.push(`${who(o)}: ${o.status} but ${o.malformed}`);
      else ok++;
      continue;
    }
    if (o.status === 503 || o.status === 504) {
      if (o.status === 503) s503++;
      else s504++;
      if (o.retryAfter === null || !/^\d+$/.test(o.retryAfter))
        evidence.missingRetryAfter.push(`${who(o)}: ${answer(o)} without a Retry-After of whole seconds`);
      const allowed = o.status === 503 ? SERVICE_UNAVAILABLE_CAUSES : GATEWAY_TIMEOUT_CAUSES;
      if (!o.cause || !allowed.includes(o.cause))
        evidence.badCause.push(`${who(o)}: ${answer(o)}: cause must be one of ${allowed.join(' | ')}`);
      continue;
    }
    evidence.other.push(`${who(o)}, sent ${phaseAt(input, o.startedAt)}: ${answer(o)}`);
  }

  // Answers later than the route's limit allows.
  for (const o of outcomes) {
    const limit = o.op === 'ready' || o.op === 'live' ? HEALTH_LIMIT_MS : input.requestDeadlineMs;
    const took = o.endedAt - o.startedAt;
    if (took > limit + LATE_SLACK_MS)
      evidence.lateAnswers.push(
        `${who(o)}, sent ${phaseAt(input, o.startedAt)}: ${answer(o)} after ${Math.round(took)} ms (limit ${limit} ms)`,
      );
  }

  // Rows of other tenants in answers.
  for (const o of outcomes) {
    const tenant = o.tenant;
    if (!tenant || !is2xx(o)) continue;
    for (const row of o.rows) {
      const problems: string[] = [];
      if (row.tenantId !== tenant.tenantId) problems.push(`of tenant ${row.tenantId}`);
      if (row.userId !== undefined && row.userId !== tenant.userId) problems.push(`of user ${row.userId}`);
      if (row.title !== undefined && !row.title.startsWith(`${tenant.label} `)) problems.push(`titled "${row.title}"`);
      if (problems.length)
        evidence.wrongTenantRows.push(
          `${who(o)} returned row ${row.id ?? '(no id)'} at ${row.where} ${problems.join(', ')}`,
        );
    }
  }

  // Writes: what each POST was told against what the database holds.
  const byTitle = new Map<string, DatabaseTask[]>();
  for (const task of input.databaseTasks) byTitle.set(task.title, [...(byTitle.get(task.title) ?? []), task]);
  for (const task of input.databaseTasks) {
    const owner = labelOfTitle(task.title, tenants);
    if (owner?.tenantId !== task.tenantId) {
      evidence.wrongTenantRows.push(
        `database: task ${task.id} "${task.title}" belongs to tenant ${task.tenantId}, but its title says tenant ${owner?.label ?? '(unknown label)'} (${owner?.tenantId}) wrote it`,
      );
    }
  }
  const sentMarkers = new Set<string>();
  let ambiguousCommitted = 0;
  for (const o of outcomes) {
    if (o.op !== 'create-task' || !o.marker) continue;
    sentMarkers.add(o.marker);
    const rows = byTitle.get(o.marker) ?? [];
    if (rows.length > 1) {
      for (const extra of rows.slice(1))
        evidence.phantomWrites.push(
          `${who(o)}: one POST, ${rows.length} rows: task ${extra.id} is a second copy of "${o.marker}" (answer: ${answer(o)})`,
        );
    }
    if (is2xx(o)) {
      const reported = o.created?.id;
      if (rows.length === 0)
        evidence.lostWrites.push(
          `${who(o)}: answered ${o.status} with task ${reported ?? '(no id)'} "${o.marker}", which is not in the database`,
        );
      else if (reported && !rows.some((r) => r.id === reported))
        evidence.lostWrites.push(
          `${who(o)}: answered ${o.status} with task ${reported}, but the database holds "${o.marker}" as task ${rows[0]!.id}`,
        );
      continue;
    }
    const verdict = writeVerdict(o);
    if (verdict === 'not-run') {
      if (rows.length > 0)
        evidence.phantomWrites.push(
          `${who(o)}: answered ${answer(o)} (nothing ran), yet task ${rows[0]!.id} "${o.marker}" is in the database`,
        );
    } else {
      if (rows.length > 0) ambiguousCommitted++;
      evidence.ambiguousWrites.push(
        `${who(o)}: ${answer(o)}: ${rows.length > 0 ? `committed as task ${rows[0]!.id}` : 'not committed'}`,
      );
    }
  }
  for (const task of input.databaseTasks) {
    if (!sentMarkers.has(task.title))
      evidence.phantomWrites.push(
        `database: task ${task.id} "${task.title}" of tenant ${task.tenantId} matches no POST any client sent`,
      );
  }

  // The process.
  if (input.api.exitedDuringRun)
    evidence.apiRestarts.push(`the API (pid ${input.api.pid}) exited during the run: ${input.api.exitedDuringRun}`);
  if (input.api.listenCount > 1)
    evidence.apiRestarts.push(`the API printed "listening on" ${input.api.listenCount} times`);
  if (!input.api.exitedDuringRun && !input.api.aliveAtEnd)
    evidence.apiRestarts.push(`the API (pid ${input.api.pid}) is not alive at the end`);

  // Baseline: who was healthy before any fault.
  const healthy = new Set<string>();
  // A client's route that answered 2xx before the faults: only its failures delay a recovery (a
  // route that never worked is a bug of its own, reported under other, not a slow recovery).
  const workedBefore = new Set<string>();
  for (const o of outcomes) {
    if (!is2xx(o) || o.endedAt > input.baselineEndedAt) continue;
    healthy.add(o.client);
    workedBefore.add(`${o.client}|${o.op}`);
  }
  for (const client of input.clients) {
    if (healthy.has(client.name)) continue;
    const seen = outcomes.filter((o) => o.client === client.name && o.endedAt <= input.baselineEndedAt).slice(0, 3);
    evidence.unhealthyAtBaseline.push(
      `client ${client.name} (${client.kind}) had no 2xx before the first fault: ${seen.map((o) => `${o.method} ${o.path} → ${answer(o)}`).join('; ') || 'no answer at all'}`,
    );
  }

  // Recovery after each fault.
  const recoveryMs: Record<string, number | undefined> = {};
  const perFault: Report['perFault'] = [];
  for (const fault of input.faults) {
    if (fault.error) evidence.faultErrors.push(`fault ${fault.name}: ${fault.error}`);
    const inQuiet = outcomes.filter((o) => o.endedAt >= fault.endedAt && o.endedAt < fault.quietUntil);
    let recoveredAt = fault.endedAt;
    const stragglers: string[] = [];
    for (const name of healthy) {
      const first = inQuiet.find((o) => o.client === name && is2xx(o));
      if (!first) stragglers.push(name);
      else recoveredAt = Math.max(recoveredAt, first.endedAt);
    }
    const failures = inQuiet.filter((o) => !is2xx(o) && workedBefore.has(`${o.client}|${o.op}`));
    for (const o of failures) recoveredAt = Math.max(recoveredAt, o.endedAt);
    if (stragglers.length) {
      recoveryMs[fault.name] = undefined;
      evidence.recovery.push(
        `fault ${fault.name}: no 2xx within the ${Math.round(fault.quietUntil - fault.endedAt)} ms after it ended for client(s) ${stragglers.join(', ')}`,
      );
    } else {
      recoveryMs[fault.name] = Math.round(recoveredAt - fault.endedAt);
      if (recoveredAt - fault.endedAt > 1_000) {
        const late = failures.filter((o) => o.endedAt - fault.endedAt > 1_000).slice(0, 5);
        evidence.recovery.push(
          `fault ${fault.name}: recovered ${recoveryMs[fault.name]} ms after it ended (limit 1000)${late.length ? `; failures after 1 s: ${late.map((o) => `${who(o)} → ${answer(o)} at +${Math.round(o.endedAt - fault.endedAt)} ms`).join('; ')}` : ''}`,
        );
      }
    }
    const answers: Record<string, number> = {};
    for (const o of outcomes.filter((x) => x.endedAt >= fault.startedAt && x.endedAt < fault.quietUntil)) {
      const key = is2xx(o) ? '2xx' : o.status === 0 ? 'no-answer' : `${o.status}${o.cause ? ` ${o.cause}` : ''}`;
      answers[key] = (answers[key] ?? 0) + 1;
    }
    perFault.push({
      name: fault.name,
      durationMs: Math.round(fault.endedAt - fault.startedAt),
      answers,
      ...(fault.detail ? { detail: fault.detail } : {}),
    });
  }

  // During the lock.
  const unrelated = { ok: 0, total: 0 };
  const ready = { ok: 0, total: 0 };
  if (input.lock) {
    const { acquiredAt, releasedAt } = input.lock;
    // Proof the lock bit: some request on tasks, sent while it was held, failed or waited.
    const blocked = outcomes.filter(
      (o) =>
        (o.op === 'list-tasks' || o.op === 'create-task') &&
        o.startedAt >= acquiredAt &&
        o.startedAt < releasedAt &&
        (!is2xx(o) || o.endedAt - o.startedAt > ANSWERING_WITHIN_MS),
    );
    if (blocked.length === 0)
      evidence.faultErrors.push(
        'fault lock: no request on tasks sent during the lock failed or waited, so the lock blocked nothing',
      );
    for (const o of outcomes) {
      if (o.startedAt < acquiredAt || o.startedAt >= releasedAt) continue;
      const isReady = o.op === 'ready';
      if (!isReady && !UNRELATED_TO_LOCK.includes(o.op)) continue;
      const tally = isReady ? ready : unrelated;
      const list = isReady ? evidence.readyDuringLock : evidence.unrelatedDuringLock;
      tally.total++;
      const took = o.endedAt - o.startedAt;
      if (o.status === 200 && took <= ANSWERING_WITHIN_MS) tally.ok++;
      else
        list.push(
          `${who(o)} sent +${Math.round(o.startedAt - acquiredAt)} ms into the lock: ${answer(o)} after ${Math.round(took)} ms`,
        );
    }
  } else {
    evidence.unrelatedDuringLock.push('the lock was never held, so nothing was measured during it');
  }

  // The API's own log against what the clients saw.
  const logged = new Map<string, number | undefined>();
  for (const line of input.apiLogs) {
    if (line.msg === 'request completed' && line.requestId) logged.set(line.requestId, line.status);
    if (line.msg === 'request failed')
      evidence.unexpectedServerErrors.push(
        `request ${line.requestId}: ${String(line.error)}${line.code !== undefined ? ` (${String(line.code)})` : ''}`,
      );
  }
  for (const o of outcomes) {
    if (o.status === 0) continue;
    const status = logged.get(o.requestId);
    if (status === undefined)
      evidence.logMismatches.push(`${who(o)}: answered ${o.status}, but the API logged no line for it`);
    else if (status !== o.status) evidence.logMismatches.push(`${who(o)}: answered ${o.status}, logged ${status}`);
  }

  const figures: Figures = {
    requests: outcomes.length,
    ok,
    s503,
    s504,
    other: evidence.other.length,
    missingRetryAfter: evidence.missingRetryAfter.length,
    badCause: evidence.badCause.length,
    lateAnswers: evidence.lateAnswers.length,
    wrongTenantRows: evidence.wrongTenantRows.length,
    lostWrites: evidence.lostWrites.length,
    phantomWrites: evidence.phantomWrites.length,
    ambiguousWrites: evidence.ambiguousWrites.length,
    ambiguousCommitted,
    apiRestarts: evidence.apiRestarts.length,
    unrelatedDuringLock: unrelated,
    readyDuringLock: ready,
    recoveryMs,
    unhealthyAtBaseline: evidence.unhealthyAtBaseline.length,
    faultErrors: evidence.faultErrors.length,
    durationMs: Math.round(input.durationMs),
  };
  return { figures, evidence, perFault };
}

/** The one line the run prints. */
export function summaryLine(f: Figures): string {
  const recovery = Object.entries(f.recoveryMs)
    .map(([name, ms]) => `${name}:${ms ?? 'none'}`)
    .join(',');
  return (
    `faults: requests=${f.requests} ok=${f.ok} 503=${f.s503} 504=${f.s504} other=${f.other} missingRetryAfter=${f.missingRetryAfter} ` +
    `badCause=${f.badCause} lateAnswers=${f.lateAnswers} wrongTenantRows=${f.wrongTenantRows} lostWrites=${f.lostWrites} phantomWrites=${f.phantomWrites} ` +
    `ambiguousWrites=${f.ambiguousWrites}(committed:${f.ambiguousCommitted}) apiRestarts=${f.apiRestarts} ` +
    `unrelatedDuringLock=${f.unrelatedDuringLock.ok}/${f.unrelatedDuringLock.total} readyDuringLock=${f.readyDuringLock.ok}/${f.readyDuringLock.total} ` +
    `recoveryMs=${recovery} durationS=${(f.durationMs / 1000).toFixed(1)}`
  );
}
