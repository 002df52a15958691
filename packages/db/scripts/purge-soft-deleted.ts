// `pnpm tenant:purge --tenant <uuid> --before <ISO date>`: deletes for good one tenant's rows that were
// soft-deleted before the cutoff (docs/soft-delete.md), per soft-deletable model, children first, and
// prints the counts. It runs on the admin client: purging crosses the RLS boundary by design (I8), so
// the tenant and the cutoff are required, never defaulted. DATABASE_ADMIN_URL from the environment or
// .env, else the dev database (src/testing/dev-env.ts); the first line printed says which. Bad
// arguments exit 2 with the usage, before any connection; a refused or failed purge exits 1 with the
// error's sentence; --json prints the result as JSON.
import { parseArgs } from 'node:util';
import { runMain } from '@tenantry/prisma/cli';
import { purgeSoftDeleted } from '@tenantry/prisma/admin';
import { createAdminPrismaClient } from '../src/admin.js';
import { resolveDatabase } from '../src/testing/dev-env.js';

const USAGE = `Usage:
  pnpm tenant:purge --tenant <uuid> --before <ISO date, e.g. 2026-11-01 or 2026-11-01T00:00:00Z> [--json]`;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

class UsageError extends Error {
  override name = 'UsageError';
}

interface PurgeArgs {
  tenantId: string;
  before: Date;
  json: boolean;
}

function parse(argv: string[]): PurgeArgs {
  // `pnpm tenant:purge -- --tenant ...` passes the `--` through.
  const args = argv[0] === '--' ? argv.slice(1) : argv;
  let values: { tenant?: string; before?: string; json?: boolean };
  try {
    values = parseArgs({
      args,
      options: { tenant: { type: 'string' }, before: { type: 'string' }, json: { type: 'boolean' } },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    throw new UsageError(`Cannot run tenant:purge because ${(error as Error).message.replace(/\.$/, '')}.`);
  }
  const missing = (['tenant', 'before'] as const).filter((k) => !values[k]);
  if (missing.length > 0)
    throw new UsageError(
      `Cannot run tenant:purge because ${missing.map((k) => `--${k}`).join(' and ')} ${missing.length > 1 ? 'are' : 'is'} missing.`,
    );
  if (!UUID.test(values.tenant!)) throw new UsageError('Cannot run tenant:purge because --tenant is not a UUID.');
  const before = new Date(values.before!);
  if (!ISO_DATE.test(values.before!) || Number.isNaN(before.getTime()))
    throw new UsageError('Cannot run tenant:purge because --before is not an ISO date (e.g. 2026-11-01T00:00:00Z).');
  if (before.getTime() > Date.now())
    throw new UsageError('Cannot run tenant:purge because --before is in the future: only rows deleted before it go.');
  return { tenantId: values.tenant!.toLowerCase(), before, json: values.json === true };
}

async function run(args: PurgeArgs): Promise<void> {
  const db = await resolveDatabase({ need: 'DATABASE_ADMIN_URL', action: 'run tenant:purge' });
  process.stdout.write(`${db.banner}\n`);
  const admin = createAdminPrismaClient({ connectionString: db.urls.DATABASE_ADMIN_URL!, poolSize: 1 });
  try {
    const result = await purgeSoftDeleted({ client: admin, tenantId: args.tenantId, before: args.before });
    if (args.json) {
      process.stdout.write(`${JSON.stringify(result)}\n`);
      return;
    }
    const models = Object.entries(result.deleted);
    if (models.length === 0)
      process.stdout.write('  this schema has no soft-deletable tenant model (deletedAt DateTime?)\n');
    for (const [model, count] of models) process.stdout.write(`  purged ${model}: ${count} rows\n`);
    process.stdout.write(
      `purged tenant ${result.tenantId}: ${result.total} rows soft-deleted before ${result.before.toISOString()}\n`,
    );
  } finally {
    await admin.$disconnect();
    await db.release();
  }
}

runMain(async () => {
  let args: PurgeArgs;
  try {
    args = parse(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`${error.message}\n${USAGE}\n`);
    return 2;
  }
  await run(args);
  return 0;
});
