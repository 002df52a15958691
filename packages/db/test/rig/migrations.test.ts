/**
 * Prisma Migrate owns the DDL, and it really runs here, offline: the test rig's template database
 * holds exactly the `_prisma_migrations` rows `prisma migrate deploy` writes, schema.prisma and the
 * committed migrations do not drift, and `pnpm db:migrate` turns a schema change into a new
 * migration.
 */
import { execFile } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { cp, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { checkDrift } from '@tenantry/prisma/migrate';

const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const migrationsDir = path.join(packageRoot, 'prisma', 'migrations');
const schemaPath = path.join(packageRoot, 'prisma', 'schema.prisma');
const rig = inject('rig');
const url = (database: string) => Object.assign(new URL(rig.superuserUrl), { pathname: `/${database}` }).toString();
const scratch: string[] = [];

afterAll(async () => {
  const client = new pg.Client({ connectionString: rig.superuserUrl });
  await client.connect();
  for (const name of scratch) await client.query(`drop database if exists "${name}" with (force)`);
  await client.end();
});

async function committedMigrations(): Promise<Array<{ name: string; checksum: string }>> {
  const entries = (await readdir(migrationsDir, { withFileTypes: true }))
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  return Promise.all(
    entries.map(async (name) => ({
      name,
      checksum: createHash('sha256')
        .update(await readFile(path.join(migrationsDir, name, 'migration.sql')))
        .digest('hex'),
    })),
  );
}

describe('migrations', () => {
  it('the migrated template holds exactly the rows prisma migrate deploy writes', async () => {
    const client = new pg.Client({ connectionString: url(rig.template) });
    await client.connect();
    try {
      const { rows } = await client.query(
        `select migration_name as name, checksum, finished_at is not null as finished, rolled_back_at, applied_steps_count, logs
           from _prisma_migrations order by migration_name`,
      );
      const expected = await committedMigrations();
      expect(expected.length).toBeGreaterThanOrEqual(2);
      expect(rows).toEqual(
        expected.map((m) => ({
          name: m.name,
          checksum: m.checksum,
          finished: true,
          rolled_back_at: null,
          applied_steps_count: 1,
          logs: null,
        })),
      );
    } finally {
      await client.end();
    }
  });

  it('schema.prisma and the committed migrations do not drift', async () => {
    const report = await checkDrift({ url: rig.superuserUrl, schemaPath, migrationsDir });
    expect(report.script).toBe('');
  });

  it('a schema change without a migration is reported as drift', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'tenantry-drift-test-'));
    try {
      const schema = (await readFile(schemaPath, 'utf8')).replace(
        /model Tenant \{\n/,
        'model Tenant {\n  plan        String       @default("free")\n',
      );
      const changed = path.join(dir, 'schema.prisma');
      await writeFile(changed, schema);
      const report = await checkDrift({ url: rig.superuserUrl, schemaPath: changed, migrationsDir });
      expect(report.script).toMatch(/ALTER TABLE "tenants" ADD COLUMN\s+"plan" TEXT NOT NULL DEFAULT 'free'/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('pnpm db:migrate (migrate dev) creates and applies a new migration for a schema change', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'tenantry-dev-test-'));
    const database = `${rig.prefix}_dev_${randomUUID().slice(0, 8)}`;
    scratch.push(database);
    try {
      await cp(migrationsDir, path.join(dir, 'migrations'), { recursive: true });
      const schema = (await readFile(schemaPath, 'utf8')).replace(
        /model Tenant \{\n/,
        'model Tenant {\n  plan        String?\n',
      );
      await writeFile(path.join(dir, 'schema.prisma'), schema);
      const { stdout } = await promisify(execFile)(
        'pnpm',
        [
          '-s',
          'db:migrate',
          '--name',
          'add_plan',
          '--url',
          url(database),
          '--schema',
          path.join(dir, 'schema.prisma'),
          '--migrations',
          path.join(dir, 'migrations'),
        ],
        { cwd: packageRoot, env: { ...process.env, DIRECT_URL: '' } },
      );
      const created = (await readdir(path.join(dir, 'migrations'))).filter((n) => n.endsWith('_add_plan'));
      expect(created, stdout).toHaveLength(1);
      const sql = await readFile(path.join(dir, 'migrations', created[0]!, 'migration.sql'), 'utf8');
      expect(sql).toContain('ALTER TABLE "tenants" ADD COLUMN     "plan" TEXT;');
      const client = new pg.Client({ connectionString: url(database) });
      await client.connect();
      try {
        const { rows } = await client.query('select migration_name, checksum from _prisma_migrations order by 1');
        // By name, as Prisma orders them: a committed migration may be dated after this machine's
        // clock (the new one is named for now), so the new one need not sort last.
        expect(rows.map((r) => r.migration_name)).toEqual(
          [...(await committedMigrations()).map((m) => m.name), created[0]].sort(),
        );
        expect(rows.find((r) => r.migration_name === created[0])?.checksum).toBe(
          createHash('sha256').update(sql).digest('hex'),
        );
      } finally {
        await client.end();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
