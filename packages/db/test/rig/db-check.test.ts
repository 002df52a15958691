/**
 * `pnpm db:check` audits a live database: it passes on the migrated schema and detects each kind of
 * failure on a copy of it broken in exactly one way. Every change happens inside a throwaway
 * database; the shared roles tenantry_app/tenantry_admin are never altered (a throwaway role stands
 * in for a BYPASSRLS runtime role).
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { auditDatabase, isInitPlanForm, type Finding } from '@tenantry/prisma/check';
import { devPassword, restrictDatabasePrivileges } from '../../src/testing/index.js';

const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const rig = inject('rig');
const url = (database: string) => Object.assign(new URL(rig.superuserUrl), { pathname: `/${database}` }).toString();
const scratchDatabases: string[] = [];
const scratchRoles: string[] = [];

async function superuser<T>(database: string | undefined, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: database ? url(database) : rig.superuserUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

afterAll(async () => {
  await superuser(undefined, async (c) => {
    for (const name of scratchDatabases) await c.query(`drop database if exists "${name}" with (force)`);
    for (const role of scratchRoles) await c.query(`drop role if exists "${role}"`);
  });
});

/**
 * A copy of the migrated template (with the database privileges a copy loses re-applied, as the
 * rig's copies are) and `breakIt` applied as superuser; `breakIt` may use the copy's name.
 */
async function brokenCopy(breakIt: string | ((database: string) => string)): Promise<string> {
  const name = `${rig.prefix}_check_${randomUUID().slice(0, 8)}`;
  scratchDatabases.push(name);
  await superuser(undefined, async (c) => {
    await c.query(`create database "${name}" template "${rig.template}" owner tenantry_owner`);
    await restrictDatabasePrivileges(c, name);
  });
  const sql = typeof breakIt === 'function' ? breakIt(name) : breakIt;
  if (sql) await superuser(name, (c) => c.query(sql));
  return name;
}

async function audit(database: string, runtimeRole = 'tenantry_app'): Promise<Finding[]> {
  return superuser(database, (c) => auditDatabase(c, { runtimeRole, schemas: ['public'] }));
}

/** ENABLE/FORCE and one InitPlan policy for every command, so that only a table's keys can fail. */
const TENANT_POLICY = (table: string) => `
  alter table ${table} enable row level security;
  alter table ${table} force row level security;
  create policy "tenant uses only its own ${table}" on ${table} to tenantry_app
    using (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid));`;

const failures = (findings: Finding[]) => findings.filter((f) => !f.ok).map((f) => `${f.subject} ${f.check}`);

async function runCli(database: string, runtimeRole?: string) {
  const args = ['-s', 'db:check', '--url', url(database), ...(runtimeRole ? ['--runtime-role', runtimeRole] : [])];
  return promisify(execFile)('pnpm', args, {
    cwd: packageRoot,
    env: { ...process.env, DIRECT_URL: '', DATABASE_URL: '' },
  }).then(
    ({ stdout }) => ({ code: 0, stdout }),
    (error: { code: number; stdout: string }) => ({ code: error.code, stdout: error.stdout }),
  );
}

