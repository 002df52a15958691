/**
 * `next start` of the existing build on a random loopback port, with the environment a test needs.
 * The global setup starts the shared server with it; the availability tests start their own (a short
 * WEB_REQUEST_DEADLINE_MS, a DATABASE_URL nobody listens on), because the environment is read once
 * per process and changing the shared server's would change every other test's conditions.
 * No vitest imports: the global setup runs outside the test workers.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

export const APP_DIR = path.resolve(import.meta.dirname, '../..');
export const RESULTS_DIR = path.join(APP_DIR, 'test-results');
export const NEXT_BIN = path.join(APP_DIR, 'node_modules', 'next', 'dist', 'bin', 'next');

/** A loopback port that was free a moment ago (and, unless someone took it since, nobody listens on). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function waitForHealth(url: string, child: ChildProcess, logFile: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`Cannot start the web app: next start exited with ${child.exitCode}. See ${logFile}.`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`Cannot start the web app: ${url} did not answer within 60 s. See ${logFile}.`);
}

export interface NextServer {
  baseUrl: string;
  /** Where the server's stdout and stderr go (its log lines). */
  logFile: string;
  stop(): Promise<void>;
}

export interface StartNextOptions {
  /** Added to process.env (plus NODE_ENV=production and NEXT_TELEMETRY_DISABLED=1). */
  env: Record<string, string>;
  /** File name under test-results/. */
  logName: string;
  /** Polled until it answers 2xx: `/api/health` (readiness) by default; `/api/health/live` for a server whose database is down. */
  healthPath?: string;
}

export async function startNextServer(options: StartNextOptions): Promise<NextServer> {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const port = await freePort();
  const logFile = path.join(RESULTS_DIR, options.logName);
  const out = createWriteStream(logFile);
  const child = spawn(process.execPath, [NEXT_BIN, 'start', '--hostname', '127.0.0.1', '--port', String(port)], {
    cwd: APP_DIR,
    env: { ...process.env, ...options.env, NEXT_TELEMETRY_DISABLED: '1', NODE_ENV: 'production' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.pipe(out);
  child.stderr!.pipe(out);
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
  };
  const baseUrl = `http://127.0.0.1:${port}`;
  try {
    await waitForHealth(`${baseUrl}${options.healthPath ?? '/api/health'}`, child, logFile);
  } catch (error) {
    await stop();
    throw error;
  }
  return { baseUrl, logFile, stop };
}
