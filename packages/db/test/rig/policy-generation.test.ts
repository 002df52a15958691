/**
 * Policy generation: adding a tenant-scoped model to schema.prisma and running `pnpm db:migrate`
 * produces a migration that already holds the model's RLS (grants, ENABLE/FORCE, four policies in
 * the form of the hand-written RLS migration), applied with the table, and `db:check` passes on the
 * result. Runs on a temporary copy of the schema and migrations. The Comment model and the lines it
 * adds to Task are the documented example of docs/schema-rules.md, read from there; a second
 * migration adds relations that break the workspace rule, and db:migrate warns about each.
 */
import { execFile } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { cp, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { auditDatabase } from '@tenantry/prisma/check';
import {
  CITUS_TABLES_MARKER,
  addRlsToMigration,
  tenantTablesCreatedIn,
  workspaceKeyWarnings,
} from '@tenantry/prisma/migrate';

const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const rig = inject('rig');
const url = (database: string) => Object.assign(new URL(rig.superuserUrl), { pathname: `/${database}` }).toString();
const database = `${rig.prefix}_policies_${randomUUID().slice(0, 8)}`;
const TENANT_DEFAULT = `@default(dbgenerated("(NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::uuid")) @map("tenant_id") @db.Uuid`;
const WORKSPACE_DEFAULT = `@default(dbgenerated("(NULLIF(current_setting('app.workspace_id'::text, true), ''::text))::uuid")) @map("workspace_id") @db.Uuid`;
/** The ```prisma block after `<!-- prisma-snippet: name -->` in docs/schema-rules.md. */
async function docSnippet(name: string): Promise<string> {
  const doc = await readFile(path.join(packageRoot, '../../docs/schema-rules.md'), 'utf8');
  const m = new RegExp(`<!-- prisma-snippet: ${name} -->\\s*\`\`\`prisma\\n([\\s\\S]*?)\`\`\``).exec(doc);
  if (!m) throw new Error(`docs/schema-rules.md has no prisma-snippet ${name}`);
  return m[1]!;
}

/** `schema` with a `model X { // ... }` fragment's fields added after X's fields and its @@ attributes after X's. */
function addToModel(schema: string, fragment: string): string {
  const [, name, body] = /^model (\w+) \{\n([\s\S]*?)^\}/m.exec(fragment)!;
  const lines = body!.split('\n').filter((l) => l.trim() !== '' && !/^\s*\/\/ \.\.\./.test(l));
  const [fields, attributes] = [
    lines.filter((l) => !l.trim().startsWith('@@')),
    lines.filter((l) => l.trim().startsWith('@@')),
  ];
  const model = new RegExp(`^model ${name} \\{\\n([\\s\\S]*?)\\n\\n((?:  @@.*\\n)+)\\}`, 'm');
  expect(schema).toMatch(model);
  return schema.replace(
    model,
    (_, own: string, ownAttributes: string) =>
      `model ${name} {\n${[own, ...fields].join('\n')}\n\n${ownAttributes}${attributes.map((l) => `${l}\n`).join('')}}`,
  );
}

const NEW_MODELS = `
model Label {
  tenantId String @${TENANT_DEFAULT.slice(1)}
  id       String @default(uuid()) @db.Uuid
  name     String

  @@id([tenantId, id])
  @@unique([tenantId, name])
  @@map("labels")
}

model ReleaseNote {
  id   String @id @default(uuid()) @db.Uuid
  body String

  @@map("release_notes")
}
`;

let dir: string;
let migrationSql: string;
let migrationName: string;
let stdout: string;
let stderr: string;
let schema: string;
let client: pg.Client;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tenantry-policies-test-'));
  await cp(path.join(packageRoot, 'prisma', 'migrations'), path.join(dir, 'migrations'), { recursive: true });
  schema = addToModel(
    await readFile(path.join(packageRoot, 'prisma', 'schema.prisma'), 'utf8'),
    await docSnippet('task-additions'),
  );
  expect(schema).toMatch(
    /  comments +Comment\[\]\n\n  @@id\(\[tenantId, id\]\)\n[\s\S]*  @@map\("tasks"\)\n  @@unique\(\[tenantId, workspaceId, id\]\)\n\}/,
  );
  schema += `\n${await docSnippet('comment-model')}${NEW_MODELS}`;
  await writeFile(path.join(dir, 'schema.prisma'), schema);
  ({ stdout, stderr } = await promisify(execFile)(
    'pnpm',
    // --force: Prisma asks to confirm adding the unique key to the existing tasks table (docs/schema-rules.md).
    [
      '-s',
      'db:migrate',
      '--force',
      '--name',
      'add_comments',
      '--url',
      url(database),
      '--schema',
      path.join(dir, 'schema.prisma'),
      '--migrations',
      path.join(dir, 'migrations'),
    ],
    { cwd: packageRoot, env: { ...process.env, DIRECT_URL: '', TENANTRY_RUNTIME_ROLE: '' } },
  ));
  const created = (await readdir(path.join(dir, 'migrations'))).filter((n) => n.endsWith('_add_comments'));
  expect(created, stdout).toHaveLength(1);
  migrationName = created[0]!;
  migrationSql = await readFile(path.join(dir, 'migrations', migrationName, 'migration.sql'), 'utf8');
  client = new pg.Client({ connectionString: url(database) });
  await client.connect();
});

