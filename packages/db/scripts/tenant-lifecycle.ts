// `pnpm tenant:create | tenant:export | tenant:erase`: onboarding, export and erasure of one tenant
// (docs/tenant-lifecycle.md), on the admin client: these cross the RLS boundary by design (I8).
// DATABASE_ADMIN_URL from the environment or .env, else the dev database (src/testing/dev-env.ts);
// the first line printed says which. Bad arguments exit 2 with the usage, before any connection;
// a refused or failed operation exits 1 with the error's sentence; --json prints the result as JSON.
//
//   tsx scripts/tenant-lifecycle.ts create --name <name> --owner-email <email> [--owner-name <name>] [--slug <slug>] [--workspace <name>]
//   tsx scripts/tenant-lifecycle.ts export --tenant <uuid> --out <dir|file> [--format jsonl|per-table] [--batch-size <n>]
//   tsx scripts/tenant-lifecycle.ts erase  --tenant <uuid> --confirm <tenant id|slug>
import path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { runMain } from '@tenantry/prisma/cli';

const USAGE = `Usage:
  pnpm tenant:create --name <name> --owner-email <email> [--owner-name <name>] [--slug <slug>] [--workspace <name>] [--json]
  pnpm tenant:export --tenant <uuid> --out <dir|file> [--format jsonl|per-table] [--batch-size <n>] [--json]
  pnpm tenant:erase  --tenant <uuid> --confirm <tenant id|slug> [--json]`;

const OPTIONS = {
  create: {
    name: { type: 'string' },
    slug: { type: 'string' },
    'owner-email': { type: 'string' },
    'owner-name': { type: 'string' },
    workspace: { type: 'string' },
    json: { type: 'boolean' },
  },
  export: {
    tenant: { type: 'string' },
    out: { type: 'string' },
    format: { type: 'string' },
    'batch-size': { type: 'string' },
    json: { type: 'boolean' },
  },
  erase: {
    tenant: { type: 'string' },
    confirm: { type: 'string' },
    json: { type: 'boolean' },
  },
} as const;
type Command = keyof typeof OPTIONS;
const REQUIRED: Record<Command, string[]> = {
  create: ['name', 'owner-email'],
  export: ['tenant', 'out'],
  erase: ['tenant', 'confirm'],
};

class UsageError extends Error {
  override name = 'UsageError';
}

function parse(argv: string[]): { command: Command; values: Record<string, string | boolean | undefined> } {
  const [command, ...rest] = argv;
  if (command !== 'create' && command !== 'export' && command !== 'erase')
    throw new UsageError('Cannot run because the command is missing or unknown (create, export or erase).');
  // `pnpm tenant:export -- --tenant ...` passes the `--` through.
  const args = rest[0] === '--' ? rest.slice(1) : rest;
  let values: Record<string, string | boolean | undefined>;
  try {
    const options: ParseArgsConfig['options'] = OPTIONS[command];
    values = parseArgs({ args, options, strict: true, allowPositionals: false }).values as typeof values;
  } catch (error) {
    throw new UsageError(`Cannot run tenant:${command} because ${(error as Error).message.replace(/\.$/, '')}.`);
  }
  const missing = REQUIRED[command].filter((k) => typeof values[k] !== 'string' || values[k] === '');
  if (missing.length > 0)
    throw new UsageError(
      `Cannot run tenant:${command} because ${missing.map((k) => `--${k}`).join(' and ')} ${missing.length > 1 ? 'are' : 'is'} missing.`,
    );
  if (command === 'export') {
    if (values.format !== undefined && values.format !== 'jsonl' && values.format !== 'per-table')
      throw new UsageError("Cannot run tenant:export because --format is not 'jsonl' or 'per-table'.");
    if (values['batch-size'] !== undefined && !/^\d{1,5}$/.test(String(values['batch-size'])))
      throw new UsageError('Cannot run tenant:export because --batch-size is not a whole number from 1 to 10000.');
  }
  return { command, values };
}

