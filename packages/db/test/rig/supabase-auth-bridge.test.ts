/**
 * The Supabase auth bridge migration (20261202000100_supabase_auth_bridge), on plain Postgres with
 * Supabase's auth.users and roles recreated before the migrations run (support/supabase-auth-schema):
 * Supabase Auth's writes to auth.users reach public.users, the custom access token hook puts the
 * right tenant claims into the token, supabase_auth_admin reaches nothing else, anon and
 * authenticated reach none of it, and without auth.users the migration installs nothing.
 *
 * Runs once (the unit project): the bridge is below the runtime route, and every statement here
 * goes straight to Postgres as the role GoTrue uses.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  ROLES,
  attachTestRig,
  createOwnedDatabase,
  dropDatabases,
  migrateDeploy,
  roleUrl,
} from '../../src/testing/index.js';
import { postgresCode } from '../support/errors.js';
import { asSupabaseAuth, ensureSupabaseRoles, installSupabaseAuthSchema } from '../support/supabase-auth-schema.js';

const rig = attachTestRig(inject('rig'));
const scratch: string[] = [];
const pools: pg.Pool[] = [];
const BRIDGE = '20261202000100_supabase_auth_bridge';

/** A fresh database migrated as the owner; `supabase`: with the auth schema installed first. */
async function migratedDatabase(kind: 'supabase' | 'plain'): Promise<pg.Pool> {
  const name = `${rig.info.prefix}_bridge_${randomUUID().slice(0, 8)}`;
  scratch.push(name);
  await createOwnedDatabase(rig.server, name, { replace: true });
  // The plain database still has supabase_auth_admin in the cluster: only auth.users is missing.
  if (kind === 'supabase') await installSupabaseAuthSchema(rig.info.superuserUrl, rig.server.superuserUrl(name));
  else await ensureSupabaseRoles(rig.info.superuserUrl);
  await migrateDeploy({ url: roleUrl(rig.server, ROLES.owner, name) });
  const pool = new pg.Pool({ connectionString: rig.server.superuserUrl(name), max: 2 });
  pool.on('error', () => {});
  pools.push(pool);
  return pool;
}

afterAll(async () => {
  for (const pool of pools) await pool.end().catch(() => {});
  await dropDatabases(rig.server, scratch);
});

const id = () => randomUUID();

/** What GoTrue sends the hook (custom access token hook, "Inputs"), with `appMetadata` as the token's. */
function tokenEvent(userId: string, appMetadata: Record<string, unknown>, userMetadata: Record<string, unknown> = {}) {
  return {
    user_id: userId,
    claims: {
      aud: 'authenticated',
      exp: 1_800_000_000,
      iat: 1_799_996_400,
      sub: userId,
      email: 'someone@example.test',
      phone: '',
      role: 'authenticated',
      aal: 'aal1',
      session_id: '4b938a09-5372-4177-a314-cfa292099ea2',
      is_anonymous: false,
      app_metadata: appMetadata,
      user_metadata: userMetadata,
    },
    authentication_method: 'password',
  };
}

