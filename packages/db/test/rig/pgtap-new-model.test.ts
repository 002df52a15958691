/**
 * Adding a model adds its pgTAP assertions, and nobody edits a count: on a temporary copy of the
 * schema and migrations, a tenant-wide model (labels) and a workspace-scoped one (notes) are added,
 * `pnpm db:migrate` migrates a copy of the migrated template (appending their RLS), `pnpm db:pgtap`
 * regenerates the file, and pg_prove passes over it and the hand-written files with more assertions
 * than before. Then the committed file is stale for that schema (--check fails), and a dropped
 * policy, a policy TO PUBLIC, a per-row setting and a missing workspace clause each fail pg_prove
 * naming the table.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { restrictDatabasePrivileges } from '../../src/testing/index.js';

const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const testsDir = path.resolve(packageRoot, '../../supabase/tests/database');
const GENERATED = '00-schema-policies.generated.test.sql';
const rig = inject('rig');
const url = (database: string) => Object.assign(new URL(rig.superuserUrl), { pathname: `/${database}` }).toString();
const suffix = randomUUID().slice(0, 8);
const [before, after] = [`${rig.prefix}_pgtap0_${suffix}`, `${rig.prefix}_pgtap1_${suffix}`];
const run = promisify(execFile);

const TENANT = `@default(dbgenerated("(NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::uuid")) @map("tenant_id") @db.Uuid`;
const WORKSPACE = `@default(dbgenerated("(NULLIF(current_setting('app.workspace_id'::text, true), ''::text))::uuid")) @map("workspace_id") @db.Uuid`;
const NEW_MODELS = `
model Label {
  tenantId String ${TENANT}
  id       String @default(uuid()) @db.Uuid
  name     String

  @@id([tenantId, id])
  @@unique([tenantId, name])
  @@map("labels")
}

model Note {
  tenantId    String ${TENANT}
  workspaceId String ${WORKSPACE}
  id          String @default(uuid()) @db.Uuid
  body        String

  @@id([tenantId, id])
  @@index([tenantId, workspaceId])
  @@map("notes")
}
`;

let dir: string;
let handWritten: string[];

async function superuser<T>(database: string | undefined, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: database ? url(database) : rig.superuserUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** A copy of the migrated template, with the privileges a copy loses and pgTAP. */
async function migratedCopy(name: string): Promise<void> {
  await superuser(undefined, async (c) => {
    await c.query(`create database "${name}" template "${rig.template}" owner tenantry_owner`);
    await restrictDatabasePrivileges(c, name);
  });
  await superuser(name, async (c) => {
    const { rowCount } = await c.query(`select 1 from pg_available_extensions where name = 'pgtap'`);
    if (!rowCount)
      throw new Error(
        'Cannot run the pgTAP tests because the server has no pgtap extension. Install it: apt-get install postgresql-15-pgtap libtap-parser-sourcehandler-pgtap-perl',
      );
  });
}

const pnpm = (args: string[]) =>
  run('pnpm', ['-s', ...args], {
    cwd: packageRoot,
    env: { ...process.env, DIRECT_URL: '', TENANTRY_RUNTIME_ROLE: '' },
  }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({ ...error }),
  );

interface Prove {
  code: number;
  output: string;
  tests: number;
}

/** pg_prove over `files` on `database`; `tests` from its "Files=N, Tests=N" summary. */
async function prove(database: string, files: string[]): Promise<Prove> {
  // pgTAP goes in only now: the migrations (and Prisma's drift check) see the database without it.
  await superuser(database, (c) => c.query('create extension if not exists pgtap'));
  const result = await run('pg_prove', ['-v', '-d', url(database), ...files]).then(
    ({ stdout, stderr }) => ({ code: 0, output: `${stdout}${stderr}` }),
    (error: { code: number; stdout: string; stderr: string }) => ({
      code: error.code,
      output: `${error.stdout}${error.stderr}`,
    }),
  );
  const summary = /Files=(\d+), Tests=(\d+)/.exec(result.output);
  expect(summary, result.output).not.toBeNull();
  return { ...result, tests: Number(summary![2]) };
}

beforeAll(async () => {
  const pgProve = ['/usr/bin/pg_prove', '/usr/local/bin/pg_prove'].find((p) => existsSync(p));
  if (!pgProve && (await run('pg_prove', ['--version']).catch(() => undefined)) === undefined) {
    throw new Error(
      'Cannot run the pgTAP tests because pg_prove is not installed. Install it: apt-get install postgresql-15-pgtap libtap-parser-sourcehandler-pgtap-perl',
    );
  }
  dir = await mkdtemp(path.join(os.tmpdir(), 'tenantry-pgtap-model-'));
  await cp(path.join(packageRoot, 'prisma', 'migrations'), path.join(dir, 'migrations'), { recursive: true });
  const schema = await readFile(path.join(packageRoot, 'prisma', 'schema.prisma'), 'utf8');
  await writeFile(path.join(dir, 'schema.prisma'), `${schema}${NEW_MODELS}`);
  await Promise.all([mkdir(path.join(dir, 'before')), mkdir(path.join(dir, 'after'))]);
  handWritten = (await readdir(testsDir))
    .filter((f) => f.endsWith('.test.sql') && f !== GENERATED)
    .sort()
    .map((f) => path.join(testsDir, f));
  await Promise.all([migratedCopy(before), migratedCopy(after)]);
}, 180_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  await superuser(undefined, async (c) => {
    for (const name of [before, after]) await c.query(`drop database if exists "${name}" with (force)`);
  });
});

