/**
 * The faults that need a superuser connection straight to Postgres: terminating the runtime role's
 * backends, and holding an ACCESS EXCLUSIVE lock on one table. (Restarting PgBouncer and pausing
 * "Postgres" use their handles: rig.bouncer.restart(), rig.proxy.pause()/resume().)
 */
import pg from 'pg';

type PgClient = pg.Client;

async function superuserClient(url: string): Promise<PgClient> {
  // application_name marks these sessions, so terminateBackends can never pick the injector itself.
  const client = new pg.Client({ connectionString: url, application_name: 'tenantry-fault-injector' });
  client.on('error', () => {});
  await client.connect();
  return client;
}

/**
 * `pg_terminate_backend` on every backend of `role` in `database`, i.e. what an operator, a failover
 * or the OOM killer does to the API's connections. Returns how many it terminated.
 */
export async function terminateBackends(superuserUrl: string, role: string, database: string): Promise<number> {
  const client = await superuserClient(superuserUrl);
  try {
    const { rows } = await client.query<{ terminated: boolean }>(
      'select pg_terminate_backend(pid) as terminated from pg_stat_activity where usename = $1 and datname = $2 and pid <> pg_backend_pid()',
      [role, database],
    );
    return rows.filter((r) => r.terminated).length;
  } finally {
    await client.end().catch(() => {});
  }
}

export interface HeldLock {
  /** performance.now() when the lock was granted. */
  acquiredAt: number;
  /** Ends the transaction (ROLLBACK: it wrote nothing) and resolves when the lock is gone. */
  release(): Promise<void>;
}

/**
 * `LOCK TABLE <table> IN ACCESS EXCLUSIVE MODE` inside an open transaction: every statement on the
 * table, reads included, waits until release(). A migration's ALTER TABLE or a forgotten
 * transaction does this in production.
 */
export async function holdTableLock(superuserUrl: string, table: string): Promise<HeldLock> {
  const client = await superuserClient(superuserUrl);
  try {
    await client.query('begin');
    await client.query(`lock table ${table.replace(/[^a-z_]/g, '')} in access exclusive mode`);
  } catch (error) {
    await client.end().catch(() => {});
    throw error;
  }
  const acquiredAt = performance.now();
  let released: Promise<void> | undefined;
  return {
    acquiredAt,
    release: () =>
      (released ??= (async () => {
        try {
          await client.query('rollback');
        } finally {
          await client.end().catch(() => {});
        }
      })()),
  };
}

/**
 * Backends of `role` in `database` that are running a statement or sit inside a transaction. The
 * oracle waits for 0 before it reads: a statement the API gave up on may still be queued in
 * Postgres, and if it commits later, that is exactly the phantom write the oracle looks for.
 */
export async function busyBackends(superuserUrl: string, role: string, database: string): Promise<number> {
  const client = await superuserClient(superuserUrl);
  try {
    const { rows } = await client.query<{ n: number }>(
      "select count(*)::int as n from pg_stat_activity where usename = $1 and datname = $2 and state is not null and state <> 'idle'",
      [role, database],
    );
    return rows[0]?.n ?? 0;
  } finally {
    await client.end().catch(() => {});
  }
}
