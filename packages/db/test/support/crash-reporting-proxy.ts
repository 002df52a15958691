/**
 * A TCP proxy in front of a real Postgres that reports the end of a server session the way
 * PgBouncer sometimes does: the server's own FATAL (25P03 from idle_in_transaction_session_timeout,
 * 57P01 from pg_terminate_backend) is not passed on, and when the server closes the connection the
 * client gets only the pooler's "server conn crashed?" (FATAL 08P01). PgBouncer does that when the
 * server goes away as the client's next statement arrives; here it happens every time, so the
 * engine's reading of that report can be tested deterministically.
 */
import net from 'node:net';

export interface CrashReportingProxy {
  /** The connection string `url` with its host and port replaced by the proxy's. */
  url: string;
  /** SQLSTATEs of the server FATALs the proxy swallowed, in order. */
  swallowed: string[];
  /** Resolves once the proxy has reported a server's close to its client `count` times. */
  reported(count: number): Promise<void>;
  close(): Promise<void>;
}

function errorResponse(code: string, message: string): Buffer {
  const fields = Buffer.concat([
    ...(
      [
        ['S', 'FATAL'],
        ['V', 'FATAL'],
        ['C', code],
        ['M', message],
      ] as const
    ).map(([k, v]) => Buffer.from(`${k}${v}\0`, 'utf8')),
    Buffer.from([0]),
  ]);
  const header = Buffer.alloc(5);
  header.write('E', 0, 'ascii');
  header.writeInt32BE(fields.length + 4, 1);
  return Buffer.concat([header, fields]);
}

/** The fields of an ErrorResponse body ('S', 'V', 'C', 'M', ...). */
function fieldsOf(body: Buffer): Map<string, string> {
  const fields = new Map<string, string>();
  let at = 0;
  while (at < body.length && body[at] !== 0) {
    const end = body.indexOf(0, at + 1);
    fields.set(String.fromCharCode(body[at]!), body.toString('utf8', at + 1, end));
    at = end + 1;
  }
  return fields;
}

export async function startCrashReportingProxy(url: string): Promise<CrashReportingProxy> {
  const target = new URL(url);
  const swallowed: string[] = [];
  let reports = 0;
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port || 5432), target.hostname);
    sockets.add(client).add(upstream);
    let pending = Buffer.alloc(0);
    let fatal = false;
    client.on('data', (chunk) => upstream.write(chunk));
    client.on('error', () => upstream.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('error', () => {});
    upstream.on('data', (chunk) => {
      pending = Buffer.concat([pending, chunk]);
      // Whole messages only: a type byte, then a length that counts itself but not the type.
      while (pending.length >= 5) {
        const length = pending.readInt32BE(1);
        if (pending.length < 1 + length) break;
        const message = pending.subarray(0, 1 + length);
        pending = pending.subarray(1 + length);
        if (message[0] === 0x45 /* E */) {
          const fields = fieldsOf(message.subarray(5));
          if ((fields.get('V') ?? fields.get('S')) === 'FATAL') {
            swallowed.push(fields.get('C') ?? '?????');
            fatal = true;
            continue;
          }
        }
        if (!fatal) client.write(message);
      }
    });
    upstream.on('close', () => {
      if (client.destroyed) return;
      client.end(errorResponse('08P01', 'server conn crashed?'));
      reports += 1;
      for (const waiter of waiters.splice(0)) {
        if (reports >= waiter.count) waiter.resolve();
        else waiters.push(waiter);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as net.AddressInfo;
  const proxied = new URL(url);
  proxied.hostname = '127.0.0.1';
  proxied.port = String(address.port);
  return {
    url: proxied.toString(),
    swallowed,
    reported: (count) =>
      reports >= count ? Promise.resolve() : new Promise((resolve) => waiters.push({ count, resolve })),
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
