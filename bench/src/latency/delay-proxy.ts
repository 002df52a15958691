/**
 * A TCP proxy that holds every chunk for a fixed one-way delay in each direction, so loopback behaves
 * like a network with round-trip time 2 × delay. It runs in a child process of its own
 * (latency-proxy.ts starts it): in the bench's event loop, a chunk would wait for whatever JavaScript
 * Prisma is running, and the delay would grow with client CPU, which a real network does not do.
 *
 * Why chunks keep their order: the delay is the same for all of them, so their due times rise in
 * arrival order and one FIFO queue per direction suffices. Why it spins: libuv timers fire in whole
 * milliseconds (setTimeout(fn, 0.25) waits 1 ms or more), so the last millisecond before a due time
 * is waited with setImmediate, which costs CPU only while something is in flight. What it measured
 * (the hold actually applied, and the time the server took to answer) is returned by `stats()`.
 */
import net from 'node:net';
import { performance } from 'node:perf_hooks';

export interface DelayProxyStats {
  /** Chunks forwarded, both directions. */
  chunks: number;
  /** Sum and maximum of the hold actually applied to each chunk, ms. */
  heldMsTotal: number;
  heldMsMax: number;
  /**
   * Exchanges seen: a client chunk delivered to the server while none was outstanding, answered by the
   * server's next chunk. `serverMsTotal` sums their answer times (Postgres or PgBouncer, plus loopback).
   */
  exchanges: number;
  serverMsTotal: number;
  connections: number;
}

interface Queued {
  due: number;
  arrived: number;
  chunk: Buffer | null; // null: the sender ended, end the receiver after the data before it
}

/** One direction of one connection: a FIFO of chunks, each written out at its due time. */
class DelayedDirection {
  private readonly queue: Queued[] = [];
  private head = 0;
  constructor(
    private readonly to: net.Socket,
    private readonly delayMs: number,
    private readonly schedule: (d: DelayedDirection) => void,
    private readonly onDeliver: (held: number) => void,
  ) {}

  push(chunk: Buffer | null): void {
    const now = performance.now();
    this.queue.push({ due: now + this.delayMs, arrived: now, chunk });
    if (this.queue.length - this.head === 1) this.schedule(this);
  }

  /** Writes every chunk that is due; returns the next due time, or undefined when empty. */
  flush(now: number): number | undefined {
    while (this.head < this.queue.length) {
      const next = this.queue[this.head]!;
      if (next.due > now) return next.due;
      this.head += 1;
      if (this.to.destroyed) continue;
      if (next.chunk === null) this.to.end();
      else {
        this.to.write(next.chunk);
        this.onDeliver(now - next.arrived);
      }
    }
    this.queue.length = 0;
    this.head = 0;
    return undefined;
  }
}

export class DelayProxy {
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private readonly pending = new Set<DelayedDirection>();
  private spinning = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly counters: DelayProxyStats = {
    chunks: 0,
    heldMsTotal: 0,
    heldMsMax: 0,
    exchanges: 0,
    serverMsTotal: 0,
    connections: 0,
  };

  constructor(
    private readonly target: { host: string; port: number },
    private readonly oneWayMs: number,
  ) {
    this.server = net.createServer({ noDelay: true, allowHalfOpen: true }, (client) => this.accept(client));
  }

  /** Listens on 127.0.0.1 (port 0: a free one); resolves to the port. */
  listen(port = 0): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => resolve((this.server.address() as net.AddressInfo).port));
    });
  }

  stats(): DelayProxyStats {
    return { ...this.counters };
  }

  /** Stops accepting, drops every open connection (both sides) and resolves once the server is closed. */
  close(): Promise<void> {
    clearTimeout(this.timer);
    for (const s of this.sockets) s.destroy();
    this.pending.clear();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: net.Socket): void {
    this.counters.connections += 1;
    const upstream = net.connect({
      host: this.target.host,
      port: this.target.port,
      noDelay: true,
      allowHalfOpen: true,
    });
    this.sockets.add(client).add(upstream);
    let waitingSince: number | undefined;
    const deliver = (held: number) => {
      this.counters.chunks += 1;
      this.counters.heldMsTotal += held;
      if (held > this.counters.heldMsMax) this.counters.heldMsMax = held;
    };
    const schedule = (d: DelayedDirection) => this.schedule(d);
    const toServer = new DelayedDirection(upstream, this.oneWayMs, schedule, (held) => {
      deliver(held);
      waitingSince ??= performance.now();
    });
    const toClient = new DelayedDirection(client, this.oneWayMs, schedule, deliver);
    // Until the upstream connects, net.Socket buffers writes itself, in order.
    client.on('data', (chunk) => toServer.push(chunk));
    upstream.on('data', (chunk) => {
      if (waitingSince !== undefined) {
        this.counters.exchanges += 1;
        this.counters.serverMsTotal += performance.now() - waitingSince;
        waitingSince = undefined;
      }
      toClient.push(chunk);
    });
    // A FIN travels like data: queued behind what came before it. A socket that closes without one
    // (reset, destroyed) takes the other side down at once: nothing after it can arrive in order.
    let clientEnded = false;
    let upstreamEnded = false;
    client.on('end', () => {
      clientEnded = true;
      toServer.push(null);
    });
    upstream.on('end', () => {
      upstreamEnded = true;
      toClient.push(null);
    });
    const drop = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop).on('close', () => {
      this.sockets.delete(client);
      if (!clientEnded) upstream.destroy();
    });
    upstream.on('error', drop).on('close', () => {
      this.sockets.delete(upstream);
      if (!upstreamEnded) client.destroy();
    });
  }

  private schedule(d: DelayedDirection): void {
    this.pending.add(d);
    // One loop at a time: a timer or a spin already running will reach this chunk (its due time is
    // later than theirs, the delay being fixed).
    if (this.timer === undefined && !this.spinning) {
      this.spinning = true;
      setImmediate(this.tick);
    }
  }

  private tick = (): void => {
    this.timer = undefined;
    this.spinning = false;
    const now = performance.now();
    let earliest = Number.POSITIVE_INFINITY;
    for (const d of this.pending) {
      const next = d.flush(now);
      if (next === undefined) this.pending.delete(d);
      else if (next < earliest) earliest = next;
    }
    if (this.pending.size === 0) return;
    const wait = earliest - performance.now();
    // A timer for all but the last 1.5 ms (timers fire late by up to ~1 ms), then spin.
    if (wait > 2) this.timer = setTimeout(this.tick, Math.floor(wait - 1.5));
    else if (!this.spinning) {
      this.spinning = true;
      setImmediate(this.tick);
    }
  };
}
