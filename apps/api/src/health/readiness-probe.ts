/**
 * The readiness check's own connection: a TenantPool of one, apart from the app's pool, so that
 * readiness says "the database answers" even while every connection of the app's pool is busy (a
 * locked table, a burst), and cannot itself take a connection a request needs.
 *
 * Bounded twice: `connectionTimeoutMillis` and `statementTimeoutMillis` inside the database, and a
 * timer here, because a paused server or a cut network answers nothing at all (no server-side
 * timeout fires). A probe that timed out throws its pool away: the one connection may be stuck.
 */
import {
  TenantPool,
  availabilityErrorOf,
  type DatabaseAvailabilityError,
  DatabaseUnreachableError,
} from '@tenantry/db';

export interface ReadinessResult {
  ok: boolean;
  latencyMs: number;
  /** The typed failure, when not ok. */
  error?: DatabaseAvailabilityError;
}

export class ReadinessProbe {
  private pool: TenantPool | undefined;

  constructor(
    private readonly connectionString: string | undefined,
    private readonly timeoutMs = 1000,
  ) {}

  async check(): Promise<ReadinessResult> {
    const started = performance.now();
    const latency = () => Math.round((performance.now() - started) * 100) / 100;
    if (!this.connectionString) {
      return { ok: false, latencyMs: 0, error: new DatabaseUnreachableError({ code: 'NOURL' }) };
    }
    this.pool ??= this.newPool(this.connectionString);
    const pool = this.pool;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        pool.query('select 1'),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new DatabaseUnreachableError({ code: 'ETIMEDOUT' })), this.timeoutMs);
        }),
      ]);
      return { ok: true, latencyMs: latency() };
    } catch (error) {
      if (this.pool === pool) this.pool = undefined;
      void pool.end().catch(() => {});
      return {
        ok: false,
        latencyMs: latency(),
        error: availabilityErrorOf(error) ?? new DatabaseUnreachableError({ cause: error }),
      };
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    await pool?.end().catch(() => {});
  }

  private newPool(connectionString: string): TenantPool {
    const pool = new TenantPool({
      connectionString,
      max: 1,
      connectionTimeoutMillis: this.timeoutMs,
      statementTimeoutMillis: this.timeoutMs,
      idleTimeoutMillis: 30_000,
    });
    // An idle connection that dies (server restart) must not crash the process.
    pool.on('error', () => {});
    return pool;
  }
}
