/**
 * The latency proxy's child process: one DelayProxy per route, all with the same one-way delay.
 * Started by latency-proxy.ts with its configuration as argv[2] (JSON); talks over the IPC channel.
 */
import { DelayProxy, type DelayProxyStats } from './delay-proxy.js';

export interface ProxyConfig {
  oneWayMs: number;
  targets: Array<{ host: string; port: number }>;
}

export type ProxyRequest = { type: 'stats'; id: number } | { type: 'close' };
export type ProxyReply =
  | { type: 'ready'; ports: number[] }
  | { type: 'stats'; id: number; stats: DelayProxyStats[] }
  | { type: 'failed'; message: string };

const send = (reply: ProxyReply) => process.send?.(reply);

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2] ?? '{}') as ProxyConfig;
  const proxies = config.targets.map((t) => new DelayProxy(t, config.oneWayMs));
  const ports = await Promise.all(proxies.map((p) => p.listen()));
  process.on('message', (message: ProxyRequest) => {
    if (message.type === 'stats') send({ type: 'stats', id: message.id, stats: proxies.map((p) => p.stats()) });
    else if (message.type === 'close') {
      void Promise.all(proxies.map((p) => p.close())).then(() => process.disconnect());
    }
  });
  // The parent died without closing us: do not linger holding ports.
  process.on('disconnect', () => process.exit(0));
  send({ type: 'ready', ports });
}

main().catch((error: unknown) => {
  send({ type: 'failed', message: error instanceof Error ? error.message : String(error) });
  process.exit(1);
});
