/**
 * Least privilege at the root: the runtime role cannot create anything that outlives its statement
 * in the session or the database. No temporary objects (a temp table named like a tenant table
 * shadows it through search_path for the rest of the session, and behind a pooler for the next
 * client of that server connection), no schemas, and nothing in any schema.
 *
 * Each file's database is a `CREATE DATABASE ... TEMPLATE` copy, which does not copy the template's
 * database-level ACL: these tests also prove that the rig re-applies the revoke to every copy.
 */
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { tenantContext, type TenantPrismaClient } from '../../src/index.js';
import { useTestDatabase, type TestDatabase } from '../support/test-database.js';
import { seedTenants, type SeededTenant } from '../support/fixtures.js';
import { postgresCode } from '../support/errors.js';

let db: TestDatabase;
let a: SeededTenant;
/** One connection, so a refused statement and the next query share a session. */
let prisma: TenantPrismaClient;

beforeAll(async () => {
  db = await useTestDatabase();
  [a] = await seedTenants(db.admin(), ['alpha']);
  prisma = db.client({ poolSize: 1 });
});

/** The SQLSTATE a statement fails with as the runtime role inside tenant A's context ('ok' when it runs). */
async function outcome(sql: string): Promise<string> {
  return tenantContext.run({ tenantId: a.tenantId }, () =>
    prisma.$executeRawUnsafe(sql).then(
      () => 'ok',
      (error: unknown) => postgresCode(error) ?? `no SQLSTATE: ${(error as Error).message}`,
    ),
  );
}

describe('database privileges of the runtime role', () => {
  it.each([
    'create temp table projects (id uuid)',
    'create temporary table scratch (id int)',
    'create table pg_temp.scratch (id int)',
    'create temp view scratch_view as select 1 as one',
    'create temp sequence scratch_seq',
    'create temp table scratch_copy as select * from projects',
  ])('cannot create temporary objects inside a context: %s → 42501', async (sql) => {
    expect(await outcome(sql)).toBe('42501');
  });

  it.each([
    'create schema scratch',
    'create table public.scratch (id int)',
    'create view public.scratch_view as select 1 as one',
    'create function public.scratch() returns int language sql as $$ select 1 $$',
    'create sequence public.scratch_seq',
  ])('cannot create schemas or objects in a schema inside a context: %s → 42501', async (sql) => {
    expect(await outcome(sql)).toBe('42501');
  });

  it('after the refused temp table, projects is still the tenant table (no shadow on the connection)', async () => {
    await tenantContext.run({ tenantId: a.tenantId }, async () => {
      expect(await outcome('create temp table projects (id uuid)')).toBe('42501');
      const rows = await prisma.$queryRaw<
        Array<{ schema: string }>
      >`select relnamespace::regnamespace::text as schema from pg_class where oid = 'projects'::regclass`;
      expect(rows).toEqual([{ schema: 'public' }]);
      expect(await prisma.project.count()).toBe(a.projectIds.length);
    });
  });

  it('the catalogs agree: no TEMPORARY or CREATE on this database, no CREATE on any schema', async () => {
    const runtime = db.pgPool('tenantry_app', { route: db.route });
    const { rows } = await runtime.query(
      `select has_database_privilege(current_user, current_database(), 'TEMPORARY') as temporary,
              has_database_privilege(current_user, current_database(), 'CREATE') as create_on_database,
              array(select nspname::text from pg_namespace where has_schema_privilege(current_user, oid, 'CREATE') order by 1) as create_on_schemas`,
    );
    expect(rows[0]).toEqual({ temporary: false, create_on_database: false, create_on_schemas: [] });
  });

  it('the migrated template and this file’s copy of it both carry the revoke (TEMPLATE does not copy database ACLs)', async () => {
    const rig = inject('rig');
    const superuser = db.pgPool('superuser');
    const { rows } = await superuser.query<{ datname: string; temporary: boolean; create: boolean }>(
      `select datname, has_database_privilege('tenantry_app', datname, 'TEMPORARY') as temporary,
              has_database_privilege('tenantry_app', datname, 'CREATE') as create
         from pg_database where datname = any($1::text[]) order by datname = $2 desc`,
      [[rig.template, db.name], rig.template],
    );
    expect(rows).toEqual([
      { datname: rig.template, temporary: false, create: false },
      { datname: db.name, temporary: false, create: false },
    ]);
  });
});
