/**
 * Citus lane only (vitest.citus.config.ts): the migrations distribute the schema by themselves. A
 * database that has the citus extension and its workers before `db:deploy` comes out distributed by
 * 20261203000500_citus_distribution, without `pnpm db:citus`: tenant tables by tenant_id, colocated,
 * global tables as reference tables, policies in the form Citus accepts, the foreign keys back, the
 * runtime role's propagate setting, shards only on the workers. A later migration written by
 * `tenantry migrate dev` (test/support/later-migration.ts) then distributes its own new tables in the
 * same deploy, colocated, with its foreign keys added after the distribution. The runtime in Citus
 * mode reads exactly the context tenant's rows, through every route.
 */
import { cp, mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createAdminPrismaClient, type AdminPrismaClient } from '../../src/admin.js';
import { createTenantPrismaClient, tenantContext, type TenantPrismaClient } from '../../src/index.js';
import {
  ROLES,
  appMigrations,
  attachTestRig,
  createOwnedDatabase,
  dropDatabases,
  migrateDeploy,
  seedTenants,
  type SeededTenant,
} from '../../src/testing/index.js';
import {
  assertShardsOnWorkers,
  citusWorkers,
  dropWorkerDatabases,
  prepareCitusDatabase,
  type CitusNode,
} from '../../src/testing/citus.js';
import { LATER_MIGRATION_NAME, PRISMA_DDL, laterMigrationSql } from '../support/later-migration.js';
import { currentRoute } from '../support/test-database.js';

const rig = () => {
  const info = inject('rig');
  if (!info || process.env.TENANTRY_CITUS !== '1') {
    throw new Error(
      'Cannot test the Citus migrations outside the Citus lane. Run them with `pnpm test:citus` (CITUS_URL set).',
    );
  }
  return attachTestRig(info);
};

let name: string;
let workers: CitusNode[];
let owner: pg.Client;
let admin: AdminPrismaClient;
let client: TenantPrismaClient;
let migrationsDir: string;
let applied: string[];
let a: SeededTenant;
let b: SeededTenant;
const closers: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  const shared = rig();
  const superuser = shared.server.superuserUrl();
  name = `tenantry_citus_migrate_${process.pid}`;
  workers = await citusWorkers(superuser);
  await dropWorkerDatabases(superuser, workers, [name]);
  await createOwnedDatabase(shared.server, name, { replace: true });
  await prepareCitusDatabase(superuser, name, workers);
  // The repository's migrations plus the later one, in a directory of their own.
  migrationsDir = await mkdtemp(path.join(tmpdir(), 'tenantry-citus-migrations-'));
  await cp(appMigrations().migrationsDir, migrationsDir, { recursive: true });
  await mkdir(path.join(migrationsDir, LATER_MIGRATION_NAME));
  await writeFile(path.join(migrationsDir, LATER_MIGRATION_NAME, 'migration.sql'), laterMigrationSql());
  ({ appliedMigrationNames: applied } = await migrateDeploy({
    url: shared.url(ROLES.owner, 'direct', name),
    migrationsDir,
  }));
  owner = new pg.Client({ connectionString: shared.url(ROLES.owner, 'direct', name) });
  await owner.connect();
  admin = createAdminPrismaClient({ connectionString: shared.url(ROLES.admin, 'direct', name) });
  closers.push(() => admin.$disconnect());
  [a, b] = await seedTenants(admin, ['citus-migrate-a', 'citus-migrate-b']);
  const route = currentRoute();
  const pooler = route === 'direct' ? 'none' : route === 'pgbouncer-session' ? 'session' : 'transaction';
  client = createTenantPrismaClient({
    connectionString: shared.url(ROLES.app, route, name),
    poolSize: 4,
    pooler,
    distributed: 'citus',
  });
  closers.push(() => client.$disconnect());
});

afterAll(async () => {
  for (const close of closers.reverse()) await close().catch(() => {});
  await owner?.end().catch(() => {});
  if (migrationsDir) await rm(migrationsDir, { recursive: true, force: true });
  const shared = rig();
  await dropDatabases(shared.server, [name]);
  await dropWorkerDatabases(shared.server.superuserUrl(), workers ?? [], [name]);
});

