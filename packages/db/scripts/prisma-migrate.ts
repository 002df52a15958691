// `pnpm db:migrate | db:deploy | db:status | db:drift`: Prisma Migrate, online or offline.
//
//   tsx scripts/prisma-migrate.ts deploy                       = prisma migrate deploy
//   tsx scripts/prisma-migrate.ts dev [--name x] [--create-only] = prisma migrate dev (never prompts)
//   tsx scripts/prisma-migrate.ts status                       = prisma migrate status
//   tsx scripts/prisma-migrate.ts check-drift                  exits 1 when schema.prisma and the
//                                                              migrations disagree
// Options for every command: --url <postgres url> (default: DIRECT_URL, loaded from .env),
// --schema <path>, --migrations <dir>, --engine auto|native|wasm.
//
// With the native schema engine installed (online machines) deploy/dev/status run the real
// `prisma` CLI. Without it they run the same command classes in-process on Prisma's wasm schema
// engine over @prisma/adapter-pg (see scripts/migrate/wasm-engine.ts and docs/DESIGN.md "Migrations").
// check-drift always runs in-process: it creates and drops its own shadow database, where the CLI
// would need a `shadowDatabaseUrl` in prisma.config.ts.
import path from 'node:path';
import { parseArgs } from 'node:util';
import dotenv from 'dotenv';
import { readFile, readdir, rm } from 'node:fs/promises';
import { hasNativeSchemaEngine, runPrismaCli } from './migrate/native-engine.js';
import { addRlsToMigrationFile, withPolicyGeneration, type TenantTable } from './migrate/policies.js';
import {
  checkDrift,
  migrateDeploy,
  MigrationRunnerError,
  packageRoot,
  resolveDatabaseUrl,
  runOfflineCommand,
  type MigrationTarget,
} from './migrate/run.js';

const usage = `Usage: tsx scripts/prisma-migrate.ts <deploy|dev|status|check-drift> [options]
  --url <url>          Postgres URL of the owner role (default: DIRECT_URL)
  --schema <path>      Prisma schema (default: prisma/schema.prisma)
  --migrations <dir>   Migrations directory (default: prisma/migrations)
  --engine <kind>      auto (default), native (prisma CLI) or wasm (in-process)
  --name <name>        dev: name of the new migration
  --create-only        dev: create the migration without applying it`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      url: { type: 'string' },
      schema: { type: 'string' },
      migrations: { type: 'string' },
      engine: { type: 'string', default: 'auto' },
      name: { type: 'string', short: 'n' },
      'create-only': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [command, ...extra] = positionals;
  if (values.help || !command) return print(usage, values.help ? 0 : 1);
  if (extra.length > 0) return print(`Unexpected argument "${extra[0]}".\n${usage}`, 1);
  if (!['deploy', 'dev', 'status', 'check-drift'].includes(command)) {
    return print(`Unknown command "${command}".\n${usage}`, 1);
  }
  if ((values.name !== undefined || values['create-only']) && command !== 'dev') {
    return print('--name and --create-only only apply to the dev command.', 1);
  }

  // Same files as prisma.config.ts's `import 'dotenv/config'`, whatever the working directory.
  dotenv.config({ path: [path.resolve('.env'), path.join(packageRoot, '.env')], quiet: true });
  const target: MigrationTarget = {
    url: resolveDatabaseUrl(values.url),
    schemaPath: values.schema,
    migrationsDir: values.migrations,
  };

  if (command === 'check-drift') return reportDrift(target);

  // Prisma's own flags for the command; our --url/--migrations are passed another way.
  const prismaArgs = ['migrate', command];
  if (values.schema) prismaArgs.push('--schema', path.resolve(values.schema));
  if (values.name !== undefined) prismaArgs.push('--name', values.name);
  if (values['create-only']) prismaArgs.push('--create-only');
  // `migrate dev` prompts for a name and before data loss unless it sees CI; CI has no stdin, and
  // a script must behave the same everywhere. With CI set, Prisma refuses data loss with an error.
  const env = command === 'dev' ? { ...process.env, CI: process.env.CI || '1' } : process.env;

  if (await useNativeEngine(values.engine)) {
    if (values.migrations) {
      return print('--migrations needs --engine wasm: the prisma CLI reads the path from prisma.config.ts.', 1);
    }
    const cliEnv = { ...env, DIRECT_URL: target.url };
    if (command !== 'dev') return runPrismaCli(prismaArgs, cliEnv);
    return nativeDevWithPolicies(prismaArgs, cliEnv, values['create-only'], target.migrationsDir);
  }

  if (command === 'dev') {
    process.env.CI = env.CI;
    // Pitfall: when `migrate dev` itself applies pending migrations on the wasm engine, its next
    // step (evaluateDataLoss) fails with "PostgreSQL shadow DB must be provided through an external
    // factory". Applying them first with a separate engine (= `deploy`) avoids that path.
    const { appliedMigrationNames } = await migrateDeploy(target);
    for (const name of appliedMigrationNames) process.stdout.write(`Applied pending migration ${name}\n`);
  }
  const run = () => runOfflineCommand(command as 'deploy' | 'dev' | 'status', prismaArgs.slice(2), target);
  // dev: the RLS of every new tenant table goes into the migration before it is applied.
  const message = command === 'dev' ? await withPolicyGeneration(run, reportPolicies) : await run();
  if (message) process.stdout.write(`${message}\n`);
  return 0;
}

