// Provisions a migrated database for CI's database-level checks (pgTAP with pg_prove, `pnpm
// db:check`) and prints its superuser URL on stdout:
//
//   url=$(pnpm -s --filter @tenantry/db exec tsx scripts/ci-database.ts [name])
//
// The server is the test rig's (TEST_DATABASE_URL → testcontainers → embedded; CI sets the
// first). It creates the Tenantry roles, (re)creates `name` (default tenantry_ci) owned by
// tenantry_owner, applies the committed migrations as the owner, and installs pgTAP there when the
// server has it (CREATE EXTENSION needs the superuser; Debian: postgresql-15-pgtap).
import pg from 'pg';
import { provisionPostgres } from '../src/testing/postgres-server.js';
import { createMigratedDatabase, ensureRoles } from '../src/testing/databases.js';

async function main(name: string): Promise<void> {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`Cannot create database "${name}" because it is not a lower-case SQL identifier.`);
  const server = await provisionPostgres({ source: process.env.TEST_DATABASE_URL ? 'env' : undefined, log: (m) => process.stderr.write(`${m}\n`) });
  if (server.source !== 'env') {
    throw new Error('Cannot provision a CI database because TEST_DATABASE_URL is not set: a throwaway server would stop when this script exits. Set TEST_DATABASE_URL to a superuser URL.');
  }
  await ensureRoles(server);
  await createMigratedDatabase(server, name);
  const client = new pg.Client({ connectionString: server.superuserUrl(name) });
  await client.connect();
  try {
    const { rowCount } = await client.query(`select 1 from pg_available_extensions where name = 'pgtap'`);
    if (rowCount) await client.query('create extension if not exists pgtap');
    else process.stderr.write('pgtap is not installed on this server; pg_prove cannot run here (apt-get install postgresql-15-pgtap).\n');
  } finally {
    await client.end();
  }
  process.stdout.write(`${server.superuserUrl(name)}\n`);
}

main(process.argv[2] ?? 'tenantry_ci').catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
