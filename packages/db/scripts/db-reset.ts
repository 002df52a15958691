// `pnpm db:reset`: empties the database, applies every migration as the owner, loads the demo data.
//
//   tsx scripts/db-reset.ts [--force] [--allow-remote] [--url <owner url>] [--skip-seed]
//
// The database is DIRECT_URL (environment or .env), else the dev database (src/testing/dev-env.ts);
// the first line printed says which. It asks before dropping anything unless --force, and refuses
// a database that is not on this machine unless --allow-remote. "Drop" is DROP SCHEMA public
// CASCADE as the owner (it owns the schema, so every object in it goes, whoever owns it), then
// CREATE SCHEMA public with PostgreSQL's default grants, so it works without a superuser and the
// database's own privileges (the runtime role's revoked TEMPORARY/CREATE) are untouched.
import { createInterface } from 'node:readline/promises';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { createAdminPrismaClient } from '../src/admin.js';
import { describeDemoSeed, loadDemoData } from '../src/testing/demo-data.js';
import { describeUrl, resolveDatabase } from '../src/testing/dev-env.js';
import { runMain } from '@tenantry/prisma/cli';
import { translateMigrationError } from '@tenantry/prisma/migrate';
import { migrateDeploy } from '../src/testing/index.js';

const usage = `Usage: tsx scripts/db-reset.ts [--force] [--allow-remote] [--url <owner url>] [--skip-seed]
  --force          do not ask before dropping (scripts, CI)
  --allow-remote   reset a database that is not on this machine
  --url <url>      the owner role's URL (default: DIRECT_URL, else the dev database)
  --skip-seed      do not load the demo data`;

class ResetRefusedError extends Error {
  override name = 'ResetRefusedError';
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      force: { type: 'boolean', short: 'f', default: false },
      'allow-remote': { type: 'boolean', default: false },
      url: { type: 'string' },
      'skip-seed': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return print(usage, 0);
  const db = await resolveDatabase({ need: 'DIRECT_URL', action: 'reset the database', flagUrl: values.url });
  process.stdout.write(`${db.banner}\n`);
  try {
    const url = db.urls.DIRECT_URL!;
    const where = describeUrl(url);
    if (!db.local && !values['allow-remote']) {
      throw new ResetRefusedError(
        `Cannot reset ${where} because it is not on this machine, and db:reset drops every table in it. ` +
          'If you really mean to wipe that database, run again with --allow-remote (and --force to skip the question).',
      );
    }
    if (!values.force)
      await confirm(
        `Drop everything in schema public of ${where} and rebuild it from the migrations${values['skip-seed'] ? '' : ' and the demo data'}? [y/N] `,
      );

    await emptySchema(url);
    process.stdout.write(`Dropped schema public of ${where}\n`);
    const { appliedMigrationNames } = await migrateDeploy({ url }).catch((error: unknown) => {
      throw translateMigrationError(error, { action: 'apply the migrations', url });
    });
    process.stdout.write(`Applied ${appliedMigrationNames.length} migrations: ${appliedMigrationNames.join(', ')}\n`);

    const adminUrl = db.urls.DATABASE_ADMIN_URL;
    if (values['skip-seed']) return 0;
    if (!adminUrl) {
      process.stdout.write(
        'DATABASE_ADMIN_URL is not set: not loading the demo data (set it, then run `pnpm db:seed`).\n',
      );
      return 0;
    }
    const admin = createAdminPrismaClient({ connectionString: adminUrl, poolSize: 1 });
    try {
      process.stdout.write(`${describeDemoSeed(await loadDemoData(admin, { mode: 'fill' }))}\n`);
    } finally {
      await admin.$disconnect();
    }
    return 0;
  } finally {
    await db.release();
  }
}

async function confirm(question: string): Promise<void> {
  if (!process.stdin.isTTY) {
    throw new ResetRefusedError(
      'Cannot reset the database without confirmation because there is no terminal to ask. Run it in a terminal, or pass --force.',
    );
  }
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    const answer = (await rl.question(question)).trim().toLowerCase();
    if (answer !== 'y' && answer !== 'yes') throw new ResetRefusedError('Reset cancelled: nothing was dropped.');
  } finally {
    rl.close();
  }
}

async function emptySchema(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect().catch((error: unknown) => {
    throw new ResetRefusedError(
      `Cannot reset ${describeUrl(url)} because connecting failed: ${(error as Error).message}. Check DIRECT_URL (or --url), or start that Postgres.`,
      { cause: error },
    );
  });
  try {
    const { rows } = await client.query<{ owner: string; me: string }>(
      `select pg_get_userbyid(nspowner) as owner, current_user as me from pg_namespace where nspname = 'public'`,
    );
    const row = rows[0];
    if (row && row.owner !== row.me) {
      const { rows: su } = await client.query<{ rolsuper: boolean }>(
        'select rolsuper from pg_roles where rolname = current_user',
      );
      if (!su[0]?.rolsuper) {
        throw new ResetRefusedError(
          `Cannot reset ${describeUrl(url)} because schema public belongs to ${row.owner}, not to ${row.me}, so ${row.me} may not drop it. ` +
            `Run db:reset with the owner's URL (DIRECT_URL, tenantry_owner), or as a superuser: ALTER SCHEMA public OWNER TO ${row.me};`,
        );
      }
    }
    // One statement, one implicit transaction: either the schema is rebuilt empty, or nothing changed.
    await client.query(
      `DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public; COMMENT ON SCHEMA public IS 'standard public schema'; GRANT USAGE ON SCHEMA public TO PUBLIC;`,
    );
  } finally {
    await client.end();
  }
}

function print(message: string, exitCode: number): number {
  (exitCode === 0 ? process.stdout : process.stderr).write(`${message}\n`);
  return exitCode;
}

runMain(() => main(process.argv.slice(2)));