describe('the auth bridge on a Supabase database', () => {
  let db: pg.Pool;
  const tenants = { acme: id(), globex: id(), initech: id() };

  /** Runs the hook as GoTrue does and returns the event's claims. */
  const hook = (event: object) =>
    asSupabaseAuth(db, async (c) => {
      const { rows } = await c.query<{ event: { claims: Record<string, unknown> } }>(
        'select public.custom_access_token_hook($1::jsonb) as event',
        [JSON.stringify(event)],
      );
      return rows[0]!.event.claims;
    });
  const publicUser = async (userId: string) =>
    (await db.query('select id, email, name from public.users where id = $1', [userId])).rows[0];
  const signUp = (userId: string, email: string | null, meta: object = {}, phone: string | null = null) =>
    asSupabaseAuth(db, (c) =>
      c.query('insert into users (id, aud, role, email, phone, raw_user_meta_data) values ($1, $2, $2, $3, $4, $5)', [
        userId,
        'authenticated',
        email,
        phone,
        JSON.stringify(meta),
      ]),
    );
  /** Memberships written as the superuser (an operator), `created_at` spaced so "oldest" is defined. */
  const join = async (userId: string, memberships: Array<[string, 'owner' | 'admin' | 'member', number]>) => {
    for (const [tenantId, role, day] of memberships) {
      await db.query(
        `insert into public.memberships (tenant_id, user_id, role, created_at) values ($1, $2, $3, timestamptz '2026-01-01' + $4 * interval '1 day')`,
        [tenantId, userId, role, day],
      );
    }
  };

  beforeAll(async () => {
    db = await migratedDatabase('supabase');
    for (const [slug, tenantId] of Object.entries(tenants)) {
      await db.query('insert into public.tenants (id, name, slug) values ($1, $2, $3)', [tenantId, slug, slug]);
    }
  });

  it('is installed: the migration ran with auth.users present', async () => {
    const { rows } = await db.query(
      `select to_regprocedure('public.custom_access_token_hook(jsonb)') is not null as hook,
              exists (select 1 from pg_trigger where tgrelid = 'auth.users'::regclass and tgname = 'mirror_to_public_users') as trigger`,
    );
    expect(rows[0]).toEqual({ hook: true, trigger: true });
  });

  it('a sign-up is mirrored into public.users: lower-case email, name from full_name, name or the email', async () => {
    const [dana, fox, walter] = [id(), id(), id()];
    await signUp(dana, 'Dana.Scully@Example.TEST', { full_name: ' Dana Scully ', name: 'ignored' });
    await signUp(fox, 'fox@example.test', { name: 'Fox Mulder' });
    await signUp(walter, 'walter.skinner@example.test');
    expect(await publicUser(dana)).toEqual({ id: dana, email: 'dana.scully@example.test', name: 'Dana Scully' });
    expect(await publicUser(fox)).toEqual({ id: fox, email: 'fox@example.test', name: 'Fox Mulder' });
    expect(await publicUser(walter)).toEqual({
      id: walter,
      email: 'walter.skinner@example.test',
      name: 'walter.skinner',
    });
  });

  it('an email or name change is mirrored; an update of other columns writes nothing', async () => {
    const user = id();
    await signUp(user, 'old@example.test', { full_name: 'Old Name' });
    await asSupabaseAuth(db, (c) => c.query(`update users set email = 'New@Example.test' where id = $1`, [user]));
    expect(await publicUser(user)).toEqual({ id: user, email: 'new@example.test', name: 'Old Name' });
    await asSupabaseAuth(db, (c) =>
      c.query(`update users set raw_user_meta_data = '{"full_name": "New Name"}' where id = $1`, [user]),
    );
    expect(await publicUser(user)).toEqual({ id: user, email: 'new@example.test', name: 'New Name' });
    const before = (await db.query('select xmin::text from public.users where id = $1', [user])).rows[0].xmin;
    await asSupabaseAuth(db, (c) =>
      c.query(
        'update users set email = email, raw_user_meta_data = raw_user_meta_data, updated_at = now() where id = $1',
        [user],
      ),
    );
    const after = (await db.query('select xmin::text from public.users where id = $1', [user])).rows[0].xmin;
    expect(after, 'an unchanged email and name must not rewrite the public.users row').toBe(before);
  });

  it('a user without an email (phone sign-in) signs up without a public.users row, which appears with an email', async () => {
    const user = id();
    await signUp(user, null, {}, `+1555${Math.floor(Math.random() * 1e7)}`);
    expect((await db.query('select 1 from auth.users where id = $1', [user])).rowCount).toBe(1);
    expect(await publicUser(user)).toBeUndefined();
    await asSupabaseAuth(db, (c) =>
      c.query(`update users set email = 'phone.user@example.test' where id = $1`, [user]),
    );
    expect(await publicUser(user)).toEqual({ id: user, email: 'phone.user@example.test', name: 'phone.user' });
    await asSupabaseAuth(db, (c) => c.query('update users set email = null where id = $1', [user]));
    expect(await publicUser(user), 'removing the email keeps the row (and its memberships)').toMatchObject({
      email: 'phone.user@example.test',
    });
  });

  it('a sign-up whose email a public.users row not made by Supabase Auth holds fails, linking nothing', async () => {
    const seeded = id();
    const user = id();
    await db.query(`insert into public.users (id, email, name) values ($1, 'taken@example.test', 'Seeded')`, [seeded]);
    const error = await signUp(user, 'Taken@example.test').catch((e: unknown) => e);
    expect(postgresCode(error)).toBe('23505');
    expect((error as Error).message).toBe(
      'Cannot mirror a Supabase auth user into public.users because another user there already has this email.',
    );
    expect((await db.query('select 1 from auth.users where id = $1', [user])).rowCount, 'the sign-up rolled back').toBe(
      0,
    );
    expect(await publicUser(seeded)).toEqual({ id: seeded, email: 'taken@example.test', name: 'Seeded' });
  });

  it('deleting the auth user deletes the public.users row and, by the foreign key cascade, its memberships', async () => {
    const [leaving, staying] = [id(), id()];
    await signUp(leaving, 'leaving@example.test');
    await signUp(staying, 'staying@example.test');
    await join(leaving, [
      [tenants.acme, 'owner', 1],
      [tenants.globex, 'member', 2],
    ]);
    await join(staying, [[tenants.acme, 'member', 1]]);
    await asSupabaseAuth(db, (c) => c.query('delete from users where id = $1', [leaving]));
    expect(await publicUser(leaving)).toBeUndefined();
    const count = async (userId: string) =>
      (await db.query('select count(*)::int as n from public.memberships where user_id = $1', [userId])).rows[0].n;
    expect(await count(leaving)).toBe(0);
    expect(await count(staying)).toBe(1);
  });

  describe('custom_access_token_hook', () => {
    const carol = id();

    beforeAll(async () => {
      await signUp(carol, 'carol@example.test');
      await join(carol, [
        [tenants.acme, 'member', 1],
        [tenants.globex, 'admin', 2],
      ]);
    });

    it('a member of two tenants starts in the oldest, with its role and both tenants; every other claim is kept', async () => {
      const event = tokenEvent(carol, { provider: 'email', providers: ['email'] }, { theme: 'dark' });
      const claims = await hook(event);
      expect(claims).toEqual({
        ...event.claims,
        app_metadata: {
          provider: 'email',
          providers: ['email'],
          tenant_id: tenants.acme,
          tenant_role: 'member',
          tenant_ids: [tenants.acme, tenants.globex],
        },
      });
    });

    it('keeps the tenant the token already has while the user is a member of it', async () => {
      const claims = await hook(tokenEvent(carol, { provider: 'email', tenant_id: tenants.globex }));
      expect(claims.app_metadata).toEqual({
        provider: 'email',
        tenant_id: tenants.globex,
        tenant_role: 'admin',
        tenant_ids: [tenants.acme, tenants.globex],
      });
    });

    it('replaces a tenant the user is not a member of (never was, or left) with the oldest membership', async () => {
      const stranger = await hook(tokenEvent(carol, { tenant_id: tenants.initech, tenant_role: 'owner' }));
      expect(stranger.app_metadata).toMatchObject({ tenant_id: tenants.acme, tenant_role: 'member' });

      const leaver = id();
      await signUp(leaver, 'leaver@example.test');
      await join(leaver, [
        [tenants.acme, 'owner', 1],
        [tenants.globex, 'member', 2],
      ]);
      await db.query('delete from public.memberships where user_id = $1 and tenant_id = $2', [leaver, tenants.globex]);
      const left = await hook(tokenEvent(leaver, { tenant_id: tenants.globex, tenant_role: 'member' }));
      expect(left.app_metadata).toEqual({ tenant_id: tenants.acme, tenant_role: 'owner', tenant_ids: [tenants.acme] });
    });

    it('a user without memberships gets no tenant_id or tenant_role and an empty tenant_ids', async () => {
      const loner = id();
      await signUp(loner, 'loner@example.test');
      const claims = await hook(
        tokenEvent(loner, {
          provider: 'email',
          tenant_id: tenants.acme,
          tenant_role: 'owner',
          tenant_ids: [tenants.acme],
        }),
      );
      expect(claims.app_metadata).toEqual({ provider: 'email', tenant_ids: [] });
    });

    it('never reads user_metadata, which the user can write', async () => {
      const claims = await hook(tokenEvent(carol, {}, { tenant_id: tenants.initech, tenant_role: 'owner' }));
      expect(claims.app_metadata).toMatchObject({ tenant_id: tenants.acme, tenant_role: 'member' });
      expect(claims.user_metadata).toEqual({ tenant_id: tenants.initech, tenant_role: 'owner' });
    });

    it('lists at most 50 tenants, oldest first', async () => {
      const busy = id();
      await signUp(busy, 'busy@example.test');
      const many = Array.from({ length: 55 }, () => id());
      for (const [i, tenantId] of many.entries()) {
        await db.query('insert into public.tenants (id, name, slug) values ($1, $2, $2)', [tenantId, `busy-${i}`]);
      }
      await join(
        busy,
        many.map((tenantId, i) => [tenantId, 'member', 55 - i] as [string, 'member', number]),
      );
      const claims = await hook(tokenEvent(busy, {}));
      const expected = [...many].reverse().slice(0, 50);
      expect(claims.app_metadata).toMatchObject({ tenant_id: expected[0], tenant_ids: expected });
    });
  });

  it('anon and authenticated cannot execute the hook or the trigger function (42501), nor touch users or memberships', async () => {
    for (const role of ['anon', 'authenticated']) {
      for (const sql of [
        `select public.custom_access_token_hook('{}'::jsonb)`,
        'select * from public.users',
        'select * from public.memberships',
      ]) {
        const client = await db.connect();
        try {
          await client.query('begin');
          await client.query(`set local role ${role}`);
          const error = await client.query(sql).catch((e: unknown) => e);
          expect(postgresCode(error), `${role}: ${sql}`).toBe('42501');
        } finally {
          await client.query('rollback');
          client.release();
        }
      }
      const { rows } = await db.query(
        `select has_function_privilege($1, 'public.mirror_auth_user()', 'EXECUTE') as mirror,
                has_function_privilege($1, 'public.custom_access_token_hook(jsonb)', 'EXECUTE') as hook`,
        [role],
      );
      expect(rows[0], role).toEqual({ mirror: false, hook: false });
    }
    const { rows } = await db.query(
      `select has_function_privilege('supabase_auth_admin', 'public.custom_access_token_hook(jsonb)', 'EXECUTE') as hook,
              exists (select 1 from pg_proc p, aclexplode(p.proacl) a
                       where p.oid = 'public.custom_access_token_hook(jsonb)'::regprocedure and a.grantee = 0) as public_execute`,
    );
    expect(rows[0]).toEqual({ hook: true, public_execute: false });
  });

  it("anon and authenticated hold no privilege on any of Tenantry's tables, despite Supabase's default privileges", async () => {
    const { rows } = await db.query<{ role: string; table: string; privilege: string }>(
      `select r.role, format('%I.%I', t.schemaname, t.tablename) as table, p.privilege
         from pg_tables t
        cross join unnest(array['anon', 'authenticated']) as r(role)
        cross join unnest(array['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER']) as p(privilege)
        where t.schemaname = 'public' and has_table_privilege(r.role, format('%I.%I', t.schemaname, t.tablename), p.privilege)
        order by 1, 2, 3`,
    );
    expect(rows).toEqual([]);
    // The check above is not vacuous: the recreated default privileges grant ALL to a new table.
    await db.query(`set role ${ROLES.owner}; create table public.after_the_bridge (id int); reset role`);
    try {
      expect(
        (await db.query(`select has_table_privilege('anon', 'public.after_the_bridge', 'TRUNCATE') as granted`))
          .rows[0],
      ).toEqual({ granted: true });
    } finally {
      await db.query('drop table public.after_the_bridge');
    }
  });

  it('supabase_auth_admin reads no other table and writes no membership (42501)', async () => {
    const { rows: tables } = await db.query<{ name: string }>(
      `select format('%I.%I', schemaname, tablename) as name from pg_tables
        where schemaname = 'public' and tablename not in ('users', 'memberships') order by 1`,
    );
    expect(tables.map((t) => t.name)).toEqual(expect.arrayContaining(['public.tenants', 'public.projects']));
    const attempts = [
      ...tables.map((t) => `select 1 from ${t.name} limit 1`),
      `insert into public.memberships (tenant_id, user_id) values ('${tenants.acme}', '${id()}')`,
      `update public.memberships set role = 'owner'`,
      'delete from public.memberships',
    ];
    for (const sql of attempts) {
      const error = await asSupabaseAuth(db, (c) => c.query(sql)).catch((e: unknown) => e);
      expect(postgresCode(error), `supabase_auth_admin: ${sql}`).toBe('42501');
    }
  });
});

