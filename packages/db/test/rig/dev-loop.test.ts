/**
 * The developer's loop as a user runs it, on a real embedded dev database in a temp directory, with
 * no database URL in the environment: the dev database is started (as `pnpm dev` does), a
 * tenant-scoped `Comment` model with a composite relation to `Task` is added to a SCRATCH copy of
 * the schema, `pnpm db:migrate --name add_comment` (a child process, from the repository root)
 * creates and applies the migration with its RLS as the owner role and regenerates the client,
 * the new model works through the tenant client (scoped, another tenant sees nothing, no context
 * is refused), `pnpm db:check` passes, a restart keeps the data and the port, and `pnpm db:reset
 * --force` brings back the demo. The repository's own schema and migrations are never touched.
 */
import { execFile } from 'node:child_process';
import { chmod, cp, mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TenantPool } from '../../../prisma/src/connection/tenant-pool.js';
import { MissingTenantContextError } from '../../../prisma/src/errors.js';
import { tenantMetadataOf } from '../../../prisma/src/extension/model-metadata.js';
import { bindRequestsToCallerContext } from '../../../prisma/src/extension/request-context.js';
import { tenantExtension } from '../../../prisma/src/extension/tenant-extension.js';
import { tenantContext } from '../../../prisma/src/tenant-context.js';
import { DEMO } from '../../src/testing/demo-data.js';
import { provisionDevDatabase, type DevDatabase } from '../../src/testing/dev-database.js';
import { readDevEnvFile } from '../../src/testing/dev-env.js';

const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const repoRoot = path.resolve(packageRoot, '../..');
const repoMigrations = path.join(packageRoot, 'prisma', 'migrations');

let tmp: string;
let devDir: string;
let scratch: string;
let env: NodeJS.ProcessEnv;
let db: DevDatabase | undefined;

/** `pnpm -s <args>` from the repository root, as a user types it; never rejects. */
function pnpm(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      'pnpm',
      ['-s', ...args],
      { cwd: repoRoot, env, maxBuffer: 16 * 1024 * 1024, timeout: 120_000 },
      (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
      },
    );
  });
}

const firstLine = (text: string) => text.split('\n')[0];

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'tenantry-dev-loop-'));
  // As root the embedded server runs as the postgres OS user, which must traverse the temp dir.
  await chmod(tmp, 0o755);
  devDir = path.join(tmp, 'dev');
  // The scratch package: prisma/ copied, node_modules linked so the client generated into
  // scratch/src/generated resolves @prisma/client like the real one.
  scratch = path.join(tmp, 'pkg');
  await mkdir(scratch);
  await cp(path.join(packageRoot, 'prisma'), path.join(scratch, 'prisma'), { recursive: true });
  await symlink(path.join(packageRoot, 'node_modules'), path.join(scratch, 'node_modules'), 'dir');
  env = { ...process.env };
  for (const name of [
    'DATABASE_URL',
    'DIRECT_URL',
    'DATABASE_ADMIN_URL',
    'SHADOW_DATABASE_URL',
    'EMBEDDED_PG_PORT',
    'CI',
  ])
    delete env[name];
  Object.assign(env, {
    TENANTRY_DEV_DIR: devDir,
    TENANTRY_SCHEMA_PATH: path.join(scratch, 'prisma', 'schema.prisma'),
    TENANTRY_MIGRATIONS_DIR: path.join(scratch, 'prisma', 'migrations'),
    TENANTRY_DOTENV: 'off',
  });
});

