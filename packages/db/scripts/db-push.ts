// `pnpm db:push`: `prisma db push` on the dev database, for throwaway experiments only.
//
//   tsx scripts/db-push.ts [--accept-data-loss] [--force-reset] [--url <owner url>] [--skip-generate]
//
// It applies schema.prisma straight to the database, without a migration, so the RLS SQL that
// `pnpm db:migrate` appends to every new tenant table (grants, ENABLE/FORCE ROW LEVEL SECURITY,
// policies) never runs: it says so first, and afterwards names the tenant tables left without RLS.
// Local databases only (a pushed schema is not what `pnpm db:deploy` builds in production). Runs on
// the wasm schema engine, like the migrate commands; then `prisma generate`.
import { parseArgs } from 'node:util';
import pg from 'pg';
import { describeUrl, resolveDatabase } from '../src/testing/dev-env.js';
import { runMain } from '@tenantry/prisma/cli';
import {
  engineStandIn,
  hasNativeSchemaEngine,
  runOfflineCommand,
  runPrismaCli,
  schemaPathFromEnv,
  translateMigrationError,
} from '@tenantry/prisma/migrate';

const WARNING = [
  '[db] db push is for quick local experiments: it changes the tables to match schema.prisma WITHOUT a migration and',
  '     WITHOUT the RLS SQL that `pnpm db:migrate` adds. A new tenant table gets no grants, no ENABLE/FORCE ROW LEVEL',
  '     SECURITY and no policies: the runtime role cannot use it ("permission denied") and `pnpm db:check` fails.',
  '     To keep RLS, make the change with `pnpm db:migrate --name <change>` instead. To get back to the migrations',
  '     after pushing: `pnpm db:reset`.',
].join('\n');

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      'accept-data-loss': { type: 'boolean', default: false },
      'force-reset': { type: 'boolean', default: false },
      url: { type: 'string' },
      'skip-generate': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(
      'Usage: tsx scripts/db-push.ts [--accept-data-loss] [--force-reset] [--url <owner url>] [--skip-generate]\n',
    );
    return 0;
  }
  const db = await resolveDatabase({ need: 'DIRECT_URL', action: 'push the schema', flagUrl: values.url });
  process.stdout.write(`${db.banner}\n`);
  try {
    const url = db.urls.DIRECT_URL!;
    if (!db.local || process.env.NODE_ENV === 'production') {
      process.stderr.write(
        `Cannot push the schema to ${describeUrl(url)} because db push is for local development only (${db.local ? 'NODE_ENV=production' : 'the database is not on this machine'}): ` +
          'it skips the migrations and the RLS they carry. Create a migration with `pnpm db:migrate --name <change>` and apply it with `pnpm db:deploy`.\n',
      );
      return 1;
    }
    process.stderr.write(`${WARNING}\n`);
    const schemaPath = schemaPathFromEnv();
    const args = ['--schema', schemaPath];
    if (values['accept-data-loss']) args.push('--accept-data-loss');
    if (values['force-reset']) args.push('--force-reset');
    // Prisma's db push prompts only with --force-reset in a terminal; without one it must not hang.
    process.env.CI ||= '1';
    const message = await runOfflineCommand('push', args, { url, schemaPath }).catch((error: unknown) => {
      throw translateMigrationError(error, { action: 'push the schema', url });
    });
    if (message) process.stdout.write(`${message}\n`);
    const unsecured = await tenantTablesWithoutRls(url);
    if (unsecured.length > 0) {
      process.stderr.write(
        `[db] these tenant tables now have no Row-Level Security: ${unsecured.join(', ')}. The runtime role cannot use them; ` +
          '`pnpm db:check` fails. Turn the change into a migration (`pnpm db:reset`, then `pnpm db:migrate --name <change>`).\n',
      );
    }
    if (values['skip-generate']) return 0;
    const env: NodeJS.ProcessEnv = { ...process.env, TENANTRY_SCHEMA_PATH: schemaPath };
    if (!env.PRISMA_SCHEMA_ENGINE_BINARY && !(await hasNativeSchemaEngine()))
      env.PRISMA_SCHEMA_ENGINE_BINARY = engineStandIn();
    return await runPrismaCli(['generate', '--schema', schemaPath], env);
  } finally {
    await db.release();
  }
}

/** Tables with a tenant_id column and RLS not both enabled and forced. */
async function tenantTablesWithoutRls(url: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ name: string }>(
      `select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where c.relkind in ('r', 'p') and n.nspname = 'public'
          and exists (select 1 from pg_attribute a where a.attrelid = c.oid and a.attname = 'tenant_id' and not a.attisdropped)
          and not (c.relrowsecurity and c.relforcerowsecurity)
        order by 1`,
    );
    return rows.map((r) => r.name);
  } finally {
    await client.end();
  }
}

runMain(() => main(process.argv.slice(2)));