describe('the auth bridge run by a role that may not create a trigger on auth.users', () => {
  it('stops the migration saying which role lacks what and how to run it', async () => {
    const name = `${rig.info.prefix}_bridge_${randomUUID().slice(0, 8)}`;
    scratch.push(name);
    await createOwnedDatabase(rig.server, name, { replace: true });
    await installSupabaseAuthSchema(rig.info.superuserUrl, rig.server.superuserUrl(name));
    const su = new pg.Client({ connectionString: rig.server.superuserUrl(name) });
    await su.connect();
    try {
      await su.query(`revoke trigger on auth.users from ${ROLES.owner}`);
    } finally {
      await su.end();
    }
    const error = await migrateDeploy({ url: roleUrl(rig.server, ROLES.owner, name) }).catch((e: unknown) => e);
    expect(String((error as Error | undefined)?.message ?? error)).toContain(
      `Cannot install the Supabase auth bridge because role ${ROLES.owner}, which runs this migration, may not create a trigger on auth.users. Run the migrations as postgres`,
    );
  });
});

describe('the auth bridge on a plain database', () => {
  it('installs nothing, and the migration is recorded as applied', async () => {
    const db = await migratedDatabase('plain');
    const { rows } = await db.query(
      `select to_regprocedure('public.custom_access_token_hook(jsonb)') is null as no_hook,
              to_regprocedure('public.mirror_auth_user()') is null as no_mirror,
              (select count(*)::int from pg_policies where 'supabase_auth_admin' = any(roles)) as policies,
              has_table_privilege('supabase_auth_admin', 'public.users', 'SELECT') as reads_users,
              (select finished_at is not null from _prisma_migrations where migration_name = $1) as recorded`,
      [BRIDGE],
    );
    expect(rows[0]).toEqual({
      no_hook: true,
      no_mirror: true,
      policies: 0,
      reads_users: false,
      recorded: true,
    });
  });
});