afterAll(async () => {
  await db?.stop();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

async function superuserQuery<T extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<T[]> {
  const port = new URL(db!.directUrl!).port;
  const client = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${port}/tenantry` });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

/** The tenant client built on the client generated into the scratch package. */
async function scratchTenantClient(databaseUrl: string) {
  const generated = (await import(
    pathToFileURL(path.join(scratch, 'src', 'generated', 'prisma', 'client.ts')).href
  )) as {
    PrismaClient: new (options: object) => object;
  };
  const pool = new TenantPool({ connectionString: databaseUrl, max: 2, pooler: 'session' });
  pool.on('error', () => {});
  const base = new generated.PrismaClient({ adapter: new PrismaPg(pool) }) as {
    $extends(e: unknown): unknown;
    $disconnect(): Promise<void>;
  };
  bindRequestsToCallerContext(base);
  type CommentDelegate = {
    create(args: object): Promise<{ id: string; tenantId: string; workspaceId: string }>;
    findMany(args?: object): Promise<Array<{ body: string; task: { title: string } }>>;
  };
  const client = base.$extends(tenantExtension(tenantMetadataOf(base))) as { comment: CommentDelegate };
  return { client, close: async () => (await base.$disconnect(), await pool.end()) };
}

describe('the developer loop, end to end (embedded dev database, no URL in the environment)', () => {
  it('dev database → add a model → db:migrate → tenant client → db:check → restart → db:reset', {
    timeout: 240_000,
  }, async () => {
    const acme = DEMO.tenants[0].id;
    const globex = DEMO.tenants[1].id;

    // 1. Start the dev database the way `pnpm dev` does (migrations, demo data, PgBouncer, dev.env).
    db = await provisionDevDatabase({ env });
    expect(db.source).toBe('embedded');
    const devEnv = readDevEnvFile(path.join(devDir, 'dev.env'));
    expect(Object.keys(devEnv).sort()).toEqual([
      'DATABASE_ADMIN_URL',
      'DATABASE_URL',
      'DIRECT_URL',
      'SHADOW_DATABASE_URL',
    ]);
    expect(devEnv.DIRECT_URL).toBe(db.directUrl);
    expect(devEnv.DATABASE_URL).toBe(db.databaseUrl);
    const port = new URL(db.directUrl!).port;

    // 2. Add a tenant-scoped model related to Task, in the scratch schema only.
    const schemaFile = env.TENANTRY_SCHEMA_PATH!;
    let schema = await readFile(schemaFile, 'utf8');
    const start = schema.indexOf('model Task {');
    const end = schema.indexOf('\n}', start) + 2;
    let taskModel = schema
      .slice(start, end)
      .replace('\n  @@id([tenantId, id])', '  comments    Comment[]\n\n  @@id([tenantId, id])');
    // The composite FK needs Task's (tenant_id, workspace_id, id) key; add it unless the schema has it.
    if (!taskModel.includes('@@unique([tenantId, workspaceId, id])'))
      taskModel = taskModel.replace(
        '@@id([tenantId, id])',
        '@@id([tenantId, id])\n  @@unique([tenantId, workspaceId, id])',
      );
    schema = schema.slice(0, start) + taskModel + schema.slice(end);
    schema += `
model Comment {
  tenantId    String   @default(dbgenerated("(NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::uuid")) @map("tenant_id") @db.Uuid
  workspaceId String   @default(dbgenerated("(NULLIF(current_setting('app.workspace_id'::text, true), ''::text))::uuid")) @map("workspace_id") @db.Uuid
  id          String   @default(uuid()) @db.Uuid
  taskId      String   @map("task_id") @db.Uuid
  body        String
  createdAt   DateTime @default(now()) @map("created_at") @db.Timestamptz(3)
  task        Task     @relation(fields: [tenantId, workspaceId, taskId], references: [tenantId, workspaceId, id], onDelete: Cascade)

  @@id([tenantId, id])
  @@index([tenantId, workspaceId, taskId])
  @@map("comments")
}
`;
    await writeFile(schemaFile, schema);
    const repoMigrationsBefore = await readdir(repoMigrations);

    // 3. The real command. --force accepts Prisma's warning about Task's new unique key (no terminal here).
    const migrate = await pnpm(['db:migrate', '--name', 'add_comment', '--force']);
    expect(migrate.code, migrate.stdout + migrate.stderr).toBe(0);
    expect(firstLine(migrate.stdout)).toBe(
      `[db] using the dev database (embedded, ${path.join(devDir, 'dev-db')}, port ${port}, already running) — set DIRECT_URL to use another`,
    );
    expect(migrate.stdout).toMatch(
      /Added Row-Level Security \(grants, ENABLE\/FORCE, 4 policies\) for comments to \d+_add_comment\/migration\.sql/,
    );
    expect(migrate.stdout).toMatch(/Generated Prisma Client/);
    const created = (await readdir(env.TENANTRY_MIGRATIONS_DIR!)).filter((n) => n.endsWith('_add_comment'));
    expect(created).toHaveLength(1);
    expect(await readdir(repoMigrations)).toEqual(repoMigrationsBefore);
    const sql = await readFile(path.join(env.TENANTRY_MIGRATIONS_DIR!, created[0]!, 'migration.sql'), 'utf8');
    expect(sql).toMatch(
      /FOREIGN KEY \("tenant_id", "workspace_id", "task_id"\) REFERENCES "tasks"\("tenant_id", "workspace_id", "id"\)/,
    );
    expect(sql).toContain('ALTER TABLE "comments" FORCE ROW LEVEL SECURITY;');

    // Applied as the owner: the table belongs to tenantry_owner, never to the superuser.
    const [owner] = await superuserQuery<{ tableowner: string }>(
      `select tableowner from pg_tables where schemaname = 'public' and tablename = 'comments'`,
    );
    expect(owner?.tableowner).toBe('tenantry_owner');

    // 4. The new model through the tenant client, at once.
    const [task] = await superuserQuery<{ id: string; workspace_id: string }>(
      'select id, workspace_id from tasks where tenant_id = $1 order by id limit 1',
      [acme],
    );
    const tenant = await scratchTenantClient(db.databaseUrl);
    try {
      const acmeCtx = { tenantId: acme, workspaceId: task!.workspace_id };
      const comment = await tenantContext.run(acmeCtx, () =>
        tenant.client.comment.create({ data: { taskId: task!.id, body: 'first!' } }),
      );
      expect(comment.tenantId).toBe(acme);
      const mine = await tenantContext.run(acmeCtx, () => tenant.client.comment.findMany({ include: { task: true } }));
      expect(mine.map((c) => c.body)).toEqual(['first!']);
      expect(mine[0]!.task.title).toMatch(/task 1/);
      expect(await tenantContext.run({ tenantId: globex }, () => tenant.client.comment.findMany())).toEqual([]);
      await expect(tenant.client.comment.findMany()).rejects.toBeInstanceOf(MissingTenantContextError);
    } finally {
      await tenant.close();
    }

    // 5. db:check audits the new table too.
    const check = await pnpm(['db:check']);
    expect(check.code, check.stdout + check.stderr).toBe(0);
    expect(firstLine(check.stdout)).toMatch(
      /^\[db\] using the dev database \(embedded, .*, already running\) — set DIRECT_URL to use another$/,
    );
    expect(check.stdout).toMatch(/public\.comments\s+ok/);

    // 6. An opaque engine error, translated: the owner cannot create a shadow database itself.
    const drift = await pnpm(['db:drift', '--url', db.directUrl!]);
    expect(drift.code).toBe(1);
    expect(firstLine(drift.stdout)).toMatch(/^\[db\] using --url \(tenantry_owner@127\.0\.0\.1:\d+\/tenantry\)$/);
    expect(drift.stderr).toMatch(
      /^Cannot check for drift because Prisma Migrate had no shadow database: cannot create Prisma Migrate's shadow database because tenantry_owner may not create databases .*Set SHADOW_DATABASE_URL/m,
    );

    // 7. Restart (what Ctrl-C and `pnpm dev` again do): same port, same data.
    await db.stop();
    db = undefined;
    db = await provisionDevDatabase({ env });
    expect(new URL(db.directUrl!).port).toBe(port);
    const kept = await superuserQuery<{ body: string }>('select body from comments');
    expect(kept.map((r) => r.body)).toEqual(['first!']);
    await db.stop();
    db = undefined;

    // 8. db:reset --force with the server stopped: it starts it, rebuilds, seeds, stops it again.
    const reset = await pnpm(['db:reset', '--force']);
    expect(reset.code, reset.stdout + reset.stderr).toBe(0);
    expect(firstLine(reset.stdout)).toBe(
      `[db] using the dev database (embedded, ${path.join(devDir, 'dev-db')}, port ${port}, started for this command) — set DIRECT_URL to use another`,
    );
    // Every committed migration plus the one this test created.
    const committed = (await readdir(repoMigrations, { withFileTypes: true })).filter((e) => e.isDirectory()).length;
    expect(reset.stdout).toMatch(new RegExp(`Applied ${committed + 1} migrations: .*${created[0]}`));
    db = await provisionDevDatabase({ env, seed: false });
    const [counts] = await superuserQuery<{ tenants: string; tasks: string; comments: string; owner: string }>(
      `select (select count(*) from tenants) as tenants, (select count(*) from tasks) as tasks, (select count(*) from comments) as comments,
              (select tableowner from pg_tables where tablename = 'comments') as owner`,
    );
    expect(counts).toEqual({ tenants: '2', tasks: '24', comments: '0', owner: 'tenantry_owner' });
  });
});
