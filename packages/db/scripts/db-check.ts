// `pnpm db:check`: a live RLS audit of a database. Prints a table and exits 1 on any failure.
//
//   tsx scripts/db-check.ts [--url <postgres url>] [--runtime-role <role>] [--schema <name> ...]
//
// --url defaults to DIRECT_URL, then DATABASE_URL (environment or .env), else the dev database
// (src/testing/dev-env.ts; the first line printed says which); any role that can connect can read
// the catalogs. --runtime-role defaults to TENANTRY_RUNTIME_ROLE,
// then tenantry_app. --schema defaults to public.
import { parseArgs } from 'node:util';
import pg from 'pg';
import { resolveDatabase } from '../src/testing/dev-env.js';
import { auditDatabase } from './check/audit.js';
import { formatReport } from './check/report.js';
import { runMain } from './migrate/cli.js';

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
  const db = await resolveDatabase({ need: 'DIRECT_URL', orElse: ['DATABASE_URL'], action: 'audit the database', flagUrl: values.url });
  process.stdout.write(`${db.banner}\n`);
  try {
    return await audit(db.urls.DIRECT_URL ?? db.urls.DATABASE_URL!, values);
  } finally {
    await db.release();
  }
}

async function audit(url: string, values: { 'runtime-role'?: string; schema?: string[] }): Promise<number> {
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

runMain(() => main(process.argv.slice(2)), 2);
