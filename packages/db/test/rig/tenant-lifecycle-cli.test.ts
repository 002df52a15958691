/**
 * `pnpm tenant:create | tenant:export | tenant:erase` end to end: the script spawned as pnpm runs it
 * (node + tsx in packages/db, DATABASE_ADMIN_URL in the environment) on a database seeded with the
 * demo data. Bad arguments exit 2 with the usage before any connection; refused operations exit 1
 * with the error's sentence and write nothing. Admin-role work only (no pooled route to vary), so it runs once, in the unit project (test/rig).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO, loadDemoData } from '../../src/testing/index.js';
import { useTestDatabase, type TestDatabase } from '../support/test-database.js';

const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const [acme, globex] = DEMO.tenants;

let db: TestDatabase;
let dir: string;

function cli(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/tenant-lifecycle.ts', ...args], {
    cwd: packageDir,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      DATABASE_ADMIN_URL: db.adminUrl,
      TENANTRY_DOTENV: 'off',
      ...env,
    },
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out, err }));
  });
}

async function tableCounts(): Promise<Record<string, number>> {
  const pool = db.pgPool('superuser');
  const counts: Record<string, number> = {};
  for (const table of ['tenants', 'users', 'memberships', 'invitations', 'workspaces', 'projects', 'tasks']) {
    counts[table] = (await pool.query(`select count(*)::int as n from ${table}`)).rows[0].n;
  }
  return counts;
}

// Each spawn starts node, tsx and Prisma (~2 s idle, far more on a busy machine): generous timeouts.
describe('pnpm tenant:create | export | erase', { timeout: 240_000 }, () => {
  beforeAll(async () => {
    db = await useTestDatabase();
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tenantry-lifecycle-cli-'));
    await loadDemoData(db.admin(), { mode: 'fill' });
  });
  afterAll(async () => {
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  it('bad arguments exit 2 with the usage and touch nothing', async () => {
    const before = await tableCounts();
    const cases: Array<[string[], RegExp]> = [
      [[], /command is missing or unknown/],
      [['purge'], /command is missing or unknown/],
      [['create', '--name', 'X'], /--owner-email is missing/],
      [['create', '--owner-email', 'x@example.test', '--nmae', 'typo'], /Unknown option '--nmae'/],
      [['export', '--tenant', acme.id], /--out is missing/],
      [['export', '--tenant', acme.id, '--out', dir, '--format', 'csv'], /--format is not 'jsonl' or 'per-table'/],
      [['export', '--tenant', acme.id, '--out', dir, '--batch-size', 'many'], /--batch-size is not a whole number/],
      [['erase', '--tenant', acme.id], /--confirm is missing/],
      [['erase', '--tenant', acme.id, '--confirm'], /argument missing/],
      [['erase', '--tenant', acme.id, '--confirm', acme.slug, 'extra'], /Unexpected argument 'extra'/],
    ];
    const runs = await Promise.all(
      cases.map(([args]) => cli(args, { DATABASE_ADMIN_URL: 'postgres://nobody@127.0.0.1:1/none' })),
    );
    for (const [i, [args, message]] of cases.entries()) {
      const run = runs[i]!;
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.err, args.join(' ')).toMatch(message);
      expect(run.err).toContain('Usage:');
      expect(run.out).toBe(''); // not even the database banner: nothing was resolved
    }
    expect(await tableCounts()).toEqual(before);
  });

  it('tenant:create prints the ids it created', async () => {
    const run = await cli(['create', '--name', 'Initech', '--owner-email', 'Peter@Initech.test', '--workspace', 'TPS']);
    expect(run.code, run.err).toBe(0);
    expect(run.out).toMatch(/^\[db\] using DATABASE_ADMIN_URL from the environment/);
    const tenantId = /created tenant ([0-9a-f-]{36}) \(slug initech\)/.exec(run.out)?.[1];
    const userId = /owner user ([0-9a-f-]{36}) \(created\)/.exec(run.out)?.[1];
    const workspaceId = /workspace ([0-9a-f-]{36})/.exec(run.out)?.[1];
    expect([tenantId, userId, workspaceId].every(Boolean), run.out).toBe(true);
    const admin = db.admin();
    expect(
      await admin.membership.findUnique({ where: { tenantId_userId: { tenantId: tenantId!, userId: userId! } } }),
    ).toMatchObject({
      role: 'owner',
    });
    expect(await admin.user.findUnique({ where: { id: userId! }, select: { email: true, name: true } })).toEqual({
      email: 'peter@initech.test',
      name: 'Peter',
    });
    expect(await admin.workspace.count({ where: { tenantId: tenantId!, id: workspaceId! } })).toBe(1);

    const again = await cli(['create', '--name', 'Initech', '--owner-email', 'other@initech.test']);
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/^Cannot create the tenant because its slug is already taken/);
    const invalid = await cli(['create', '--name', 'Fine', '--owner-email', 'not an email']);
    expect(invalid.code).toBe(1);
    expect(invalid.err).toMatch(/^Cannot create the tenant because owner\.email is not an email address/);
    expect(invalid.err).not.toContain('not an email\n');
  });

  it('tenant:export writes the file, prints the counts, and refuses what it cannot do', async () => {
    const run = await cli(['export', '--tenant', acme.id, '--out', dir]);
    expect(run.code, run.err).toBe(0);
    const file = path.join(dir, `tenant-${acme.id}.jsonl`);
    expect(run.out).toContain(`to ${file}`);
    expect(run.out).toMatch(/ {2}tasks: \d+ rows/);
    expect(run.out).toMatch(/memory: peak RSS [\d.]+ MB/);
    const text = await fs.readFile(file, 'utf8');
    const total = Number(/exported tenant \S+: (\d+) rows/.exec(run.out)?.[1]);
    expect(text.trimEnd().split('\n')).toHaveLength(total + 2);
    expect(text).not.toContain(globex.id);
    // Carol belongs to both demo tenants: her user row is in Acme's export; Bob (Globex only) is not.
    expect(text).toContain('carol@both.test');
    expect(text).not.toContain('bob@globex.test');

    // Relative --out means the caller's folder (pnpm runs the script in packages/db; INIT_CWD is where you were).
    const tables = await cli(['export', '--tenant', acme.id, '--out', 'acme-tables', '--format', 'per-table'], {
      INIT_CWD: dir,
    });
    expect(tables.code, tables.err).toBe(0);
    expect((await fs.readdir(path.join(dir, 'acme-tables'))).sort()).toContain('manifest.json');

    const exists = await cli(['export', '--tenant', acme.id, '--out', file]);
    expect(exists.code).toBe(1);
    expect(exists.err).toMatch(/already exists, and an export never overwrites a file/);
    const badId = await cli(['export', '--tenant', 'acme', '--out', dir]);
    expect(badId.code).toBe(1);
    expect(badId.err).toMatch(/^Cannot export the tenant because tenantId is not a UUID/);
    const unknown = await cli([
      'export',
      '--tenant',
      '00000000-0000-4000-8000-00000000ffff',
      '--out',
      path.join(dir, 'x.jsonl'),
    ]);
    expect(unknown.code).toBe(1);
    expect(unknown.err).toMatch(/^Cannot export the tenant because no tenant has this id/);
  });

  it('tenant:erase refuses a wrong confirmation, then erases with the slug and prints the verification', async () => {
    const before = await tableCounts();
    const wrong = await cli(['erase', '--tenant', acme.id, '--confirm', globex.slug]);
    expect(wrong.code).toBe(1);
    expect(wrong.err).toMatch(/^Cannot erase the tenant because the confirmation is neither its id nor its slug/);
    expect(wrong.err).not.toContain(globex.slug);
    expect(wrong.err).not.toContain(acme.slug);
    expect(await tableCounts()).toEqual(before);

    const globexBefore = await cli(['export', '--tenant', globex.id, '--out', path.join(dir, 'globex-before.jsonl')]);
    expect(globexBefore.code, globexBefore.err).toBe(0);
    const run = await cli(['erase', '--tenant', acme.id, '--confirm', acme.slug]);
    expect(run.code, run.err).toBe(0);
    expect(run.out).toMatch(/ {2}deleted tasks: \d+ rows/);
    expect(run.out).toMatch(/erased tenant \S+: \d+ rows at \d{4}-\d\d-\d\dT/);
    expect(run.out).toMatch(/verified on the admin role: (\w+ 0, )+tenants 0, audit_events 0 rows remain/);
    const left = await db.pgPool('superuser').query(
      `select (select count(*) from tasks where tenant_id = $1) + (select count(*) from projects where tenant_id = $1) +
                (select count(*) from workspaces where tenant_id = $1) + (select count(*) from memberships where tenant_id = $1) +
                (select count(*) from invitations where tenant_id = $1) + (select count(*) from tenants where id = $1) as n`,
      [acme.id],
    );
    expect(Number(left.rows[0].n)).toBe(0);
    const globexAfter = await cli(['export', '--tenant', globex.id, '--out', path.join(dir, 'globex-after.jsonl')]);
    expect(globexAfter.code, globexAfter.err).toBe(0);
    expect(
      (await fs.readFile(path.join(dir, 'globex-after.jsonl'))).equals(
        await fs.readFile(path.join(dir, 'globex-before.jsonl')),
      ),
    ).toBe(true);
    const again = await cli(['erase', '--tenant', acme.id, '--confirm', acme.id]);
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/^Cannot erase the tenant because no tenant has this id/);
  });
});
