/**
 * The Citus migrations on a single PostgreSQL (every route's `pnpm test`): they must do nothing but
 * what the schema needs without Citus. 20261203000500_citus_distribution is applied and changes
 * nothing (no Citus objects, the policies keep the InitPlan form); a later migration's generated
 * Citus block adds the new tables' foreign keys exactly as Prisma wrote them and leaves the RLS of
 * the new table working. The same later migration on a cluster: test/citus/migration-route.test.ts.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tenantContext } from '../../src/index.js';
import { seedTenants, type SeededTenant } from '../support/fixtures.js';
import { laterMigrationSql } from '../support/later-migration.js';
import { useTestDatabase, type TestDatabase } from '../support/test-database.js';

let db: TestDatabase;
let owner: pg.Client;
let a: SeededTenant;
let b: SeededTenant;

beforeAll(async () => {
  db = await useTestDatabase();
  [a, b] = await seedTenants(db.admin(), ['notes-a', 'notes-b']);
  owner = new pg.Client({ connectionString: db.ownerUrl });
  await owner.connect();
});
afterAll(async () => {
  await owner?.end();
});

describe('the Citus migrations on a single PostgreSQL', () => {
  it('applies the distribution migration and changes nothing', async () => {
    const { rows: applied } = await owner.query(
      "select finished_at is not null as done from _prisma_migrations where migration_name like '%\\_citus\\_distribution'",
    );
    expect(applied).toEqual([{ done: true }]);
    const { rowCount: citus } = await owner.query("select 1 from pg_extension where extname = 'citus'");
    expect(citus).toBe(0);
    const { rows: plain } = await owner.query(
      `select count(*)::int as n from pg_policies
        where schemaname = 'public' and coalesce(qual, '') || coalesce(with_check, '') like '%current_setting(''app.tenant_id''%'
          and coalesce(qual, '') || coalesce(with_check, '') not like '%SELECT (NULLIF(current_setting(''app.tenant_id''%'`,
    );
    // The users and memberships policies are rewritten only on Citus (before-distribute.sql).
    expect(plain[0].n).toBe(0);
    const { rowCount: casts } = await owner.query(
      "select 1 from pg_proc where proname like 'tenantry\\_%\\_to\\_text'",
    );
    expect(casts).toBe(0);
  });

  it("adds a later migration's foreign keys as Prisma wrote them, and its table keeps its RLS", async () => {
    await owner.query(laterMigrationSql());
    const { rows: keys } = await owner.query<{ name: string; definition: string }>(
      `select conname as name, pg_get_constraintdef(oid) as definition from pg_constraint
        where conrelid = 'notes'::regclass and contype = 'f' order by conname`,
    );
    expect(keys.map((k) => k.name)).toEqual([
      'notes_label_id_fkey',
      'notes_tenant_id_fkey',
      'notes_tenant_id_workspace_id_project_id_fkey',
    ]);
    for (const key of keys) expect(key.definition).toContain('ON UPDATE CASCADE');
    const { rows: policies } = await owner.query<{ qual: string | null; check: string | null }>(
      "select qual, with_check as check from pg_policies where tablename = 'notes'",
    );
    expect(policies).toHaveLength(4);
    for (const p of policies) expect(`${p.qual ?? ''}${p.check ?? ''}`).toContain('SELECT (NULLIF(current_setting(');

    const [workspaceId] = a.workspaceIds;
    const projectId = a.projectIds[0]!;
    const client = db.client();
    const inserted = await tenantContext.run(
      { tenantId: a.tenantId, workspaceId },
      () =>
        client.$executeRaw`insert into notes (tenant_id, workspace_id, project_id, kind, body)
                         values (${a.tenantId}::uuid, ${workspaceId}::uuid, ${projectId}::uuid, 'todo', 'a note')`,
    );
    expect(inserted).toBe(1);
    const read = (tenantId: string) =>
      tenantContext.run({ tenantId }, () => client.$queryRaw<{ n: number }[]>`select count(*)::int as n from notes`);
    expect((await read(a.tenantId))[0]!.n).toBe(1);
    expect((await read(b.tenantId))[0]!.n).toBe(0);
    // Another tenant's project through the new key: the policy refuses the row before the key is checked.
    await expect(
      tenantContext.run(
        { tenantId: b.tenantId, workspaceId: b.workspaceIds[0] },
        () =>
          client.$executeRaw`insert into notes (tenant_id, workspace_id, project_id, body)
                           values (${a.tenantId}::uuid, ${workspaceId}::uuid, ${projectId}::uuid, 'foreign')`,
      ),
    ).rejects.toThrow(/row-level security|42501/);
  });
});