afterAll(async () => {
  await client?.end();
  await rm(dir, { recursive: true, force: true });
  const su = new pg.Client({ connectionString: rig.superuserUrl });
  await su.connect();
  await su.query(`drop database if exists "${database}" with (force)`);
  await su.end();
});

describe('policy generation in db:migrate', () => {
  it('appends RLS for each new tenant table, and none for a global one, to the new migration', () => {
    expect(stdout).toContain(
      `Added Row-Level Security (grants, ENABLE/FORCE, 4 policies) for comments, labels to ${migrationName}/migration.sql`,
    );
    // The documented Comment keeps the workspace rule: the key on tasks, the comment's foreign key
    // through it, and no warning.
    expect(migrationSql).toContain(
      'CREATE UNIQUE INDEX "tasks_tenant_id_workspace_id_id_key" ON "tasks"("tenant_id", "workspace_id", "id");',
    );
    expect(migrationSql).toContain(
      'FOREIGN KEY ("tenant_id", "workspace_id", "task_id") REFERENCES "tasks"("tenant_id", "workspace_id", "id")',
    );
    expect(stderr).not.toContain('Warning:');
    for (const table of ['comments', 'labels']) {
      expect(migrationSql).toContain(`GRANT SELECT, INSERT, UPDATE, DELETE ON "${table}" TO tenantry_app;`);
      expect(migrationSql).toContain(`ALTER TABLE "${table}" ENABLE ROW LEVEL SECURITY;`);
      expect(migrationSql).toContain(`ALTER TABLE "${table}" FORCE ROW LEVEL SECURITY;`);
    }
    expect(migrationSql).toContain(
      'CREATE POLICY "tenant reads only its own comments in the active workspace" ON "comments"',
    );
    expect(migrationSql).toContain('CREATE POLICY "tenant reads only its own labels" ON "labels"');
    expect(migrationSql).toContain(
      'CREATE POLICY "tenant deletes only its own labels outside a workspace" ON "labels"',
    );
    expect(migrationSql).not.toMatch(/release_notes" (ENABLE|FORCE)|ON "release_notes"/);
    // The RLS follows the table it secures, in the same migration.
    expect(migrationSql.indexOf('CREATE TABLE "comments"')).toBeLessThan(
      migrationSql.indexOf('ALTER TABLE "comments" ENABLE ROW LEVEL SECURITY'),
    );
  });

  it('gives the new tables the Citus block (the schema has its distribution migration), its foreign keys moved after it; here they exist as Prisma wrote them', async () => {
    expect(stdout).toMatch(
      new RegExp(
        `Citus: ${migrationName} distributes comments, labels, release_notes \\(reference\\) on a Citus coordinator; its \\d+ foreign key\\(s\\) are added after the distribution`,
      ),
    );
    const [prismaPart, block] = migrationSql.split(CITUS_TABLES_MARKER) as [string, string];
    expect(block).toBeDefined();
    expect(prismaPart).not.toContain('ADD CONSTRAINT "comments_tenant_id_workspace_id_task_id_fkey"');
    expect(block).toContain(`PERFORM create_distributed_table('"comments"', 'tenant_id'`);
    expect(block).toContain(`PERFORM create_reference_table('"release_notes"');`);
    // Single PostgreSQL: the key is there, ON UPDATE CASCADE and all; nothing of Citus is.
    const { rows } = await client.query<{ definition: string }>(
      `select pg_get_constraintdef(oid) as definition from pg_constraint where conname = 'comments_tenant_id_workspace_id_task_id_fkey'`,
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]!.definition).toContain('ON UPDATE CASCADE');
  });

  it('applies the amended migration: _prisma_migrations holds its checksum', async () => {
    const { rows } = await client.query('select migration_name, checksum from _prisma_migrations order by 1');
    expect(rows.at(-1)).toEqual({
      migration_name: migrationName,
      checksum: createHash('sha256').update(migrationSql).digest('hex'),
    });
  });

  it('generates policies identical to the hand-written ones for a table of the same shape', async () => {
    const { rows } = await client.query<{
      table: string;
      cmd: string;
      roles: string[];
      qual: string | null;
      with_check: string | null;
    }>(
      `select tablename as table, cmd, roles::text[] as roles, qual, with_check from pg_policies
        where tablename in ('projects', 'comments', 'workspaces', 'labels', 'invitations') order by cmd`,
    );
    const policiesOf = (table: string) => rows.filter((r) => r.table === table).map(({ table: _t, ...p }) => p);
    expect(policiesOf('comments')).toEqual(policiesOf('projects'));
    expect(policiesOf('labels')).toEqual(policiesOf('invitations'));
    expect(policiesOf('comments')).toHaveLength(4);
    // A tenant-wide table: read from any context of the tenant, written only outside a workspace, as
    // the workspaces table's INSERT is.
    const labels = Object.fromEntries(policiesOf('labels').map((p) => [p.cmd, p]));
    const workspaceInsert = policiesOf('workspaces').find((p) => p.cmd === 'INSERT')!.with_check;
    expect(labels.SELECT!.qual).toBe(policiesOf('workspaces').find((p) => p.cmd === 'SELECT')!.qual);
    expect(labels.INSERT!.with_check).toBe(workspaceInsert);
    expect([labels.UPDATE!.qual, labels.UPDATE!.with_check, labels.DELETE!.qual]).toEqual([
      workspaceInsert,
      workspaceInsert,
      workspaceInsert,
    ]);
    expect(workspaceInsert).toMatch(
      /\( SELECT \(NULLIF\(current_setting\('app\.workspace_id'::text, true\), ''::text\)\)::uuid AS "nullif"\) IS NULL\)\)$/,
    );
  });

  it('a workspace-narrowed context reads the new tenant-wide table but cannot write it', async () => {
    const t = randomUUID();
    await client.query(`insert into tenants (id, name, slug) values ($1, 'T', $2)`, [t, t]);
    await client.query(`insert into workspaces (tenant_id, id, name) values ($1, $2, 'T ws')`, [t, t]);
    await client.query(`insert into labels (tenant_id, id, name) values ($1, gen_random_uuid(), 't-label')`, [t]);
    await client.query('begin');
    try {
      await client.query(`set local role tenantry_app`);
      await client.query(`select set_config('app.tenant_id', $1, true), set_config('app.workspace_id', $2, true)`, [
        t,
        t,
      ]);
      expect((await client.query('select name from labels')).rows).toEqual([{ name: 't-label' }]);
      expect((await client.query(`update labels set name = 'renamed'`)).rowCount).toBe(0);
      expect((await client.query('delete from labels')).rowCount).toBe(0);
      await expect(
        client.query(`insert into labels (id, name) values (gen_random_uuid(), 'narrowed')`),
      ).rejects.toMatchObject({ code: '42501' });
    } finally {
      await client.query('rollback');
    }
  });

  it('db:check passes on the result', async () => {
    const findings = await auditDatabase(client, { runtimeRole: 'tenantry_app', schemas: ['public'] });
    expect(findings.filter((f) => !f.ok)).toEqual([]);
    expect(new Set(findings.map((f) => f.subject))).toEqual(
      new Set([
        'role tenantry_app',
        'public.audit_events',
        'public.comments',
        'public.invitations',
        'public.labels',
        'public.memberships',
        'public.projects',
        'public.tasks',
        'public.workspaces',
      ]),
    );
  });

  it('the runtime role reads and writes only its own tenant in the new table', async () => {
    const [a, b] = [randomUUID(), randomUUID()];
    await client.query(`insert into tenants (id, name, slug) values ($1, 'A', $3), ($2, 'B', $4)`, [a, b, a, b]);
    await client.query(
      `insert into labels (tenant_id, id, name) values ($1, gen_random_uuid(), 'a-label'), ($2, gen_random_uuid(), 'b-label')`,
      [a, b],
    );
    await client.query('begin');
    try {
      await client.query(`set local role tenantry_app`);
      await client.query(`select set_config('app.tenant_id', $1, true)`, [a]);
      expect((await client.query('select name from labels')).rows).toEqual([{ name: 'a-label' }]);
      await expect(
        client.query(`insert into labels (tenant_id, id, name) values ($1, gen_random_uuid(), 'forged')`, [b]),
      ).rejects.toMatchObject({ code: '42501' });
    } finally {
      await client.query('rollback');
    }
  });
});

