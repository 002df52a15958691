/**
 * Citus in migrations (src/migrate/citus.ts renderCitusMigration, src/migrate/citus-migration.ts):
 * what the generated SQL says. That it does what it says is proven on PostgreSQL by
 * packages/db/test/integration/citus-migration.test.ts and on a real cluster by
 * packages/db/test/citus/migration-route.test.ts (`pnpm test:citus`).
 */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CITUS_MIGRATION_MARKER, CitusSetupError, renderCitusMigration, type CitusPlan } from '../src/migrate/citus.js';
import { CITUS_TABLES_MARKER, addCitusToMigration, citusMigrationsWanted } from '../src/migrate/citus-migration.js';

const migration = `-- CreateEnum
CREATE TYPE "doc_state" AS ENUM ('draft', 'final');

-- CreateTable
CREATE TABLE "organizations" (
    "id" UUID NOT NULL,

    CONSTRAINT "organizations_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "documents" (
    "organization_id" UUID NOT NULL,
    "id" UUID NOT NULL,
    "state" "doc_state" NOT NULL,

    CONSTRAINT "documents_pkey" PRIMARY KEY ("organization_id","id")
);

-- AddForeignKey
ALTER TABLE "documents" ADD CONSTRAINT "documents_organization_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organizations"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "older" ADD CONSTRAINT "older_x_fkey" FOREIGN KEY ("x") REFERENCES "elsewhere"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
`;
const org = { tenant: 'organization_id', workspace: 'team_id' };

describe('addCitusToMigration (a later migration)', () => {
  const change = addCitusToMigration(migration, org);

  it('distributes the new tenant tables and makes the new global ones reference tables, colocated with the schema', () => {
    expect(change.distributed).toEqual(['documents']);
    expect(change.reference).toEqual(['organizations']);
    expect(change.sql).toContain(CITUS_TABLES_MARKER);
    expect(change.sql).toContain(`PERFORM create_reference_table('"organizations"');`);
    expect(change.sql).toContain(
      `PERFORM create_distributed_table('"documents"', 'organization_id', colocate_with => coalesce(anchor, 'default'));`,
    );
    // The reference table comes first: the distributed table's key to it needs it on every node.
    expect(change.sql.indexOf('create_reference_table')).toBeLessThan(change.sql.indexOf('create_distributed_table'));
    expect(change.sql).toContain("column_to_column_name(p.logicalrelid, p.partkey) = 'organization_id'");
  });

  it("moves the new tables' foreign keys into the block, both forms, and leaves the others where they were", () => {
    expect(change.foreignKeys).toBe(1);
    const [before, block] = change.sql.split(CITUS_TABLES_MARKER) as [string, string];
    expect(before).not.toContain('documents_organization_id_fkey');
    expect(before).toContain('ALTER TABLE "older" ADD CONSTRAINT "older_x_fkey"');
    const [single, citus] = block.split('RETURN;') as [string, string];
    expect(single).toContain(
      'ALTER TABLE "documents" ADD CONSTRAINT "documents_organization_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organizations"("id") ON DELETE RESTRICT ON UPDATE CASCADE;',
    );
    expect(citus).toContain(
      'ALTER TABLE "documents" ADD CONSTRAINT "documents_organization_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organizations"("id") ON DELETE RESTRICT;',
    );
    expect(citus.indexOf('create_distributed_table')).toBeLessThan(citus.indexOf('documents_organization_id_fkey'));
  });

  it('does nothing without the extension but the keys, and rewrites policies and casts enums when it runs on Citus', () => {
    expect(change.sql).toContain("IF NOT EXISTS (SELECT FROM pg_catalog.pg_extension WHERE extname = 'citus') THEN");
    expect(change.sql).toContain('ALTER POLICY %I ON %I.%I');
    expect(change.sql).toContain('RAISE EXCEPTION');
    expect(change.sql).toContain('CREATE CAST (%s AS text)');
  });

  it('leaves a migration without new tables, or with its block, as it is', () => {
    expect(addCitusToMigration('ALTER TABLE "documents" ADD COLUMN "x" TEXT;\n', org).sql).toBe(
      'ALTER TABLE "documents" ADD COLUMN "x" TEXT;\n',
    );
    expect(addCitusToMigration(change.sql, org).sql).toBe(change.sql);
  });
});