describe('db:check', () => {
  it('passes on the migrated schema, printing a table per runtime role and tenant table', async () => {
    const { code, stdout } = await runCli(await brokenCopy(''));
    expect(stdout).toMatch(
      /runtime role\s+exists\s+nosuperuser\s+nobypassrls\s+owns nothing\s+no bypass membership\s+no temporary\s+no create on database\s+no create on schemas\s+no role defaults\n/,
    );
    expect(stdout).toMatch(/tenantry_app\s+(ok\s+){8}ok\n/);
    for (const table of ['invitations', 'memberships', 'projects', 'tasks', 'workspaces']) {
      expect(stdout).toMatch(new RegExp(`public\\.${table}\\s+(ok\\s+){9}ok\\n`));
    }
    expect(stdout).toMatch(/All \d+ checks passed\./);
    expect(code, stdout).toBe(0);
  });

  it('fails, exiting 1, on a table left without FORCE ROW LEVEL SECURITY', async () => {
    const db = await brokenCopy('alter table projects no force row level security');
    expect(failures(await audit(db))).toEqual(['public.projects forced']);
    const { code, stdout } = await runCli(db);
    expect(code).toBe(1);
    expect(stdout).toContain('✗ public.projects · forced: ROW LEVEL SECURITY is not forced');
    expect(stdout).toContain('ALTER TABLE public.projects FORCE ROW LEVEL SECURITY;');
  });

  it('fails on a table with RLS disabled', async () => {
    const db = await brokenCopy('alter table tasks disable row level security');
    expect(failures(await audit(db))).toEqual(['public.tasks enabled']);
  });

  it('fails on a missing policy', async () => {
    const db = await brokenCopy('drop policy "tenant deletes only its own tasks in the active workspace" on tasks');
    expect(failures(await audit(db))).toEqual(['public.tasks delete']);
  });

  it('fails on a policy for another role only', async () => {
    const db = await brokenCopy(`
      drop policy "tenant reads only its own memberships" on memberships;
      create policy "admin reads memberships" on memberships for select to tenantry_admin using (true);`);
    expect(failures(await audit(db))).toEqual(['public.memberships select']);
  });

  it('fails on a policy that calls current_setting outside (SELECT ...)', async () => {
    const db = await brokenCopy(`
      drop policy "tenant reads only its own workspaces" on workspaces;
      create policy "tenant reads only its own workspaces" on workspaces for select to tenantry_app
        using (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);`);
    const findings = await audit(db);
    expect(failures(findings)).toEqual(['public.workspaces initplan']);
    expect(findings.find((f) => !f.ok)!.detail).toContain('"tenant reads only its own workspaces"');
  });

  it('fails on a unique key and a foreign key without tenant_id', async () => {
    const db = await brokenCopy(`
      alter table workspaces add constraint workspaces_name_key unique (name);
      create unique index projects_id_key on projects (id);
      alter table tasks add constraint tasks_project_id_fkey foreign key (project_id) references projects (id);`);
    const findings = await audit(db);
    // tasks_project_id_fkey omits workspace_id too, which ws-keys reports on its own.
    expect(failures(findings).sort()).toEqual([
      'public.projects keys',
      'public.tasks keys',
      'public.tasks ws-keys',
      'public.workspaces keys',
    ]);
    const detail = (s: string) => findings.find((f) => f.subject === s && !f.ok)!.detail;
    expect(detail('public.workspaces')).toContain('unique key workspaces_name_key does not include tenant_id');
    expect(detail('public.projects')).toContain('unique key projects_id_key does not include tenant_id');
    expect(detail('public.tasks')).toContain(
      'foreign key tasks_project_id_fkey to public.projects does not pair tenant_id with tenant_id',
    );
  });

  it('fails ws-keys, exiting 1, on a workspace-scoped child whose foreign key to a workspace-scoped parent omits workspace_id', async () => {
    // The Comment on Task: FK (tenant_id, task_id) → tasks (tenant_id, id). Everything else is right.
    const db = await brokenCopy(`
      create table comments (
        tenant_id uuid not null, workspace_id uuid not null, id uuid not null, task_id uuid not null, body text not null,
        primary key (tenant_id, id),
        constraint comments_tenant_id_task_id_fkey foreign key (tenant_id, task_id) references tasks (tenant_id, id) on delete cascade);
      ${TENANT_POLICY('comments')}`);
    const findings = await audit(db);
    expect(failures(findings)).toEqual(['public.comments ws-keys']);
    const detail = findings.find((f) => !f.ok)!.detail!;
    expect(detail).toContain(
      'Foreign key comments_tenant_id_task_id_fkey (tenant_id, task_id) → public.tasks (tenant_id, id) does not pair workspace_id with workspace_id',
    );
    expect(detail).toContain(
      'Fix: FOREIGN KEY (tenant_id, workspace_id, task_id) REFERENCES public.tasks (tenant_id, workspace_id, id)',
    );
    // tasks has no unique key (tenant_id, workspace_id, id) yet, so the fix names it.
    expect(detail).toContain(
      '@relation(fields: [tenantId, workspaceId, taskId], references: [tenantId, workspaceId, id]), which needs @@unique([tenantId, workspaceId, id]) on the parent model.',
    );

    // Why it matters: Postgres accepts a comment in workspace A2 on a task of workspace A1.
    await superuser(db, async (c) => {
      const [t, w1, w2, p, task] = [randomUUID(), randomUUID(), randomUUID(), randomUUID(), randomUUID()];
      await c.query(`insert into tenants (id, name, slug) values ($1, 'T', $2)`, [t, t]);
      await c.query(`insert into workspaces (tenant_id, id, name) values ($1, $2, 'one'), ($1, $3, 'two')`, [
        t,
        w1,
        w2,
      ]);
      await c.query(
        `insert into projects (tenant_id, workspace_id, id, name, updated_at) values ($1, $2, $3, 'P', now())`,
        [t, w1, p],
      );
      await c.query(
        `insert into tasks (tenant_id, workspace_id, id, project_id, title, updated_at) values ($1, $2, $3, $4, 'T', now())`,
        [t, w1, task, p],
      );
      await expect(
        c.query(
          `insert into comments (tenant_id, workspace_id, id, task_id, body) values ($1, $2, gen_random_uuid(), $3, 'x')`,
          [t, w2, task],
        ),
      ).resolves.toBeDefined();
    });

    const { code, stdout } = await runCli(db);
    expect(code).toBe(1);
    expect(stdout).toMatch(/public\.comments\s+(ok\s+){8}FAIL\s+ok\n/);
    expect(stdout).toContain('✗ public.comments · ws-keys: Foreign key comments_tenant_id_task_id_fkey');
  });

  it('fails ws-keys on an existing foreign key rebuilt without workspace_id, and on one that pairs workspace_id with another column', async () => {
    const db = await brokenCopy(`
      alter table tasks drop constraint tasks_tenant_id_workspace_id_project_id_fkey;
      alter table tasks add constraint tasks_project_fkey foreign key (tenant_id, project_id) references projects (tenant_id, id);
      create table notes (
        tenant_id uuid not null, workspace_id uuid not null, id uuid not null, project_id uuid not null,
        primary key (tenant_id, id),
        constraint notes_project_fkey foreign key (tenant_id, project_id, workspace_id) references projects (tenant_id, workspace_id, id));
      ${TENANT_POLICY('notes')}`);
    const findings = await audit(db);
    expect(failures(findings).sort()).toEqual(['public.notes ws-keys', 'public.tasks ws-keys']);
    const detail = (s: string) => findings.find((f) => f.subject === s && !f.ok)!.detail!;
    // projects has @@unique([tenantId, workspaceId, id]), so the fix is the relation alone.
    expect(detail('public.tasks')).toContain(
      'Fix: FOREIGN KEY (tenant_id, workspace_id, project_id) REFERENCES public.projects (tenant_id, workspace_id, id); in schema.prisma @relation(fields: [tenantId, workspaceId, projectId], references: [tenantId, workspaceId, id]).',
    );
    expect(detail('public.notes')).toContain(
      'Foreign key notes_project_fkey (tenant_id, project_id, workspace_id) → public.projects (tenant_id, workspace_id, id) does not pair workspace_id with workspace_id',
    );
    expect(detail('public.notes')).toContain(
      'Fix: FOREIGN KEY (tenant_id, workspace_id, project_id) REFERENCES public.projects (tenant_id, workspace_id, id)',
    );
  });

  it('fails ws-keys on a tenant-wide table referencing a workspace-scoped one; a workspace-scoped table referencing a tenant-wide one passes', async () => {
    const db = await brokenCopy(`
      create table task_links (
        tenant_id uuid not null, id uuid not null, task_id uuid not null, url text not null,
        primary key (tenant_id, id),
        constraint task_links_task_fkey foreign key (tenant_id, task_id) references tasks (tenant_id, id));
      ${TENANT_POLICY('task_links')}
      create table invitation_notes (
        tenant_id uuid not null, workspace_id uuid not null, id uuid not null, invitation_id uuid not null,
        primary key (tenant_id, id),
        foreign key (tenant_id, workspace_id) references workspaces (tenant_id, id),
        foreign key (tenant_id, invitation_id) references invitations (tenant_id, id));
      ${TENANT_POLICY('invitation_notes')}`);
    const findings = await audit(db);
    expect(failures(findings)).toEqual(['public.task_links ws-keys']);
    const detail = findings.find((f) => !f.ok)!.detail!;
    expect(detail).toContain(
      'Tenant-wide public.task_links (no workspace_id) references workspace-scoped public.tasks by foreign key task_links_task_fkey (tenant_id, task_id)',
    );
    expect(detail).toContain('Fix: add workspace_id to public.task_links and to the foreign key');
  });

  it('fails on a tenant table whose keys include tenant_id but no index leads with it', async () => {
    const db = await brokenCopy(`
      create table notes (id uuid not null, tenant_id uuid not null, primary key (id, tenant_id));
      alter table notes enable row level security;
      alter table notes force row level security;
      create policy "tenant uses only its own notes" on notes to tenantry_app
        using (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid));`);
    expect(failures(await audit(db))).toEqual(['public.notes index']);
  });

  it('fails on a tenant table without a primary key', async () => {
    const db = await brokenCopy(`
      create table events (tenant_id uuid not null, body text);
      create index on events (tenant_id);
      alter table events enable row level security;
      alter table events force row level security;
      create policy "tenant uses only its own events" on events to tenantry_app
        using (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid));`);
    const findings = await audit(db);
    expect(failures(findings)).toEqual(['public.events keys']);
    expect(findings.find((f) => !f.ok)!.detail).toContain('no primary key');
  });

  it('fails when the runtime role owns a table', async () => {
    const db = await brokenCopy(
      'create table app_owned (id int primary key); alter table app_owned owner to tenantry_app;',
    );
    const findings = await audit(db);
    expect(failures(findings)).toEqual(['role tenantry_app owns nothing']);
    expect(findings.find((f) => !f.ok)!.detail).toContain('public.app_owned');
  });

  it('fails on a BYPASSRLS runtime role, and on one that can become a BYPASSRLS role (exit 1)', async () => {
    const id = randomUUID().slice(0, 8);
    const [bypassing, member, serviceRole] = [
      `tenantry_check_bypass_${id}`,
      `tenantry_check_member_${id}`,
      `tenantry_check_service_${id}`,
    ];
    scratchRoles.push(member, bypassing, serviceRole);
    await superuser(undefined, (c) =>
      c.query(`create role ${bypassing} nologin bypassrls; create role ${serviceRole} nologin bypassrls;
               create role ${member} nologin nobypassrls; grant ${serviceRole} to ${member};`),
    );
    const db = await brokenCopy('');
    // The throwaway roles have no policies, so the per-table policy checks fail too; look at the role.
    const roleFailures = async (role: string) => failures(await audit(db, role)).filter((f) => f.startsWith('role '));
    expect(await roleFailures(bypassing)).toEqual([`role ${bypassing} nobypassrls`]);
    expect(await roleFailures(member)).toEqual([`role ${member} no bypass membership`]);
    const { code, stdout } = await runCli(db, bypassing);
    expect(code).toBe(1);
    expect(stdout).toContain(`has BYPASSRLS. Fix: ALTER ROLE ${bypassing} NOBYPASSRLS;`);
  });

  it('fails, exiting 1, when the runtime role can create temporary tables (a copy without the revoke, or a grant to PUBLIC)', async () => {
    const db = await brokenCopy((name) => `grant temporary on database "${name}" to public`);
    const findings = await audit(db);
    expect(failures(findings)).toEqual(['role tenantry_app no temporary']);
    expect(findings.find((f) => !f.ok)!.detail).toContain(
      `REVOKE TEMPORARY ON DATABASE ${db} FROM PUBLIC, tenantry_app;`,
    );
    const { code, stdout } = await runCli(db);
    expect(code).toBe(1);
    expect(stdout).toMatch(/tenantry_app\s+(ok\s+){5}FAIL\s+ok\s+ok\s+ok\n/);
    expect(stdout).toContain(
      '✗ role tenantry_app · no temporary: tenantry_app can create temporary tables in database',
    );
    expect(stdout).toContain('(TEMPORARY through PUBLIC)');

    // A raw TEMPLATE copy, without restrictDatabasePrivileges, is such a database.
    const raw = `${rig.prefix}_check_${randomUUID().slice(0, 8)}`;
    scratchDatabases.push(raw);
    await superuser(undefined, (c) =>
      c.query(`create database "${raw}" template "${rig.template}" owner tenantry_owner`),
    );
    expect(failures(await audit(raw))).toEqual(['role tenantry_app no temporary']);
  });

  it('fails when the runtime role can create schemas in the database', async () => {
    const db = await brokenCopy((name) => `grant create on database "${name}" to tenantry_app`);
    const findings = await audit(db);
    expect(failures(findings)).toEqual(['role tenantry_app no create on database']);
    expect(findings.find((f) => !f.ok)!.detail).toContain(`(CREATE through tenantry_app)`);
    expect(findings.find((f) => !f.ok)!.detail).toContain(`REVOKE CREATE ON DATABASE ${db} FROM PUBLIC, tenantry_app;`);
  });

  it('fails when the runtime role can create objects in a schema, naming the schemas', async () => {
    const db = await brokenCopy(
      'create schema scratch; grant usage, create on schema scratch to public; grant create on schema public to tenantry_app;',
    );
    const findings = await audit(db);
    expect(failures(findings)).toEqual(['role tenantry_app no create on schemas']);
    expect(findings.find((f) => !f.ok)!.detail).toContain('in schema public, scratch');
    expect(findings.find((f) => !f.ok)!.detail).toContain(
      'REVOKE CREATE ON SCHEMA public, scratch FROM PUBLIC, tenantry_app;',
    );
  });

  it('fails when the runtime role has session defaults of its own, which raw SQL can set (ALTER ROLE current_user SET)', async () => {
    const db = await brokenCopy('');
    // As the runtime role itself: Postgres lets any role set its own defaults. IN DATABASE keeps it
    // to this scratch database (roles are cluster-wide and other test files share them).
    const app = new pg.Client({
      connectionString: url(db).replace(/\/\/[^@]*@/, `//tenantry_app:${encodeURIComponent(devPassword())}@`),
    });
    await app.connect();
    try {
      await app.query(`alter role current_user in database "${db}" set default_transaction_read_only = on`);
      await app.query(`alter role current_user in database "${db}" set search_path = pg_catalog`);
      // A harmless default of the operator's is not flagged.
      await app.query(`alter role current_user in database "${db}" set application_name = 'tenantry'`);
    } finally {
      await app.end();
    }
    const findings = await audit(db);
    expect(failures(findings)).toEqual(['role tenantry_app no role defaults']);
    const detail = findings.find((f) => !f.ok)!.detail!;
    expect(detail).toContain('in this database: default_transaction_read_only=on');
    expect(detail).toContain('in this database: search_path=pg_catalog');
    expect(detail).not.toContain('application_name');
    expect(detail).toContain(`ALTER ROLE tenantry_app IN DATABASE ${db} RESET ALL;`);
    const { code } = await runCli(db);
    expect(code).toBe(1);
  });

  it('fails on a runtime role that does not exist', async () => {
    expect(failures(await audit(await brokenCopy(''), 'no_such_role_x'))[0]).toBe('role no_such_role_x exists');
  });
});