describe('workspace rule in db:migrate', () => {
  it('warns about a workspace-scoped relation without workspace_id and a tenant-wide table referencing a workspace-scoped one; db:check fails both', async () => {
    const BAD_MODELS = `
model TaskNote {
  tenantId    String ${TENANT_DEFAULT}
  workspaceId String ${WORKSPACE_DEFAULT}
  id          String @default(uuid()) @db.Uuid
  taskId      String @map("task_id") @db.Uuid
  task        Task   @relation(fields: [tenantId, taskId], references: [tenantId, id], onDelete: Cascade)

  @@id([tenantId, id])
  @@map("task_notes")
}

model TaskLink {
  tenantId String ${TENANT_DEFAULT}
  id       String @default(uuid()) @db.Uuid
  taskId   String @map("task_id") @db.Uuid
  url      String
  task     Task   @relation(fields: [tenantId, taskId], references: [tenantId, id], onDelete: Cascade)

  @@id([tenantId, id])
  @@map("task_links")
}
`;
    const bad =
      addToModel(schema, 'model Task {\n  notes       TaskNote[]\n  links       TaskLink[]\n}\n') + BAD_MODELS;
    await writeFile(path.join(dir, 'schema.prisma'), bad);
    const run = await promisify(execFile)(
      'pnpm',
      [
        '-s',
        'db:migrate',
        '--name',
        'add_task_notes',
        '--url',
        url(database),
        '--schema',
        path.join(dir, 'schema.prisma'),
        '--migrations',
        path.join(dir, 'migrations'),
      ],
      { cwd: packageRoot, env: { ...process.env, DIRECT_URL: '', TENANTRY_RUNTIME_ROLE: '' } },
    );
    const created = (await readdir(path.join(dir, 'migrations'))).find((n) => n.endsWith('_add_task_notes'));
    expect(created, run.stdout).toBeDefined();
    expect(run.stdout).toContain(`for task_notes, task_links to ${created}/migration.sql`);
    const warnings = run.stderr.split('\n').filter((l) => l.startsWith('Warning:'));
    expect(warnings, run.stderr).toHaveLength(2);
    expect(warnings[0]).toBe(
      'Warning: foreign key task_notes_tenant_id_task_id_fkey (tenant_id, task_id) of workspace-scoped task_notes references workspace-scoped tasks (tenant_id, id) without pairing workspace_id, ' +
        'so a task_notes row can sit in another workspace than its tasks row and workspace scoping leaks (db:check fails it as ws-keys; see docs/schema-rules.md). ' +
        // Task already has @@unique([tenantId, workspaceId, id]) (from the documented example), so the fix is the relation alone.
        `Fix in schema.prisma: @relation(fields: [tenantId, workspaceId, taskId], references: [tenantId, workspaceId, id]); then run pnpm db:migrate again. (${created}/migration.sql)`,
    );
    expect(warnings[1]).toContain(
      'Warning: tenant-wide table task_links (no workspace_id) references workspace-scoped tasks by foreign key task_links_tenant_id_task_id_fkey',
    );
    expect(warnings[1]).toContain(
      'Fix: give the model a workspaceId (@map("workspace_id"), defaulting from app.workspace_id) and put it in the relation: @relation(fields: [tenantId, workspaceId, taskId], references: [tenantId, workspaceId, id])',
    );

    const findings = await auditDatabase(client, { runtimeRole: 'tenantry_app', schemas: ['public'] });
    expect(
      findings
        .filter((f) => !f.ok)
        .map((f) => `${f.subject} ${f.check}`)
        .sort(),
    ).toEqual(['public.task_links ws-keys', 'public.task_notes ws-keys']);
  });
});

