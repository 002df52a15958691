/**
 * The API as a real child process (`node --import tsx src/main.ts`, as `pnpm --filter
 * @tenantry/api start` runs it), so "no process restart" means something: the pid that answered
 * first answers last, and it never exits. Nest in the test process could not show that, and an
 * unhandled rejection there would take the test down instead of the API.
 *
 * Its stdout carries one JSON line per request (src/http/request-logger.ts); they are kept, so the
 * report can join them with what the clients saw by request id.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const API_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const START_TIMEOUT_MS = 30_000;

export interface ApiLogLine {
  msg: string;
  level: string;
  requestId?: string;
  method?: string;
  route?: string;
  status?: number;
  durationMs?: number;
  tenantId?: string;
  [key: string]: unknown;
}

export interface ApiExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** ms since the process was spawned. */
  afterMs: number;
}

export interface ApiProcess {
  url: string;
  pid: number;
  /** Every JSON line the API wrote to stdout, in order. */
  logs: ApiLogLine[];
  /** "listening on" lines seen: more than one would mean the process started its server twice. */
  listenCount: number;
  /** Set when the process exited; a healthy run ends with this undefined until stop(). */
  readonly exit: ApiExit | undefined;
  /** The last stderr and non-JSON stdout lines, for failure messages. */
  tail(): string;
  stop(): Promise<void>;
}

export async function startApiProcess(env: Record<string, string>): Promise<ApiProcess> {
  // Only what the API needs, plus PATH/HOME: a developer's DATABASE_URL or NODE_ENV=production in
  // the environment must not redirect the API to another database or switch the dev routes off.
  const childEnv: Record<string, string> = { NO_COLOR: '1', FORCE_COLOR: '0', ...env };
  for (const key of ['PATH', 'HOME', 'TMPDIR', 'LANG'])
    if (process.env[key] !== undefined) childEnv[key] ??= process.env[key]!;

  const spawnedAt = performance.now();
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: API_DIR,
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // However this process ends, the API must not outlive it.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const logs: ApiLogLine[] = [];
  const recent: string[] = [];
  const remember = (line: string) => {
    recent.push(line);
    if (recent.length > 40) recent.shift();
  };
  let exit: ApiExit | undefined;
  let listenCount = 0;
  let resolveUrl: (url: string) => void = () => {};
  const listening = new Promise<string>((resolve) => (resolveUrl = resolve));

  const lines = (stream: NodeJS.ReadableStream, onLine: (line: string) => void) => {
    let buffered = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      buffered += chunk;
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        onLine(buffered.slice(0, newline));
        buffered = buffered.slice(newline + 1);
      }
    });
  };
  lines(child.stdout!, (line) => {
    if (line.startsWith('{')) {
      try {
        logs.push(JSON.parse(line) as ApiLogLine);
        return;
      } catch {
        // not JSON after all: keep it as text
      }
    }
    remember(line);
    // Nest's logger: "... [tenantry-api] LOG ... listening on http://127.0.0.1:PORT (dev token ...)".
    const match = /listening on (http:\/\/\S+)/.exec(line);
    if (match) {
      listenCount++;
      resolveUrl(match[1]!);
    }
  });
  lines(child.stderr!, (line) => remember(`stderr: ${line}`));

  const exited = new Promise<ApiExit>((resolve) =>
    child.once('exit', (code, signal) => {
      process.removeListener('exit', killOnExit);
      exit = { code, signal, afterMs: Math.round(performance.now() - spawnedAt) };
      resolve(exit);
    }),
  );
  const tail = () => recent.join('\n') || '(no output)';

  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    listening.then((url) => ({ url })),
    exited.then((e) => ({ error: `it exited (${e.signal ?? `code ${e.code}`}) before listening` })),
    new Promise<{ error: string }>(
      (resolve) =>
        (timer = setTimeout(
          () => resolve({ error: `it did not print "listening on" within ${START_TIMEOUT_MS / 1000} s` }),
          START_TIMEOUT_MS,
        )),
    ),
  ]);
  clearTimeout(timer);

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      if (exit) return;
      // SIGTERM: Nest's shutdown hooks close the pools (main.ts enableShutdownHooks).
      child.kill('SIGTERM');
      let kill: NodeJS.Timeout | undefined;
      await Promise.race([exited, new Promise<void>((resolve) => (kill = setTimeout(resolve, 5_000)))]);
      clearTimeout(kill);
      if (!exit) {
        child.kill('SIGKILL');
        await exited;
      }
    })());

  if ('error' in outcome) {
    await stop();
    throw new Error(`Cannot start the API child process because ${outcome.error}. Output:\n${tail()}`);
  }
  return {
    url: outcome.url.replace(/\/$/, ''),
    pid: child.pid!,
    logs,
    get listenCount() {
      return listenCount;
    },
    get exit() {
      return exit;
    },
    tail,
    stop,
  };
}