function reportPolicies(tables: TenantTable[], migration: string): void {
  const names = tables.map((t) => t.name).join(', ');
  process.stdout.write(`Added Row-Level Security (grants, ENABLE/FORCE, 4 policies) for ${names} to ${migration}/migration.sql\n`);
}

/**
 * The native CLI runs in its own process, so its file write cannot be hooked: create the migration
 * without applying it, append the RLS, then (unless --create-only) let `migrate dev` apply it.
 */
async function nativeDevWithPolicies(prismaArgs: string[], env: NodeJS.ProcessEnv, createOnly: boolean, migrationsDir?: string): Promise<number> {
  const dir = path.resolve(migrationsDir ?? path.join(packageRoot, 'prisma', 'migrations'));
  const list = async () => new Set((await readdir(dir, { withFileTypes: true }).catch(() => [])).filter((e) => e.isDirectory()).map((e) => e.name));
  const before = await list();
  const withoutCreateOnly = prismaArgs.filter((a) => a !== '--create-only');
  const created = await runPrismaCli([...withoutCreateOnly, '--create-only'], env);
  if (created !== 0) return created;
  for (const name of [...(await list())].filter((n) => !before.has(n))) {
    const migrationDir = path.join(dir, name);
    // --create-only writes a migration even without a schema change; plain `migrate dev` would not.
    const sql = await readFile(path.join(migrationDir, 'migration.sql'), 'utf8');
    if (!createOnly && sql.replace(/^\s*--.*$/gm, '').trim() === '') {
      await rm(migrationDir, { recursive: true, force: true });
      continue;
    }
    const tables = await addRlsToMigrationFile(migrationDir);
    if (tables.length > 0) reportPolicies(tables, name);
  }
  if (createOnly) return 0;
  const nameAt = withoutCreateOnly.indexOf('--name');
  const applyArgs = nameAt === -1 ? withoutCreateOnly : withoutCreateOnly.filter((_, i) => i !== nameAt && i !== nameAt + 1);
  return runPrismaCli(applyArgs, env);
}

async function useNativeEngine(engine: string | undefined): Promise<boolean> {
  if (engine === 'native') return true;
  if (engine === 'wasm') return false;
  if (engine !== 'auto') throw new MigrationRunnerError(`Cannot use --engine "${engine}". Use auto, native or wasm.`);
  return hasNativeSchemaEngine();
}

async function reportDrift(target: MigrationTarget): Promise<number> {
  const { script } = await checkDrift(target);
  if (script === '') return print('No drift: the migrations produce exactly what schema.prisma describes.', 0);
  return print(
    'Drift detected: schema.prisma and the migrations differ. Applying every migration and then this ' +
      'SQL would match the schema:\n\n' +
      `${script}\n\n` +
      'Run `pnpm db:migrate --name <change>` to turn the schema change into a migration, or revert ' +
      'the schema change.',
    1,
  );
}

function print(message: string, exitCode: number): number {
  (exitCode === 0 ? process.stdout : process.stderr).write(`${message}\n`);
  return exitCode;
}

main(process.argv.slice(2)).then(
  (exitCode) => {
    process.exitCode = exitCode;
  },
  (error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`${message}\n`);
    if (process.env.DEBUG && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
    process.exitCode = 1;
  },
);
