/**
 * The readiness probe on its own pool: ready against the real database (through the same route as
 * the app), not ready and why against a port nobody listens on, and when DATABASE_URL is missing.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { TenantPool } from '@tenantry/db';
import { createReadinessPool, probeDatabase, probeReadiness } from '../../src/server/readiness';
import { freePort } from '../support/next-server';
import { rig } from '../support/web';

const pools: TenantPool[] = [];
const pool = (url: string) => {
  const p = createReadinessPool(url);
  pools.push(p);
  return p;
};

afterAll(async () => {
  await Promise.all(pools.map((p) => p.end()));
});

describe('the readiness probe', () => {
  it('is ready, with its latency, when the database answers', async () => {
    const p = pool(rig().runtimeUrl);
    const result = await probeDatabase(p);
    expect(result).toMatchObject({ ready: true });
    expect(result.ready && result.latencyMs).toBeGreaterThan(0);
  });

  it('is not ready, database_unreachable, retry after 2 s, when nothing listens', async () => {
    const p = pool(`postgres://tenantry_app:unused@127.0.0.1:${await freePort()}/postgres`);
    const started = performance.now();
    expect(await probeDatabase(p)).toMatchObject({ ready: false, cause: 'database_unreachable', retryAfterSeconds: 2 });
    expect(performance.now() - started).toBeLessThan(1500);
  });

  it('is not ready, database_error, without DATABASE_URL, and says so', async () => {
    const result = await probeReadiness({});
    expect(result).toMatchObject({ ready: false, cause: 'database_error' });
    expect(!result.ready && (result.error as Error).message).toMatch(
      /^Cannot check the database because DATABASE_URL is not set\./,
    );
  });
});
