/**
 * The pgTAP files on a database that looks like Supabase's (test/support/supabase-auth-schema.ts: the
 * auth schema, auth.users, supabase_auth_admin and the API roles, installed before migrating), where
 * the auth bridge migration adds policies for supabase_auth_admin on users and memberships: pg_prove
 * passes, so those two are allowed there; the same role's policy on any other tenant table fails
 * naming it; and `db:check` passes too (the bridge revokes what Supabase's defaults grant anon).
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  ROLES,
  attachTestRig,
  createOwnedDatabase,
  dropDatabases,
  migrateDeploy,
  roleUrl,
} from '../../src/testing/index.js';
import { installSupabaseAuthSchema } from '../support/supabase-auth-schema.js';

const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const testsDir = path.resolve(packageRoot, '../../supabase/tests/database');
const rig = attachTestRig(inject('rig'));
const name = `${rig.info.prefix}_pgtapsb_${randomUUID().slice(0, 8)}`;
const run = promisify(execFile);
let url: string;
let files: string[];

async function superuser<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function prove(): Promise<{ code: number; output: string }> {
  return run('pg_prove', ['-v', '-d', url, ...files]).then(
    ({ stdout, stderr }) => ({ code: 0, output: `${stdout}${stderr}` }),
    (error: { code?: number | string; stdout?: string; stderr?: string }) => {
      if (error.code === 'ENOENT')
        throw new Error(
          'Cannot run the pgTAP tests because pg_prove is not installed. Install it: apt-get install postgresql-15-pgtap libtap-parser-sourcehandler-pgtap-perl',
        );
      return { code: Number(error.code), output: `${error.stdout}${error.stderr}` };
    },
  );
}

beforeAll(async () => {
  await createOwnedDatabase(rig.server, name, { replace: true });
  url = rig.server.superuserUrl(name);
  await installSupabaseAuthSchema(rig.info.superuserUrl, url);
  await migrateDeploy({ url: roleUrl(rig.server, ROLES.owner, name) });
  await superuser(async (c) => {
    const { rowCount } = await c.query(`select 1 from pg_available_extensions where name = 'pgtap'`);
    if (!rowCount)
      throw new Error(
        'Cannot run the pgTAP tests because the server has no pgtap extension. Install it: apt-get install postgresql-15-pgtap libtap-parser-sourcehandler-pgtap-perl',
      );
    await c.query('create extension pgtap');
  });
  files = (await readdir(testsDir))
    .filter((f) => f.endsWith('.test.sql'))
    .sort()
    .map((f) => path.join(testsDir, f));
}, 180_000);

afterAll(async () => {
  await dropDatabases(rig.server, [name]);
});

describe('pgTAP on a Supabase-shaped database', () => {
  it('the bridge added policies for supabase_auth_admin on users and memberships, and every file passes', async () => {
    const { rows } = await superuser((c) =>
      c.query<{ table: string }>(
        `select polrelid::regclass::text as table from pg_policy
          where polroles = array[(select oid from pg_roles where rolname = 'supabase_auth_admin')] order by 1`,
      ),
    );
    expect(rows.map((r) => r.table)).toEqual(['memberships', 'users']);
    const result = await prove();
    expect(result.code, result.output).toBe(0);
    expect(result.output).toMatch(
      /ok \d+ - every policy of public\.memberships applies to tenantry_app only \(or, on Supabase, to supabase_auth_admin only\)/,
    );
  });

  it('db:check passes on it, anon grants included', async () => {
    const { stdout } = await run('pnpm', ['-s', 'db:check', '--url', url], {
      cwd: packageRoot,
      env: { ...process.env, DIRECT_URL: '', DATABASE_URL: '' },
    });
    expect(stdout).toMatch(/public\.memberships +- +ok +ok\n/);
    expect(stdout).toMatch(/All \d+ checks passed\./);
  });

  it('a supabase_auth_admin policy anywhere else fails naming the table and the policy', async () => {
    await superuser((c) =>
      c.query(
        `create policy "supabase auth reads projects" on projects for select to supabase_auth_admin using (true)`,
      ),
    );
    const result = await prove();
    expect(result.code, result.output).not.toBe(0);
    expect(result.output).toMatch(/not ok \d+ - every policy of public\.projects applies to tenantry_app only/);
    expect(result.output).toContain('supabase auth reads projects');
    // And 01's exact list of projects' policies.
    expect(result.output.match(/^not ok.*/gm)).toEqual([
      expect.stringMatching(/every policy of public\.projects applies to tenantry_app only/),
      expect.stringMatching(/projects has one policy per command/),
    ]);
  });
});
