// Runs a throwaway PgBouncer (Debian's 1.18) in front of a test server, so the suites can prove that
// no tenant state survives a query in session *and* transaction pooling (docs/DESIGN.md I4).
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { freeLocalPort } from './postgres-server.js';

export type PoolMode = 'session' | 'transaction';

export interface PgBouncer {
  mode: PoolMode;
  host: '127.0.0.1';
  port: number;
  /** Where PgBouncer logs; read it when a test fails in a way only the pooler can explain. */
  logFile: string;
  url(user: string, database: string, password?: string): string;
  /** Stops and starts it again on the same port: clients see their connections drop. */
  restart(): Promise<void>;
  stop(): Promise<void>;
  /** The running process's id; undefined while it is stopped, dead or (re)starting. */
  readonly pid: number | undefined;
  /**
   * Calls `listener` when a started PgBouncer exits on its own (killed, crashed, an admin-console
   * SHUTDOWN); never for stop() or restart(), nor for an exit during start (start() throws then).
   * Returns a function that removes the listener. Supervisors call restart() from it.
   */
  onExit(listener: (exit: PgBouncerExit) => void): () => void;
  /**
   * True when its admin console answers SHOW VERSION within `timeoutMs` (default 1 s): it listens
   * and is not hung. Never touches the upstream, so a slow Postgres does not count against it.
   */
  answers(timeoutMs?: number): Promise<boolean>;
}

