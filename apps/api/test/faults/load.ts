/**
 * Concurrent load from several tenants over loopback HTTP (fetch), recording every answer.
 *
 * Three kinds of client, each a sequential loop with a short think time (the traffic stays bounded:
 * a few hundred requests a second on loopback, never anything else):
 * - mixed: GET /tasks, POST /tasks, GET /workspaces, GET /me, GET /projects in turn, each client
 *   starting at a different point of the cycle so every route is always in flight;
 * - bystander (one per tenant): only routes that never touch the tasks table (workspaces, me,
 *   projects), so "unrelated routes keep answering while tasks is locked" has enough samples even
 *   when every mixed client sits in a locked /tasks request;
 * - probe: GET /health/ready and GET /health/live, no token.
 *
 * Every POST /tasks carries a title no other request uses (its marker), so the oracle can tell, for
 * each task row in the database, which request wrote it and what that request was told.
 */
import { SignJWT } from 'jose';
import type { SeededTenant } from '../support/fixtures.js';

export type Operation = 'list-tasks' | 'create-task' | 'list-workspaces' | 'me' | 'list-projects' | 'ready' | 'live';
export type ClientKind = 'mixed' | 'bystander' | 'probe';

const MIXED: Operation[] = ['list-tasks', 'create-task', 'list-workspaces', 'me', 'list-projects'];
const BYSTANDER: Operation[] = ['list-workspaces', 'me', 'list-projects'];
const PROBE: Operation[] = ['ready', 'live'];

/** A row of a response, reduced to what decides whose it is. `where` says which part of the body. */
export interface SeenRow {
  where: string;
  id?: string;
  tenantId?: string;
  title?: string;
  userId?: string;
}

export interface Outcome {
  seq: number;
  requestId: string;
  client: string;
  kind: ClientKind;
  /** undefined for the probe, which sends no token. */
  tenant: SeededTenant | undefined;
  op: Operation;
  method: string;
  path: string;
  /** POST /tasks only: the unique title it sent. */
  marker?: string;
  /** performance.now() when the request was sent and when its answer (or error) was complete. */
  startedAt: number;
  endedAt: number;
  /** 0: no HTTP answer at all (connection refused or reset, client timeout). */
  status: number;
  retryAfter: string | null;
  /** body.cause of an error answer. */
  cause?: string;
  /** Error answers keep their body (it holds no tenant data), for failure messages. */
  errorBody?: unknown;
  networkError?: string;
  /** The socket error under a failed fetch (ECONNREFUSED, ECONNRESET, UND_ERR_SOCKET, ...). */
  networkCode?: string;
  /** A 2xx whose body is not the shape the route documents (e.g. no `items` page). */
  malformed?: string;
  rows: SeenRow[];
  /** POST /tasks answered 201: the created task as the API reported it. */
  created?: { id?: string; tenantId?: string; title?: string };
}

export interface LoadClient {
  name: string;
  kind: ClientKind;
  tenant: SeededTenant | undefined;
}

export interface LoadOptions {
  url: string;
  tenants: SeededTenant[];
  jwtSecret: string;
  mixedPerTenant: number;
  /** Pause between a client's requests, ms (uniform in [min, max]). */
  thinkMs: [number, number];
  /** A request with no answer after this long is recorded as status 0 (a hang). */
  requestTimeoutMs: number;
  runId: string;
}

export interface Load {
  clients: LoadClient[];
  outcomes: Outcome[];
  /** Stops issuing requests and waits for the ones in flight. */
  stop(): Promise<void>;
}

export async function startLoad(options: LoadOptions): Promise<Load> {
  const tokens = new Map<string, string>();
  for (const tenant of options.tenants) tokens.set(tenant.tenantId, await mintToken(tenant.userId, options.jwtSecret));

  const clients: LoadClient[] = [];
  for (const tenant of options.tenants) {
    for (let i = 0; i < options.mixedPerTenant; i++)
      clients.push({ name: `${tenant.label}-m${i}`, kind: 'mixed', tenant });
    clients.push({ name: `${tenant.label}-bystander`, kind: 'bystander', tenant });
  }
  clients.push({ name: 'probe', kind: 'probe', tenant: undefined });

  const outcomes: Outcome[] = [];
  let seq = 0;
  let stopping = false;
  const think = () => options.thinkMs[0] + Math.random() * (options.thinkMs[1] - options.thinkMs[0]);

  const loop = async (client: LoadClient, offset: number) => {
    const cycle = client.kind === 'mixed' ? MIXED : client.kind === 'bystander' ? BYSTANDER : PROBE;
    let created = 0;
    for (let turn = offset; !stopping; turn++) {
      const op = cycle[turn % cycle.length]!;
      const marker =
        op === 'create-task' ? `${client.tenant!.label} ${options.runId} ${client.name} #${created++}` : undefined;
      const outcome = await send(
        options,
        client,
        op,
        ++seq,
        client.tenant && tokens.get(client.tenant.tenantId),
        marker,
      );
      outcomes.push(outcome);
      await sleep(think());
    }
  };
  const loops = clients.map((client, index) => loop(client, index));

  return {
    clients,
    outcomes,
    async stop() {
      stopping = true;
      await Promise.all(loops);
    },
  };
}

