// `tenantry migrate deploy|dev|status|drift`: Prisma Migrate, online or offline.
//
//   tenantry migrate deploy                                     = prisma migrate deploy
//   tenantry migrate dev [--name x] [--create-only] [--force]   = prisma migrate dev, with the RLS of every new
//                                                                 tenant table generated into the migration
//   tenantry migrate status                                     = prisma migrate status
//   tenantry migrate drift (alias check-drift)                  exits 1 when the schema and the migrations disagree
// Options for every command: --url <postgres url> (default: the database resolver's; see context.ts),
// --schema <path>, --migrations <dir> (default: prisma.config.ts's), --engine auto|native|wasm,
// --tenant-field / --workspace-field (the columns policy generation looks for follow them).
// The first line printed says which database is used. `dev` regenerates the client afterwards.
//
// With the native schema engine installed (online machines) deploy/dev/status run the real
// `prisma` CLI. Without it they run the same command classes in-process on Prisma's wasm schema
// engine over @prisma/adapter-pg (see src/migrate/wasm-engine.ts and docs/DESIGN.md "Migrations").
// drift always runs in-process: it creates and drops its own shadow database, where the CLI
// would need a `shadowDatabaseUrl` in prisma.config.ts.
import { createRequire } from 'node:module';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { readFile, readdir, rm } from 'node:fs/promises';
import { tenantColumnsFor, type TenantColumns } from '../migrate/columns.js';
import { translateMigrationError } from '../migrate/errors.js';
import { engineStandIn, hasNativeSchemaEngine, runPrismaCli } from '../migrate/native-engine.js';
import { readAuditSchema } from '../audit/schema.js';
import {
  addRlsToMigrationFile,
  withPolicyGeneration,
  type AuditGeneration,
  type TenantTable,
} from '../migrate/policies.js';
import {
  checkDrift,
  migrateDeploy,
  MigrationRunnerError,
  runOfflineCommand,
  type MigrationTarget,
} from '../migrate/run.js';
import type { CliContext } from './context.js';

const usageOf = (program: string) => `Usage: ${program} migrate <deploy|dev|status|drift> [options]
  --url <url>          Postgres URL of the owner role (default: DIRECT_URL, else prisma.config.ts's datasource url)
  --schema <path>      Prisma schema (default: prisma.config.ts's schema, else prisma/schema.prisma)
  --migrations <dir>   Migrations directory (default: prisma.config.ts's migrations.path, else prisma/migrations)
  --tenant-field <f>   The models' tenant field (default tenantId; env TENANTRY_TENANT_FIELD)
  --workspace-field <f> The models' workspace field (default workspaceId; env TENANTRY_WORKSPACE_FIELD)
  --engine <kind>      auto (default), native (prisma CLI) or wasm (in-process)
  --name <name>        dev: name of the new migration
  --create-only        dev: create the migration without applying it
  --force              dev: accept Prisma's warnings (e.g. "a unique constraint will be added")
                       without the prompt it shows in a terminal
  --skip-generate      dev: do not run \`prisma generate\` afterwards`;

const actions: Record<string, string> = {
  deploy: 'apply the migrations',
  dev: 'create and apply the migration',
  status: 'read the migration status',
  'check-drift': 'check for drift',
};

