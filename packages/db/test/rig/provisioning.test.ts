// The test rig itself: a Postgres server from whichever source this machine offers, and PgBouncer in
// front of it in both pool modes. Every isolation suite stands on these, so prove them first.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startPgBouncer, type PgBouncer, type PoolMode } from '../../src/testing/index.js';
import { provisionPostgres, type PostgresServer } from '../../src/testing/index.js';

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

describe('provisionPostgres', () => {
  it('provisions a server from the current environment that answers queries', async () => {
    const server = await provisionPostgres();
    try {
      expect(await query(server.superuserUrl(), 'select 1 as one')).toEqual([{ one: 1 }]);
    } finally {
      await server.stop();
    }
  });

  it('with TENANTRY_PG=embedded starts its own server off port 5432 and stops it cleanly', async () => {
    vi.stubEnv('TENANTRY_PG', 'embedded');
    const server = await provisionPostgres().finally(() => vi.unstubAllEnvs());
    try {
      expect(server.source).toBe('embedded');
      expect(server.port).not.toBe(5432);
      const [row] = await query<{ port: number; superuser: string }>(
        server.superuserUrl(),
        "select inet_server_port() as port, current_setting('is_superuser') as superuser",
      );
      expect(row).toEqual({ port: server.port, superuser: 'on' });
    } finally {
      await server.stop();
    }
    await expect(query(server.superuserUrl(), 'select 1')).rejects.toThrow(/ECONNREFUSED/);
  });
});

describe.each<PoolMode>(['session', 'transaction'])('startPgBouncer in %s mode', (mode) => {
  let server: PostgresServer;
  let bouncer: PgBouncer;
  let user: string;
  let database: string;

  beforeAll(async () => {
    server = await provisionPostgres();
    const upstream = new URL(server.superuserUrl());
    user = decodeURIComponent(upstream.username) || 'postgres';
    database = decodeURIComponent(upstream.pathname.slice(1)) || 'postgres';
    const started = await startPgBouncer({
      upstreamHost: server.host,
      upstreamPort: server.port,
      mode,
      // One server connection in transaction mode, so two clients must share a backend.
      poolSize: mode === 'transaction' ? 1 : 10,
      users: [user],
      ...(upstream.password ? { passwords: { [user]: decodeURIComponent(upstream.password) } } : {}),
    });
    if (!started) {
      throw new Error(
        'Cannot test through PgBouncer because the pgbouncer binary is not installed (looked in PATH and /usr/sbin). ' +
          'Install it with `apt-get update && apt-get install -y pgbouncer` (Debian/Ubuntu; do not enable its service).',
      );
    }
    bouncer = started;
  });

  afterAll(async () => {
    await bouncer?.stop();
    await server?.stop();
  });

  it('proxies queries to the upstream server and shows the pool on its admin console', async () => {
    expect(bouncer.port).not.toBe(server.port);
    const [row] = await query<{ port: number }>(bouncer.url(user, database), 'select inet_server_port() as port');
    expect(row?.port).toBe(server.port);

    const pools = await query<{ database: string; user: string; pool_mode: string }>(
      bouncer.url('postgres', 'pgbouncer'),
      'SHOW POOLS',
    );
    expect(pools).toContainEqual(expect.objectContaining({ database, user, pool_mode: mode }));
  });

  it(`${mode === 'session' ? 'keeps' : 'shares'} session state ${mode === 'session' ? 'per client' : 'between clients'}`, async () => {
    const a = new pg.Client(bouncer.url(user, database));
    const b = new pg.Client(bouncer.url(user, database));
    await a.connect();
    await b.connect();
    try {
      // A session-level SET outside a transaction: exactly what docs/DESIGN.md forbids in the runtime path.
      await a.query("set app.rig_probe = 'left by client a'");
      const [seenByB] = (
        await b.query("select current_setting('app.rig_probe', true) as value, pg_backend_pid() as pid")
      ).rows;
      const [seenByA] = (await a.query('select pg_backend_pid() as pid')).rows;
      if (mode === 'session') {
        // Each client owns a backend for its whole session: b cannot see a's setting.
        expect(seenByB.pid).not.toBe(seenByA.pid);
        expect(seenByB.value).toBeNull();
      } else {
        // Pool size 1: the backend a used goes to b at the next transaction, setting and all. This is
        // why tenant settings must be transaction-local (I4).
        expect(seenByB.pid).toBe(seenByA.pid);
        expect(seenByB.value).toBe('left by client a');
      }
    } finally {
      await a.end();
      await b.end();
    }
  });

  it('restarts on the same port, dropping open clients', async () => {
    const client = new pg.Client(bouncer.url(user, database));
    client.on('error', () => {});
    await client.connect();
    await bouncer.restart();
    await expect(client.query('select 1')).rejects.toThrow();
    await client.end().catch(() => {});
    expect(await query(bouncer.url(user, database), 'select 1 as one')).toEqual([{ one: 1 }]);
  });
});
