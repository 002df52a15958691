/**
 * I5: the runtime role is NOSUPERUSER, NOBYPASSRLS and owns nothing; every table with a tenant_id
 * has ENABLE and FORCE ROW LEVEL SECURITY and policies for SELECT, INSERT, UPDATE and DELETE, all
 * in the fail-closed InitPlan form and all TO the runtime role.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase, type TestDatabase } from '../support/test-database.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await useTestDatabase();
});

describe('runtime role and table security', () => {
  it('the role the runtime URL logs in as cannot bypass RLS and owns nothing', async () => {
    const runtime = db.pgPool('tenantry_app', { route: db.route });
    const { rows } = await runtime.query(
      `select current_user as role, r.rolsuper, r.rolbypassrls, r.rolcreaterole, r.rolcreatedb,
              (select count(*)::int from pg_class c where c.relowner = r.oid) as owned,
              (select count(*)::int from pg_namespace n where n.nspowner = r.oid) as owned_schemas
         from pg_roles r where r.rolname = current_user`,
    );
    expect(rows[0]).toEqual({
      role: 'tenantry_app',
      rolsuper: false,
      rolbypassrls: false,
      rolcreaterole: false,
      rolcreatedb: false,
      owned: 0,
      owned_schemas: 0,
    });
  });

  it('the runtime role cannot switch RLS off, change policies or become another role', async () => {
    const runtime = db.pgPool('tenantry_app');
    for (const sql of [
      'alter table projects disable row level security',
      'alter table projects no force row level security',
      'drop policy "tenant reads only its own projects in the active workspace" on projects',
      'set role tenantry_admin',
      'set role tenantry_owner',
      'set session authorization tenantry_admin',
    ]) {
      await expect(runtime.query(sql), sql).rejects.toMatchObject({ code: expect.stringMatching(/^42501$|^42883$/) });
    }
    // row_security = off makes a query that RLS would filter fail instead of bypassing it.
    const client = await runtime.connect();
    try {
      await client.query('set row_security = off');
      await expect(client.query('select * from projects')).rejects.toMatchObject({ code: '42501' });
    } finally {
      client.release(true);
    }
  });

  it('every table with a tenant_id forces RLS and has a policy per command, in the InitPlan form, for the runtime role', async () => {
    const owner = db.pgPool('tenantry_owner');
    const { rows: tables } = await owner.query<{ table: string; enabled: boolean; forced: boolean; owner: string }>(
      `select c.relname as table, c.relrowsecurity as enabled, c.relforcerowsecurity as forced, pg_get_userbyid(c.relowner) as owner
         from pg_class c join pg_attribute a on a.attrelid = c.oid and a.attname = 'tenant_id' and not a.attisdropped
        where c.relnamespace = 'public'::regnamespace and c.relkind = 'r' order by 1`,
    );
    expect(tables.map((t) => t.table)).toEqual([
      'audit_events',
      'invitations',
      'memberships',
      'projects',
      'tasks',
      'workspaces',
    ]);
    // The audit log (docs/audit-log.md): the runtime role only reads it; the owner's two policies let
    // the SECURITY DEFINER audit functions write it under FORCE (audit-log.test.ts tries the writes).
    const { rows: logPolicies } = await owner.query<{ cmd: string; roles: string[]; qual: string | null }>(
      `select cmd, roles::text[] as roles, qual from pg_policies where schemaname = 'public' and tablename = 'audit_events' order by cmd, roles`,
    );
    expect(logPolicies.map((p) => `${p.cmd} ${p.roles.join(',')}`)).toEqual([
      'INSERT tenantry_owner',
      'SELECT tenantry_app',
      'SELECT tenantry_owner',
    ]);
    expect(logPolicies[1]!.qual).toMatch(
      /tenant_id = \( SELECT \(NULLIF\(current_setting\('app\.tenant_id'::text, true\), ''::text\)\)::uuid AS/,
    );
    expect(tables[0]).toMatchObject({ enabled: true, forced: true, owner: 'tenantry_owner' });
    for (const t of tables.filter((t) => t.table !== 'audit_events')) {
      expect(t, t.table).toMatchObject({ enabled: true, forced: true, owner: 'tenantry_owner' });
      const { rows: policies } = await owner.query<{
        cmd: string;
        roles: string[];
        qual: string | null;
        with_check: string | null;
      }>(
        `select cmd, roles::text[] as roles, qual, with_check from pg_policies where schemaname = 'public' and tablename = $1`,
        [t.table],
      );
      expect(policies.map((p) => p.cmd).sort(), `${t.table} policies`).toEqual([
        'DELETE',
        'INSERT',
        'SELECT',
        'UPDATE',
      ]);
      for (const p of policies) {
        expect(p.roles, `${t.table} ${p.cmd}`).toEqual(['tenantry_app']);
        for (const expr of [p.qual, p.with_check].filter((e): e is string => e !== null)) {
          expect(expr, `${t.table} ${p.cmd}`).toMatch(
            /tenant_id = \( SELECT \(NULLIF\(current_setting\('app\.tenant_id'::text, true\), ''::text\)\)::uuid AS/,
          );
        }
      }
    }
  });
});