/** `tenantry migrate <argv...>`; resolves with the exit code. */
export async function migrateCommand(argv: string[], ctx: CliContext): Promise<number> {
  const usage = usageOf(ctx.programName);
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
      'skip-generate': { type: 'boolean', default: false },
      force: { type: 'boolean', default: false },
      'tenant-field': { type: 'string' },
      'workspace-field': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [given, ...extra] = positionals;
  const command = given === 'drift' ? 'check-drift' : given;
  if (values.help || !command) return print(usage, values.help ? 0 : 1);
  if (extra.length > 0) return print(`Unexpected argument "${extra[0]}".\n${usage}`, 1);
  if (!['deploy', 'dev', 'status', 'check-drift'].includes(command)) {
    return print(`Unknown command "${command}".\n${usage}`, 1);
  }
  if (
    (values.name !== undefined || values['create-only'] || values.force || values['skip-generate']) &&
    command !== 'dev'
  ) {
    return print('--name, --create-only, --force and --skip-generate only apply to the dev command.', 1);
  }

  const db = await ctx.resolveDatabase({ need: 'DIRECT_URL', action: actions[command]!, flagUrl: values.url });
  process.stdout.write(`${db.banner}\n`);
  try {
    const config = await ctx.config();
    const target: MigrationTarget = {
      url: db.urls.DIRECT_URL!,
      shadowDatabaseUrl: db.urls.SHADOW_DATABASE_URL,
      schemaPath: path.resolve(values.schema ?? config.schemaPath),
      migrationsDir: path.resolve(values.migrations ?? config.migrationsDir),
      baseDir: config.baseDir,
    };
    const fields = {
      ...ctx.fields,
      ...(values['tenant-field'] ? { tenantField: values['tenant-field'] } : {}),
      ...(values['workspace-field'] ? { workspaceField: values['workspace-field'] } : {}),
    };
    const columns = command === 'dev' ? await tenantColumnsFor(fields, target.schemaPath) : undefined;
    // dev: the schema's audit markers (/// @tenantry.audit, docs/audit-log.md) go into the migration too.
    const audit: AuditGeneration | undefined =
      command === 'dev' ? { schema: await readAuditSchema(target.schemaPath!, fields) } : undefined;
    const code = await run(command, values, target, columns, audit).catch((error: unknown) => {
      throw translateMigrationError(error, {
        action: actions[command]!,
        url: target.url,
        shadowUrl: target.shadowDatabaseUrl,
      });
    });
    if (code === 0 && command === 'dev' && !values['create-only'] && !values['skip-generate'])
      return await generateClient(target.schemaPath!);
    return code;
  } finally {
    await db.release();
  }
}

interface Flags {
  schema?: string;
  migrations?: string;
  engine?: string;
  name?: string;
  'create-only'?: boolean;
  force?: boolean;
}

async function run(
  command: string,
  values: Flags,
  target: MigrationTarget,
  columns?: TenantColumns,
  audit?: AuditGeneration,
): Promise<number> {
  if (command === 'check-drift') return reportDrift(target);

  // Prisma's own flags for the command; our --url/--migrations are passed another way.
  const prismaArgs = ['migrate', command];
  if (values.schema) prismaArgs.push('--schema', path.resolve(values.schema));
  if (values.name !== undefined) prismaArgs.push('--name', values.name);
  if (values['create-only']) prismaArgs.push('--create-only');
  // `migrate dev` prompts (for a name, and to confirm warnings) when it sees a terminal, as the
  // prisma CLI does. Without one (scripts, CI, tests) it must not hang: CI set makes Prisma refuse
  // instead, and translateMigrationError says to pass --name / --force.
  const interactive = command === 'dev' && process.stdin.isTTY === true && !process.env.CI;
  const env = command === 'dev' && !interactive ? { ...process.env, CI: process.env.CI || '1' } : process.env;

  if (await useNativeEngine(values.engine)) {
    if (values.migrations) {
      return print(
        '--migrations needs --engine wasm: the prisma CLI reads the path from prisma.config.ts (TENANTRY_MIGRATIONS_DIR).',
        1,
      );
    }
    const cliEnv = {
      ...env,
      DIRECT_URL: target.url,
      ...(target.shadowDatabaseUrl ? { SHADOW_DATABASE_URL: target.shadowDatabaseUrl } : {}),
      TENANTRY_SCHEMA_PATH: target.schemaPath,
      TENANTRY_MIGRATIONS_DIR: target.migrationsDir,
    };
    if (values.force)
      return print('--force needs --engine wasm: the prisma CLI asks in a terminal instead (run it there).', 1);
    if (command !== 'dev') return runPrismaCli(prismaArgs, cliEnv);
    return nativeDevWithPolicies(
      prismaArgs,
      cliEnv,
      values['create-only'] ?? false,
      target.migrationsDir,
      columns,
      audit,
    );
  }

  if (command === 'dev') {
    if (env.CI) process.env.CI = env.CI;
    // Pitfall: when `migrate dev` itself applies pending migrations on the wasm engine, its next
    // step (evaluateDataLoss) fails with "PostgreSQL shadow DB must be provided through an external
    // factory". Applying them first with a separate engine (= `deploy`) avoids that path.
    const { appliedMigrationNames } = await migrateDeploy(target);
    for (const name of appliedMigrationNames) process.stdout.write(`Applied pending migration ${name}\n`);
  }
  const offline = () => runOfflineCommand(command as 'deploy' | 'dev' | 'status', prismaArgs.slice(2), target);
  // dev: the RLS of every new tenant table goes into the migration before it is applied.
  const message =
    command === 'dev'
      ? await withPolicyGeneration(
          () => (values.force ? acceptingWarnings(offline) : offline()),
          reportPolicies,
          columns,
          audit,
        )
      : await offline();
  if (message) process.stdout.write(`${message}\n`);
  return 0;
}