describe('renderCitusMigration (the schema at once)', () => {
  const plan: CitusPlan = {
    tenantColumn: 'tenant_id',
    runtimeRole: 'tenantry_app',
    policies: [{ schema: 'public', table: 'projects', name: 'reads', qual: '(tenant_id = x)', check: null }],
    enums: [{ schema: 'public', name: 'membership_role' }],
    foreignKeys: [
      {
        table: 'tasks',
        name: 'tasks_fkey',
        definition:
          'FOREIGN KEY (tenant_id, project_id) REFERENCES projects(tenant_id, id) ON UPDATE CASCADE ON DELETE CASCADE',
      },
    ],
    reference: [{ schema: 'public', name: 'tenants' }],
    distributed: [
      { schema: 'public', name: 'projects' },
      { schema: 'public', name: 'tasks' },
    ],
    colocateWith: { schema: 'public', name: 'projects' },
    triggers: [],
  };
  const sql = renderCitusMigration(plan, { before: 'SELECT 1;' });

  it('is marked, guarded, and in order: policies, casts, keys set aside, reference, distributed, keys back, role', () => {
    expect(sql.startsWith(CITUS_MIGRATION_MARKER)).toBe(true);
    const order = [
      "extname = 'citus'",
      '$tenantry_before$\nSELECT 1;\n$tenantry_before$',
      'ALTER POLICY "reads" ON "public"."projects" USING ((tenant_id = x));',
      'CREATE CAST ("public"."membership_role" AS text)',
      'ALTER TABLE tasks DROP CONSTRAINT "tasks_fkey";',
      `PERFORM create_reference_table('"public"."tenants"');`,
      `PERFORM create_distributed_table('"public"."projects"', 'tenant_id', colocate_with => 'default');`,
      `PERFORM create_distributed_table('"public"."tasks"', 'tenant_id', colocate_with => '"public"."projects"');`,
      'ALTER TABLE tasks ADD CONSTRAINT "tasks_fkey" FOREIGN KEY (tenant_id, project_id) REFERENCES projects(tenant_id, id) ON DELETE CASCADE;',
      `ALTER ROLE "tenantry_app" SET citus.propagate_set_commands = 'local';`,
    ];
    const at = order.map((part) => sql.indexOf(part));
    expect(at.every((i) => i >= 0)).toBe(true);
    expect([...at].sort((x, y) => x - y)).toEqual(at);
  });

  it('does nothing when every table is distributed already and refuses a half-distributed schema', () => {
    expect(sql).toContain("RAISE NOTICE 'tenantry: the tables are distributed already; nothing to do'");
    expect(sql).toContain(
      "RAISE EXCEPTION 'Cannot distribute the schema because some of its tables are distributed already",
    );
  });

  it('refuses SQL to run first that would end its quoting', () => {
    expect(() => renderCitusMigration(plan, { before: 'select $tenantry_before$' })).toThrow(CitusSetupError);
  });
});

describe('citusMigrationsWanted', () => {
  it('is on with DATABASE_DISTRIBUTED=citus or after the distribution migration, and off before it', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'tenantry-citus-wanted-'));
    try {
      await mkdir(path.join(dir, '20260101000000_init'));
      await writeFile(path.join(dir, '20260101000000_init', 'migration.sql'), 'CREATE TABLE "a" ();\n');
      expect(await citusMigrationsWanted(dir, '20260102000000_next', {})).toBe(false);
      expect(await citusMigrationsWanted(dir, '20260102000000_next', { DATABASE_DISTRIBUTED: 'citus' })).toBe(true);
      // A later migration's own block is not the distribution migration.
      await mkdir(path.join(dir, '20260101000050_tables'));
      await writeFile(
        path.join(dir, '20260101000050_tables', 'migration.sql'),
        addCitusToMigration(migration, org)
          .sql.split(CITUS_TABLES_MARKER)
          .map((part, i) => (i ? CITUS_TABLES_MARKER + part : ''))
          .join(''),
      );
      expect(await citusMigrationsWanted(dir, '20260102000000_next', {})).toBe(false);
      await mkdir(path.join(dir, '20260101000100_citus_distribution'));
      await writeFile(
        path.join(dir, '20260101000100_citus_distribution', 'migration.sql'),
        `${CITUS_MIGRATION_MARKER}\n`,
      );
      expect(await citusMigrationsWanted(dir, '20260102000000_next', {})).toBe(true);
      expect(await citusMigrationsWanted(dir, '20260101000050_between', {})).toBe(false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
