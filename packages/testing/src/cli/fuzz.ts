/**
 * `tenantry fuzz`: the isolation fuzzer on YOUR project, in one command. It reads prisma.config.ts
 * (the schema and the migrations), imports the PrismaClient your `prisma-client` generator writes
 * (or `--client <module>`), provisions a throwaway database migrated with your migrations
 * (TEST_DATABASE_URL → testcontainers → embedded Postgres) with PgBouncer in session and
 * transaction mode when it is installed, seeds tenants from your schema, and fuzzes every route
 * with backends terminated (and PgBouncer restarted) mid-flight.
 *
 * Prints the figure block per route and, last, the one line tools read:
 * `isolation: ops=N tenants=N faults=N crossTenantRows=0 noContextRows=0 lostWrites=0 phantomWrites=0 inheritedSessionState=0 seed=S`.
 * Exit 1 when a counter is not 0 or fewer than half of the operations succeeded; 2 when it cannot
 * set up (no client, no database, a schema it cannot seed).
 *
 * The engine's `tenantry` CLI resolves this module from the project and calls runFuzzCommand.
 */
import { randomInt } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { createTenantPrismaClient, type PrismaClientLike } from '@tenantry/prisma';
import { createAdminPrismaClient } from '@tenantry/prisma/admin';
import { loadPrismaConfig } from '@tenantry/prisma/cli';
import { runtimeRole } from '@tenantry/prisma/migrate';
import { ROLES, devPassword } from '../databases.js';
import type { PostgresServer } from '../postgres-server.js';
import { fuzzAllRoutes, fuzzRoutesOf } from '../fuzz/routes.js';
import { seedTenants } from '../seed.js';
import { schemaModelOf } from '../schema-model.js';
import { provisionTestRig, type TestRig } from '../test-rig.js';

export interface FuzzCommandOptions {
  /** `--config` as the engine's CLI took it. */
  configPath?: string;
  /** The tenant and workspace fields the engine's CLI read (TENANTRY_TENANT_FIELD / TENANTRY_WORKSPACE_FIELD). */
  fields?: { tenantField?: string; workspaceField?: string };
  programName?: string;
  /** Where the lines go. Default stdout / stderr. */
  out?: (line: string) => void;
  err?: (line: string) => void;
}

const usageOf = (program: string) => `Usage: ${program} fuzz [options]

Fuzzes tenant isolation on a throwaway database migrated with this project's migrations.

Options:
  --ops <n>               operations in all (split over the routes). Default 3000
  --seed <n>              replay a run. Default random (printed)
  --tenants <n>           tenants to seed. Default 20
  --concurrency <n>       operations in flight. Default 16
  --pool <n>              connections of the tenant client. Default 4
  --tenant-field <f>      the tenant field of your models. Default TENANTRY_TENANT_FIELD or tenantId
  --workspace-field <f>   the workspace field. Default TENANTRY_WORKSPACE_FIELD or workspaceId
  --client <module>       the generated PrismaClient's module. Default: the prisma-client generator's output/client.ts

The database: TEST_DATABASE_URL (a superuser URL), else Docker (testcontainers), else embedded Postgres.`;

class SetupError extends Error {}

