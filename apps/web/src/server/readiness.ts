/**
 * Readiness: can this process reach the database right now? `select 1` on a pool of its OWN (one
 * connection, 1 s to get it, 1 s for the statement), never the app's pool.
 *
 * Why not the app's pool: when requests hold all of its connections (a lock, a slow statement), a
 * probe queued behind them waits up to the pool timeout (10 s by default) and then fails the probe,
 * so the orchestrator restarts or unroutes a process whose database is fine, which sheds the load
 * onto the other processes and moves the problem there. And a probe that takes a connection from the
 * app's pool adds to the very wait it measures. Its own single connection answers "is the database
 * up, through the same URL and pooler", in about a millisecond, whatever the app's pool is doing.
 */
import { DatabaseUnreachableError, TenantPool } from '@tenantry/db';
import { availabilityOf, type AvailabilityCause } from './availability';
import { WebConfigError } from './config';

const CONNECT_TIMEOUT_MS = 1000;
const STATEMENT_TIMEOUT_MS = 1000;
/**
 * Above both limits: the statement_timeout runs on the server, so a server that stops answering
 * (a network partition, a frozen pooler) never sends it; this bounds the probe from our side.
 */
const PROBE_TIMEOUT_MS = CONNECT_TIMEOUT_MS + STATEMENT_TIMEOUT_MS + 500;

/** `database_error`: a failure that is not an outage (wrong password, missing DATABASE_URL). */
export type ReadinessCause = AvailabilityCause | 'database_error';

export type Readiness =
  | { ready: true; latencyMs: number }
  | { ready: false; cause: ReadinessCause; retryAfterSeconds: number; error: unknown };

export function createReadinessPool(connectionString: string): TenantPool {
  const pool = new TenantPool({
    connectionString,
    max: 1,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    statementTimeoutMillis: STATEMENT_TIMEOUT_MS,
    application_name: 'tenantry-web-readiness',
  });
  // An idle connection broken under the pool (a server or pooler restart) is emitted as an 'error'
  // on the pool, and an 'error' nobody listens to crashes the process: the probe that should say
  // "not ready" would kill the server instead. pg-pool drops that client; the next probe reconnects.
  pool.on('error', () => {});
  return pool;
}

// One per process, also across `next dev` reloads (a pool per reload would leak a connection each).
const globalKey = Symbol.for('tenantry.web.readinessPool');
type GlobalWithPool = typeof globalThis & { [globalKey]?: TenantPool };

/** Runs `select 1` on `pool` and says whether the database answered, and how fast. */
export async function probeDatabase(pool: TenantPool): Promise<Readiness> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    const timedOut = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new DatabaseUnreachableError({ code: 'ETIMEDOUT' })), PROBE_TIMEOUT_MS);
    });
    await Promise.race([pool.query('select 1'), timedOut]);
    return { ready: true, latencyMs: Math.round((performance.now() - started) * 10) / 10 };
  } catch (error) {
    const availability = availabilityOf(error);
    if (availability)
      return { ready: false, cause: availability.cause, retryAfterSeconds: availability.retryAfterSeconds, error };
    return { ready: false, cause: 'database_error', retryAfterSeconds: 5, error };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The process's probe: on its pool, created on first use from DATABASE_URL. After a failed probe
 * the pool is thrown away: its one connection may be stuck on a server that stopped answering, and
 * every later probe would then queue behind it and report pool_exhausted instead of the cause.
 */
export async function probeReadiness(
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<Readiness> {
  const g = globalThis as GlobalWithPool;
  if (!g[globalKey]) {
    const url = env.DATABASE_URL;
    if (!url) {
      const error = new WebConfigError(
        "Cannot check the database because DATABASE_URL is not set. Set it to the runtime role's URL through the pooler; see .env.example.",
      );
      return { ready: false, cause: 'database_error', retryAfterSeconds: 5, error };
    }
    g[globalKey] = createReadinessPool(url);
  }
  const pool = g[globalKey];
  const result = await probeDatabase(pool);
  if (!result.ready && g[globalKey] === pool) {
    g[globalKey] = undefined;
    void pool.end().catch(() => {});
  }
  return result;
}