describe('db:deploy on a Citus coordinator', () => {
  it('applies every migration, the distribution one and the later one included', () => {
    expect(applied).toContain(LATER_MIGRATION_NAME);
    expect(applied.some((m) => m.endsWith('_citus_distribution'))).toBe(true);
  });

  it('distributes every tenant table by tenant_id in one colocation group and makes the others reference tables', async () => {
    const { rows } = await owner.query<{
      table: string;
      tenant: boolean;
      method: string | null;
      column: string | null;
      group: number | null;
    }>(
      `select c.relname as table,
              exists (select 1 from pg_attribute a where a.attrelid = c.oid and a.attname = 'tenant_id' and not a.attisdropped) as tenant,
              p.partmethod::text as method,
              case when p.partmethod = 'h' then column_to_column_name(p.logicalrelid, p.partkey) end as column,
              p.colocationid as group
         from pg_class c join pg_namespace n on n.oid = c.relnamespace
         left join pg_dist_partition p on p.logicalrelid = c.oid
        where n.nspname = 'public' and c.relkind = 'r' and c.relname <> '_prisma_migrations'
        order by 1`,
    );
    const tenant = rows.filter((r) => r.tenant);
    const global = rows.filter((r) => !r.tenant);
    expect(tenant.map((r) => r.table)).toEqual(expect.arrayContaining(['projects', 'tasks', 'audit_events', 'notes']));
    expect(global.map((r) => r.table)).toEqual(expect.arrayContaining(['tenants', 'users', 'note_labels']));
    for (const r of tenant) expect([r.table, r.method, r.column]).toEqual([r.table, 'h', 'tenant_id']);
    expect(new Set(tenant.map((r) => r.group)).size).toBe(1);
    for (const r of global) expect([r.table, r.method]).toEqual([r.table, 'n']);
    const { rowCount: local } = await owner.query(
      "select 1 from pg_dist_partition where logicalrelid = '_prisma_migrations'::regclass",
    );
    expect(local).toBe(0);
    await assertShardsOnWorkers(owner);
  });

  it('leaves no subquery in any policy and keeps the foreign keys, without ON UPDATE actions on tenant keys', async () => {
    const { rows: policies } = await owner.query<{ name: string; text: string }>(
      `select policyname as name, coalesce(qual, '') || ' ' || coalesce(with_check, '') as text from pg_policies where schemaname = 'public'`,
    );
    expect(policies.length).toBeGreaterThan(20);
    for (const p of policies) expect([p.name, /\(\s*SELECT\b/i.test(p.text)]).toEqual([p.name, false]);
    const { rows: keys } = await owner.query<{ name: string; definition: string }>(
      `select conname as name, pg_get_constraintdef(oid) as definition from pg_constraint
        where contype = 'f' and connamespace = 'public'::regnamespace order by 1`,
    );
    const names = keys.map((k) => k.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'tasks_tenant_id_workspace_id_project_id_fkey',
        'memberships_user_id_fkey',
        'notes_tenant_id_workspace_id_project_id_fkey',
        'notes_tenant_id_fkey',
        'notes_label_id_fkey',
      ]),
    );
    for (const k of keys.filter((k) => /\btenant_id\b/.test(k.definition.split(' REFERENCES ')[0]!)))
      expect([k.name, k.definition.includes('ON UPDATE CASCADE')]).toEqual([k.name, false]);
    expect(keys.find((k) => k.name === 'notes_label_id_fkey')!.definition).toContain('ON UPDATE CASCADE');
  });

  it("fails with Prisma's DDL as written for such a table: the reason the keys move into the block", async () => {
    await owner.query('BEGIN');
    try {
      const statements = PRISMA_DDL.replaceAll('note', 'plainnote')
        .split(/;\n/)
        .map((s) => s.trim())
        .filter((s) => s.length > 0);
      const failed = await (async () => {
        for (const statement of statements) {
          try {
            await owner.query('SAVEPOINT s');
            await owner.query(statement);
            await owner.query('RELEASE SAVEPOINT s');
          } catch (error) {
            return { statement, message: (error as Error).message };
          }
        }
        return undefined;
      })();
      // The tables and the enum are created; the first foreign key to a distributed table fails.
      expect(failed?.statement).toMatch(
        /^-- AddForeignKey\nALTER TABLE "plainnotes" ADD CONSTRAINT "plainnotes_tenant_id_workspace_id_project_id_fkey"/,
      );
      expect(failed?.message).toMatch(/foreign key|distributed|local table/i);
    } finally {
      await owner.query('ROLLBACK');
    }
  });

  it("sets the runtime role's citus.propagate_set_commands and casts the new enum to text", async () => {
    const { rows } = await owner.query<{ config: string[] }>(
      `select setconfig as config from pg_db_role_setting s join pg_roles r on r.oid = s.setrole where r.rolname = 'tenantry_app'`,
    );
    expect(rows.flatMap((r) => r.config)).toContain('citus.propagate_set_commands=local');
    const { rowCount } = await owner.query(
      "select 1 from pg_cast where castsource = 'note_kind'::regtype and casttarget = 'text'::regtype",
    );
    expect(rowCount).toBe(1);
  });

  it("reads and writes only the context tenant's rows through the workers, in the later migration's table too", async () => {
    const count = (tenantId: string, table: 'projects' | 'notes') =>
      tenantContext.run({ tenantId }, async () =>
        table === 'projects'
          ? client.project.count()
          : (await client.$queryRaw<{ n: number }[]>`select count(*)::int as n from notes`)[0]!.n,
      );
    expect(await count(a.tenantId, 'projects')).toBe(a.projectIds.length);
    expect(await count(b.tenantId, 'projects')).toBe(b.projectIds.length);
    const [workspaceId] = a.workspaceIds;
    const inserted = await tenantContext.run(
      { tenantId: a.tenantId, workspaceId },
      () =>
        client.$executeRaw`insert into notes (tenant_id, workspace_id, project_id, kind, body)
                         values (${a.tenantId}::uuid, ${workspaceId}::uuid, ${a.projectIds[0]}::uuid, 'todo', 'a note')`,
    );
    expect(inserted).toBe(1);
    expect(await count(a.tenantId, 'notes')).toBe(1);
    expect(await count(b.tenantId, 'notes')).toBe(0);
    await expect(
      tenantContext.run(
        { tenantId: b.tenantId, workspaceId: b.workspaceIds[0] },
        () =>
          client.$executeRaw`insert into notes (tenant_id, workspace_id, project_id, body)
                           values (${a.tenantId}::uuid, ${workspaceId}::uuid, ${a.projectIds[0]}::uuid, 'foreign')`,
      ),
    ).rejects.toThrow(/row-level security|42501/);
    // No context: nothing, on the workers too.
    const none = await client.$queryRaw<{ n: number }[]>`select count(*)::int as n from notes`;
    expect(none[0]!.n).toBe(0);
  });
});
