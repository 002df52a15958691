/**
 * `next dev` evaluates the server modules again after every edit, and once per route entry. This
 * re-evaluates them the same way (vi.resetModules + import) and counts this client's backends in
 * pg_stat_activity: with the pinned client (src/server/db.ts) the count stays the same whatever the
 * number of reloads; a client per evaluation (the naive `new PrismaClient()` in a module) opens a
 * new pool each time, the connection storm.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DEMO } from '@tenantry/db/testing';
import { rig } from '../support/web';

const APP_NAME = 'web-hot-reload-test';
const RELOADS = 6;
const ACME = DEMO.tenants[0].id;
let superuser: pg.Client;

async function backends(applicationName: string): Promise<number> {
  const { rows } = await superuser.query<{ n: number }>(
    'select count(*)::int as n from pg_stat_activity where datname = $1 and application_name = $2',
    [rig().database, applicationName],
  );
  return rows[0]!.n;
}

function urlWithName(name: string): string {
  const url = new URL(rig().directRuntimeUrl);
  url.searchParams.set('application_name', name);
  return url.href;
}

beforeAll(async () => {
  superuser = new pg.Client({ connectionString: rig().superuserUrl });
  await superuser.connect();
});

afterAll(async () => {
  await superuser?.end();
});

describe('the database client under hot reload', () => {
  it(`keeps one client and one pool across ${RELOADS} re-evaluations, and every copy's context reaches it`, async () => {
    vi.stubEnv('DATABASE_URL', urlWithName(APP_NAME));
    vi.stubEnv('DATABASE_POOL_SIZE', '4');
    const copiesOfLibrary = new Set<unknown>();
    const clients = new Set<unknown>();
    const counts: number[] = [];
    for (let i = 0; i < RELOADS; i++) {
      vi.resetModules();
      const library = await import('@tenantry/db');
      const db = await import('../../src/server/db');
      copiesOfLibrary.add(library.tenantContext);
      // Several queries at once, so the pool opens more than one connection.
      const results = await Promise.all(
        Array.from({ length: 6 }, () => db.tenantContext.run({ tenantId: ACME }, () => db.prisma.workspace.findMany())),
      );
      expect(results.every((rows) => rows.length === 2 && rows.every((w) => w.tenantId === ACME))).toBe(true);
      clients.add((globalThis as Record<symbol, { prisma: unknown }>)[Symbol.for('tenantry.web.db')]!.prisma);
      counts.push(await backends(APP_NAME));
    }
    expect(copiesOfLibrary.size).toBe(RELOADS); // the library really was evaluated again each time
    expect(clients.size).toBe(1);
    expect(counts[0]).toBeGreaterThan(0);
    expect(Math.max(...counts)).toBeLessThanOrEqual(4); // never more than one pool's worth
    console.log(`[hot-reload] pinned client: backends after each of ${RELOADS} evaluations: ${counts.join(', ')}`);
    await (globalThis as Record<symbol, { prisma: { $disconnect(): Promise<void> } }>)[
      Symbol.for('tenantry.web.db')
    ]!.prisma.$disconnect();
    delete (globalThis as Record<symbol, unknown>)[Symbol.for('tenantry.web.db')];
    vi.unstubAllEnvs();
  });

  it('(the storm it prevents) a client per evaluation opens a pool per evaluation', async () => {
    const name = `${APP_NAME}-naive`;
    const clients: Array<{ $disconnect(): Promise<void> }> = [];
    const counts: number[] = [];
    for (let i = 0; i < RELOADS; i++) {
      vi.resetModules();
      const library = await import('@tenantry/db');
      const client = library.createTenantPrismaClient({ connectionString: urlWithName(name), poolSize: 4 });
      clients.push(client);
      await library.tenantContext.run({ tenantId: ACME }, () => client.workspace.findMany());
      counts.push(await backends(name));
    }
    console.log(
      `[hot-reload] client per evaluation: backends after each of ${RELOADS} evaluations: ${counts.join(', ')}`,
    );
    expect(counts.at(-1)).toBe(RELOADS);
    await Promise.all(clients.map((c) => c.$disconnect()));
  });
});