export interface PgBouncerExit {
  pid: number;
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface StartPgBouncerOptions {
  upstreamHost: string;
  upstreamPort: number;
  mode: PoolMode;
  port?: number;
  poolSize?: number;
  /** Upstream connections per database, all users (max_db_connections). Default 30. */
  maxServerConnections?: number;
  /** Every user a client will log in as must be listed in auth_file, even with auth_type = trust. */
  users?: string[];
  /**
   * Passwords PgBouncer uses to log in upstream, for servers that do not trust 127.0.0.1 (e.g. a
   * TEST_DATABASE_URL with a password). Written in plain text to a 0600 file in a private temp dir.
   */
  passwords?: Record<string, string>;
  log?: (m: string) => void;
  /**
   * Where its config, log and pid file go. Default: a fresh private temp dir, removed by stop().
   * A given dir is created when missing and kept by stop(), so the log can still be read after a
   * failure (`pnpm dev` names it in its messages); the log is appended to, and moved to
   * pgbouncer.log.1 once it passes 1 MB.
   */
  dir?: string;
}

const DEFAULT_USERS = ['postgres', 'tenantry_app', 'tenantry_owner', 'tenantry_admin'];
const READY_TIMEOUT_MS = 10_000;

/** Starts PgBouncer, or returns undefined when no `pgbouncer` binary is installed. */
export async function startPgBouncer(options: StartPgBouncerOptions): Promise<PgBouncer | undefined> {
  const binary = findPgBouncerBinary();
  if (!binary) return undefined;
  const log = options.log ?? (() => {});
  const port = options.port ?? (await freeLocalPort());
  // PgBouncer refuses to run as root ("PgBouncer should not run as root"), so as root it runs as the
  // postgres OS user, and everything it reads or writes must live in a directory that user owns.
  const owner = process.getuid?.() === 0 ? postgresOsUser() : undefined;
  const ownDir = options.dir === undefined;
  const dir = ownDir ? await fs.mkdtemp(path.join(os.tmpdir(), 'tenantry-pgbouncer-')) : path.resolve(options.dir!);
  const logFile = path.join(dir, 'pgbouncer.log');
  const iniFile = path.join(dir, 'pgbouncer.ini');
  if (!ownDir) await prepareKeptDir(dir, logFile);
  const users = [
    ...new Set(['postgres', ...(options.users ?? DEFAULT_USERS), ...Object.keys(options.passwords ?? {})]),
  ];

  await fs.writeFile(
    path.join(dir, 'userlist.txt'),
    users.map((u) => `${quote(u)} ${quote(options.passwords?.[u] ?? '')}\n`).join(''),
    { mode: 0o600 },
  );
  await fs.writeFile(iniFile, renderConfig(options, port, dir), { mode: 0o600 });
  if (owner)
    for (const file of ['', 'userlist.txt', 'pgbouncer.ini'])
      await fs.chown(path.join(dir, file), owner.uid, owner.gid);

  let child: ChildProcess | undefined;
  let stderr = '';
  const exitListeners = new Set<(exit: PgBouncerExit) => void>();

  async function start(): Promise<void> {
    stderr = '';
    const proc = spawn(binary!, [iniFile], { stdio: ['ignore', 'ignore', 'pipe'], ...(owner ?? {}) });
    proc.stderr?.on('data', (chunk: Buffer) => void (stderr = (stderr + chunk.toString()).slice(-4_000)));
    child = proc;
    let ready = false;
    // A PgBouncer outlives a parent that crashes (it is not our process group's job to reap it):
    // kill it when this process exits, however it exits, so no orphan keeps server connections.
    const killOnExit = () => proc.kill('SIGKILL');
    process.once('exit', killOnExit);
    proc.once('exit', (code, signal) => {
      process.removeListener('exit', killOnExit);
      // stopChild() clears `child` before it signals, so `child === proc` means nobody asked for
      // this exit. Before `ready`, start() itself reports the exit (it throws): telling the
      // listeners too would make a supervisor restart a PgBouncer that cannot start, twice.
      if (child !== proc || !ready) return;
      child = undefined;
      for (const listener of [...exitListeners]) listener({ pid: proc.pid!, code, signal });
    });
    const exited = new Promise<string>((resolve) =>
      proc.once('exit', (code, signal) => resolve(`exited (${signal ?? code})`)),
    );
    const deadline = Date.now() + READY_TIMEOUT_MS;
    let lastError: unknown;
    for (;;) {
      // The admin console answers as soon as PgBouncer listens, without touching the upstream, so
      // a slow upstream is not mistaken for a broken pooler.
      const problem = await probeAdminConsole(port, 1_000);
      if (problem === undefined && child === proc) {
        ready = true;
        log(`pgbouncer: ${options.mode} mode on 127.0.0.1:${port} → ${options.upstreamHost}:${options.upstreamPort}`);
        return;
      }
      lastError = problem;
      const status = await Promise.race([exited, sleep(100).then(() => undefined)]);
      if (status || Date.now() > deadline) {
        const why = status ? `it ${status}` : `it did not accept connections within ${READY_TIMEOUT_MS / 1000} s`;
        await stopChild();
        throw new Error(
          `Cannot start PgBouncer because ${why} (last error: ${messageOf(lastError)}). Config: ${iniFile}. Last log lines:\n${await tail(logFile, stderr)}`,
          { cause: lastError },
        );
      }
    }
  }

  async function stopChild(): Promise<void> {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    // SIGTERM is PgBouncer's immediate shutdown; SIGINT would wait for every session-mode client to
    // let go of its server connection, which a test holding a client open never does.
    proc.kill('SIGTERM');
    if ((await Promise.race([exited.then(() => true), sleep(5_000).then(() => false)])) === false) {
      proc.kill('SIGKILL');
      await exited;
    }
  }

  await start().catch(async (error: unknown) => {
    if (ownDir) await fs.rm(dir, { recursive: true, force: true });
    throw error;
  });
  let stopped: Promise<void> | undefined;
  return {
    mode: options.mode,
    host: '127.0.0.1',
    port,
    logFile,
    url(user, database, password) {
      const auth = encodeURIComponent(user) + (password === undefined ? '' : `:${encodeURIComponent(password)}`);
      return `postgres://${auth}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
    },
    async restart() {
      await stopChild();
      await start();
    },
    stop: () =>
      (stopped ??= (async () => {
        await stopChild();
        if (ownDir) await fs.rm(dir, { recursive: true, force: true });
      })()),
    get pid() {
      return child?.pid;
    },
    onExit(listener) {
      exitListeners.add(listener);
      return () => void exitListeners.delete(listener);
    },
    async answers(timeoutMs = 1_000) {
      return (await probeAdminConsole(port, timeoutMs)) === undefined;
    },
  };
}

/** undefined when the admin console on `port` answers SHOW VERSION within `timeoutMs`, else the error. */
async function probeAdminConsole(port: number, timeoutMs: number): Promise<unknown> {
  // query_timeout too: a stopped (SIGSTOP) or wedged PgBouncer accepts the TCP connection (the
  // kernel does that) and then never answers, so a connect timeout alone would wait forever.
  const probe = new pg.Client({
    connectionString: adminUrl(port),
    connectionTimeoutMillis: timeoutMs,
    query_timeout: timeoutMs,
  });
  probe.on('error', () => {});
  try {
    await probe.connect();
    await probe.query('SHOW VERSION');
    await probe.end();
    return undefined;
  } catch (error) {
    // Not awaited: end() waits for the server to close the socket, which a hung one never does.
    void probe.end().catch(() => {});
    return error ?? new Error('the admin console did not answer');
  }
}

/**
 * A kept dir (StartPgBouncerOptions.dir): created private, its log rotated at 1 MB, and a pid file
 * left by a PgBouncer that was killed with -9 removed. PgBouncer refuses to start while the pid in
 * that file is alive, and after a reboot the OS may have given that pid to an unrelated process.
 */
async function prepareKeptDir(dir: string, logFile: string): Promise<void> {
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const size = await fs.stat(logFile).then(
    (s) => s.size,
    () => 0,
  );
  if (size > 1_000_000) await fs.rename(logFile, `${logFile}.1`);
  await fs.rm(path.join(dir, 'pgbouncer.pid'), { force: true });
}

/** The path of the pgbouncer binary, looked up in PATH and /usr/sbin (Debian puts it there). */
export function findPgBouncerBinary(): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), '/usr/sbin', '/usr/local/sbin'];
  for (const dir of dirs.filter(Boolean)) {
    const candidate = path.join(dir, 'pgbouncer');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

function renderConfig(options: StartPgBouncerOptions, port: number, dir: string): string {
  // "localhost" may resolve to ::1 first while the upstream listens on 127.0.0.1 only; and a host
  // starting with "/" would be a Unix socket. Tests need TCP to a known address.
  const upstream = options.upstreamHost === 'localhost' ? '127.0.0.1' : options.upstreamHost;
  return `[databases]
; Wildcard: every database, including ones tests create later from a template, goes upstream as-is.
* = host=${upstream} port=${options.upstreamPort}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = ${port}
; No Unix socket: the default /tmp/.s.PGSQL.<port> could collide with another server's.
unix_socket_dir =
auth_type = trust
auth_file = ${path.join(dir, 'userlist.txt')}
admin_users = postgres
stats_users = postgres
pool_mode = ${options.mode}
default_pool_size = ${options.poolSize ?? 10}
max_client_conn = 500
; Session mode runs it when a client leaves; transaction mode relies on transaction-local settings.
server_reset_query = DISCARD ALL
; node-postgres and Prisma send these; without this PgBouncer rejects the connection.
ignore_startup_parameters = extra_float_digits,options
; Retry an upstream login after 1 s, not 15: fault-injection tests restart things on purpose.
server_login_retry = 1
server_connect_timeout = 5
; Tests create many short-lived databases: close idle server connections after 10 s (the default
; is 600 s), and cap each pooler's upstream connections, so suites stay under max_connections.
server_idle_timeout = 10
max_db_connections = ${options.maxServerConnections ?? 30}
log_connections = 0
log_disconnections = 0
logfile = ${path.join(dir, 'pgbouncer.log')}
pidfile = ${path.join(dir, 'pgbouncer.pid')}
`;
}

function adminUrl(port: number): string {
  return `postgres://postgres@127.0.0.1:${port}/pgbouncer`;
}

function postgresOsUser(): { uid: number; gid: number } {
  try {
    const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
    return { uid: id('-u'), gid: id('-g') };
  } catch (error) {
    throw new Error(
      'Cannot start PgBouncer as root because there is no `postgres` OS user to run it as. Install the postgresql or pgbouncer package, or run the tests as a non-root user.',
      { cause: error },
    );
  }
}

function quote(value: string): string {
  return `"${value.replaceAll('"', '""')}"`;
}

async function tail(logFile: string, stderr: string): Promise<string> {
  const text = (await fs.readFile(logFile, 'utf8').catch(() => '')) || stderr;
  return text.trimEnd().split('\n').slice(-20).join('\n') || '(empty log)';
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
