// `pnpm db:citus [--url <owner url on the coordinator>]` (docs/citus.md): after `pnpm db:deploy` on a
// Citus coordinator, distributes the schema: this repository's Citus policies
// (prisma/citus/before-distribute.sql), then the engine's distributeForCitus (tenant tables by
// tenant_id, colocated; global tables as reference tables; every policy in the form Citus accepts).
// Prints what it did. Safe to run again: what is distributed already is skipped.
//
// `pnpm db:citus --create-migration [--url <owner url of a migrated development database>]` writes the
// same distribution as a migration instead (prisma/migrations/<timestamp>_citus_distribution, the
// engine's renderCitusMigration): planned from the database's catalog after the Citus policies (in a
// transaction that is rolled back: the database is left as it was), it runs on a Citus coordinator
// with `pnpm db:deploy` and does nothing on a single PostgreSQL. This repository has it already
// (20261203000500_citus_distribution); later migrations distribute their own new tables.
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { runMain } from '@tenantry/prisma/cli';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CITUS_MIGRATION_MARKER,
  CitusSetupError,
  distributeForCitus,
  planCitusDistribution,
  renderCitusMigration,
} from '@tenantry/prisma/migrate';
import { BEFORE_DISTRIBUTE_SQL } from '../src/testing/citus.js';

const usage = `Usage: pnpm db:citus [--url <url>] [--create-migration [--name <name>]]
  --url <url>          the owner's URL on the Citus coordinator (default: DIRECT_URL); with
                       --create-migration, of a migrated development database (any PostgreSQL)
  --create-migration   write the distribution as a migration instead of running it
  --name <name>        the migration's name (default citus_distribution)`;

const MIGRATIONS_DIR = fileURLToPath(new URL('../prisma/migrations/', import.meta.url));

/** Prisma's migration timestamp: YYYYMMDDHHMMSS, UTC. */
const timestamp = (d = new Date()) => d.toISOString().replace(/[-:T]/g, '').slice(0, 14);

async function createMigration(client: pg.Client, name: string): Promise<number> {
  const entries = await readdir(MIGRATIONS_DIR, { withFileTypes: true });
  for (const entry of entries.filter((e) => e.isDirectory())) {
    const sql = await readFile(path.join(MIGRATIONS_DIR, entry.name, 'migration.sql'), 'utf8').catch(() => '');
    if (sql.startsWith(CITUS_MIGRATION_MARKER)) {
      console.error(
        `Cannot create the Citus migration because ${entry.name} is one already. Later migrations distribute their own new tables (docs/citus.md, "Migrations").`,
      );
      return 1;
    }
  }
  const before = await readFile(BEFORE_DISTRIBUTE_SQL, 'utf8');
  await client.query('BEGIN');
  let sql: string;
  try {
    await client.query(before);
    const plan = await planCitusDistribution(client);
    sql = renderCitusMigration(plan, {
      before,
      generatedBy: '`pnpm db:citus --create-migration` (scripts/db-citus.ts)',
    });
  } finally {
    await client.query('ROLLBACK');
  }
  const dir = path.join(MIGRATIONS_DIR, `${timestamp()}_${name}`);
  await mkdir(dir);
  await writeFile(path.join(dir, 'migration.sql'), sql);
  console.log(`wrote ${path.relative(process.cwd(), dir)}/migration.sql: run pnpm db:deploy on the coordinator`);
  return 0;
}

async function main(argv: string[]): Promise<number> {
  let values: { url?: string; help?: boolean; 'create-migration'?: boolean; name?: string };
  try {
    ({ values } = parseArgs({
      args: argv.filter((a) => a !== '--'),
      options: {
        url: { type: 'string' },
        'create-migration': { type: 'boolean' },
        name: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    console.error(`${(error as Error).message}\n${usage}`);
    return 2;
  }
  if (values.help) {
    console.log(usage);
    return 0;
  }
  const url = values.url ?? process.env.DIRECT_URL;
  if (!url) {
    console.error(
      values['create-migration']
        ? 'Cannot create the Citus migration because no database was named. Pass --url with the owner URL of a migrated development database, or set DIRECT_URL.'
        : 'Cannot distribute the schema because no database was named. Set DIRECT_URL to the owner on the Citus coordinator, or pass --url.',
    );
    return 2;
  }
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    if (values['create-migration']) {
      const name = values.name ?? 'citus_distribution';
      if (!/^[a-z0-9_]+$/.test(name)) {
        console.error(
          `Cannot create the Citus migration because --name "${name}" is not lower-case letters, digits and _.`,
        );
        return 2;
      }
      return await createMigration(client, name);
    }
    const done = await client.query('select 1 from pg_dist_partition limit 1').catch(() => undefined);
    if (!done || done.rowCount === 0) await client.query(await readFile(BEFORE_DISTRIBUTE_SQL, 'utf8'));
    const result = await distributeForCitus(client, { log: (line) => console.log(line) });
    console.log(
      `distributed by tenant_id: ${result.distributed.join(', ') || '(none new)'}\n` +
        `reference tables: ${result.reference.join(', ') || '(none new)'}\n` +
        `policies in the Citus form: ${result.policiesRewritten.length}; foreign keys re-added: ${result.foreignKeys}; ` +
        `enum casts: ${result.enumCasts.join(', ') || 'none'}; triggers on shards: ${result.triggers.join(', ') || 'none'}; workers: ${result.workers}`,
    );
    return 0;
  } catch (error) {
    if (error instanceof CitusSetupError) {
      console.error(error.message);
      return 1;
    }
    throw error;
  } finally {
    await client.end();
  }
}

runMain(() => main(process.argv.slice(2)));
