// `pnpm db:check`: a live RLS audit of a database. Prints a table and exits 1 on any failure.
//
//   tsx scripts/db-check.ts [--url <postgres url>] [--runtime-role <role>] [--schema <name> ...]
//
// --url defaults to DIRECT_URL, then DATABASE_URL (loaded from .env like prisma.config.ts); any
// role that can connect can read the catalogs. --runtime-role defaults to TENANTRY_RUNTIME_ROLE,
// then tenantry_app. --schema defaults to public.
import path from 'node:path';
import { parseArgs } from 'node:util';
import dotenv from 'dotenv';
import pg from 'pg';
import { auditDatabase } from './check/audit.js';
import { formatReport } from './check/report.js';
import { packageRoot } from './migrate/run.js';

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      url: { type: 'string' },
      'runtime-role': { type: 'string' },
      schema: { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write('Usage: tsx scripts/db-check.ts [--url <url>] [--runtime-role <role>] [--schema <name> ...]\n');
    return 0;
  }
  dotenv.config({ path: [path.resolve('.env'), path.join(packageRoot, '.env')], quiet: true });
  const url = values.url ?? (process.env.DIRECT_URL || process.env.DATABASE_URL);
  if (!url) {
    process.stderr.write('Cannot audit the database because neither --url, DIRECT_URL nor DATABASE_URL is set. Pass --url <postgres url>.\n');
    return 2;
  }
  const runtimeRole = values['runtime-role'] ?? (process.env.TENANTRY_RUNTIME_ROLE || 'tenantry_app');
  const schemas = values.schema?.length ? values.schema : ['public'];
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
  } catch (error) {
    process.stderr.write(`Cannot audit the database because connecting failed: ${(error as Error).message}. Check --url / DIRECT_URL.\n`);
    return 2;
  }
  try {
    const findings = await auditDatabase(client, { runtimeRole, schemas });
    const where = new URL(url);
    const header = `Tenantry RLS audit of ${decodeURIComponent(where.pathname.slice(1)) || 'postgres'} on ${where.hostname}:${where.port || 5432} · runtime role ${runtimeRole} · schemas ${schemas.join(', ')}`;
    process.stdout.write(`${formatReport(findings, header)}\n`);
    return findings.every((f) => f.ok) ? 0 : 1;
  } finally {
    await client.end();
  }
}

main(process.argv.slice(2)).then(
  (code) => void (process.exitCode = code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 2;
  },
);
