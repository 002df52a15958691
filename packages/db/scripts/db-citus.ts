// `pnpm db:citus [--url <owner url on the coordinator>]` (docs/citus.md): after `pnpm db:deploy` on a
// Citus coordinator, distributes the schema: this repository's Citus policies
// (prisma/citus/before-distribute.sql), then the engine's distributeForCitus (tenant tables by
// tenant_id, colocated; global tables as reference tables; every policy in the form Citus accepts).
// Prints what it did. Safe to run again: what is distributed already is skipped.
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { runMain } from '@tenantry/prisma/cli';
import { CitusSetupError, distributeForCitus } from '@tenantry/prisma/migrate';
import { BEFORE_DISTRIBUTE_SQL } from '../src/testing/citus.js';

const usage = `Usage: pnpm db:citus [--url <url>]
  --url <url>   the owner's URL on the Citus coordinator (default: DIRECT_URL)`;

async function main(argv: string[]): Promise<number> {
  let values: { url?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv.filter((a) => a !== '--'),
      options: { url: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
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
      'Cannot distribute the schema because no database was named. Set DIRECT_URL to the owner on the Citus coordinator, or pass --url.',
    );
    return 2;
  }
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
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
