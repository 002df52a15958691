/**
 * `pnpm db:check`'s Supabase traps, on real copies of the migrated template with Supabase's API roles
 * (anon, authenticated, service_role, created as test/support/supabase.ts creates them): a runtime URL
 * that logs in as a bypassing role (by name, as on Supabase, or by attribute, or through a membership),
 * anon/authenticated privileges no policy covers (Supabase's default ALL), and a policy TO PUBLIC.
 * Each change happens in a throwaway database or on a throwaway role; shared roles are never altered.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { auditDatabase, type Finding, type RuntimeLogin } from '@tenantry/prisma/check';
import { restrictDatabasePrivileges } from '../../src/testing/index.js';
import { installSupabaseAuth } from '../support/supabase.js';

const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const rig = inject('rig');
const url = (database: string) => Object.assign(new URL(rig.superuserUrl), { pathname: `/${database}` }).toString();
const suffix = randomUUID().slice(0, 8);
const scratchDatabases: string[] = [];
const [bypassing, member, other] = ['bypass', 'member', 'other'].map((r) => `${rig.prefix}_${r}_${suffix}`) as [
  string,
  string,
  string,
];
/** A runtime URL's host that does not resolve: the check must look the role up, never connect. */
const runtimeUrl = (user: string) => `postgres://${encodeURIComponent(user)}:secret@runtime.invalid:6543/postgres`;