/** pnpm runs the script in packages/db; a relative --out means the caller's folder (INIT_CWD). */
function callerPath(p: string): string {
  return path.resolve(process.env.INIT_CWD || process.cwd(), p);
}

/** This process's peak resident set (maxRSS is in kilobytes) and heap now: what shows streaming holds. */
function memoryFigures(): { peakRssMb: number; heapUsedMb: number } {
  const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;
  return { peakRssMb: mb(process.resourceUsage().maxRSS * 1024), heapUsedMb: mb(process.memoryUsage().heapUsed) };
}
function memory(): string {
  const m = memoryFigures();
  return `peak RSS ${m.peakRssMb} MB, heap used ${m.heapUsedMb} MB`;
}

async function run(command: Command, v: Record<string, string | boolean | undefined>): Promise<void> {
  // Loaded after the arguments were checked: a usage error answers at once, without loading Prisma.
  const { createAdminPrismaClient, createTenant, eraseTenant, exportTenant } = await import('../src/admin.js');
  const { resolveDatabase } = await import('../src/testing/dev-env.js');
  const db = await resolveDatabase({ need: 'DATABASE_ADMIN_URL', action: `run tenant:${command}` });
  process.stdout.write(`${db.banner}\n`);
  const admin = createAdminPrismaClient({ connectionString: db.urls.DATABASE_ADMIN_URL!, poolSize: 2 });
  const json = v.json === true;
  const print = (line: string) => {
    if (!json) process.stdout.write(`${line}\n`);
  };
  try {
    if (command === 'create') {
      const email = String(v['owner-email']);
      const created = await createTenant(admin, {
        name: String(v.name),
        slug: v.slug as string | undefined,
        owner: { email, name: (v['owner-name'] as string | undefined) ?? email.split('@')[0] ?? email },
        defaults: v.workspace === undefined ? undefined : { workspace: { name: String(v.workspace) } },
      });
      if (json) process.stdout.write(`${JSON.stringify(created)}\n`);
      print(`created tenant ${created.tenantId} (slug ${created.slug})`);
      print(
        `owner user ${created.ownerUserId} (${created.ownerCreated ? 'created' : 'existing user, found by email'}), membership role owner`,
      );
      if (created.workspaceId) print(`workspace ${created.workspaceId}`);
    } else if (command === 'export') {
      const result = await exportTenant(admin, String(v.tenant), {
        out: callerPath(String(v.out)),
        format: (v.format as 'jsonl' | 'per-table' | undefined) ?? 'jsonl',
        batchSize: v['batch-size'] === undefined ? undefined : Number(v['batch-size']),
        onTable: (table, rows) => print(`  ${table}: ${rows} rows`),
      });
      if (json) process.stdout.write(`${JSON.stringify({ ...result, memory: memoryFigures() })}\n`);
      print(`exported tenant ${result.tenantId}: ${result.totalRows} rows (${result.format}) to ${result.path}`);
      print(`memory: ${memory()}`);
    } else {
      const result = await eraseTenant(admin, String(v.tenant), { confirm: String(v.confirm) });
      if (json) process.stdout.write(`${JSON.stringify({ ...result, memory: memoryFigures() })}\n`);
      for (const [table, rows] of Object.entries(result.deleted)) print(`  deleted ${table}: ${rows} rows`);
      print(`erased tenant ${result.tenantId}: ${result.totalRows} rows at ${result.erasedAt.toISOString()}`);
      print(
        `verified on the admin role: ${Object.entries(result.remaining)
          .map(([table, n]) => `${table} ${n}`)
          .join(', ')} rows remain`,
      );
      print(`memory: ${memory()}`);
    }
  } finally {
    await admin.$disconnect();
    await db.release();
  }
}

runMain(async () => {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`${error.message}\n${USAGE}\n`);
    return 2;
  }
  await run(parsed.command, parsed.values);
  return 0;
});