describe('pgTAP after adding a model', () => {
  let baseline: Prove;
  let added: Prove;
  let generated: string;

  beforeAll(async () => {
    const original = await pnpm(['db:pgtap', '--out', path.join(dir, 'before', GENERATED)]);
    expect(original.code, original.stderr).toBe(0);
    baseline = await prove(before, [path.join(dir, 'before', GENERATED), ...handWritten]);

    const migrate = await pnpm([
      'db:migrate',
      '--force',
      '--name',
      'add_labels_and_notes',
      '--url',
      url(after),
      '--schema',
      path.join(dir, 'schema.prisma'),
      '--migrations',
      path.join(dir, 'migrations'),
    ]);
    expect(migrate.code, `${migrate.stdout}${migrate.stderr}`).toBe(0);
    expect(migrate.stdout).toContain('for labels, notes to');
    const regenerate = await pnpm([
      'db:pgtap',
      '--schema',
      path.join(dir, 'schema.prisma'),
      '--out',
      path.join(dir, 'after', GENERATED),
    ]);
    expect(regenerate.code, regenerate.stderr).toBe(0);
    generated = await readFile(path.join(dir, 'after', GENERATED), 'utf8');
    added = await prove(after, [path.join(dir, 'after', GENERATED), ...handWritten]);
  }, 300_000);

  it('passes before the model, on the committed migrations', () => {
    expect(baseline.code, baseline.output).toBe(0);
    expect(baseline.output).toContain('All tests successful.');
  });

  it('passes after it with more assertions: the new tables get theirs, the hand-written files are untouched', () => {
    expect(added.code, added.output).toBe(0);
    // The figures, for the run's log: pg_prove's own summary lines before and after the model.
    console.log(
      `[pgtap] without the models: ${/Files=\d+, Tests=\d+/.exec(baseline.output)?.[0]}; with labels and notes: ${/Files=\d+, Tests=\d+/.exec(added.output)?.[0]}`,
    );
    expect(added.tests).toBeGreaterThan(baseline.tests);
    // A tenant-wide table gets 12 assertions, a workspace-scoped one 14 (its column and its clause).
    expect(added.tests - baseline.tests).toBe(12 + 14);
    expect(added.output).toMatch(/ok \d+ - public\.labels has a permissive DELETE policy for tenantry_app/);
    expect(added.output).toMatch(/ok \d+ - every policy of public\.notes for tenantry_app has the workspace clause/);
    expect(generated).toContain(
      'Tenant tables: public.audit_events, public.invitations, public.labels, public.memberships, public.notes,',
    );
  });

  it('the committed file is stale for the new schema: db:pgtap --check fails naming it', async () => {
    const check = await pnpm(['db:pgtap', '--check', '--schema', path.join(dir, 'schema.prisma')]);
    expect(check.code).toBe(1);
    expect(check.stderr).toContain(`${GENERATED} is stale`);
  });

  it('fails naming the table when a policy is dropped, made TO PUBLIC, or reads a setting per row', async () => {
    const file = [path.join(dir, 'after', GENERATED)];
    await superuser(after, (c) =>
      c.query('drop policy "tenant deletes only its own labels outside a workspace" on labels'),
    );
    const dropped = await prove(after, file);
    expect(dropped.code, dropped.output).not.toBe(0);
    expect(dropped.output).toMatch(/not ok \d+ - public\.labels has a permissive DELETE policy for tenantry_app/);
    expect(dropped.output.match(/^not ok/gm)).toHaveLength(1);

    await superuser(after, (c) =>
      c.query(`create policy "tenant deletes only its own labels" on labels for delete to public
                 using (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)`),
    );
    const open = await prove(after, file);
    expect(open.code, open.output).not.toBe(0);
    for (const rule of [
      'public.labels has a permissive DELETE policy for tenantry_app',
      'every policy of public.labels applies to tenantry_app only',
      'every policy of public.labels reads the request settings inside \\(SELECT \\.\\.\\.\\)',
    ])
      expect(open.output).toMatch(new RegExp(`not ok \\d+ - ${rule}`));
    expect(open.output).toContain('tenant deletes only its own labels'); // is_empty prints the offending policy
  });

  it('fails naming the table when a policy of a workspace-scoped table lacks the workspace clause', async () => {
    await superuser(after, (c) =>
      c.query(`drop policy "tenant reads only its own notes in the active workspace" on notes;
               create policy "tenant reads only its own notes" on notes for select to tenantry_app
                 using (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid))`),
    );
    const result = await prove(after, [path.join(dir, 'after', GENERATED)]);
    expect(result.code, result.output).not.toBe(0);
    expect(result.output).toMatch(
      /not ok \d+ - every policy of public\.notes for tenantry_app has the workspace clause/,
    );
    expect(result.output).toContain('tenant reads only its own notes');
  });
});