async function send(
  options: LoadOptions,
  client: LoadClient,
  op: Operation,
  seq: number,
  token: string | undefined,
  marker: string | undefined,
): Promise<Outcome> {
  const tenant = client.tenant;
  const { method, path, body } = requestFor(op, tenant, marker);
  const requestId = `${options.runId}-${seq}`;
  const headers: Record<string, string> = { 'x-request-id': requestId };
  if (token) headers.authorization = `Bearer ${token}`;
  if (tenant) headers['x-tenant-id'] = tenant.tenantId;
  if (body) headers['content-type'] = 'application/json';
  const outcome: Outcome = {
    seq,
    requestId,
    client: client.name,
    kind: client.kind,
    tenant,
    op,
    method,
    path,
    ...(marker ? { marker } : {}),
    startedAt: performance.now(),
    endedAt: 0,
    status: 0,
    retryAfter: null,
    rows: [],
  };
  try {
    const response = await fetch(`${options.url}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(options.requestTimeoutMs),
    });
    const text = await response.text();
    outcome.status = response.status;
    outcome.retryAfter = response.headers.get('retry-after');
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = { unparsable: text.slice(0, 200) };
    }
    if (response.ok) readRows(op, parsed, outcome);
    else {
      outcome.errorBody = parsed;
      const cause = (parsed as { cause?: unknown } | undefined)?.cause;
      if (typeof cause === 'string') outcome.cause = cause;
    }
  } catch (error) {
    const e = error as Error & { cause?: { code?: string } };
    outcome.networkError =
      e.name === 'TimeoutError'
        ? `no answer within ${options.requestTimeoutMs} ms`
        : `${e.name}: ${e.cause?.code ?? e.message}`;
    if (e.cause?.code) outcome.networkCode = e.cause.code;
  }
  outcome.endedAt = performance.now();
  return outcome;
}

function requestFor(
  op: Operation,
  tenant: SeededTenant | undefined,
  marker: string | undefined,
): { method: string; path: string; body?: unknown } {
  switch (op) {
    case 'list-tasks':
      return { method: 'GET', path: '/tasks' };
    case 'create-task': {
      const projectId = tenant!.projectIds[Math.floor(Math.random() * tenant!.projectIds.length)]!;
      return { method: 'POST', path: '/tasks', body: { projectId, title: marker } };
    }
    case 'list-workspaces':
      return { method: 'GET', path: '/workspaces' };
    case 'me':
      return { method: 'GET', path: '/me' };
    case 'list-projects':
      return { method: 'GET', path: '/projects' };
    case 'ready':
      return { method: 'GET', path: '/health/ready' };
    case 'live':
      return { method: 'GET', path: '/health/live' };
  }
}

/** Every row the answer shows, with where it was, so the oracle can check whose each one is. */
function readRows(op: Operation, body: unknown, outcome: Outcome): void {
  const rows = outcome.rows;
  const b = body as any;
  switch (op) {
    case 'list-tasks':
    case 'list-workspaces':
    case 'list-projects':
      for (const [i, row] of ((b?.items ?? []) as any[]).entries()) {
        rows.push({
          where: `items[${i}]`,
          id: row?.id,
          tenantId: row?.tenantId,
          ...(op === 'list-tasks' ? { title: row?.title } : {}),
        });
      }
      if (!Array.isArray(b?.items)) outcome.malformed = 'the body has no items array';
      return;
    case 'create-task':
      if (typeof b?.id !== 'string') outcome.malformed = 'the created task has no id';
      outcome.created = { id: b?.id, tenantId: b?.tenantId, title: b?.title };
      rows.push({ where: 'created task', id: b?.id, tenantId: b?.tenantId, title: b?.title });
      return;
    case 'me':
      if (!b?.user) outcome.malformed = 'the body has no user';
      // The user is a member of its own tenant only, so every tenant /me names must be that one.
      rows.push({ where: 'user', id: b?.user?.id, userId: b?.user?.id, tenantId: outcome.tenant?.tenantId });
      rows.push({ where: 'context', tenantId: b?.context?.tenantId, userId: b?.context?.userId });
      rows.push({ where: 'activeTenant', id: b?.activeTenant?.id, tenantId: b?.activeTenant?.id });
      for (const [i, t] of ((b?.tenants ?? []) as any[]).entries())
        rows.push({ where: `tenants[${i}]`, id: t?.id, tenantId: t?.id });
      return;
    case 'ready':
    case 'live':
      return;
  }
}

/** HS256 like Supabase Auth issues (test/support/test-api.ts mints the same shape). */
export function mintToken(userId: string, secret: string): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ role: 'authenticated' })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(userId)
    .setAudience('authenticated')
    .setIssuedAt(now - 60)
    .setExpirationTime(now + 900)
    .sign(new TextEncoder().encode(secret));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
