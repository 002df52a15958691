/**
 * The latency proxy on real sockets: bytes arrive intact and in order in both directions, each way
 * is held at least the injected delay, and closing it closes every connection and the process.
 * Timing is asserted only as a lower bound (the delay itself): a loaded machine only adds to it.
 */
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import { startLatencyProxy, type LatencyProxy } from '../src/latency/latency-proxy.js';

/** An echo server that also stamps when each chunk reached it. */
async function echoServer() {
  const arrivals: number[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('data', (chunk) => {
      arrivals.push(performance.now());
      s.write(chunk);
    });
    s.on('end', () => s.end());
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    arrivals,
    sockets,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port, noDelay: true }, () => resolve(s));
    s.once('error', reject);
  });
}

function readBytes(socket: net.Socket, n: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let got = 0;
    const onData = (chunk: Buffer) => {
      parts.push(chunk);
      got += chunk.length;
      if (got >= n) {
        socket.off('data', onData);
        resolve(Buffer.concat(parts));
      }
    };
    socket.on('data', onData);
    socket.once('error', reject);
  });
}

let proxy: LatencyProxy | undefined;
let echo: Awaited<ReturnType<typeof echoServer>> | undefined;
afterEach(async () => {
  await proxy?.close();
  await echo?.close();
  proxy = undefined;
  echo = undefined;
});

describe('latency proxy', () => {
  it('holds each direction for at least the one-way delay', async () => {
    echo = await echoServer();
    proxy = await startLatencyProxy({ rttMs: 40, targets: [{ host: '127.0.0.1', port: echo.port }] });
    const socket = await connect(proxy.ports[0]!);
    const sent = performance.now();
    socket.write('ping');
    const reply = await readBytes(socket, 4);
    const back = performance.now();
    expect(reply.toString()).toBe('ping');
    // Client → server: at least 20 ms; the whole round trip: at least 40 ms.
    expect(echo.arrivals[0]! - sent).toBeGreaterThanOrEqual(19.5);
    expect(back - sent).toBeGreaterThanOrEqual(39.5);
    const [stats] = await proxy.stats();
    expect(stats!.chunks).toBe(2);
    expect(stats!.heldMsTotal / stats!.chunks).toBeGreaterThanOrEqual(19.5);
    expect(stats!.exchanges).toBe(1);
    socket.destroy();
  });

  it('preserves every byte and their order, on many connections at once', async () => {
    echo = await echoServer();
    proxy = await startLatencyProxy({ rttMs: 1, targets: [{ host: '127.0.0.1', port: echo.port }] });
    const payload = (c: number) => Buffer.from(Array.from({ length: 200_000 }, (_, i) => (i * 31 + c) & 0xff));
    const results = await Promise.all(
      Array.from({ length: 20 }, async (_, c) => {
        const socket = await connect(proxy!.ports[0]!);
        const data = payload(c);
        const reading = readBytes(socket, data.length);
        // Many small writes: order has to survive the queue, not just one big chunk.
        for (let i = 0; i < data.length; i += 1_000) socket.write(data.subarray(i, i + 1_000));
        const echoed = await reading;
        socket.destroy();
        return echoed.equals(data);
      }),
    );
    expect(results).toEqual(Array(20).fill(true));
    const [stats] = await proxy.stats();
    expect(stats!.connections).toBe(20);
  });

  it('forwards a half-close after the data before it', async () => {
    echo = await echoServer();
    proxy = await startLatencyProxy({ rttMs: 10, targets: [{ host: '127.0.0.1', port: echo.port }] });
    const socket = await connect(proxy.ports[0]!);
    const chunks: Buffer[] = [];
    socket.on('data', (c) => chunks.push(c));
    const ended = new Promise<void>((r) => socket.once('end', () => r()));
    socket.end('last words');
    await ended;
    expect(Buffer.concat(chunks).toString()).toBe('last words');
  });

  it('rewrites only URLs that point at a target', async () => {
    echo = await echoServer();
    proxy = await startLatencyProxy({ rttMs: 1, targets: [{ host: '127.0.0.1', port: echo.port }] });
    expect(proxy.rewrite(`postgres://app:pw@127.0.0.1:${echo.port}/db?x=1`)).toBe(
      `postgres://app:pw@127.0.0.1:${proxy.ports[0]}/db?x=1`,
    );
    expect(proxy.rewrite('postgres://app@127.0.0.1:1/db')).toBe('postgres://app@127.0.0.1:1/db');
  });

  it('closes cleanly: open connections end, the port is released, close() twice is fine', async () => {
    echo = await echoServer();
    proxy = await startLatencyProxy({ rttMs: 2, targets: [{ host: '127.0.0.1', port: echo.port }] });
    const port = proxy.ports[0]!;
    const socket = await connect(port);
    socket.write('x');
    await readBytes(socket, 1);
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
    await proxy.close();
    await proxy.close();
    await closed;
    // Upstream side dropped too.
    await expect.poll(() => echo!.sockets.size).toBe(0);
    await expect(connect(port)).rejects.toThrow();
    await expect(proxy.stats()).rejects.toThrow(/closed/);
  });
});