/**
 * --force: answers "yes" to the one confirmation `migrate dev` asks when it has warnings. Prisma
 * asks through the `prompts` package, whose injected answers also make Prisma's canPrompt() true
 * without a terminal; leftovers are cleared so no later prompt can consume them.
 */
async function acceptingWarnings<T>(fn: () => Promise<T>): Promise<T> {
  const requireFromMigrate = createRequire(createRequire(import.meta.url).resolve('@prisma/migrate'));
  const prompts = requireFromMigrate('prompts') as { inject(answers: unknown[]): void; _injected?: unknown[] };
  prompts.inject([true]);
  try {
    return await fn();
  } finally {
    prompts._injected = undefined;
  }
}

/**
 * `prisma generate` for the schema just migrated, so the new model is usable at once (Prisma 7's
 * `migrate dev` no longer generates). Works offline: code generation needs no native engine.
 */
async function generateClient(schemaPath: string): Promise<number> {
  const env: NodeJS.ProcessEnv = { ...process.env, TENANTRY_SCHEMA_PATH: schemaPath };
  if (!env.PRISMA_SCHEMA_ENGINE_BINARY && !(await hasNativeSchemaEngine()))
    env.PRISMA_SCHEMA_ENGINE_BINARY = engineStandIn();
  process.stdout.write('Regenerating the Prisma client (prisma generate)...\n');
  const code = await runPrismaCli(['generate', '--schema', schemaPath], env);
  if (code !== 0) {
    return print(
      'Cannot regenerate the Prisma client because `prisma generate` failed (its output is above). The migration is applied; fix the error and run `prisma generate`.',
      code,
    );
  }
  return 0;
}

function reportPolicies(tables: TenantTable[], migration: string): void {
  const names = tables.map((t) => t.name).join(', ');
  process.stdout.write(
    `Added Row-Level Security (grants, ENABLE/FORCE, 4 policies) for ${names} to ${migration}/migration.sql\n`,
  );
}

/**
 * The native CLI runs in its own process, so its file write cannot be hooked: create the migration
 * without applying it, append the RLS, then (unless --create-only) let `migrate dev` apply it.
 */
async function nativeDevWithPolicies(
  prismaArgs: string[],
  env: NodeJS.ProcessEnv,
  createOnly: boolean,
  migrationsDir?: string,
  columns?: TenantColumns,
  audit?: AuditGeneration,
): Promise<number> {
  const dir = path.resolve(migrationsDir ?? 'prisma/migrations');
  const list = async () =>
    new Set(
      (await readdir(dir, { withFileTypes: true }).catch(() => [])).filter((e) => e.isDirectory()).map((e) => e.name),
    );
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
    const tables = await addRlsToMigrationFile(migrationDir, undefined, columns, audit);
    if (tables.length > 0) reportPolicies(tables, name);
  }
  if (createOnly) return 0;
  const nameAt = withoutCreateOnly.indexOf('--name');
  const applyArgs =
    nameAt === -1 ? withoutCreateOnly : withoutCreateOnly.filter((_, i) => i !== nameAt && i !== nameAt + 1);
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
      'Run `tenantry migrate dev --name <change>` to turn the schema change into a migration, or revert ' +
      'the schema change.',
    1,
  );
}

function print(message: string, exitCode: number): number {
  (exitCode === 0 ? process.stdout : process.stderr).write(`${message}\n`);
  return exitCode;
}