export async function runFuzzCommand(argv: string[], options: FuzzCommandOptions = {}): Promise<number> {
  const out = options.out ?? ((line: string) => process.stdout.write(`${line}\n`));
  const err = options.err ?? ((line: string) => process.stderr.write(`${line}\n`));
  const program = options.programName ?? 'tenantry';
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv.filter((a) => a !== '--'),
      options: {
        ops: { type: 'string', default: '3000' },
        seed: { type: 'string' },
        tenants: { type: 'string', default: '20' },
        concurrency: { type: 'string', default: '16' },
        pool: { type: 'string', default: '4' },
        'tenant-field': { type: 'string' },
        'workspace-field': { type: 'string' },
        client: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    err(`${(error as Error).message}\n${usageOf(program)}`);
    return 2;
  }
  if (values.help) {
    out(usageOf(program));
    return 0;
  }
  const numbers: Record<string, number> = {};
  for (const name of ['ops', 'tenants', 'concurrency', 'pool', 'seed'] as const) {
    if (values[name] === undefined) continue;
    const n = Number(values[name]);
    if (!Number.isInteger(n) || n < 1) {
      err(`Cannot run the fuzzer because --${name} is not a positive integer.`);
      return 2;
    }
    numbers[name] = n;
  }
  if (numbers.tenants! < 2) {
    err('Cannot run the fuzzer because --tenants is below 2: isolation needs two tenants at least.');
    return 2;
  }
  const seed = numbers.seed ?? randomInt(1, 2 ** 31);
  const fields = {
    tenantField:
      (values['tenant-field'] as string | undefined) ??
      options.fields?.tenantField ??
      (process.env.TENANTRY_TENANT_FIELD || 'tenantId'),
    workspaceField:
      (values['workspace-field'] as string | undefined) ??
      options.fields?.workspaceField ??
      (process.env.TENANTRY_WORKSPACE_FIELD || 'workspaceId'),
  };
  const log = (m: string) => out(`[fuzz] ${m}`);

  let rig: TestRig | undefined;
  let runtime: RuntimeRole = { role: ROLES.app, password: devPassword() };
  const closers: Array<() => Promise<unknown>> = [];
  try {
    let PrismaClient: new (options: unknown) => PrismaClientLike;
    let config: Awaited<ReturnType<typeof loadPrismaConfig>>;
    let tenants: Awaited<ReturnType<typeof seedTenants>>;
    let admin: PrismaClientLike & Record<string, unknown>;
    try {
      config = await loadPrismaConfig(options.configPath);
      const clientModule = values.client ? path.resolve(values.client as string) : generatedClientOf(config.schemaPath);
      PrismaClient = await importClient(clientModule);
      // The role the project's migrations grant to and name in their policies (TENANTRY_RUNTIME_ROLE, as
      // `tenantry migrate dev` generated them; prisma.config.ts has loaded .env by now).
      const appRole = runtimeRole();
      runtime = { role: appRole, password: passwordOf(appRole) };
      rig = await provisionTestRig({
        beforeMigrate: (server) => ensureRuntimeRole(server, runtime),
        purpose: 'tenantry fuzz',
        prefix: `tenantry_fuzz_${process.pid}`,
        migrations: { schemaPath: config.schemaPath, migrationsDir: config.migrationsDir },
        pgbouncer: { modes: ['session', 'transaction'], poolSize: 10, ifMissing: 'direct', users: [appRole] },
        log,
      });
      await grantAdminRole(rig);
      admin = createAdminPrismaClient({
        PrismaClient,
        connectionString: rig.url('admin'),
        poolSize: 3,
      }) as typeof admin;
      closers.push(() => admin.$disconnect());
      const schemaModel = await schemaModelOf(admin, { schema: config.schemaPath, ...fields });
      if (![...schemaModel.models.values()].some((m) => m.tenant)) {
        throw new SetupError(
          `Cannot fuzz because no model of ${config.schemaPath} has the tenant field ${fields.tenantField}. Pass --tenant-field <the field your models hold the tenant in>.`,
        );
      }
      tenants = await seedTenants(admin, numbers.tenants!, { schemaModel, seed, ...fields });
    } catch (error) {
      err(`tenantry fuzz: ${(error as Error).message}`);
      if (process.env.DEBUG && error instanceof Error) err(String(error.stack));
      return 2;
    }
    const routes = fuzzRoutesOf(rig);
    log(
      `seeded ${tenants.length} tenants; seed ${seed}; ${numbers.ops} operations at concurrency ${numbers.concurrency} over ${routes.join(', ')}, pool ${numbers.pool}`,
    );
    const { exitCode } = await fuzzAllRoutes({
      rig,
      routes,
      makeClient: (route) =>
        createTenantPrismaClient({
          PrismaClient,
          connectionString: route.url,
          poolSize: numbers.pool!,
          connectionTimeoutMillis: 30_000,
          ...fields,
        }),
      admin,
      tenants,
      ops: numbers.ops!,
      seed,
      concurrency: numbers.concurrency!,
      runtimeRole: runtime,
      ...fields,
      schema: config.schemaPath,
      out,
    });
    return exitCode;
  } finally {
    for (const close of closers.reverse()) await close().catch(() => {});
    await rig?.stop().catch((error: unknown) => err(`tenantry fuzz: ${(error as Error).message}`));
  }
}

interface RuntimeRole {
  role: string;
  password: string;
}

/** The runtime role's password: DATABASE_URL's when that URL logs in as the role (the project's .env), else the dev one. */
function passwordOf(role: string): string {
  try {
    const url = new URL(process.env.DATABASE_URL ?? '');
    if (decodeURIComponent(url.username) === role && url.password) return decodeURIComponent(url.password);
  } catch {
    // no or no valid DATABASE_URL: the dev password
  }
  return devPassword();
}

/**
 * The project's runtime role on the test server, when it is not the kit's tenantry_app (which
 * ensureRoles manages): created when missing (LOGIN, no SUPERUSER, no BYPASSRLS); an existing one is
 * left as it is (it may be your dev database's), but refused if it could bypass Row-Level Security,
 * since the fuzzer would then prove nothing.
 */
