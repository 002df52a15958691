/**
 * Starts the latency proxy (proxy-process.ts) as a child process in front of one or more targets,
 * with round-trip time `rttMs` (half of it each way), and rewrites connection strings to go through
 * it. Every strategy's URL is rewritten alike, so all of them cross the same "network".
 *
 * @example
 * const proxy = await startLatencyProxy({ rttMs: 2, targets: [{ host: '127.0.0.1', port: 5432 }] });
 * const url = proxy.rewrite('postgres://app@127.0.0.1:5432/db'); // → 127.0.0.1:<proxy port>
 * await proxy.close();
 */
import { type ChildProcess, fork } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DelayProxyStats } from './delay-proxy.js';
import type { ProxyConfig, ProxyReply, ProxyRequest } from './proxy-process.js';

export type { DelayProxyStats } from './delay-proxy.js';

export interface LatencyProxy {
  readonly rttMs: number;
  /** The proxy's port for each target, in the order given. */
  readonly ports: number[];
  /** The same URL with host:port replaced by the proxy's, when it points at one of the targets. */
  rewrite(url: string): string;
  /** Counters per target, cumulative since start. */
  stats(): Promise<DelayProxyStats[]>;
  /** Closes every connection and the child process; safe to call twice. */
  close(): Promise<void>;
}

const here = path.dirname(fileURLToPath(import.meta.url));
const benchDir = path.resolve(here, '..', '..');

export async function startLatencyProxy(options: {
  rttMs: number;
  targets: Array<{ host: string; port: number }>;
}): Promise<LatencyProxy> {
  const config: ProxyConfig = { oneWayMs: options.rttMs / 2, targets: options.targets };
  // tsx from the bench's own node_modules (fork resolves --import from cwd).
  const child: ChildProcess = fork(path.join(here, 'proxy-process.ts'), [JSON.stringify(config)], {
    cwd: benchDir,
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ports = await new Promise<number[]>((resolve, reject) => {
    const onExit = (code: number | null) =>
      reject(new Error(`Cannot start the latency proxy because its process exited (code ${code}) before listening.`));
    child.once('exit', onExit);
    child.on('message', (m: ProxyReply) => {
      if (m.type === 'ready') {
        child.off('exit', onExit);
        resolve(m.ports);
      } else if (m.type === 'failed') reject(new Error(`Cannot start the latency proxy because ${m.message}.`));
    });
  });
  let nextId = 0;
  const waiting = new Map<number, (s: DelayProxyStats[]) => void>();
  child.on('message', (m: ProxyReply) => {
    if (m.type === 'stats') {
      waiting.get(m.id)?.(m.stats);
      waiting.delete(m.id);
    }
  });
  const request = (r: ProxyRequest) => child.send(r);
  let closing: Promise<void> | undefined;
  return {
    rttMs: options.rttMs,
    ports,
    rewrite(url) {
      const u = new URL(url);
      const i = options.targets.findIndex((t) => t.host === u.hostname && t.port === Number(u.port || 5432));
      if (i < 0) return url;
      u.hostname = '127.0.0.1';
      u.port = String(ports[i]);
      return u.toString();
    },
    stats() {
      if (!child.connected)
        return Promise.reject(new Error('Cannot read the latency proxy stats because it is closed.'));
      const id = nextId++;
      return new Promise((resolve) => {
        waiting.set(id, resolve);
        request({ type: 'stats', id });
      });
    },
    close() {
      closing ??= (async () => {
        if (child.connected) request({ type: 'close' });
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      })();
      return closing;
    },
  };
}
