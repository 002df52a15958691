// Programmatic migrations on the wasm schema engine: what a test rig imports, and what the CLI
// (`tenantry migrate`, src/cli/migrate.ts) runs when the native engine is missing.
//
// It always uses the wasm engine, online too: it is in-process (no child process to start, ~0.1 s
// when nothing is pending) and behaves the same on every machine.
//
// @example Migrate a template database (nothing is left open afterwards):
//   import { migrateDeploy } from '@tenantry/prisma/migrate';
//   const { appliedMigrationNames } = await migrateDeploy({ url: templateUrl, schemaPath: 'prisma/schema.prisma', migrationsDir: 'prisma/migrations' });
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import internals from '@prisma/internals';
import pg from 'pg';
import { defineConfig } from 'prisma/config';
import { MigrationCommandError, translateMigrationError } from './errors.js';
import { engineStandIn } from './native-engine.js';
import { databaseNameOf, withDatabase } from './pg-adapter-factory.js';
import { prismaMigrate } from './prisma-modules.js';
import { setupWasmMigrate, withWasmEngine } from './wasm-engine.js';

/**
 * The schema and migrations every call uses unless the target names them: TENANTRY_SCHEMA_PATH and
 * TENANTRY_MIGRATIONS_DIR (a scratch copy, e.g. in tests), else `fallback` (the package's own, which
 * its caller knows), else ./prisma/schema.prisma and ./prisma/migrations of the current directory.
 */
export function schemaPathFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  fallback = path.join('prisma', 'schema.prisma'),
): string {
  return path.resolve(env.TENANTRY_SCHEMA_PATH || fallback);
}
export function migrationsDirFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  fallback = path.join('prisma', 'migrations'),
): string {
  return path.resolve(env.TENANTRY_MIGRATIONS_DIR || fallback);
}

export class MigrationRunnerError extends Error {
  override name = 'MigrationRunnerError';
}

export interface MigrationTarget {
  /** The owner role's direct Postgres URL (never the pooler, never the runtime role). */
  url: string;
  /** Defaults to TENANTRY_SCHEMA_PATH, else `prisma/schema.prisma` of the current directory. */
  schemaPath?: string;
  /** Defaults to TENANTRY_MIGRATIONS_DIR, else `prisma/migrations` of the current directory. */
  migrationsDir?: string;
  /** The directory relative paths in Prisma's config resolve against. Defaults to the current directory. */
  baseDir?: string;
  /**
   * An existing empty database the owner owns, for the commands that need a shadow database
   * (`migrate dev`, drift). Without it one is created per command, which needs CREATEDB.
   */
  shadowDatabaseUrl?: string;
}

/** `--url` if given, else `DIRECT_URL` (which the caller loads from `.env`, as prisma.config.ts does). */
export function resolveDatabaseUrl(flagUrl?: string): string {
  const url = flagUrl ?? process.env.DIRECT_URL;
  if (!url) {
    throw new MigrationRunnerError(
      "Cannot run migrations because DIRECT_URL is not set. Set it to the owner role's direct " +
        'Postgres URL (see .env.example).',
    );
  }
  return url;
}

/**
 * Checks that the target database is reachable and, with `create`, creates it when it does not
 * exist, as `prisma migrate deploy/dev` do (status and diff only check). Prisma does this with the
 * native engine binary, which offline machines lack, so we do it over `pg`.
 */