async function superuser<T>(database: string | undefined, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: database ? url(database) : rig.superuserUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function copy(change = ''): Promise<string> {
  const name = `${rig.prefix}_supa_${randomUUID().slice(0, 8)}`;
  scratchDatabases.push(name);
  await superuser(undefined, async (c) => {
    await c.query(`create database "${name}" template "${rig.template}" owner tenantry_owner`);
    await restrictDatabasePrivileges(c, name);
  });
  await installSupabaseAuth(rig.superuserUrl, url(name));
  if (change) await superuser(name, (c) => c.query(change));
  return name;
}

const audit = (database: string, runtimeLogin?: RuntimeLogin) =>
  superuser(database, (c) =>
    auditDatabase(c, { runtimeRole: 'tenantry_app', schemas: ['public'], ...(runtimeLogin ? { runtimeLogin } : {}) }),
  );
const find = (findings: Finding[], subject: string, check: string) =>
  findings.find((f) => f.subject === subject && f.check === check);
const failures = (findings: Finding[]) => findings.filter((f) => !f.ok).map((f) => `${f.subject} ${f.check}`);

async function cli(database: string, args: string[], env: Record<string, string> = {}) {
  return promisify(execFile)('pnpm', ['-s', 'db:check', '--url', url(database), ...args], {
    cwd: packageRoot,
    env: { ...process.env, DIRECT_URL: '', DATABASE_URL: '', ...env },
  }).then(
    ({ stdout }) => ({ code: 0, stdout }),
    (error: { code: number; stdout: string }) => ({ code: error.code, stdout: error.stdout }),
  );
}

let database: string;

beforeAll(async () => {
  database = await copy();
  await superuser(undefined, async (c) => {
    await c.query(`create role "${bypassing}" login bypassrls`);
    await c.query(`create role "${member}" login nobypassrls`);
    await c.query(`grant service_role to "${member}"`);
    await c.query(`create role "${other}" login nobypassrls`);
  });
});

afterAll(async () => {
  await superuser(undefined, async (c) => {
    for (const name of scratchDatabases) await c.query(`drop database if exists "${name}" with (force)`);
    for (const role of [bypassing, member, other]) await c.query(`drop role if exists "${role}"`);
  });
});

describe('db:check on Supabase: the runtime login', () => {
  it('passes the runtime role, also in the pooler form <role>.<project-ref>, without connecting to it', async () => {
    for (const user of ['tenantry_app', 'tenantry_app.abcdefghijklmnopqrst']) {
      const findings = await audit(database, { user, source: 'DATABASE_URL' });
      expect(find(findings, 'role tenantry_app', 'runtime login'), user).toEqual({
        subject: 'role tenantry_app',
        check: 'runtime login',
        ok: true,
      });
      expect(failures(findings)).toEqual([]);
    }
  });

  it.each([
    ['postgres', /logs in as postgres, a superuser/],
    ['postgres.abcdefghijklmnopqrst', /logs in as postgres, a superuser/],
    ['supabase_admin.abcdefghijklmnopqrst', /logs in as supabase_admin, which Supabase gives BYPASSRLS/],
    ['service_role', /logs in as service_role, a BYPASSRLS role/],
    ['prisma', /logs in as prisma, which Supabase gives BYPASSRLS .*quick-start/],
  ])('fails %s, naming it and the fix', async (user, reason) => {
    const findings = await audit(database, { user, source: 'DATABASE_URL' });
    const finding = find(findings, 'role tenantry_app', 'runtime login');
    expect(finding?.ok).toBe(false);
    expect(finding?.detail).toMatch(reason);
    expect(finding?.detail).toContain(
      "Fix: set DATABASE_URL to the runtime role tenantry_app (on Supabase's pooler the user is tenantry_app.<project-ref>)",
    );
  });

  it('fails a BYPASSRLS role, a member of service_role, an unknown role and another role than the audited one', async () => {
    const detail = async (user: string) =>
      find(await audit(database, { user, source: '--runtime-url' }), 'role tenantry_app', 'runtime login');
    expect((await detail(bypassing))?.detail).toContain(`--runtime-url logs in as ${bypassing}, a BYPASSRLS role`);
    expect((await detail(member))?.detail).toContain(`can SET ROLE to service_role (bypassing RLS)`);
    expect((await detail(`${other}_missing`))?.detail).toContain('no such role exists');
    expect((await detail(other))?.detail).toContain(`but this audit checked tenantry_app`);
    expect((await detail(other))?.detail).toContain(`pass --runtime-role ${other}`);
  });

  it('the CLI reads DATABASE_URL or --runtime-url and exits 1 on a bypassing login; without either its cell is "-"', async () => {
    const fromEnv = await cli(database, [], { DATABASE_URL: runtimeUrl('postgres.abcdefghijklmnopqrst') });
    expect(fromEnv.code, fromEnv.stdout).toBe(1);
    expect(fromEnv.stdout).toMatch(
      /✗ role tenantry_app · runtime login: DATABASE_URL logs in as postgres, a superuser/,
    );
    const fromFlag = await cli(database, ['--runtime-url', runtimeUrl('prisma')]);
    expect(fromFlag.code, fromFlag.stdout).toBe(1);
    expect(fromFlag.stdout).toContain('runtime login: --runtime-url logs in as prisma');
    const fine = await cli(database, ['--runtime-url', runtimeUrl('tenantry_app.abcdefghijklmnopqrst')]);
    expect(fine.code, fine.stdout).toBe(0);
    const none = await cli(database, []);
    expect(none.code, none.stdout).toBe(0);
    expect(none.stdout).toMatch(
      /supabase traps +runtime login +no public policy +anon grants\n[- ]+\npublic\.audit_events +- +ok +ok\npublic\.invitations +- +ok +ok\n/,
    );
    expect(fine.stdout).toMatch(/\ntenantry_app +ok +- +-\n/);
  });
});

describe('db:check on Supabase: anon and authenticated', () => {
  it('passes the migrated schema: they hold nothing on tenant tables', async () => {
    const findings = await audit(database);
    expect(find(findings, 'public.projects', 'anon grants')?.ok).toBe(true);
    expect(failures(findings)).toEqual([]);
  });

  it("fails Supabase's default ALL on a tenant table, naming the privileges, TRUNCATE included, and the revoke", async () => {
    const findings = await audit(await copy('grant all on projects to anon, authenticated'));
    expect(failures(findings)).toEqual(['public.projects anon grants']);
    const detail = find(findings, 'public.projects', 'anon grants')!.detail!;
    expect(detail).toContain(
      'anon holds SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER; authenticated holds SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER on public.projects',
    );
    expect(detail).toContain('Fix: REVOKE ALL ON public.projects FROM anon, authenticated;');
  });

  it('accepts privileges a policy for the role covers, and still fails TRUNCATE, which no policy governs', async () => {
    const covered = `grant select on tasks to authenticated;
      create policy "member reads its tenant's tasks" on tasks for select to authenticated
        using (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid));`;
    const ok = await audit(await copy(covered));
    expect(failures(ok)).toEqual([]);
    const truncate = await audit(await copy(`${covered} grant truncate on tasks to authenticated;`));
    expect(failures(truncate)).toEqual(['public.tasks anon grants']);
    expect(find(truncate, 'public.tasks', 'anon grants')!.detail).toMatch(
      /^authenticated holds TRUNCATE on public\.tasks/,
    );
  });

  it('fails a policy TO PUBLIC on a tenant table: it applies to anon', async () => {
    const findings = await audit(
      await copy(`create policy "anyone reads workspaces" on workspaces for select
                    using (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid))`),
    );
    expect(failures(findings)).toEqual(['public.workspaces no public policy']);
    expect(find(findings, 'public.workspaces', 'no public policy')!.detail).toMatch(
      /^Policies "anyone reads workspaces" apply TO PUBLIC, so every role gets them, Supabase's anon .* Fix: ALTER POLICY <name> ON public\.workspaces TO <runtime role>;/,
    );
  });
});
