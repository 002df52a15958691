/**
 * What `pnpm dev` checks before it starts anything, and while it runs: the variables it reads are
 * well formed, the ports it will listen on are free, the apps answer their health checks, the
 * database processes it started are still there. Every failure is a `DevError` whose message is
 * one sentence in the form "Cannot <action> because <reason>. <fix>." and names the variable.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

/** An expected failure: dev.ts prints its message (no stack) and exits 1. */
export class DevError extends Error {
  override name = 'DevError';
}

/** Where a variable's value came from, for messages: "API_PORT (set in .env)". */
export type Origin = (name: string) => 'the environment' | '.env' | undefined;

export function describeVariable(name: string, origin: Origin): string {
  const from = origin(name);
  return from ? `${name} from ${from}` : name;
}

/** A port variable: its value, or `fallback` when unset or empty. */
export function portVariable(
  env: NodeJS.ProcessEnv,
  name: string,
  fallback: number | undefined,
  origin: Origin,
): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const port = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new DevError(
      `Cannot start pnpm dev because ${describeVariable(name, origin)} is ${JSON.stringify(raw)}, not a port number (1-65535). ` +
        `Set it to a free port${fallback ? `, e.g. ${fallback},` : ''} or unset it.`,
    );
  }
  return port;
}

/** The database URL variables, when set, must be postgres:// URLs. Never prints a value: they hold passwords. */
export function checkDatabaseUrls(env: NodeJS.ProcessEnv, origin: Origin): void {
  for (const name of ['DATABASE_URL', 'DIRECT_URL', 'DATABASE_ADMIN_URL']) {
    const value = env[name];
    if (!value) continue;
    const url = URL.canParse(value) ? new URL(value) : undefined;
    const protocol = url?.protocol;
    if (
      url &&
      (protocol === 'postgres:' || protocol === 'postgresql:') &&
      (url.hash || url.search.includes('#') || !url.hostname)
    ) {
      // `p@ss#word`: everything after `#` is a fragment, so the host and port would silently be wrong.
      throw new DevError(
        `Cannot start pnpm dev because ${describeVariable(name, origin)} has ${url.hostname ? 'a "#" in it' : 'no host'}, so its host, port or database are not what you meant. ` +
          'Percent-encode special characters in the password (# is %23, @ is %40, / is %2F), or remove ' +
          `${name} to use the embedded dev database.`,
      );
    }
    if (protocol !== 'postgres:' && protocol !== 'postgresql:') {
      throw new DevError(
        `Cannot start pnpm dev because ${describeVariable(name, origin)} is not a postgres:// URL` +
          `${protocol ? ` (its scheme is ${protocol.replace(/:$/, '')})` : ' (it does not parse as a URL)'}. ` +
          `Fix it (the format is in .env.example; percent-encode special characters in the password), or remove ${name} to use the embedded dev database.`,
      );
    }
  }
}

export interface PortClaim {
  port: number;
  /** The variable that sets it, named in the error. */
  variable: string;
  /** The interface the process will bind. */
  host: string;
  /** What listens there, for people: "the API". */
  what: string;
}

/** Fails naming the variable when two claims share a port or a port is taken. Takes milliseconds. */
export async function assertPortsFree(claims: PortClaim[], origin: Origin): Promise<void> {
  for (const [i, a] of claims.entries()) {
    const b = claims.slice(i + 1).find((c) => c.port === a.port);
    if (b) {
      throw new DevError(
        `Cannot start pnpm dev because ${describeVariable(a.variable, origin)} and ${describeVariable(b.variable, origin)} are both ${a.port}. Give each its own port.`,
      );
    }
  }
  for (const claim of claims) {
    const problem = await bindProblem(claim.port, claim.host);
    if (!problem) continue;
    const reason = problem === 'EADDRINUSE' ? 'is in use by another process' : `cannot be bound (${problem})`;
    throw new DevError(
      `Cannot start pnpm dev because port ${claim.port} (${describeVariable(claim.variable, origin)}, for ${claim.what}) ${reason}. ` +
        `Stop what listens there (\`ss -ltnp 'sport = :${claim.port}'\` or \`lsof -i :${claim.port}\` shows it; it may be an earlier pnpm dev) ` +
        `or set ${claim.variable} to a free port in .env.`,
    );
  }
}

/** undefined when `host:port` can be bound right now, else the error code. */
function bindProblem(port: number, host: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    probe.listen({ port, host, exclusive: true }, () => probe.close(() => resolve(undefined)));
  });
}

