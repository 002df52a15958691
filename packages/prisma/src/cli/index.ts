// `@tenantry/prisma/cli`: the `tenantry` command as a function, for a package that wraps it with its own
// database resolver (packages/db's scripts/tenantry.ts starts its dev database when no URL is set).
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { checkCommand } from './check.js';
import { createContext, type CliContext, type TenantryCliOptions } from './context.js';
import { generateCommand } from './generate.js';
import { migrateCommand } from './migrate.js';
import { pgtapCommand } from './pgtap.js';
import { policiesCommand } from './policies.js';
import { runMain } from './run-main.js';

export type {
  CliContext,
  DatabaseRequest,
  DatabaseResolver,
  LoadedConfig,
  ResolvedDatabase,
  TenantryCliOptions,
} from './context.js';
export { loadPrismaConfig, TenantryCliError } from './context.js';
export { runMain } from './run-main.js';

const usageOf = (program: string) => `Usage: ${program} [--config <prisma.config.ts>] <command> [options]

Commands:
  generate                          prisma generate, also offline (no native engine download)
  migrate dev|deploy|status|drift   Prisma Migrate (offline too); dev generates the RLS of new tenant tables
  check                             Audit a live database's Row-Level Security (exit 1 on any failure)
  policies <Model>                  Print the RLS migrate dev generates for a model's table
  pgtap [--check]                   Write the pgTAP policy tests of every tenant model (--check: fail when stale)
  fuzz                              Fuzz tenant isolation on a throwaway database (needs @tenantry/testing)

The schema, migrations and datasource URL come from prisma.config.ts in the current directory (or --config).
Run \`${program} <command> --help\` for a command's options.`;

/**
 * `tenantry fuzz` lives in the test kit (@tenantry/testing/cli), which the engine never imports: it is resolved
 * from the PROJECT (its node_modules), and imported by a computed path, so the engine runs without the kit.
 */
async function fuzzCommand(args: string[], configPath: string | undefined, ctx: CliContext): Promise<number> {
  const kitCli = '@tenantry/testing/cli';
  let entry: string;
  try {
    entry = createRequire(path.join(process.cwd(), 'package.json')).resolve(kitCli);
  } catch {
    process.stderr.write(
      `Cannot run ${ctx.programName} fuzz because @tenantry/testing is not installed in this project (${process.cwd()}). ` +
        'install @tenantry/testing as a dev dependency (e.g. pnpm add -D @tenantry/testing) and run again.\n',
    );
    return 2;
  }
  const kit = (await import(pathToFileURL(entry).href)) as {
    runFuzzCommand(
      argv: string[],
      options: { configPath?: string; fields?: CliContext['fields']; programName?: string },
    ): Promise<number>;
  };
  return kit.runFuzzCommand(args, {
    ...(configPath !== undefined ? { configPath } : {}),
    fields: ctx.fields,
    programName: ctx.programName,
  });
}

/** Takes `--config <file>` / `--config=<file>` out of `argv`. */
function takeConfig(argv: string[]): { configPath?: string; rest: string[] } {
  const rest: string[] = [];
  let configPath: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--config') configPath = argv[++i];
    else if (arg.startsWith('--config=')) configPath = arg.slice('--config='.length);
    else rest.push(arg);
  }
  return { ...(configPath !== undefined ? { configPath } : {}), rest };
}

/** Runs `tenantry <argv...>` and resolves with its exit code (what it prints goes to stdout/stderr). */
export async function runTenantry(argv: string[], options: TenantryCliOptions = {}): Promise<number> {
  const { configPath, rest } = takeConfig(argv);
  const ctx = createContext(configPath, options);
  const [command, ...args] = rest;
  // prisma.config.ts first: what it loads (`import 'dotenv/config'`) is what every command reads, e.g.
  // TENANTRY_TENANT_FIELD and TENANTRY_RUNTIME_ROLE from the project's .env.
  if (command !== undefined && !['--help', '-h', 'help'].includes(command)) await ctx.config();
  switch (command) {
    case 'generate':
      return generateCommand(args, ctx);
    case 'migrate':
      return migrateCommand(args, ctx);
    case 'check':
      return checkCommand(args, ctx);
    case 'policies':
      return policiesCommand(args, ctx);
    case 'pgtap':
      return pgtapCommand(args, ctx);
    case 'fuzz':
      return fuzzCommand(args, configPath, ctx);
    case undefined:
    case '--help':
    case '-h':
    case 'help':
      process.stdout.write(`${usageOf(ctx.programName)}\n`);
      return command === undefined ? 1 : 0;
    default:
      process.stderr.write(`Unknown command "${command}".\n${usageOf(ctx.programName)}\n`);
      return 1;
  }
}

/** `runTenantry` as a process: exits with its code (2 for `check` when it cannot audit, as db:check always did). */
export function tenantryMain(argv: string[] = process.argv.slice(2), options: TenantryCliOptions = {}): void {
  const command = takeConfig(argv).rest[0];
  runMain(() => runTenantry(argv, options), command === 'check' ? 2 : 1);
}