describe('isInitPlanForm', () => {
  it.each([
    [
      "(tenant_id = ( SELECT (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::uuid AS \"nullif\"))",
      true,
    ],
    ["(tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::uuid)", false],
    ['(( SELECT auth.uid() AS uid) = owner_id)', true],
    ['(auth.uid() = owner_id)', false],
    ["(name = 'current_setting(x)')", true],
    ["((( SELECT auth.uid() AS uid) = owner_id) OR (auth.jwt() ->> 'role'::text) = 'admin'::text)", false],
    ['true', true],
  ])('%s → %s', (expression, expected) => {
    expect(isInitPlanForm(expression)).toBe(expected);
  });
});

describe('db:check: the audit log group', () => {
  const audited = ['invitations', 'memberships', 'projects', 'tasks', 'workspaces'].map((t) => `public.${t}`);
  const auditWith = (database: string, auditedTables?: string[]) =>
    superuser(database, (c) =>
      auditDatabase(c, {
        runtimeRole: 'tenantry_app',
        schemas: ['public'],
        ...(auditedTables ? { auditedTables } : {}),
      }),
    );

  it('passes on the migrated schema and prints the group: the log and every audited table', async () => {
    const db = await brokenCopy('');
    expect(failures(await auditWith(db, audited))).toEqual([]);
    const { code, stdout } = await runCli(db);
    expect(stdout).toMatch(/audit log\s+triggers\s+definer\s+search path\s+owner\s+select only\s+rls\s+read policy\n/);
    for (const table of audited) expect(stdout).toMatch(new RegExp(`${table.replace('.', '\\.')}\\s+ok(\\s+-){6}\\n`));
    expect(stdout).toMatch(/public\.audit_events\s+-(\s+ok){6}\n/);
    expect(code, stdout).toBe(0);
  });

  it('fails, naming the table, on a dropped or disabled audit trigger, and on a marked table without any', async () => {
    const db = await brokenCopy(
      'drop trigger tenantry_audit_update on tasks; alter table projects disable trigger tenantry_audit_delete; ' +
        'drop trigger tenantry_audit_insert on workspaces; drop trigger tenantry_audit_update on workspaces; drop trigger tenantry_audit_delete on workspaces',
    );
    // From the catalog alone, workspaces (no trigger left) is not known to be audited; the schema says it is.
    expect(failures(await auditWith(db))).toEqual(['public.projects triggers', 'public.tasks triggers']);
    expect(failures(await auditWith(db, audited))).toEqual([
      'public.projects triggers',
      'public.tasks triggers',
      'public.workspaces triggers',
    ]);
    const { code, stdout } = await runCli(db);
    expect(code).toBe(1);
    expect(stdout).toContain('✗ public.tasks · triggers: trigger tenantry_audit_update is missing');
    expect(stdout).toContain('✗ public.projects · triggers: trigger tenantry_audit_delete is disabled');
    expect(stdout).toContain('✗ public.workspaces · triggers: trigger tenantry_audit_insert is missing');
  });

  it('fails select only (and the write check) when the runtime role may write the log, or run the erasure function', async () => {
    const db = await brokenCopy('grant update on audit_events to tenantry_app');
    expect(failures(await auditWith(db, audited))).toEqual([
      'public.audit_events update',
      'public.audit_events select only',
    ]);
    const { code, stdout } = await runCli(db);
    expect(code).toBe(1);
    expect(stdout).toContain(
      '✗ public.audit_events · select only: tenantry_app (or PUBLIC) has UPDATE on public.audit_events',
    );
    const viaPublic = await brokenCopy(
      'grant delete on audit_events to public; grant execute on function tenantry_audit_erasure(uuid, text, jsonb) to tenantry_app',
    );
    // ('anon grants' fails too when Supabase's roles exist on the server: PUBLIC includes them.)
    expect(failures(await auditWith(viaPublic, audited)).filter((f) => !f.endsWith('anon grants'))).toEqual([
      'public.audit_events delete',
      'public.audit_events select only',
    ]);
  });

  it('fails definer, search path and owner on a weakened function, rls on an unforced log, read policy on a write policy', async () => {
    const db = await brokenCopy(
      'alter function tenantry_audit_capture() security invoker; alter function tenantry_audit_erasure(uuid, text, jsonb) reset search_path; ' +
        'alter function tenantry_audit_erasure(uuid, text, jsonb) owner to tenantry_admin; alter table audit_events no force row level security; ' +
        `create policy "tenant deletes its audit events" on audit_events for delete to tenantry_app using (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid))`,
    );
    expect(failures(await auditWith(db, audited))).toEqual([
      'public.audit_events forced',
      'public.audit_events delete',
      'public.audit_events definer',
      'public.audit_events search path',
      'public.audit_events owner',
      'public.audit_events rls',
      'public.audit_events read policy',
    ]);
    const { code, stdout } = await runCli(db);
    expect(code).toBe(1);
    expect(stdout).toContain('✗ public.audit_events · definer: tenantry_audit_capture() not SECURITY DEFINER');
    expect(stdout).toContain('✗ public.audit_events · owner: tenantry_audit_erasure() is owned by tenantry_admin');
    expect(stdout).toContain(
      '✗ public.audit_events · read policy: policies "tenant deletes its audit events" let tenantry_app',
    );
  });
});
