/**
 * A TCP proxy in front of the database that can stop forwarding: the database "stops answering
 * mid-statement" (a paused server, a cut network) without closing anything, so no server-side
 * timeout and no socket error ever reaches the app. Bytes that arrive while paused are held and
 * delivered, in order, on `resume()`, so every connection carries on afterwards.
 */
import net from 'node:net';

export interface PausableProxy {
  /** host:port to put in a URL instead of the upstream's. */
  host: string;
  port: number;
  pause(): void;
  resume(): void;
  close(): Promise<void>;
}

interface Direction {
  to: net.Socket;
  held: Buffer[];
}

export async function startPausableProxy(upstream: { host: string; port: number }): Promise<PausableProxy> {
  let paused = false;
  const directions = new Set<Direction>();
  const sockets = new Set<net.Socket>();
  const forward = (from: net.Socket, to: net.Socket) => {
    const direction: Direction = { to, held: [] };
    directions.add(direction);
    // Not pipe(): pipe() resumes its source on the destination's 'drain', which would undo a pause.
    from.on('data', (chunk: Buffer) => (paused ? direction.held.push(chunk) : to.write(chunk)));
    from.on('close', () => {
      directions.delete(direction);
      to.destroy();
    });
    from.on('error', () => to.destroy());
  };
  const server = net.createServer((client) => {
    const toUpstream = net.connect(upstream.port, upstream.host);
    sockets.add(client).add(toUpstream);
    client.on('close', () => sockets.delete(client));
    toUpstream.on('close', () => sockets.delete(toUpstream));
    forward(client, toUpstream);
    forward(toUpstream, client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as net.AddressInfo;
  return {
    host: '127.0.0.1',
    port,
    pause: () => {
      paused = true;
    },
    resume: () => {
      paused = false;
      for (const direction of directions) for (const chunk of direction.held.splice(0)) direction.to.write(chunk);
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
