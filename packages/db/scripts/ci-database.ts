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
import { provisionTestRig } from '../src/testing/index.js';

async function main(name: string): Promise<void> {
  if (!/^[a-z_][a-z0-9_]*$/.test(name))
    throw new Error(`Cannot create database "${name}" because it is not a lower-case SQL identifier.`);
  // Checked before provisioning: a throwaway (testcontainers, embedded) server would stop when this
  // script exits, and with it the database CI is about to use.
  if (!process.env.TEST_DATABASE_URL) {
    throw new Error(
      'Cannot provision a CI database because TEST_DATABASE_URL is not set: a throwaway server would stop when this script exits. Set TEST_DATABASE_URL to a superuser URL.',
    );
  }
  // keepDatabases: the database outlives this script (CI runs pg_prove and db:check on it); no
  // PgBouncer. stop() then only lets go of the env server, which it never started.
  const rig = await provisionTestRig({
    purpose: 'the CI database',
    source: 'env',
    database: name,
    keepDatabases: true,
    log: (m) => process.stderr.write(`${m}\n`),
  });
  const url = rig.url('superuser');
  try {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const { rowCount } = await client.query(`select 1 from pg_available_extensions where name = 'pgtap'`);
      if (rowCount) await client.query('create extension if not exists pgtap');
      else
        process.stderr.write(
          'pgtap is not installed on this server; pg_prove cannot run here (apt-get install postgresql-15-pgtap).\n',
        );
    } finally {
      await client.end();
    }
  } finally {
    await rig.stop();
  }
  process.stdout.write(`${url}\n`);
}

main(process.argv[2] ?? 'tenantry_ci').catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