/** The port of a Postgres left running on `dataDir` (its postmaster.pid), if its process is alive. */
export function runningPostgresPort(dataDir: string): number | undefined {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return undefined;
  const [pidLine, , , portLine] = readFileSync(pidFile, 'utf8').split('\n');
  try {
    process.kill(Number(pidLine), 0);
  } catch {
    return undefined;
  }
  const port = Number(portLine);
  return Number.isInteger(port) && port > 0 ? port : undefined;
}

/** True when something accepts TCP connections on 127.0.0.1:port within `timeoutMs`. */
export function answersTcp(port: number, host = '127.0.0.1', timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export interface HealthTarget {
  name: string;
  host: string;
  port: number;
  path: string;
  /** How long the first answer may take once the port accepts connections (Next compiles on demand). */
  answerTimeoutMs: number;
}

/**
 * Waits until the app listens (TCP connects, which logs nothing), then sends one GET: 2xx → ready;
 * any other status → a DevError carrying the app's own message. No log line per poll: the app
 * sees one request. Rejects with a DevError after `deadlineMs`, or when `abort` fires.
 */
export async function waitForHealth(target: HealthTarget, deadlineMs: number, abort: AbortSignal): Promise<void> {
  const url = `http://${target.host.includes(':') ? `[${target.host}]` : target.host}:${target.port}${target.path}`;
  const deadline = Date.now() + deadlineMs;
  while (!abort.aborted) {
    if (Date.now() > deadline) {
      throw new DevError(
        `Cannot start pnpm dev because ${target.name} did not answer ${url} within ${Math.round(deadlineMs / 1000)} s. Its output above says why; fix that and run pnpm dev again.`,
      );
    }
    if (!(await answersTcp(target.port, target.host, 1_000))) {
      await sleep(250, abort);
      continue;
    }
    let response: Response;
    try {
      response = await fetch(url, { signal: AbortSignal.any([abort, AbortSignal.timeout(target.answerTimeoutMs)]) });
    } catch {
      // Restarted by its watcher between the connect and the request, or still compiling: again.
      await sleep(500, abort);
      continue;
    }
    if (response.ok) {
      await response.body?.cancel();
      return;
    }
    const body = await response.text().catch(() => '');
    throw new DevError(
      `Cannot start pnpm dev because ${target.name} answered GET ${target.path} with ${response.status}: ${healthMessage(body)}`,
    );
  }
}

/** The message of a Nest/Next error body ({ message }) or the start of a text body. */
function healthMessage(body: string): string {
  try {
    const parsed = JSON.parse(body) as { message?: unknown; error?: unknown };
    const message = Array.isArray(parsed.message) ? parsed.message.join('; ') : (parsed.message ?? parsed.error);
    if (typeof message === 'string' && message) return message;
  } catch {
    /* not JSON */
  }
  return body.trim().slice(0, 500) || '(empty body)';
}

export function sleep(ms: number, abort?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      abort?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    abort?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * The process groups of `rootPid`'s descendants (turbo puts each task in a group of its own). Taken
 * while the tree is intact, they still reach an app whose parent died and that was reparented.
 */
export function descendantProcessGroups(rootPid: number): Set<number> {
  let table: string;
  try {
    table = execFileSync('ps', ['-A', '-o', 'pid=,ppid=,pgid='], { encoding: 'utf8' });
  } catch {
    return new Set();
  }
  const rows = table
    .split('\n')
    .map((line) => line.trim().split(/\s+/).map(Number))
    .filter((row): row is [number, number, number] => row.length === 3 && row.every(Number.isInteger));
  const children = new Map<number, Array<[number, number, number]>>();
  for (const row of rows) children.set(row[1], [...(children.get(row[1]) ?? []), row]);
  const groups = new Set<number>();
  const queue = [rootPid];
  while (queue.length) {
    for (const [pid, , pgid] of children.get(queue.pop()!) ?? []) {
      if (pgid !== process.pid && pgid > 1) groups.add(pgid);
      queue.push(pid);
    }
  }
  return groups;
}

/** Signals every group; true when at least one process in them was still there. */
export function signalGroups(groups: Iterable<number>, signal: NodeJS.Signals | 0): boolean {
  let any = false;
  for (const pgid of groups) {
    try {
      process.kill(-pgid, signal);
      any = true;
    } catch {
      /* that group is gone */
    }
  }
  return any;
}