export async function ensureDatabaseExists(url: string, { create = true } = {}): Promise<void> {
  const probe = new pg.Client({ connectionString: url });
  try {
    await probe.connect();
    return;
  } catch (error) {
    if ((error as { code?: string }).code !== '3D000' || !create) {
      throw new MigrationRunnerError(
        `Cannot connect to the database "${databaseNameOf(url)}" because ${(error as Error).message}. ` +
          'Check that Postgres is running and that --url or DIRECT_URL is right.',
        { cause: error },
      );
    }
  } finally {
    await probe.end().catch(() => {});
  }
  const admin = new pg.Client({ connectionString: withDatabase(url, 'postgres') });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(databaseNameOf(url))}`);
  } finally {
    await admin.end();
  }
}

function resolveTarget(target: MigrationTarget) {
  return {
    url: target.url,
    schemaPath: target.schemaPath ? path.resolve(target.schemaPath) : schemaPathFromEnv(),
    migrationsDir: target.migrationsDir ? path.resolve(target.migrationsDir) : migrationsDirFromEnv(),
    baseDir: path.resolve(target.baseDir ?? '.'),
  };
}

export interface MigrateDeployResult {
  /** Migrations applied by this call, oldest first; empty when the database was up to date. */
  appliedMigrationNames: string[];
}

/**
 * `prisma migrate deploy`, in-process and silent: applies pending migrations to `url` and records
 * them in `_prisma_migrations` exactly as Prisma does (it is Prisma's engine doing it). Creates the
 * database if missing. Every connection and shadow database it opened is closed before it returns,
 * whether it succeeds or throws.
 */
export async function migrateDeploy(target: MigrationTarget): Promise<MigrateDeployResult> {
  const { url, schemaPath, migrationsDir, baseDir } = resolveTarget(target);
  await ensureDatabaseExists(url);
  const schemaContext = await internals.loadSchemaContext({
    schemaPath: internals.createSchemaPathInput({ schemaPathFromArgs: schemaPath, baseDir }),
    printLoadMessage: false,
  });
  const migrate = await setupWasmMigrate(url, {
    schemaEngineConfig: prismaConfig(target),
    baseDir,
    migrationsDirPath: migrationsDir,
    schemaContext,
    schemaFilter: { externalTables: [], externalEnums: [] },
  });
  try {
    const { appliedMigrationNames } = await migrate.applyMigrations();
    return { appliedMigrationNames };
  } finally {
    await migrate.stop();
  }
}

/** The Prisma config the command classes expect, built like prisma.config.ts but for `target`. */
function prismaConfig(target: MigrationTarget) {
  const { url, schemaPath, migrationsDir } = resolveTarget(target);
  return defineConfig({
    schema: schemaPath,
    migrations: { path: migrationsDir },
    datasource: { url, ...(target.shadowDatabaseUrl ? { shadowDatabaseUrl: target.shadowDatabaseUrl } : {}) },
  });
}

export type OfflineCommand = 'deploy' | 'dev' | 'status' | 'diff' | 'push';
const commandClasses = {
  deploy: prismaMigrate.MigrateDeploy,
  dev: prismaMigrate.MigrateDev,
  status: prismaMigrate.MigrateStatus,
  diff: prismaMigrate.MigrateDiff,
  push: prismaMigrate.DbPush,
} as const;

/**
 * Runs Prisma's own `migrate <command>` class with `argv` (Prisma's flags) on the wasm engine and
 * returns its final message. Its progress output goes to stdout as with the CLI; on failure it
 * throws (or, for `status` and `dev` in some states, exits the process as the CLI does).
 */
export async function runOfflineCommand(
  command: OfflineCommand,
  argv: string[],
  target: MigrationTarget,
): Promise<string> {
  await ensureDatabaseExists(target.url, { create: command === 'deploy' || command === 'dev' || command === 'push' });
  const previousBinary = process.env.PRISMA_SCHEMA_ENGINE_BINARY;
  process.env.PRISMA_SCHEMA_ENGINE_BINARY = engineStandIn();
  try {
    const result = await withWasmEngine(
      target.url,
      () => commandClasses[command].new('prisma').parse(argv, prismaConfig(target), resolveTarget(target).baseDir),
      target.shadowDatabaseUrl,
    );
    if (result instanceof Error) throw result;
    return result;
  } finally {
    if (previousBinary === undefined) delete process.env.PRISMA_SCHEMA_ENGINE_BINARY;
    else process.env.PRISMA_SCHEMA_ENGINE_BINARY = previousBinary;
  }
}

export interface DriftReport {
  /** SQL that would take a database built from the migrations to the schema; '' when none. */
  script: string;
}

/**
 * Replays every migration on a fresh shadow database and diffs the result against the schema, with
 * `prisma migrate diff --from-migrations <dir> --to-schema <schema> --script`. Only what Prisma
 * models can differ: hand-written RLS (policies, grants, roles, ENABLE/FORCE ROW LEVEL SECURITY)
 * is invisible to the diff on both sides, so it never reads as drift. The shadow database is
 * created and dropped on the server of `url`; `url`'s own database is only used to connect.
 */
export async function checkDrift(target: MigrationTarget): Promise<DriftReport> {
  const { schemaPath, migrationsDir } = resolveTarget(target);
  const outputDir = await mkdtemp(path.join(os.tmpdir(), 'tenantry-drift-'));
  const output = path.join(outputDir, 'drift.sql');
  try {
    await runOfflineCommand(
      'diff',
      ['--from-migrations', migrationsDir, '--to-schema', schemaPath, '--script', '--output', output],
      target,
    ).catch((error: unknown) => {
      if (error instanceof MigrationRunnerError) throw error;
      // A permission or a missing shadow database is not a broken migration: say what it is.
      const translated = translateMigrationError(error, {
        action: 'check for drift',
        url: target.url,
        shadowUrl: target.shadowDatabaseUrl,
      });
      if (translated instanceof MigrationCommandError) throw translated;
      throw new MigrationRunnerError(
        'Cannot check for drift because Prisma could not replay the migrations on an empty shadow ' +
          'database (a migration must run on a fresh database, without `_prisma_migrations`). ' +
          `Prisma said:\n${(error as Error).message}`,
        { cause: error },
      );
    });
    const script = await readFile(output, 'utf8');
    // An empty diff is rendered as the comment "-- This is an empty migration."
    const statements = script.replace(/^\s*--.*$/gm, '').trim();
    return { script: statements === '' ? '' : script.trim() };
  } finally {
    await rm(outputDir, { recursive: true, force: true });
  }
}