describe('workspaceKeyWarnings', () => {
  const earlier = [
    'CREATE TABLE "tasks" (\n    "tenant_id" UUID NOT NULL,\n    "workspace_id" UUID NOT NULL,\n    "id" UUID NOT NULL,\n\n    CONSTRAINT "tasks_pkey" PRIMARY KEY ("tenant_id","id")\n);',
    'CREATE TABLE "workspaces" (\n    "tenant_id" UUID NOT NULL,\n    "id" UUID NOT NULL\n);',
  ];
  const child = (columns: string) =>
    `CREATE TABLE "c" (\n${columns
      .split(',')
      .map((c) => `    "${c}" UUID NOT NULL`)
      .join(',\n')}\n);\n\n`;
  const fk = (from: string, to: string, table = 'tasks') =>
    `ALTER TABLE "c" ADD CONSTRAINT "c_fkey" FOREIGN KEY (${from}) REFERENCES "${table}"(${to}) ON DELETE CASCADE ON UPDATE CASCADE;`;

  it('accepts workspace_id paired with workspace_id, and any key to a tenant-wide or global parent', () => {
    expect(
      workspaceKeyWarnings(
        child('tenant_id,workspace_id,task_id') +
          fk('"tenant_id", "workspace_id", "task_id"', '"tenant_id", "workspace_id", "id"'),
        earlier,
      ),
    ).toEqual([]);
    expect(
      workspaceKeyWarnings(
        child('tenant_id,workspace_id') + fk('"tenant_id", "workspace_id"', '"tenant_id", "id"', 'workspaces'),
        earlier,
      ),
    ).toEqual([]);
    expect(
      workspaceKeyWarnings(child('tenant_id,ws') + fk('"tenant_id", "ws"', '"tenant_id", "id"', 'workspaces'), earlier),
    ).toEqual([]);
  });

  it('warns, naming the missing @@unique when no earlier migration created it', () => {
    const [w] = workspaceKeyWarnings(
      child('tenant_id,workspace_id,task_id') + fk('"tenant_id", "task_id"', '"tenant_id", "id"'),
      earlier,
    );
    expect(w).toMatchObject({ constraint: 'c_fkey', table: 'c', parent: 'tasks' });
    expect(w!.message).toContain(
      '@relation(fields: [tenantId, workspaceId, taskId], references: [tenantId, workspaceId, id]), and @@unique([tenantId, workspaceId, id]) on the parent model;',
    );
    const withUnique = [
      ...earlier,
      'CREATE UNIQUE INDEX "tasks_tenant_id_workspace_id_id_key" ON "tasks"("tenant_id", "workspace_id", "id");',
    ];
    expect(
      workspaceKeyWarnings(
        child('tenant_id,workspace_id,task_id') + fk('"tenant_id", "task_id"', '"tenant_id", "id"'),
        withUnique,
      )[0]!.message,
    ).not.toContain('@@unique');
  });

  it('warns about workspace_id paired with another column, and follows columns added and dropped later', () => {
    expect(
      workspaceKeyWarnings(
        child('tenant_id,workspace_id,task_id') +
          fk('"tenant_id", "task_id", "workspace_id"', '"tenant_id", "workspace_id", "id"'),
        earlier,
      ),
    ).toHaveLength(1);
    // tasks loses workspace_id: now tenant-wide, so a plain composite key to it is fine.
    const dropped = [...earlier, 'ALTER TABLE "tasks" DROP COLUMN "workspace_id";'];
    expect(
      workspaceKeyWarnings(
        child('tenant_id,workspace_id,task_id') + fk('"tenant_id", "task_id"', '"tenant_id", "id"'),
        dropped,
      ),
    ).toEqual([]);
    // An existing tenant-wide table gains a key to tasks.
    const existing = [...earlier, child('tenant_id,task_id')];
    expect(workspaceKeyWarnings(fk('"tenant_id", "task_id"', '"tenant_id", "id"'), existing)[0]!.message).toMatch(
      /^Warning: tenant-wide table c \(no workspace_id\) references workspace-scoped tasks/,
    );
    // ... unless it gains a workspace_id in the same migration.
    expect(
      workspaceKeyWarnings(
        'ALTER TABLE "c" ADD COLUMN     "workspace_id" UUID NOT NULL;\n' +
          fk('"tenant_id", "workspace_id", "task_id"', '"tenant_id", "workspace_id", "id"'),
        existing,
      ),
    ).toEqual([]);
  });
});

