/**
 * `tenantry pgtap` without a database: the generator (src/pgtap/schema-policies.ts) on plain model lists
 * (sorted, deterministic, the plan equal to the assertions written, the workspace clause only where a
 * model has the workspace field, identifiers and literals quoted), and the command on the fixture schema
 * keyed by organizationId/teamId (--stdout, --out, --check). That the assertions hold, and fail, on a real
 * database is packages/db's test/rig/pgtap-new-model.test.ts.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { SchemaModelColumns } from '../src/migrate/columns.js';
import { renderSchemaPgTap, tenantTables } from '../src/pgtap/schema-policies.js';

const bin = fileURLToPath(new URL('../bin/tenantry.mjs', import.meta.url));
const config = fileURLToPath(new URL('./fixture/prisma.config.ts', import.meta.url));
const scratch: string[] = [];
afterAll(async () => {
  for (const dir of scratch) await rm(dir, { recursive: true, force: true });
});

const models: SchemaModelColumns[] = [
  { model: 'Task', table: 'tasks', tenantColumn: 'tenant_id', workspaceColumn: 'workspace_id' },
  { model: 'Tenant', table: 'tenants' },
  { model: 'Label', table: 'labels', schema: 'app', tenantColumn: 'tenant_id' },
  { model: 'Note', table: "O'Brien Notes", tenantColumn: 'tenant_id' },
];
/** The generator writes one assertion per line: every `select <fn>(` line but plan's (finish is `select * from`). */
const assertionsIn = (sql: string) => sql.split('\n').filter((l) => /^select (?!plan\()\w+\(/.test(l)).length;

describe('the generated pgTAP file', () => {
  const sql = renderSchemaPgTap({ models, runtimeRole: 'app_role' });

  it('covers the models with a tenant column, sorted by schema and table, and none without', () => {
    expect(tenantTables(models).map((t) => `${t.schema}.${t.name}`)).toEqual([
      'app.labels',
      "public.O'Brien Notes",
      'public.tasks',
    ]);
    expect(sql).not.toMatch(/tenants/);
    expect(sql).toContain("-- Runtime role: app_role. Tenant tables: app.labels, public.O'Brien Notes, public.tasks.");
  });

  it('plans exactly the assertions it writes', () => {
    // 6 for the role, 1 catalog-wide, 12 per tenant-wide table, 14 per workspace-scoped one.
    expect(assertionsIn(sql)).toBe(6 + 1 + 12 * 2 + 14);
    expect(sql).toContain(`select plan(${6 + 1 + 12 * 2 + 14});`);
  });

  it('is the same for the models in any order (a CI check compares it byte for byte)', () => {
    expect(renderSchemaPgTap({ models: [...models].reverse(), runtimeRole: 'app_role' })).toBe(sql);
  });

  it('asserts the workspace clause only on the workspace-scoped table, and names the runtime role', () => {
    expect(sql.match(/has the workspace clause/g)).toHaveLength(1);
    expect(sql).toContain('every policy of public.tasks for app_role has the workspace clause');
    expect(sql).toContain("select has_role('app_role', 'the runtime role app_role exists');");
    expect(sql).not.toContain('tenantry_app');
  });

  it('quotes identifiers and literals', () => {
    expect(sql).toContain(`to_regclass('public."O''Brien Notes"')`);
    expect(sql).toContain(`'alter table public."O''Brien Notes" disable row level security'`);
    expect(sql).toContain(`to_regclass('app.labels')`);
  });

  it('allows supabase_auth_admin only on the tables it is given, and only where the auth schema exists', () => {
    const withAuth = renderSchemaPgTap({ models, runtimeRole: 'app_role', authAdminTables: ['public.tasks'] });
    const rolesRule = (table: string) =>
      withAuth.split('\n').find((l) => l.includes(`every policy of ${table} applies`))!;
    expect(rolesRule('public.tasks')).toContain(
      "not (to_regnamespace('auth') is not null and p.polroles = array[(select oid from pg_roles where rolname = 'supabase_auth_admin')])",
    );
    expect(rolesRule('app.labels')).not.toContain('supabase_auth_admin');
  });
});

function tenantry(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('TENANTRY_')));
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [bin, '--config', config, 'pgtap', '--tenant-field', 'organizationId', '--workspace-field', 'teamId', ...argv],
      { env, encoding: 'utf8', timeout: 30_000 },
      (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

describe.concurrent('tenantry pgtap on the fixture schema', { timeout: 60_000 }, () => {
  it('--stdout prints the assertions for teams and documents with organization_id and team_id', async () => {
    const ran = await tenantry(['--stdout']);
    expect(ran).toMatchObject({ code: 0, stderr: '' });
    expect(ran.stdout).toContain('Tenant tables: public.documents, public.teams.');
    expect(ran.stdout).toContain("has its tenant column organization_id')");
    expect(ran.stdout).toContain(
      'every policy of public.documents for tenantry_app has the workspace clause: team_id =',
    );
    expect(ran.stdout).not.toMatch(/organizations'|[^.]tenant_id/);
  });

  it('writes --out, then --check passes on it and fails naming it once it changes', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'tenantry-pgtap-'));
    scratch.push(dir);
    const out = path.join(dir, 'policies.test.sql');
    const wrote = await tenantry(['--out', out]);
    expect(wrote.code, wrote.stderr).toBe(0);
    expect(wrote.stdout).toMatch(/Wrote .*policies\.test\.sql: 33 assertions for 2 tenant tables \(documents, teams\)/);
    expect((await tenantry(['--check', '--out', out])).code).toBe(0);
    await writeFile(out, `${await readFile(out, 'utf8')}-- edited by hand\n`);
    const stale = await tenantry(['--check', '--out', out]);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toMatch(/^Cannot pass the pgTAP check because .*policies\.test\.sql is stale/);
    expect(stale.stderr).toContain('Run tenantry pgtap (pnpm db:pgtap) and commit the file.');
  });
});
