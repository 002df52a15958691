/**
 * What the web app makes of availability failures it did not type itself: a raw pg error, a raw
 * Prisma error (the admin client has a plain pg pool, nothing classifies for it), and a typed error
 * thrown by ANOTHER copy of @tenantry/db, as `next dev` produces (see src/server/db.ts), which is no
 * `instanceof` this copy's class. Real errors from real connections to a closed port; no fakes.
 */
import pg from 'pg';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { DeadlineExceededError } from '@tenantry/db';
import { createAdminPrismaClient } from '@tenantry/db/admin';
import { mapError } from '../../src/server/errors';
import { logFailure, routeOf } from '../../src/server/log';
import { freePort } from '../support/next-server';

const closedUrl = async () => `postgres://tenantry_app:unused@127.0.0.1:${await freePort()}/postgres`;

afterAll(() => {
  vi.restoreAllMocks();
});

describe('mapError for availability failures', () => {
  it('maps a raw pg connection error (ECONNREFUSED) to 503 database_unreachable', async () => {
    const client = new pg.Client({ connectionString: await closedUrl() });
    const error = await client.connect().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((error as { code?: string }).code).toBe('ECONNREFUSED');
    expect(mapError(error)).toMatchObject({
      status: 503,
      unexpected: false,
      message: 'The database is busy or unreachable; try again in 2 s.',
      availability: { cause: 'database_unreachable', retryAfterSeconds: 2 },
    });
  });

  it('maps a raw Prisma error of a client without the connection layer to 503 database_unreachable', async () => {
    const admin = createAdminPrismaClient({ connectionString: await closedUrl(), poolSize: 1 });
    const error = await admin.tenant.count().then(
      () => undefined,
      (e: unknown) => e,
    );
    await admin.$disconnect();
    expect(error).toBeInstanceOf(Error);
    expect(mapError(error)).toMatchObject({ status: 503, availability: { cause: 'database_unreachable' } });
  });

  it('maps a DeadlineExceededError of another copy of the library to 504 deadline_exceeded', async () => {
    vi.resetModules();
    const other = await import('@tenantry/db');
    const error = new other.DeadlineExceededError({
      kind: 'lock',
      source: 'deadline',
      limitMillis: 750,
      code: '55P03',
    });
    expect(error).not.toBeInstanceOf(DeadlineExceededError); // the pitfall is real here
    expect(mapError(error)).toMatchObject({
      status: 504,
      message: 'The database is busy and did not answer in time; try again in 1 s.',
      availability: { cause: 'deadline_exceeded', retryAfterSeconds: 1 },
    });
  });
});

describe('the failure log line', () => {
  it('names the route without its ids', () => {
    expect(routeOf('PATCH', 'http://x/api/tasks/0b6f5c1e-8a4e-4c0e-9d7e-3f1f2a9b7c6d?done=1')).toBe(
      'PATCH /api/tasks/:param',
    );
    expect(routeOf('GET', 'http://x/api/health/ready')).toBe('GET /api/health/ready');
  });

  it('logs an unexpected error as `error` with its class and frames, never its message', () => {
    const lines: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((text: string) => void lines.push(text));
    const error = new TypeError('invalid input syntax for type uuid: "secret-value-42"');
    logFailure('GET /api/projects', error, mapError(error));
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain('secret-value-42');
    expect(JSON.parse(lines[0]!)).toMatchObject({
      level: 'error',
      where: 'GET /api/projects',
      status: 500,
      error: 'TypeError',
    });
    expect(JSON.parse(lines[0]!).stack.length).toBeGreaterThan(0);
  });
});
