/**
 * A TCP proxy on loopback that stands in for "Postgres" on the API's path to it, and can be frozen:
 * pause() stops forwarding bytes in both directions on every connection (open connections stay
 * open, new ones are accepted and then hear nothing), resume() delivers everything held back.
 * That is what a stopped (SIGSTOP) or wedged server looks like from the outside: TCP is fine and
 * nothing answers.
 *
 * Why a proxy and not SIGSTOP on the postmaster: the server is shared (TEST_DATABASE_URL points at
 * one that other test runs use at the same time, and that this process may not even own), so
 * freezing it would freeze everyone's tests. The proxy freezes only this run's traffic, and the
 * test's own oracle and fault connections, which go straight to the server, keep working.
 */
import net from 'node:net';

export interface PausableProxy {
  host: '127.0.0.1';
  port: number;
  readonly paused: boolean;
  /** Connections open right now (client side). */
  readonly connections: number;
  /** Every connection accepted since start. */
  readonly accepted: number;
  pause(): void;
  resume(): void;
  close(): Promise<void>;
}

/** One direction of a connection: bytes read from `from` and written to `to`. */
interface Pipe {
  from: net.Socket;
  to: net.Socket;
  /** Chunks read but not yet written, because the proxy was paused when they arrived. */
  held: Buffer[];
  /** `to` asked us to stop (write returned false) and has not drained yet. */
  backpressure: boolean;
  /** `from` sent its FIN; pass it on once everything held is written. */
  ended: boolean;
}

export async function startPausableProxy(upstream: { host: string; port: number }): Promise<PausableProxy> {
  let paused = false;
  let accepted = 0;
  const pipes = new Set<Pipe>();
  const sockets = new Set<net.Socket>();
  const clients = new Set<net.Socket>();

  const track = (socket: net.Socket, set: Set<net.Socket>) => {
    set.add(socket);
    socket.once('close', () => set.delete(socket));
  };

  // Reads from `from` only while neither a pause nor the far side's backpressure says stop.
  const settle = (pipe: Pipe) => {
    if (paused || pipe.backpressure) pipe.from.pause();
    else pipe.from.resume();
  };

  const flush = (pipe: Pipe) => {
    while (!paused && !pipe.backpressure && pipe.held.length > 0) {
      const chunk = pipe.held.shift()!;
      if (!pipe.to.destroyed && !pipe.to.write(chunk)) pipe.backpressure = true;
    }
    settle(pipe);
    finish(pipe);
  };

  const finish = (pipe: Pipe) => {
    if (!pipe.ended || paused || pipe.held.length > 0) return;
    if (!pipe.to.destroyed) pipe.to.end();
    if (pipe.from.destroyed) pipes.delete(pipe);
  };

  const connect = (from: net.Socket, to: net.Socket) => {
    const pipe: Pipe = { from, to, held: [], backpressure: false, ended: false };
    pipes.add(pipe);
    from.on('data', (chunk: Buffer) => {
      // A chunk can still arrive after pause() (it was already read from the kernel): hold it.
      if (paused || pipe.backpressure || pipe.held.length > 0) {
        pipe.held.push(chunk);
        settle(pipe);
        return;
      }
      if (!to.write(chunk)) {
        pipe.backpressure = true;
        settle(pipe);
      }
    });
    to.on('drain', () => {
      pipe.backpressure = false;
      flush(pipe);
    });
    // A FIN travels like data: a paused server would not act on it either, so it waits for resume.
    from.once('end', () => {
      pipe.ended = true;
      finish(pipe);
    });
    // A reset (a socket error) is passed on at once: the kernel reports it, not the frozen server.
    from.once('close', (hadError) => {
      if (hadError) to.destroy();
      // Kept while it still holds bytes, so resume() delivers them (and the FIN after them).
      if (hadError || pipe.held.length === 0) pipes.delete(pipe);
    });
    settle(pipe);
  };

  const server = net.createServer({ pauseOnConnect: true }, (client) => {
    accepted++;
    track(client, sockets);
    track(client, clients);
    client.setNoDelay(true);
    const upstreamSocket = net.connect({ host: upstream.host, port: upstream.port });
    track(upstreamSocket, sockets);
    upstreamSocket.setNoDelay(true);
    upstreamSocket.pause();
    // Errors end the pair; the other side sees its connection drop, as it would with a dead server.
    client.on('error', () => upstreamSocket.destroy());
    upstreamSocket.on('error', () => client.destroy());
    connect(client, upstreamSocket);
    connect(upstreamSocket, client);
  });
  server.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;

  return {
    host: '127.0.0.1',
    port,
    get paused() {
      return paused;
    },
    get connections() {
      return clients.size;
    },
    get accepted() {
      return accepted;
    },
    pause() {
      paused = true;
      for (const pipe of pipes) settle(pipe);
    },
    resume() {
      paused = false;
      for (const pipe of pipes) flush(pipe);
    },
    close() {
      paused = false;
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
    },
  };
}