describe('addRlsToMigration', () => {
  it('finds tenant tables, schema-qualified or not, and leaves a table it already secures alone', () => {
    const sql = [
      'CREATE TABLE "a" (\n    "tenant_id" UUID NOT NULL,\n    "workspace_id" UUID NOT NULL\n);',
      'CREATE TABLE "billing"."b" (\n    "tenant_id" UUID NOT NULL,\n    "note" TEXT\n);',
      'CREATE TABLE "c" (\n    "id" UUID NOT NULL,\n    "tenant_idx" UUID\n);',
    ].join('\n\n');
    expect(tenantTablesCreatedIn(sql)).toEqual([
      { name: 'a', workspaceScoped: true },
      { schema: 'billing', name: 'b', workspaceScoped: false },
    ]);
    const once = addRlsToMigration(sql, 'tenantry_app');
    expect(once.sql).toContain('ALTER TABLE "billing"."b" FORCE ROW LEVEL SECURITY;');
    expect(addRlsToMigration(once.sql, 'tenantry_app')).toEqual({ sql: once.sql, tables: [] });
  });

  it('keeps long policy names within 63 bytes, as sentences', () => {
    const table = 'customer_subscription_line_items';
    const { sql } = addRlsToMigration(
      `CREATE TABLE "${table}" (\n    "tenant_id" UUID NOT NULL,\n    "workspace_id" UUID NOT NULL\n);`,
      'tenantry_app',
    );
    const names = [...sql.matchAll(/CREATE POLICY "([^"]+)"/g)].map((m) => m[1]!);
    expect(names).toEqual([
      `tenant reads only its own ${table}`,
      `tenant inserts only its own ${table}`,
      `tenant updates only its own ${table}`,
      `tenant deletes only its own ${table}`,
    ]);
    for (const name of names) expect(Buffer.byteLength(name)).toBeLessThanOrEqual(63);
  });
});