async function ensureRuntimeRole(server: PostgresServer, runtime: RuntimeRole): Promise<void> {
  if (runtime.role === ROLES.app) return;
  const client = new pg.Client({ connectionString: server.superuserUrl() });
  await client.connect();
  try {
    const { rows } = await client.query<{ rolsuper: boolean; rolbypassrls: boolean }>(
      'select rolsuper, rolbypassrls from pg_roles where rolname = $1',
      [runtime.role],
    );
    if (rows[0]?.rolsuper || rows[0]?.rolbypassrls) {
      throw new SetupError(
        `Cannot fuzz as the runtime role ${runtime.role} because on the test server it is ${rows[0].rolsuper ? 'a superuser' : 'BYPASSRLS'}, so Row-Level Security would not apply to it. ` +
          'Set TENANTRY_RUNTIME_ROLE to a role that cannot bypass RLS, or point TEST_DATABASE_URL at another server.',
      );
    }
    if (rows.length === 0) {
      await client
        .query(
          `CREATE ROLE ${pg.escapeIdentifier(runtime.role)} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE PASSWORD ${pg.escapeLiteral(runtime.password)}`,
        )
        .catch((error: { code?: string }) => {
          if (error.code !== '42710') throw error; // created meanwhile by a parallel run
        });
    }
  } finally {
    await client.end();
  }
}

/**
 * The kit's admin role (BYPASSRLS: seeding and the final reconciliation cross tenants) may read and
 * write every table of the throwaway database; the project's migrations grant it nothing.
 */
async function grantAdminRole(rig: TestRig): Promise<void> {
  const client = new pg.Client({ connectionString: rig.url('superuser') });
  await client.connect();
  try {
    const { rows } = await client.query<{ nspname: string }>(
      `select nspname from pg_namespace where nspname not like 'pg\_%' and nspname <> 'information_schema'`,
    );
    const admin = pg.escapeIdentifier(ROLES.admin);
    for (const { nspname } of rows) {
      const schema = pg.escapeIdentifier(nspname);
      await client.query(`GRANT USAGE ON SCHEMA ${schema} TO ${admin}`);
      await client.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA ${schema} TO ${admin}`);
      await client.query(`GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA ${schema} TO ${admin}`);
    }
  } finally {
    await client.end();
  }
}

/** `<output>/client.ts` of the schema's `prisma-client` generator (output relative to the schema file). */
export function generatedClientOf(schemaPath: string): string {
  // A schema folder (prismaSchemaFolder): the generator is in one of its files, output relative to that file's folder.
  const folder = existsSync(schemaPath) && statSync(schemaPath).isDirectory();
  const files = folder
    ? readdirSync(schemaPath)
        .filter((f) => f.endsWith('.prisma'))
        .map((f) => path.join(schemaPath, f))
    : [schemaPath];
  const text = files
    .filter(existsSync)
    .map((f) => readFileSync(f, 'utf8'))
    .join('\n');
  const baseDir = folder ? schemaPath : path.dirname(schemaPath);
  for (const block of text.matchAll(/^generator\s+\w+\s*\{([\s\S]*?)^\}/gm)) {
    const body = block[1]!;
    const provider = /^\s*provider\s*=\s*"([^"]+)"/m.exec(body)?.[1];
    const output = /^\s*output\s*=\s*"([^"]+)"/m.exec(body)?.[1];
    if (provider === 'prisma-client' && output) {
      const dir = path.resolve(baseDir, output);
      const found = ['client.ts', 'client.mts', 'client.js', 'client.mjs']
        .map((f) => path.join(dir, f))
        .find(existsSync);
      if (!found) {
        throw new SetupError(
          `Cannot find the generated PrismaClient because ${dir} has no client.ts. Run \`prisma generate\` first, or pass --client <module>.`,
        );
      }
      return found;
    }
  }
  throw new SetupError(
    `Cannot find the generated PrismaClient because ${schemaPath} has no generator with provider "prisma-client" and an output. Pass --client <the module that exports PrismaClient>.`,
  );
}

/** The module's PrismaClient; TypeScript through tsx's loader, for this one import (node cannot import .ts). */
async function importClient(file: string): Promise<new (options: unknown) => PrismaClientLike> {
  if (!existsSync(file))
    throw new SetupError(`Cannot import the PrismaClient because ${file} does not exist. Pass --client <module>.`);
  let mod: { PrismaClient?: unknown; default?: { PrismaClient?: unknown } };
  if (/\.[mc]?ts$/.test(file)) {
    const { tsImport } = await import('tsx/esm/api');
    mod = (await tsImport(pathToFileURL(file).href, import.meta.url)) as typeof mod;
  } else {
    mod = (await import(pathToFileURL(file).href)) as typeof mod;
  }
  const PrismaClient = mod.PrismaClient ?? mod.default?.PrismaClient;
  if (typeof PrismaClient !== 'function')
    throw new SetupError(
      `Cannot use ${file} because it exports no PrismaClient class. Pass --client <the generated client.ts>.`,
    );
  return PrismaClient as new (
    options: unknown,
  ) => PrismaClientLike;
}
