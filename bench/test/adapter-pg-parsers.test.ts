/**
 * raw-pg decodes rows as @prisma/adapter-pg does (src/strategies/adapter-pg-parsers.ts mirrors its
 * module-private parsers). One row of every type the mirror covers, plus the schema's own (uuid,
 * text, bool, timestamp(3), count), decoded by the real adapter and by the mirror: they must agree.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { provisionPostgres, type PostgresServer } from '@tenantry/db/testing';
import { adapterPgQuery } from '../src/strategies/adapter-pg-parsers.js';
import { adapterPgClass } from '../src/strategies/prisma-pieces.js';

function adapterVersion(): string {
  const entry = createRequire(fileURLToPath(import.meta.resolve('@tenantry/db'))).resolve('@prisma/adapter-pg');
  return (JSON.parse(readFileSync(path.join(path.dirname(entry), '..', 'package.json'), 'utf8')) as { version: string })
    .version;
}

const SQL = `select
  md5('x')::uuid as id, 'text'::text as title, true as done, 42::int4 as n, 7::int8 as big,
  '2026-12-01 10:11:12.345'::timestamp(3) as created_at, '2026-12-01 10:11:12+02'::timestamptz as tz,
  '2026-12-01'::date as d, '10:11:12'::time as t, '10:11:12+02'::timetz as ttz,
  12.50::numeric as num, '{1.5,2.25}'::numeric[] as nums, '$3.20'::money as m,
  '{"a":1}'::json as j, '{"b":[2]}'::jsonb as jb, '\\xdeadbeef'::bytea as b,
  array['2026-12-01 10:11:12'::timestamp, null] as stamps, array['{"c":3}'::jsonb] as jbs,
  (select count(*) from generate_series(1, 3)) as count`;

// A real server, as every bench test: TEST_DATABASE_URL → testcontainers → embedded; when none can be had,
// provisionPostgres fails and says how to provide one (never a skip).
let server: PostgresServer;
let pool: pg.Pool;
beforeAll(async () => {
  server = await provisionPostgres({ log: (m) => console.log(`[adapter-pg-parsers] ${m}`) });
  pool = new pg.Pool({ connectionString: server.superuserUrl(), max: 1 });
});
afterAll(async () => {
  await pool?.end();
  await server?.stop();
});

describe('raw-pg row decoding', () => {
  it(`matches @prisma/adapter-pg value for value`, async () => {
    const PrismaPg = adapterPgClass() as unknown as new (
      p: pg.Pool,
    ) => {
      connect(): Promise<{
        queryRaw(q: { sql: string; args: unknown[]; argTypes: unknown[] }): Promise<{ rows: unknown[][] }>;
      }>;
    };
    const adapter = await new PrismaPg(pool).connect();
    const viaAdapter = (await adapter.queryRaw({ sql: SQL, args: [], argTypes: [] })).rows;
    const viaMirror = (await pool.query(adapterPgQuery(SQL, []))).rows;
    expect(viaMirror, `adapter-pg ${adapterVersion()} decodes differently: update adapter-pg-parsers.ts`).toEqual(
      viaAdapter,
    );
    // The point of the mirror: timestamps stay text, as the adapter hands them to Prisma.
    expect(typeof viaMirror[0]![5]).toBe('string');
  });
});
