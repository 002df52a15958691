/**
 * raw-pg is the floor only if it sends what Prisma sends: the same statements, text for text, so the
 * difference to tenantry-direct is Prisma's client-side cost and nothing the server does. Prisma's
 * SQL changes with Prisma's version and with what the tenant extension and soft delete add (before
 * this test raw-pg had gone stale: no `deleted_at` column or filter, no workspace filter in the
 * transaction). Each workload runs once through tenantry-direct's operations with Prisma's query
 * log on, and the log must equal raw-pg's statements (BEGIN and COMMIT aside).
 *
 * Real Postgres (TEST_DATABASE_URL → testcontainers → embedded), the committed migrations, two
 * seeded tenants.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { createTenantPrismaClient, type TenantPrismaClient } from '@tenantry/db';
import {
  ROLES,
  createMigratedDatabase,
  dropDatabases,
  ensureRoles,
  provisionPostgres,
  roleUrl,
  type PostgresServer,
} from '@tenantry/db/testing';
import { picker, seedSql } from '../src/dataset.js';
import { RAW_PG_STATEMENTS } from '../src/strategies/raw-pg.js';
import { tenantryOperations } from '../src/strategies/tenantry.js';
import { WORKLOADS } from '../src/workloads.js';

let server: PostgresServer;
let db: TenantPrismaClient;
const logged: string[] = [];
const database = `tenantry_rawsql${process.pid}`;

beforeAll(async () => {
  server = await provisionPostgres({ log: (m) => console.log(`[raw-pg-sql] ${m}`) });
  await ensureRoles(server);
  await createMigratedDatabase(server, database);
  const su = new pg.Client({ connectionString: server.superuserUrl(database) });
  await su.connect();
  try {
    for (const sql of seedSql(0, 2)) await su.query(sql);
  } finally {
    await su.end();
  }
  db = createTenantPrismaClient({
    connectionString: roleUrl(server, ROLES.app, database),
    poolSize: 2,
    pooler: 'none',
    log: [{ level: 'query', emit: 'event' }],
  });
  (db as unknown as { $on(event: 'query', cb: (e: { query: string }) => void): void }).$on('query', (e) =>
    logged.push(e.query),
  );
});

afterAll(async () => {
  await db?.$disconnect();
  if (server) {
    await dropDatabases(server, [database]);
    await server.stop();
  }
});

describe("raw-pg sends Prisma's statements", () => {
  const ops = () => tenantryOperations(db);
  const pick = picker(2);
  for (const workload of WORKLOADS) {
    it(`${workload}: the statements of tenantry-direct's operation, text for text`, async () => {
      logged.length = 0;
      const rows = await ops()[workload](pick());
      expect(
        rows.length,
        `${workload} returned no rows: the comparison would be of a failed operation`,
      ).toBeGreaterThan(0);
      const statements = logged.filter((q) => !/^(BEGIN|COMMIT)\b/.test(q));
      expect(statements).toEqual([...RAW_PG_STATEMENTS[workload]]);
    });
  }
});
