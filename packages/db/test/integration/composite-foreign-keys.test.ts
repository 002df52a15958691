/**
 * I6: cross-tenant references are impossible in the schema. Foreign-key and unique checks bypass
 * RLS in Postgres, so keys include tenant_id: even the admin role (BYPASSRLS) cannot make tenant A's
 * task point at tenant B's project, and unique keys cannot be used to probe another tenant.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { tenantContext } from '../../src/index.js';
import { useTestDatabase, type TestDatabase } from '../support/test-database.js';
import { seedTenants, type SeededTenant } from '../support/fixtures.js';
import { expectPostgresError } from '../support/errors.js';

let db: TestDatabase;
let a: SeededTenant;
let b: SeededTenant;

beforeAll(async () => {
  db = await useTestDatabase();
  [a, b] = await seedTenants(db.admin(), ['alpha', 'bravo']);
});

describe('composite keys', () => {
  it("even the RLS-bypassing admin cannot point tenant A's task at tenant B's project", async () => {
    await expectPostgresError(
      db.admin().$executeRaw`insert into tasks (id, tenant_id, workspace_id, project_id, title, updated_at)
        values (gen_random_uuid(), ${a.tenantId}::uuid, ${a.workspaceIds[0]}::uuid, ${b.projectIds[0]}::uuid, 'cross', now())`,
      '23503',
    );
  });

  it("a task cannot sit in another workspace than its project's, even within one tenant", async () => {
    const projectInWs0 = a.projectIds[0]!;
    await expectPostgresError(
      db.admin().$executeRaw`insert into tasks (id, tenant_id, workspace_id, project_id, title, updated_at)
        values (gen_random_uuid(), ${a.tenantId}::uuid, ${a.workspaceIds[1]}::uuid, ${projectInWs0}::uuid, 'cross-ws', now())`,
      '23503',
    );
  });

  it("the runtime role cannot reference another tenant's project, even when it names that tenant's ids", async () => {
    const prisma = db.client();
    await tenantContext.run({ tenantId: a.tenantId }, async () => {
      await expectPostgresError(
        prisma.$executeRaw`insert into tasks (id, workspace_id, project_id, title, updated_at)
          values (gen_random_uuid(), ${b.workspaceIds[0]}::uuid, ${b.projectIds[0]}::uuid, 'cross', now())`,
        '23503',
      );
    });
  });

  it('unique keys are per tenant: two tenants can use the same workspace name, and a clash does not reveal the other', async () => {
    const prisma = db.client();
    const name = 'shared-name';
    const wa = await tenantContext.run({ tenantId: a.tenantId }, () => prisma.workspace.create({ data: { name } }));
    const wb = await tenantContext.run({ tenantId: b.tenantId }, () => prisma.workspace.create({ data: { name } }));
    expect(wa.tenantId).toBe(a.tenantId);
    expect(wb.tenantId).toBe(b.tenantId);
    // The same id in two tenants is two rows, not a probe for the other tenant's row.
    const id = wa.id;
    const copy = await tenantContext.run({ tenantId: b.tenantId }, () =>
      prisma.workspace.create({ data: { id, name: 'same-id' } }),
    );
    expect(copy).toMatchObject({ id, tenantId: b.tenantId });
  });

  it('every primary key, unique key and foreign key of a tenant table includes tenant_id', async () => {
    const owner = db.pgPool('tenantry_owner');
    const { rows } = await owner.query<{ table: string; name: string; type: string; columns: string[] }>(
      `select c.conrelid::regclass::text as table, c.conname as name, c.contype::text as type,
              array(select a.attname::text from unnest(c.conkey) k join pg_attribute a on a.attrelid = c.conrelid and a.attnum = k) as columns
         from pg_constraint c
        where c.connamespace = 'public'::regnamespace
          and exists (select 1 from pg_attribute a where a.attrelid = c.conrelid and a.attname = 'tenant_id')
          -- keys, and foreign keys into other tenant tables (users and tenants are global)
          and (c.contype in ('p', 'u') or (c.contype = 'f'
               and exists (select 1 from pg_attribute a where a.attrelid = c.confrelid and a.attname = 'tenant_id')))`,
    );
    expect(rows.length).toBe(8); // 6 primary keys (audit_events' too), 2 foreign keys between tenant tables
    const missing = rows.filter((r) => !r.columns.includes('tenant_id')).map((r) => `${r.table}.${r.name}`);
    expect(missing).toEqual([]);
    // Prisma writes @@unique as unique indexes, not constraints.
    const { rows: uniques } = await owner.query<{ name: string; columns: string[] }>(
      `select i.indexrelid::regclass::text as name,
              array(select a.attname::text from unnest(i.indkey) k join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k) as columns
         from pg_index i join pg_class c on c.oid = i.indrelid
        where i.indisunique and c.relnamespace = 'public'::regnamespace
          and exists (select 1 from pg_attribute a where a.attrelid = i.indrelid and a.attname = 'tenant_id')`,
    );
    // 6 primary-key indexes, workspaces (tenant, name), projects (tenant, workspace, id), invitations (tenant, email)
    expect(uniques.length).toBe(9);
    expect(uniques.filter((u) => u.columns[0] !== 'tenant_id').map((u) => u.name)).toEqual([]);
    // Foreign keys between tenant tables also reference tenant_id on the other side.
    const { rows: fks } = await owner.query<{ name: string; ref: string[] }>(
      `select c.conname as name, array(select a.attname::text from unnest(c.confkey) k join pg_attribute a on a.attrelid = c.confrelid and a.attnum = k) as ref
         from pg_constraint c where c.contype = 'f' and c.connamespace = 'public'::regnamespace
          and exists (select 1 from pg_attribute a where a.attrelid = c.confrelid and a.attname = 'tenant_id')`,
    );
    expect(fks.filter((f) => !f.ref.includes('tenant_id'))).toEqual([]);
  });
});
